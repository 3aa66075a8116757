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

// ---- FailureScan: the one-paragraph reason of a failed build ---------------------------------
#include "failure_scan.hpp"

#include <fstream>
#include <sstream>

namespace {
std::string explain_fixture(const std::string& name) {
    std::ifstream in(std::string(PYMATRIX_FIXTURES_DIR) + "/logs/" + name);
    REQUIRE_MESSAGE(in, name);
    FailureScan scan;
    std::string line;
    while (std::getline(in, line)) scan.add(line);
    return scan.explain();
}
std::string head_of(const std::string& paragraph) { return paragraph.substr(0, paragraph.find('\n')); }
}  // namespace

TEST_CASE("failure scan: the linker's missing profile runtime, not make's Error 2") {
    std::string why = explain_fixture("clang19-pgo-no-profile-runtime.log");
    CHECK(head_of(why) == "/usr/bin/ld: cannot find /usr/lib/llvm-19/lib/clang/19/lib/linux/"
                          "libclang_rt.profile-x86_64.a: No such file or directory");
    CHECK(why.find("\n      clang-19: error: linker command failed with exit code 1") != std::string::npos);
    CHECK(why.find("\n      make: *** [Makefile:901: profile-run-stamp] Error 2") != std::string::npos);
    CHECK(why.find("make[2]") == std::string::npos);  // sub-makes' plain Error 2 add nothing
}

TEST_CASE("failure scan: a compiler driver refusing an option") {
    CHECK(explain_fixture("clang19-pgo-isa-step-gcc.log") ==
          "gcc: error: unrecognized command-line option ‘-fprofile-instr-use=/usr/src/python/code.profclangd’");
}

TEST_CASE("failure scan: a crashing tool is named, with its signal and make target") {
    std::string why = explain_fixture("clang19-bolt19-segfault.log");
    CHECK(head_of(why) == "llvm-bolt crashed (segmentation fault) in profile-bolt-stamp");
    CHECK(why.find("make: *** [Makefile:969: bolt-opt] Error 2") != std::string::npos);
    CHECK(why.find("make[1]: *** [Makefile:799: profile-bolt-stamp] Error 139") != std::string::npos);
    // each source alone: make's exit status, the shell's report, LLVM's crash handler
    FailureScan make_only;
    make_only.add("#14 12.0 make[1]: *** [Makefile:799: profile-bolt-stamp] Error 134");
    make_only.add("#14 12.0 make: *** [Makefile:969: bolt-opt] Error 2");
    CHECK(head_of(make_only.explain()) == "a tool crashed (aborted) in profile-bolt-stamp");
    FailureScan shell_only;
    shell_only.add("/bin/sh: line 1:   731 Segmentation fault      ./python -E -c 'import sys'");
    CHECK(head_of(shell_only.explain()) == "python crashed (segmentation fault)");
    FailureScan handler_only;
    handler_only.add("PLEASE submit a bug report to https://github.com/llvm/llvm-project/issues/ and include the crash "
                     "backtrace.");
    handler_only.add("0.\tProgram arguments: /usr/lib/llvm-19/bin/clang-19 -cc1 -triple x86_64-pc-linux-gnu");
    CHECK(head_of(handler_only.explain()) == "clang-19 crashed (LLVM's crash handler reported it)");
}

TEST_CASE("failure scan: collect2 brings the line ld printed before it") {
    std::string why = explain_fixture("gcc-lto-undefined-reference.log");
    CHECK(head_of(why) == "<artificial>:(.text.startup+0x15): undefined reference to `Py_BytesMain'");
    CHECK(why.find("\n      collect2: error: ld returned 1 exit status") != std::string::npos);
}

TEST_CASE("failure scan: a failed PGO training workload is named before buildx's ERROR line") {
    // the lines of pgo_train.py (make goes on: `|| true`), the Dockerfile's stamp check and buildx
    FailureScan scan;
    scan.add("#14 380.2 pymatrix: PGO training workload /pymatrix-pgo/worker_pool.py exited 1 after 0.3 s");
    scan.add("#15 0.105 pymatrix: the PGO training workload worker-pool failed (pgo_train.py wrote no "
             "pymatrix-pgo-trained): its output is in the make step above");
    scan.add("ERROR: process \"/bin/sh -c test -f pymatrix-pgo-trained || { ...; exit 1; }\" did not complete "
             "successfully: exit code: 1");
    CHECK(head_of(scan.explain()) == "the PGO training workload worker-pool failed (pgo_train.py wrote no "
                                     "pymatrix-pgo-trained): its output is in the make step above");
}

TEST_CASE("failure scan: the stamp check's own RUN line, echoed by buildx, is not a failed training") {
    // seen on trixie (2026-12-06): the training had run, apt-get failed two steps later
    FailureScan scan;
    scan.add("#15 [build 4/6] RUN test -f /usr/src/python/pymatrix-pgo-trained || { echo 'pymatrix: the PGO training "
             "workload worker-pool failed (pgo_train.py wrote no /usr/src/python/pymatrix-pgo-trained): its output is "
             "in the make step above' >&2; exit 1; }");
    scan.add("#15 DONE 0.2s");
    scan.add("#17 4.084 E: Unable to locate package diversion");
    scan.add("ERROR: failed to solve: executor failed running [/bin/sh -c apt-get update]: exit code: 123");
    CHECK(head_of(scan.explain()) == "E: Unable to locate package diversion");
}

TEST_CASE("failure scan: configure and a missing stdlib module still come first; no error: the last line") {
    FailureScan scan;
    scan.add("#9 3.1 configure: error: llvm-bolt is required for a --enable-bolt build but could not be found.");
    scan.add("#9 3.2 gcc: error: unrecognized command-line option '-x'");
    CHECK(head_of(scan.explain()) ==
          "configure: error: llvm-bolt is required for a --enable-bolt build but could not be found.");
    scan.add("pymatrix: stdlib modules missing: _ssl (configure skipped them)");
    CHECK(head_of(scan.explain()) == "stdlib modules missing: _ssl (configure skipped them)");
    FailureScan quiet;
    quiet.add("#3 0.1 all fine");
    CHECK(quiet.explain() == "#3 0.1 all fine");
    CHECK(FailureScan().explain() == "docker buildx failed without output");
}
