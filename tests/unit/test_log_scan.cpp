// Reading regrtest failures of a PGO training run out of a buildx log.
#include <doctest/doctest.h>

#include "pymatrix/build.hpp"

using namespace pymatrix;

TEST_CASE("a regrtest summary in a buildx plain log names the failing tests") {
    const std::string log = R"(#12 301.2 ./python -m test --pgo --timeout=1200 || true
#12 305.9 0:00:01 load avg: 1.93 [ 1/44] test_array passed
#12 310.0 0:00:05 load avg: 1.90 [ 2/44] test_ssl failed (2 errors)
#12 399.4 == Tests result: FAILURE ==
#12 399.4
#12 399.4 42 tests OK.
#12 399.4
#12 399.4 2 tests failed:
#12 399.4     test_ssl test_socket
#12 399.4
#12 399.4 Total duration: 1 min 38 sec
)";
    CHECK(pgo_failed_tests(log) == std::vector<std::string>{"test_ssl", "test_socket"});
}

TEST_CASE("one failed test, unprefixed log") {
    CHECK(pgo_failed_tests("== Tests result: FAILURE ==\n\n1 test failed:\n    test_re\n") ==
          std::vector<std::string>{"test_re"});
}

TEST_CASE("a passing training run names nothing") {
    CHECK(pgo_failed_tests("#12 399.4 == Tests result: SUCCESS ==\n#12 399.4 44 tests OK.\n").empty());
    CHECK(pgo_failed_tests("").empty());
}
