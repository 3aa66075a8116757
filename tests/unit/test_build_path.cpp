// One build and a run of builds through a fake builder (fake_builder.hpp): every step, outcome,
// clean-up and cancellation of build_one() and run_builds(), without an engine.
#include <doctest/doctest.h>

#include <set>

#include "fake_builder.hpp"

#include "pymatrix/bases.hpp"
#include "pymatrix/build.hpp"
#include "pymatrix/cancel.hpp"
#include "pymatrix/registry.hpp"
#include "pymatrix/scheduler.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace pymatrix;
using pymatrix::testing::FakeBuilder;
namespace fs = std::filesystem;

namespace {

/// A scratch directory with a stand-in tarball; removed at the end of the test.
struct Scratch {
    fs::path dir;
    Scratch() {
        dir = fs::temp_directory_path() / ("pymatrix-unit-" + std::to_string(::getpid()) + "-" + std::to_string(++count()));
        fs::create_directories(dir);
        std::ofstream(dir / "Python-3.13.5.tar.xz") << "not really a tarball";
    }
    ~Scratch() { fs::remove_all(dir); }
    static int& count() {
        static int n = 0;
        return n;
    }
    fs::path tarball() const { return dir / "Python-3.13.5.tar.xz"; }
};

/// Builds of `toml`'s matrix whose tarball is the scratch file (its sha256 as the expected one).
std::vector<Build> builds_of(const std::string& toml, const Scratch& scratch) {
    auto builds = expand(load_matrix_string(toml, "m.toml"));
    std::string digest = sha256_file(scratch.tarball());
    for (auto& b : builds) {
        b.python.source_path = scratch.tarball();
        b.python.sha256 = digest;
    }
    return builds;
}

const char* kTwoProfiles = R"([pythons."3.13"]
version = "3.13.5"
source = "Python-3.13.5.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
[profiles.default]
[profiles.o3]
cflags_nodist = "-O3"
[profiles.pgo]
pgo = true
[matrix]
python = ["3.13"]
profile = ["default", "o3", "pgo"]
)";

/// The first build of kTwoProfiles alone, for the tests of one build's push.
std::vector<Build> one_build_of(const Scratch& scratch) {
    auto builds = builds_of(kTwoProfiles, scratch);
    builds.resize(1);
    return builds;
}

BuildOptions options_in(const Scratch& s) {
    BuildOptions o;
    o.log_dir = s.dir / "logs";
    return o;
}

std::string read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream t;
    t << in.rdbuf();
    return t.str();
}

/// A run of builds with --push, logs in the scratch directory.
ScheduleOptions push_options(const Scratch& s) {
    ScheduleOptions o;
    o.push = true;
    o.build = options_in(s);
    return o;
}

/// Clears the process-wide cancel request when a test ends, whatever it did.
struct CancelReset {
    ~CancelReset() { reset_cancel(); }
};

}  // namespace

TEST_CASE("build_one: build, read back, label, verify; no image passes through the store between steps") {
    Scratch s;
    FakeBuilder fake;
    auto builds = builds_of(kTwoProfiles, s);
    const Build& b = builds[0];
    std::vector<std::string> steps, cached;
    auto o = options_in(s);
    o.make_jobs = 2;
    o.network = "host";
    o.on_step = [&](const Build&, const std::string& stage, const std::string& step) { steps.push_back(stage + " " + step); };
    o.on_cached = [&](const Build&, const std::string& stage, const std::string& step) { cached.push_back(stage + " " + step); };

    auto r = build_one(fake, b, o);
    INFO(r.error);
    CHECK(r.outcome == BuildOutcome::built);
    CHECK(status(r) == "built");
    CHECK(r.ok());
    CHECK(r.ran());
    // two builds through the seam: the build-info stage to a local directory (no tag, host
    // network, make -j2), then the labelled image with the same network and MAKE_JOBS (the same
    // cache keys), loaded with the final tags
    REQUIRE(fake.builds.size() == 2);
    CHECK(fake.builds[0].tags.empty());
    CHECK(fake.builds[0].target == "pymatrix-build-info");
    CHECK(fake.builds[0].output == BuildOutput::local);
    CHECK(fake.builds[0].local_dest == fs::absolute(s.dir / "logs" / (b.name + ".build-info")).string());
    CHECK(fake.builds[0].network == "host");
    CHECK(fake.builds[0].build_args == std::vector<std::pair<std::string, std::string>>{{"MAKE_JOBS", "2"}});
    CHECK_FALSE(fake.builds[0].pull);
    CHECK(fake.builds[1].tags == b.tags);
    CHECK(fake.builds[1].target.empty());
    CHECK(fake.builds[1].output == BuildOutput::load);
    CHECK(fake.builds[1].labels.at(label::config_hash) == b.config_hash);
    CHECK(fake.builds[1].network == "host");
    CHECK(fake.builds[1].build_args == fake.builds[0].build_args);
    CHECK(read(fs::path(fake.builds[0].local_dest) / "build-info.json").find("\"config_args\"") != std::string::npos);
    // every final tag names the labelled image, and only they are in the store
    for (auto& t : b.tags) CHECK(fake.labels_of(t).at(label::config_args) == "'--enable-option-checking=fatal'");
    CHECK(fake.tags.size() == b.tags.size());
    CHECK(r.tags == b.tags);
    CHECK(r.image_id == fake.tags.at(b.tags.front()));
    CHECK(r.size_bytes == 1000);
    // BuildKit's progress, read once: stages, their seconds, the cached step
    CHECK(r.stage_seconds == std::map<std::string, double>{{"build", 2.5 + 10.0}, {"build-deps", 0.0}});
    CHECK(r.cached_steps == std::vector<std::string>{"build-deps 2/2 RUN apt-get update"});
    CHECK(cached == std::vector<std::string>{"build-deps 2/2 RUN apt-get update"});
    CHECK(steps == std::vector<std::string>{"build-deps 1/2 FROM docker.io/library/debian:bookworm-slim",
                                            "build-deps 2/2 RUN apt-get update", "build 1/2 RUN ./configure",
                                            "build 2/2 RUN make -j2"});
    auto log = read(r.log);
    CHECK(r.log == fs::absolute(s.dir / "logs" / (b.name + ".log")));
    CHECK(log.find("== fake-build\n") != std::string::npos);
    CHECK(log.find("== build-info: ") != std::string::npos);
    CHECK(log.find("== pymatrix: 3.13-default built after ") != std::string::npos);
}

TEST_CASE("build_one: a failed image build names configure's error; no tag is left") {
    Scratch s;
    FakeBuilder fake;
    fake.build_exit = 1;
    fake.failure_lines = {"#4 1.20 checking for gcc... no", "#4 1.21 configure: error: no acceptable C compiler found in $PATH",
                          "ERROR: failed to solve: process \"./configure\" did not complete successfully: exit code: 1"};
    auto builds = builds_of(kTwoProfiles, s);
    auto r = build_one(fake, builds[0], options_in(s));
    CHECK(r.outcome == BuildOutcome::failed);
    CHECK(r.error.rfind("configure: error: no acceptable C compiler found in $PATH (exit 1; full log: ", 0) == 0);
    CHECK(fake.builds.size() == 1);  // nothing labelled
    CHECK(fake.tags.empty());
    CHECK(fake.removed.empty());  // nothing was tagged, nothing to remove
}

TEST_CASE("build_one: an engine that went away mid-build is said so, not only buildx's transport error") {
    Scratch s;
    FakeBuilder fake;
    fake.build_exit = 1;  // what buildx printed when test_faults.sh SIGKILLed the node's dockerd
    fake.failure_lines = {"ERROR: failed to receive status: rpc error: code = Unavailable desc = error reading from server: EOF"};
    auto r = build_one(fake, builds_of(kTwoProfiles, s)[0], options_in(s));
    CHECK(r.outcome == BuildOutcome::failed);
    CHECK(r.error.rfind("the builder's engine went away during the build (restarted or stopped?); nothing of it was kept, "
                        "re-run when it answers: ERROR: failed to receive status: rpc error: code = Unavailable", 0) == 0);
    FakeBuilder failing;  // a build step's failure is not mistaken for it
    failing.build_exit = 1;
    failing.failure_lines = {"ERROR: failed to solve: process \"make\" did not complete successfully: exit code: 2"};
    CHECK(build_one(failing, builds_of(kTwoProfiles, s)[0], options_in(s)).error.find("went away") == std::string::npos);
}

TEST_CASE("build_one: a failing PGO training run fails the build") {
    Scratch s;
    auto builds = builds_of(kTwoProfiles, s);
    const Build& pgo = builds[2];
    REQUIRE(pgo.settings.pgo);
    FakeBuilder clean;  // no regrtest summary: trained as asked
    CHECK(build_one(clean, pgo, options_in(s)).outcome == BuildOutcome::built);

    FakeBuilder fake;  // CPython's make runs the task with `|| true`: the build itself succeeds
    fake.output_lines = {"#5 500.1 2 tests failed:", "#5 500.1     test_ssl test_socket"};
    auto r = build_one(fake, pgo, options_in(s));
    CHECK(r.outcome == BuildOutcome::failed);
    CHECK(r.error.rfind("the PGO training run (PROFILE_TASK) had failing tests: test_ssl test_socket;", 0) == 0);
    CHECK(fake.builds.size() == 1);  // not labelled
    CHECK(fake.tags.empty());
    // the same output in a build without PGO is no training run
    FakeBuilder plain;
    plain.output_lines = fake.output_lines;
    CHECK(build_one(plain, builds[0], options_in(s)).outcome == BuildOutcome::built);
}

TEST_CASE("build_one: labels that disagree with the image lose every final tag") {
    Scratch s;
    FakeBuilder fake;
    fake.build_info_config_args = "'--with-lto'";  // build-info says one thing, sysconfig another
    auto builds = builds_of(kTwoProfiles, s);
    auto r = build_one(fake, builds[0], options_in(s));
    CHECK(r.outcome == BuildOutcome::failed);
    CHECK(r.error == "label check failed: io.pymatrix.config-args is ['--with-lto'] but the image's sysconfig "
                     "CONFIG_ARGS is ['--enable-option-checking=fatal']; tags removed");
    CHECK(fake.builds.size() == 2);  // it was labelled, then the tags went
    CHECK(fake.tags.empty());
}

TEST_CASE("build_one: a tag of an earlier build under the readable name survives a failed labelling") {
    Scratch s;
    FakeBuilder fake;
    auto builds = builds_of(kTwoProfiles, s);
    const Build& b = builds[0];
    std::string earlier = fake.add_image({b.tags.front()}, {{label::config_hash, std::string(64, '0')}});
    fake.build_info_config_args = "'--with-lto'";
    CHECK(build_one(fake, b, options_in(s)).outcome == BuildOutcome::failed);
    // the labelled image took the readable tag and lost it again; the earlier image keeps none
    // of this build's tags, and nothing of this build is left
    CHECK_FALSE(fake.has_tag(b.tags.back()));
    CHECK(fake.images_labelled(label::config_hash, std::string(64, '0')) == std::vector<std::string>{earlier});
}

TEST_CASE("build_one: cancelled during the image build: cancelled, no tag left, nothing labelled") {
    CancelReset reset;
    Scratch s;
    FakeBuilder fake;
    fake.cancel_during_build = true;
    auto builds = builds_of(kTwoProfiles, s);
    auto r = build_one(fake, builds[0], options_in(s));
    CHECK(r.outcome == BuildOutcome::cancelled);
    CHECK(status(r) == "cancelled");
    CHECK(r.error == "cancelled during the image build");
    CHECK(r.stopped());
    CHECK(fake.builds.size() == 1);
    CHECK(fake.tags.empty());
    CHECK(read(r.log).find("cancelled during the image build; no tag of it left") != std::string::npos);
    // a build asked for after the cancel does not start: skipped, no log
    auto next = build_one(fake, builds[1], options_in(s));
    CHECK(next.outcome == BuildOutcome::skipped);
    CHECK_FALSE(next.ran());
    CHECK(fake.builds.size() == 1);
}

TEST_CASE("run_builds: built, failed and cached outcomes; metadata and shared stage") {
    Scratch s;
    FakeBuilder fake;
    auto builds = builds_of(kTwoProfiles, s);
    // 3.13-o3 was built before: its config hash is in the store under its hash tag
    fake.add_image({builds[1].tags.back()}, {{label::config_hash, builds[1].config_hash}});
    ScheduleOptions o;
    o.jobs = 2;
    o.cores = 2;
    o.build = options_in(s);
    std::vector<std::size_t> started;
    o.on_build_start = [&](std::size_t i) { started.push_back(i); };
    auto run = run_builds(fake, builds, o);
    REQUIRE(run.results.size() == 3);
    CHECK(run.results[0].outcome == BuildOutcome::built);
    CHECK(run.results[1].outcome == BuildOutcome::cached);
    CHECK_FALSE(run.results[1].ran());
    CHECK(fake.has_tag(builds[1].tags.front()));  // the readable tag put on the cached image
    CHECK(run.results[2].outcome == BuildOutcome::built);
    CHECK(started.size() == 2);
    CHECK(run.make_jobs == 1);  // two builds left on two cores
    // one shared stage for the two builds left: target source, nothing loaded, before them
    REQUIRE(run.stages.size() == 1);
    CHECK(run.stages[0].builds == std::vector<std::size_t>{0, 2});
    CHECK(run.stage_results[0].ok);
    REQUIRE(fake.builds.size() == 5);
    CHECK(fake.builds[0].target == "source");
    CHECK(fake.builds[0].output == BuildOutput::cache_only);
    CHECK(fake.builds[0].tags.empty());
    auto doc = metadata_json(MatrixFile{}, builds, run.results);
    CHECK(doc["builds"][0]["status"] == "built");
    CHECK(doc["builds"][1]["status"] == "cached");
    CHECK(doc["builds"][1]["log"] == "");
    CHECK(doc["builds"][0]["digest"] == run.results[0].image_id);
    CHECK(doc["builds"][0]["pushed"].is_null());
}

TEST_CASE("run_builds: --fail-fast skips what had not started; a failed shared stage fails its group") {
    CancelReset reset;
    Scratch s;
    FakeBuilder fake;
    fake.build_exit = 2;
    fake.failure_lines = {"#4 9.0 make: *** [Makefile:1: python] Error 1"};
    auto builds = builds_of(kTwoProfiles, s);
    ScheduleOptions o;
    o.jobs = 1;
    o.fail_fast = true;
    o.build = options_in(s);
    auto run = run_builds(fake, builds, o);
    // the shared stage of all three fails first: no build starts, each fails naming it
    REQUIRE(run.stage_results.size() == 1);
    CHECK_FALSE(run.stage_results[0].ok);
    for (auto& r : run.results) {
        CHECK(r.outcome == BuildOutcome::failed);
        CHECK(r.error.rfind("shared stage failed: ", 0) == 0);
        CHECK_FALSE(r.ran());
    }

    // without a shared stage (one build per group): the first failure skips the rest
    std::vector<Build> apart = {builds[0], builds[2]};
    apart[1].base_image = "debian:trixie-slim";  // another group
    FakeBuilder failing;
    failing.build_exit = 2;
    auto run2 = run_builds(failing, apart, o);
    CHECK(run2.results[0].outcome == BuildOutcome::failed);
    CHECK(run2.results[1].outcome == BuildOutcome::skipped);
    CHECK(run2.results[1].error == "cancelled before it started");
    CHECK(cancel_reason() == CancelReason::fail_fast);
}

TEST_CASE("run_builds --push: pushed with the registry's digest; found in the registry: nothing built") {
    Scratch s;
    FakeBuilder fake;
    auto builds = one_build_of(s);
    auto o = push_options(s);
    auto run = run_builds(fake, builds, o);
    const auto& r = run.results[0];
    CHECK(r.outcome == BuildOutcome::built);
    CHECK(r.push == PushState::pushed);
    CHECK(fake.pushes == builds[0].tags);
    CHECK(r.digest == fake.registry.at(builds[0].tags.back()).digest);
    CHECK(r.pushed == repository_of(builds[0].tags.back()) + "@" + r.digest);

    FakeBuilder again;  // a second CI job: the registry has it, the local store has nothing
    again.registry = fake.registry;
    auto second = run_builds(again, builds, o);
    CHECK(second.results[0].outcome == BuildOutcome::cached);
    CHECK(second.results[0].push == PushState::in_registry);
    CHECK(second.results[0].digest == r.digest);
    CHECK(again.builds.empty());
    CHECK(again.pushes.empty());
}

TEST_CASE("run_builds --push: a refused push or a registry gone fails the build; a cancelled push records nothing") {
    CancelReset reset;
    Scratch s;
    auto builds = one_build_of(s);
    auto o = push_options(s);
    FakeBuilder refusing;
    refusing.refuse_push = true;
    auto r = run_builds(refusing, builds, o).results[0];
    CHECK(r.outcome == BuildOutcome::failed);
    CHECK(r.error == "push of " + builds[0].tags.front() +
                         " to registry docker.io failed, forbidden (403: these credentials may not use it): denied: "
                         "requested access to the resource is denied; nothing recorded as pushed");
    CHECK(r.push == PushState::not_pushed);
    CHECK(r.pushed.empty());

    // the registry dies during the push (docker push's words when the registry process was killed):
    // this build fails naming the registry, the run goes on, the local tags stay for a re-run
    auto three = builds_of(kTwoProfiles, s);
    FakeBuilder dying;
    dying.push_failure = "Patch \"http://127.0.0.1:8123/v2/p/blobs/uploads/1\": dial tcp 127.0.0.1:8123: connect: connection refused";
    auto at_once = o;  // each push waits 1 s + 3 s before giving up: side by side, 4 s in all
    at_once.jobs = static_cast<unsigned>(three.size());
    auto run = run_builds(dying, three, at_once);
    for (std::size_t i = 0; i < three.size(); ++i) {
        const auto& d = run.results[i];
        CHECK(d.outcome == BuildOutcome::failed);
        CHECK(d.push == PushState::not_pushed);
        CHECK(d.error.find("to registry docker.io failed (3 attempts), registry unreachable (transient, retry later): "
                           "Patch ") != std::string::npos);
        for (auto& t : three[i].tags) CHECK(dying.has_tag(t));
    }

    CHECK(dying.pushes.size() == 3 * three.size());  // each build's first tag, tried three times
    CHECK(refusing.pushes.size() == 1);               // a refusal is not tried again

    FakeBuilder stopping;
    stopping.cancel_during_push = true;
    auto c = run_builds(stopping, builds, o).results[0];
    CHECK(c.outcome == BuildOutcome::cancelled);
    CHECK(c.push == PushState::not_pushed);
    CHECK(c.digest.empty());
    CHECK(c.error == "cancelled during the push of " + builds[0].tags.front() + "; nothing recorded as pushed");
    CHECK(stopping.pushes.size() == 1);  // the second tag was not tried
}

TEST_CASE("run_builds --push: a manifest blob the registry has not linked yet (two pushes racing) is pushed again") {
    CancelReset reset;
    Scratch s;
    auto builds = one_build_of(s);
    auto o = push_options(s);
    // docker push's words when another push of the same layers to the same repository races it
    // (seen with two `pymatrix build --push` at once against Debian's docker-registry 2.8)
    FakeBuilder racing;
    racing.push_failure = "manifest blob unknown: blob unknown to registry";
    racing.push_failures_left = 1;
    auto r = run_builds(racing, builds, o).results[0];
    CHECK(r.outcome == BuildOutcome::built);
    CHECK(r.push == PushState::pushed);
    CHECK(r.error.empty());
    REQUIRE(racing.pushes.size() == builds[0].tags.size() + 1);
    CHECK(racing.pushes[0] == racing.pushes[1]);  // the same tag, again
    CHECK(r.digest == racing.registry.at(builds[0].tags.back()).digest);
}

TEST_CASE("build_one on a docker-container builder with --push: pushed from the builder, verified in the registry") {
    Scratch s;
    FakeBuilder fake;
    fake.driver_kind = BuilderDriver::docker_container;
    auto builds = one_build_of(s);
    auto o = push_options(s);
    auto run = run_builds(fake, builds, o);
    const auto& r = run.results[0];
    INFO(r.error);
    CHECK(r.outcome == BuildOutcome::built);
    REQUIRE(fake.builds.size() == 2);
    CHECK(fake.builds[0].output == BuildOutput::local);
    CHECK(fake.builds[1].output == BuildOutput::push);
    CHECK(fake.builds[1].metadata_file == fs::absolute(s.dir / "logs" / (builds[0].name + ".metadata.json")).string());
    CHECK(fake.tags.empty());     // nothing in the local store, ever
    CHECK(fake.pushes.empty());   // no `docker push`: the builder pushed
    CHECK(fake.pushes_from_builder == 1);
    CHECK(r.push == PushState::pushed);
    CHECK(r.digest == fake.registry.at(builds[0].tags.front()).digest);
    CHECK(r.digest == fake.registry.at(builds[0].tags.back()).digest);
    CHECK(r.image_id == r.digest);
    CHECK(r.pushed == repository_of(builds[0].tags.back()) + "@" + r.digest);
    CHECK(fake.registry.at(builds[0].tags.back()).labels.at(label::config_args) == "'--enable-option-checking=fatal'");

    // the dry run says the same: two builds, the second one pushing, and no docker run or push
    BuildOptions pushing = o.build;
    pushing.push = true;
    auto commands = build_commands(fake, builds[0], pushing);
    CHECK(commands.size() == 2);

}

TEST_CASE("run_builds over two nodes: both build; a node that stops answering hands its build over once") {
    Scratch s;
    auto builds = builds_of(kTwoProfiles, s);
    auto o = push_options(s);
    o.jobs = 1;
    {
        FakeBuilder a, b;
        a.build_delay_ms = b.build_delay_ms = 100;  // a compile: the other node takes the next build meanwhile
        std::vector<BuildNode> nodes = {{"a", &a}, {"b", &b}};
        auto run = run_builds(nodes, builds, o);
        std::set<std::string> used;
        for (auto& r : run.results) {
            INFO(r.name << ": " << r.error);
            CHECK(r.outcome == BuildOutcome::built);
            CHECK(r.push == PushState::pushed);
            used.insert(r.node);
        }
        CHECK(used == std::set<std::string>{"a", "b"});
        // pushed from the node that built it
        CHECK(a.pushes.size() + b.pushes.size() == 2 * builds.size());
        for (auto& r : run.results) CHECK((r.node == "a" ? a : b).registry.count(r.tags.back()) == 1);
        // the shared stage, once per group and node
        REQUIRE(run.stages.size() == 2);
        CHECK(run.stages[0].node == "a");
        CHECK(run.stages[1].node == "b");
        CHECK(run.stages[1].describe().ends_with(", on node b"));
        auto doc = metadata_json(MatrixFile{}, builds, run.results);
        CHECK((doc["builds"][0]["node"] == "a" || doc["builds"][0]["node"] == "b"));
    }
    {
        FakeBuilder dying, healthy;
        dying.engine_gone = true;  // its shared stage still ran before it went: it takes a build
        healthy.build_delay_ms = 100;
        std::vector<BuildNode> nodes = {{"dying", &dying}, {"healthy", &healthy}};
        std::vector<std::string> lost;
        o.on_node_lost = [&](const std::string& node, const std::string&, const std::string& build) { lost.push_back(node + " " + build); };
        auto run = run_builds(nodes, builds, o);
        for (auto& r : run.results) {
            INFO(r.name << ": " << r.error);
            CHECK(r.outcome == BuildOutcome::built);
            CHECK(r.node == "healthy");
        }
        REQUIRE(lost.size() == 1);
        CHECK(lost[0].rfind("dying ", 0) == 0);
        CHECK(dying.tags.empty());
        CHECK(dying.pushes.empty());
    }
}

TEST_CASE("build_commands on the docker driver: image build, labelled build, label check, then pushes") {
    Scratch s;
    FakeBuilder fake;
    auto builds = builds_of(kTwoProfiles, s);
    auto pushing = options_in(s);
    pushing.push = true;
    auto commands = build_commands(fake, builds[0], pushing);
    REQUIRE(commands.size() == 3 + builds[0].tags.size());
    CHECK(commands[0] == std::vector<std::string>{"fake-build"});
    CHECK(commands[1] == std::vector<std::string>{"fake-build", builds[0].tags[0], builds[0].tags[1]});
    CHECK(commands[2].at(0) == "fake-run");
    CHECK(commands[3] == std::vector<std::string>{"fake-push", builds[0].tags[0]});
    CHECK(build_commands(fake, builds[0], options_in(s)).size() == 3);
}

TEST_CASE("build_one --pull: the image build and the labelled build resolve their base afresh") {
    Scratch s;
    FakeBuilder fake;
    auto builds = builds_of(kTwoProfiles, s);
    auto o = options_in(s);
    o.pull = true;
    auto r = build_one(fake, builds[0], o);
    INFO(r.error);
    CHECK(r.outcome == BuildOutcome::built);
    REQUIRE(fake.builds.size() == 2);
    CHECK(fake.builds[0].pull);         // FROM debian:bookworm-slim AS build-deps ...
    CHECK(fake.builds[1].pull);         // the same stages again: the same cache keys
}

TEST_CASE("check_base_images: one question per base; the registry's reason, transient or absent") {
    Scratch s;
    FakeBuilder fake;
    auto builds = builds_of(std::string(kTwoProfiles).replace(std::string(kTwoProfiles).find("[profiles.o3]"), 13,
                                                              "[profiles.o3]\nbase_image = \"127.0.0.1:7039/debian:bookworm-slim\""),
                            s);
    REQUIRE(builds.size() == 3);
    REQUIRE(builds[1].base_image == "127.0.0.1:7039/debian:bookworm-slim");
    CHECK(check_base_images(fake, builds, false).empty());
    // one probe per distinct base (debian:bookworm-slim twice in the matrix, asked once)
    REQUIRE(fake.builds.size() == 2);
    for (auto& q : fake.builds) {
        CHECK(q.output == BuildOutput::cache_only);
        CHECK(q.tags.empty());
        CHECK_FALSE(q.pull);
    }

    // the words BuildKit in dockerd 20.10 printed for a registry answering 429, and for a 404
    fake.builds.clear();
    fake.unobtainable_bases["127.0.0.1:7039/debian:bookworm-slim"] =
        "ERROR: failed to solve: rpc error: code = Unknown desc = failed to solve with frontend dockerfile.v0: failed to "
        "create LLB definition: pulling from host 127.0.0.1:7039 failed with status code [manifests bookworm-slim]: 429 "
        "Too Many Requests";
    fake.unobtainable_bases["debian:bookworm-slim"] =
        "ERROR: failed to solve: rpc error: code = Unknown desc = failed to solve with frontend dockerfile.v0: failed to "
        "create LLB definition: docker.io/library/debian:bookworm-slim: not found";
    auto problems = check_base_images(fake, builds, true);
    REQUIRE(problems.size() == 2);
    CHECK(fake.builds.size() == 2);
    CHECK(fake.builds[0].pull);
    CHECK(problems[0].base_image == "debian:bookworm-slim");  // in the order the builds name them
    CHECK(problems[0].fault == RegistryFault::not_found);
    CHECK(problems[0].message() ==
          "base image 'debian:bookworm-slim' does not exist: its registry answered not found "
          "(docker.io/library/debian:bookworm-slim: not found)");
    CHECK(problems[1].fault == RegistryFault::rate_limited);
    CHECK(problems[1].message() ==
          "base image '127.0.0.1:7039/debian:bookworm-slim' cannot be pulled: rate-limited (429 Too Many Requests; "
          "transient, retry later): pulling from host 127.0.0.1:7039 failed with status code [manifests bookworm-slim]: "
          "429 Too Many Requests");
}
