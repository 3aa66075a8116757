// The docker driver's argv, the one place every docker and buildx command line is assembled,
// and BuildKit's plain progress read once for builds and shared stages.
#include <doctest/doctest.h>

#include "pymatrix/bases.hpp"
#include "pymatrix/docker_driver.hpp"
#include "buildkit_progress.hpp"  // internal to image_build

using namespace pymatrix;
using V = std::vector<std::string>;

TEST_CASE("docker_argv::build: the image build, the labelling build, a shared stage") {
    BuildRequest image;  // step 1: build-info.json through a local output, no tag, no --load
    image.target = "pymatrix-build-info";
    image.output = BuildOutput::local;
    image.local_dest = "/tmp/logs/3.13-default.build-info";
    image.network = "host";
    image.build_args = {{"MAKE_JOBS", "2"}};
    CHECK(docker_argv::build(image, "") == V{"buildx", "build", "--progress=plain", "--network=host", "--target",
                                              "pymatrix-build-info", "--output", "type=local,dest=/tmp/logs/3.13-default.build-info",
                                              "--build-arg", "MAKE_JOBS=2", "-"});
    BuildRequest labelled;
    labelled.tags = {"r:3.13.5-x", "r:3.13.5-x-0123456789ab"};
    labelled.labels = {{"io.pymatrix.config-args", "'--with-lto' 'CFLAGS=-O3 -march=x86-64-v3'"}, {"a", "b=c"}};
    CHECK(docker_argv::build(labelled, "remote1") ==
          V{"buildx", "build", "--progress=plain", "--builder", "remote1", "--load", "--tag", "r:3.13.5-x", "--tag",
            "r:3.13.5-x-0123456789ab", "--label", "a=b=c", "--label",
            "io.pymatrix.config-args='--with-lto' 'CFLAGS=-O3 -march=x86-64-v3'", "-"});
    BuildRequest shared;
    shared.target = "source";
    shared.output = BuildOutput::cache_only;
    shared.network = "host";
    CHECK(docker_argv::build(shared, "") == V{"buildx", "build", "--progress=plain", "--network=host", "--target", "source",
                                               "--output", "type=cacheonly", "-"});
}

TEST_CASE("docker_argv::build per driver: the labelled build loads (docker) or pushes from the builder") {
    BuildRequest pushed;  // a docker-container / kubernetes / remote builder with build --push
    pushed.output = BuildOutput::push;
    pushed.metadata_file = "/tmp/logs/3.13-default.metadata.json";
    pushed.tags = {"127.0.0.1:5000/py:3.13.5-default"};
    pushed.build_args = {{"MAKE_JOBS", "1"}};
    CHECK(docker_argv::build(pushed, "ci-builder") ==
          V{"buildx", "build", "--progress=plain", "--builder", "ci-builder", "--push", "--metadata-file",
            "/tmp/logs/3.13-default.metadata.json", "--tag", "127.0.0.1:5000/py:3.13.5-default", "--build-arg",
            "MAKE_JOBS=1", "-"});
    CHECK(docker_argv::inspect_builder("") == V{"buildx", "inspect"});
    CHECK(docker_argv::inspect_builder("ci-builder") == V{"buildx", "inspect", "ci-builder"});
}

TEST_CASE("driver_from_buildx_inspect: what buildx 0.13.1 printed for each driver here") {
    // `docker buildx inspect` of the engine's own builder, and of builders made with
    // `docker buildx create --driver docker-container|remote` (never booted: inactive)
    CHECK(driver_from_buildx_inspect("Name:          default\nDriver:        docker\nLast Activity: 2026-12-05 08:28:40 "
                                     "+0000 UTC\n\nNodes:\nName:             default\nEndpoint:         default\n"
                                     "Status:           running\n") == BuilderDriver::docker);
    CHECK(driver_from_buildx_inspect("Name:          pmx-dc\nDriver:        docker-container\nLast Activity: 2026-12-05 "
                                     "08:30:19 +0000 UTC\n\nNodes:\nName:                  pmx-dc0\nEndpoint:              "
                                     "unix:///var/run/docker.sock\nStatus:                inactive\nBuildKit daemon flags: "
                                     "--allow-insecure-entitlement=network.host\n") == BuilderDriver::docker_container);
    CHECK(driver_from_buildx_inspect("Name:          pmx-remote\nDriver:        remote\nLast Activity: 2026-12-05 08:30:20 "
                                     "+0000 UTC\n\nNodes:\nName:     pmx-remote0\nEndpoint: tcp://127.0.0.1:1234\n"
                                     "Status:   inactive\n") == BuilderDriver::remote);
    CHECK(driver_from_buildx_inspect("Name: k\nDriver: kubernetes\n") == BuilderDriver::kubernetes);
    CHECK_FALSE(driver_from_buildx_inspect("Name: x\nDriver: cloud\n"));  // Docker Build Cloud: not known
    CHECK_FALSE(driver_from_buildx_inspect("ERROR: no builder \"x\" found\n"));
    CHECK(std::string(to_string(BuilderDriver::docker_container)) == "docker-container");
    CHECK(parse_builder_driver("kubernetes") == BuilderDriver::kubernetes);
    CHECK_FALSE(parse_builder_driver("Docker"));
}

TEST_CASE("docker_argv::build --pull: the base image question and a pulled image build") {
    CHECK(docker_argv::build(base_probe_request(false), "") ==
          V{"buildx", "build", "--progress=plain", "--output", "type=cacheonly", "-"});
    CHECK(docker_argv::build(base_probe_request(true), "node2") ==
          V{"buildx", "build", "--progress=plain", "--builder", "node2", "--pull", "--output", "type=cacheonly", "-"});
    BuildRequest image;
    image.tags = {"pymatrix-unlabelled:0123456789abcdef"};
    image.pull = true;
    CHECK(docker_argv::build(image, "") == V{"buildx", "build", "--progress=plain", "--pull", "--load", "--tag",
                                              "pymatrix-unlabelled:0123456789abcdef", "-"});
}

TEST_CASE("docker_argv: run, push, registry inspect and registry-side tag") {
    RunRequest q;
    q.image = "pymatrix/cpython:3.13.5-default";
    q.command = {"cat", "/usr/local/share/pymatrix/build-info.json"};
    CHECK(docker_argv::run(q) == V{"run", "--rm", "--network=none", "pymatrix/cpython:3.13.5-default", "cat",
                                   "/usr/local/share/pymatrix/build-info.json"});
    q.entrypoint = "python3";
    q.cpuset = "1";
    q.cpus = 0.5;
    q.env = {"A=1"};
    q.mounts = {"type=bind,source=/w,target=/w,readonly"};
    q.workdir = "/w";
    q.command = {"-V"};
    CHECK(docker_argv::run(q) == V{"run", "--rm", "--network=none", "--entrypoint", "python3", "--cpuset-cpus=1",
                                   "--cpus=0.5", "-e", "A=1", "--mount=type=bind,source=/w,target=/w,readonly",
                                   "--workdir", "/w", "pymatrix/cpython:3.13.5-default", "-V"});
    CHECK(docker_argv::push("127.0.0.1:5000/x:t") == V{"push", "127.0.0.1:5000/x:t"});
    CHECK(docker_argv::inspect_remote("h:1/x:t") == V{"buildx", "imagetools", "inspect", "--format", "{{json .}}", "h:1/x:t"});
    CHECK(docker_argv::tag_remote("h:1/x@sha256:ab", "h:1/x:t") ==
          V{"buildx", "imagetools", "create", "--tag", "h:1/x:t", "h:1/x@sha256:ab"});
}

TEST_CASE("BuildKit plain progress: steps, DONE and CACHED tied to their step") {
    BuildkitProgress p;
    auto e = p.feed("#7 [build-deps 2/3] RUN apt-get update && apt-get install -y gcc");
    CHECK(e.kind == ProgressEvent::step);
    CHECK(e.vertex == "7");
    CHECK(e.stage == "build-deps");
    CHECK(e.position == "2/3");
    CHECK(e.text == "RUN apt-get update && apt-get install -y gcc");
    e = p.feed("#7 12.34 Setting up gcc (4:12.2.0-3) ...");
    CHECK(e.kind == ProgressEvent::other);
    e = p.feed("#7 DONE 61.5s");
    CHECK(e.kind == ProgressEvent::done);
    CHECK(e.known);
    CHECK(e.seconds == doctest::Approx(61.5));
    CHECK(e.stage == "build-deps");
    e = p.feed("#9 CACHED");
    CHECK(e.kind == ProgressEvent::cached);
    CHECK_FALSE(e.known);  // vertex 9 was never announced
    p.feed("#9 [source 1/2] COPY Python-3.13.5.tar.xz /usr/src/");
    e = p.feed("#9 CACHED");
    CHECK(e.known);
    CHECK(e.text == "COPY Python-3.13.5.tar.xz /usr/src/");
    CHECK(p.feed("#1 [internal] load build definition from Dockerfile").kind == ProgressEvent::other);
    CHECK(p.feed("").kind == ProgressEvent::other);
}
