// The scheduler's pure parts: shared-stage groups, make -j split, statuses, the cancel registry.
#include <doctest/doctest.h>

#include "pymatrix/cancel.hpp"
#include "pymatrix/render.hpp"
#include "pymatrix/scheduler.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

using namespace pymatrix;

namespace {
std::vector<Build> matrix() {
    auto f = load_matrix_string(R"([pythons."3.13"]
version = "3.13.5"
source = "Python-3.13.5.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
[pythons."3.11"]
version = "3.11.2"
source = "Python-3.11.2.tar.gz"
sha256 = "2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849"
[profiles.default]
[profiles.opt-v3]
cflags_nodist = "-O3"
march = "x86-64-v3"
[profiles.libtool]
build_packages = ["libtool"]
[profiles.other-base]
base_image = "debian:trixie-slim"
[matrix]
python = ["3.13", "3.11"]
profile = ["default", "opt-v3", "libtool", "other-base"]
)", "m.toml");
    return expand(f);
}
}  // namespace

TEST_CASE("shared stages group builds by base image, tarball and extra packages") {
    auto builds = matrix();
    REQUIRE(builds.size() == 8);
    auto groups = shared_stages(builds);
    // 3.13: {default, opt-v3}, {libtool}, {other-base}; 3.11: the same three
    REQUIRE(groups.size() == 6);
    CHECK(groups[0].builds == std::vector<std::size_t>{0, 1});
    CHECK(builds[0].name == "3.13-default");
    CHECK(builds[1].name == "3.13-opt-v3");
    CHECK(groups[0].describe() == "debian:bookworm-slim, Python-3.13.5.tar.xz");
    CHECK(groups[1].builds == std::vector<std::size_t>{2});
    CHECK(groups[1].describe() == "debian:bookworm-slim, Python-3.13.5.tar.xz, packages: libtool");
    CHECK(groups[2].describe() == "debian:trixie-slim, Python-3.13.5.tar.xz");
    CHECK(groups[3].builds == std::vector<std::size_t>{4, 5});
    CHECK(groups[3].describe() == "debian:bookworm-slim, Python-3.11.2.tar.gz");
    std::size_t total = 0;
    for (auto& g : groups) total += g.builds.size();
    CHECK(total == builds.size());
}

TEST_CASE("builds of one group render the same build-deps and source stages") {
    auto builds = matrix();
    auto stages_of = [](const std::string& dockerfile) {
        auto from = dockerfile.find("FROM debian:bookworm-slim AS build-deps");
        auto to = dockerfile.find("FROM source AS build");
        REQUIRE(from != std::string::npos);
        REQUIRE(to != std::string::npos);
        return dockerfile.substr(from, to - from);
    };
    CHECK(stages_of(render_dockerfile(builds[0])) == stages_of(render_dockerfile(builds[1])));
    CHECK(stages_of(render_dockerfile(builds[0])) != stages_of(render_dockerfile(builds[2])));  // + libtool
}

TEST_CASE("shared_stages_text is the build-deps and source stages of the rendered Dockerfile") {
    for (auto& b : matrix()) {
        CAPTURE(b.name);
        std::string d = render_dockerfile(b), t = shared_stages_text(b);
        auto at = d.find(t);
        REQUIRE(at != std::string::npos);
        CHECK(t.rfind("FROM " + b.base_image + " AS build-deps\n", 0) == 0);
        CHECK(d.compare(at + t.size(), 20, "FROM source AS build") == 0);
        CHECK(t.find("FROM build-deps AS source\n") != std::string::npos);
        CHECK(t.find(b.python.sha256 + "  /usr/src/" + context_source_name(b)) != std::string::npos);
    }
}

TEST_CASE("seed matrix: a build with a toolchain gets a shared stage of its own") {
    auto builds = expand(load_matrix_file(std::filesystem::path(PYMATRIX_SOURCE_DIR) / "matrices" / "seed.toml"));
    auto index_of = [&](const std::string& name) {
        auto it = std::find_if(builds.begin(), builds.end(), [&](const Build& b) { return b.name == name; });
        REQUIRE(it != builds.end());
        return static_cast<std::size_t>(it - builds.begin());
    };
    std::size_t bolt = index_of("3.13-pgo-lto-bolt"), plain = index_of("3.13-default");
    REQUIRE(builds[bolt].toolchain_packages == std::vector<std::string>{"bolt-19"});
    auto groups = shared_stages(builds);
    std::vector<std::size_t> group_of(builds.size(), groups.size());
    for (std::size_t g = 0; g < groups.size(); ++g)
        for (auto i : groups[g].builds) {
            CHECK(group_of[i] == groups.size());  // in exactly one group
            group_of[i] = g;
        }
    for (auto g : group_of) CHECK(g < groups.size());
    CHECK(group_of[bolt] != group_of[plain]);
    CHECK(groups[group_of[bolt]].builds == std::vector<std::size_t>{bolt});
    CHECK(groups[group_of[bolt]].describe() == "debian:bookworm-slim, Python-3.13.5.tar.xz, toolchain: bolt-19");
    CHECK(groups[group_of[plain]].describe() == "debian:bookworm-slim, Python-3.13.5.tar.xz");
    CHECK(groups.size() == 3);  // 3.11, 3.13, 3.13 with BOLT
    // every build of a group renders the shared stages of the group's first build (whose context builds them)
    for (auto& g : groups) {
        std::string first = shared_stages_text(builds[g.builds.front()]);
        bool installs_toolchain = first.find("\"install-toolchain\",\"bolt-19\"]") != std::string::npos;
        CHECK(installs_toolchain == !g.toolchain_packages.empty());
        for (auto i : g.builds) {
            CAPTURE(builds[i].name);
            CHECK(shared_stages_text(builds[i]) == first);
        }
    }
}

TEST_CASE("a shared stage names its toolchain packages after its build packages") {
    SharedStage s{"debian:bookworm-slim", "Python-3.13.5.tar.xz", std::string(64, 'a'), {"libtool"}, {"bolt-19", "llvm-19"}, {}};
    CHECK(s.describe() == "debian:bookworm-slim, Python-3.13.5.tar.xz, packages: libtool, toolchain: bolt-19 llvm-19");
    s.build_packages.clear();
    CHECK(s.describe() == "debian:bookworm-slim, Python-3.13.5.tar.xz, toolchain: bolt-19 llvm-19");
}

TEST_CASE("make -j splits the cores between parallel builds, never below 1") {
    CHECK(make_jobs_for(2, 1) == 2);
    CHECK(make_jobs_for(2, 2) == 1);
    CHECK(make_jobs_for(2, 4) == 1);
    CHECK(make_jobs_for(16, 3) == 5);
    CHECK(make_jobs_for(8, 0) == 8);
    CHECK(make_jobs_for(0, 2) == 1);
}

TEST_CASE("the Dockerfile takes make's parallelism from the MAKE_JOBS build argument") {
    auto d = render_dockerfile(matrix()[0]);
    auto arg = d.find("ARG MAKE_JOBS\n");
    auto make = d.find("RUN make -j\"${MAKE_JOBS:-$(nproc)}\"\n");
    REQUIRE(arg != std::string::npos);
    REQUIRE(make != std::string::npos);
    CHECK(arg < make);
    CHECK(d.find("ARG MAKE_JOBS") > d.find("FROM source AS build"));  // shared stages do not depend on it
}

TEST_CASE("status of a result: the word of its outcome") {
    BuildResult r;
    CHECK(status(r) == "skipped");  // no result yet: never started
    CHECK_FALSE(r.ok());
    CHECK(r.stopped());
    r.outcome = BuildOutcome::cancelled;
    CHECK(status(r) == "cancelled");
    CHECK(r.stopped());
    r.outcome = BuildOutcome::failed;
    CHECK(status(r) == "failed");
    CHECK_FALSE(r.stopped());
    r.outcome = BuildOutcome::built;
    CHECK(status(r) == "built");
    CHECK(r.ok());
    r.outcome = BuildOutcome::cached;
    CHECK(status(r) == "cached");
    CHECK(r.ok());
}

/// A child that waits for a signal and dies of SIGINT's default action, not of doctest's crash
/// handler (inherited through fork): SIGINT stays blocked across the fork until the child has
/// reset its handler.
static pid_t fork_waiting_child() {
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    ::sigprocmask(SIG_BLOCK, &block, &old);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::signal(SIGINT, SIG_DFL);
        ::sigprocmask(SIG_SETMASK, &old, nullptr);
        for (;;) ::pause();
    }
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    return pid;
}

TEST_CASE("request_cancel signals registered children, also those registering later") {
    reset_cancel();
    CHECK_FALSE(cancel_requested());
    pid_t a = fork_waiting_child();
    {
        ChildRegistration reg(a);
        CHECK(running_children() >= 1);
        request_cancel(CancelReason::sigterm);
        int st = 0;
        REQUIRE(::waitpid(a, &st, 0) == a);
        CHECK(WIFSIGNALED(st));
        CHECK(WTERMSIG(st) == SIGINT);
    }
    CHECK(cancel_reason() == CancelReason::sigterm);
    request_cancel(CancelReason::fail_fast);  // the first reason stays
    CHECK(cancel_reason() == CancelReason::sigterm);
    pid_t b = fork_waiting_child();
    {
        ChildRegistration late(b);  // registered after the request: signalled at once
        int st = 0;
        REQUIRE(::waitpid(b, &st, 0) == b);
        CHECK(WIFSIGNALED(st));
    }
    CHECK(running_children() == 0);
    reset_cancel();
    CHECK_FALSE(cancel_requested());
}
