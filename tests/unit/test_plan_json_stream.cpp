// write_plan_json() writes exactly plan_to_json().dump(2) + "\n" (lib/src/plan/plan_json_stream.cpp).
#include <doctest/doctest.h>

#include "pymatrix/plan.hpp"

#include <filesystem>
#include <sstream>

using namespace pymatrix;

TEST_CASE("plan JSON streamed build by build equals the whole document dumped at once") {
    auto file = load_matrix_file(std::filesystem::path(PYMATRIX_SOURCE_DIR) / "matrices" / "seed.toml");
    auto builds = expand(file);
    REQUIRE(builds.size() > 2);
    CHECK(builds[0].notes.empty());
    std::ostringstream streamed;
    write_plan_json(streamed, file, builds);
    CHECK(streamed.str() == plan_to_json(file, builds).dump(2) + "\n");

    // strings nlohmann escapes or validates: quotes, backslashes, control characters, UTF-8
    builds[0].notes.push_back("a \"quoted\" C:\\path, a tab\there, a newline\n, \x01, caf\xc3\xa9, \xe2\x9c\x93");
    builds[1].axes["cflags_nodist"] = "-DNAME=\"x\"";
    builds[1].build_packages = {"libssl-dev", "zlib1g-dev"};
    builds[2].axes.clear();
    std::ostringstream escaped;
    write_plan_json(escaped, file, builds);
    CHECK(escaped.str() == plan_to_json(file, builds).dump(2) + "\n");

    std::ostringstream none;
    write_plan_json(none, file, {});
    CHECK(none.str() == plan_to_json(file, {}).dump(2) + "\n");
}
