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
    std::ostringstream streamed;
    write_plan_json(streamed, file, builds);
    CHECK(streamed.str() == plan_to_json(file, builds).dump(2) + "\n");

    std::ostringstream none;
    write_plan_json(none, file, {});
    CHECK(none.str() == plan_to_json(file, {}).dump(2) + "\n");
}
