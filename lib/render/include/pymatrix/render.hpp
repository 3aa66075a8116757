// pymatrix/render.hpp: a Build rendered as a Dockerfile and a build context (the files
// docker buildx receives as a tar stream). Templates live in dockerfiles/ and are embedded.
#pragma once

#include "pymatrix/labels.hpp"
#include "pymatrix/plan.hpp"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace pymatrix {

/// Where the in-image build-info JSON is written (read back to derive labels).
inline constexpr const char* build_info_path = "/usr/local/share/pymatrix/build-info.json";

/// A file of a build context: relative path, content (bytes), and POSIX mode.
struct ContextFile {
    std::string path;
    std::string content;
    int mode = 0644;
};

/// The Dockerfile for `build` (multi-stage: build-deps, source, build, runtime), rendered from
/// dockerfiles/cpython.Dockerfile.in. Profile values appear only inside JSON exec-form RUN
/// arrays (never in shell text). The template's `@NAME@` placeholders are filled in one pass, so
/// a value that itself contains "@PROFILE@" or any other placeholder is carried verbatim. The
/// build-deps stage gets, after the shared apt layer, one RUN installing build.toolchain_packages
/// (comment "# the toolchain the rules table requires ...", argv[0] of the shell
/// "install-toolchain") and then one installing build.build_packages ("install-build-packages");
/// each RUN is left out when its list is empty, so a build with neither renders the template's
/// stage unchanged. A packaged python's build (Python::is_packaged()) renders
/// dockerfiles/debian-package.Dockerfile.in instead (stages inspect, launcher, runtime): apt-get
/// installs python.package and python.packages (exec-form arguments) into python.base_image;
/// its stdlib check, launcher and build-info are those of a source build.
/// Throws nothing for a Build that came from expand().
std::string render_dockerfile(const Build& build);

/// The `build-deps` and `source` stages of render_dockerfile(build), verbatim: from the line
/// "FROM <base image> AS build-deps" up to, not including, the FROM line of the stage after
/// `source` (`build`). Builds with equal text share those stages (shared_stages() groups by it):
/// base image, tarball name and sha256, toolchain_packages and build_packages all appear in it.
/// Throws std::logic_error only if the embedded template lacks those stages (a pymatrix bug).
std::string shared_stages_text(const Build& build);

/// Name of the source tarball inside the build context, e.g. "Python-3.13.5.tar.xz"
/// (extension taken from the source path: .tar.xz, .tar.gz, .tar.bz2, .tgz, .tar.zst); "" for a
/// packaged python, whose context holds no tarball.
std::string context_source_name(const Build& build);

/// The small files of the context: Dockerfile, pymatrix/buildinfo.py and pymatrix/pymatrix-launcher.c
/// (the C source of the launcher that stands in for the interpreter and refuses an unfit CPU,
/// compiled in the Dockerfile's `launcher` stage), and for a build with a pgo_workload
/// pymatrix/pgo-workload/pgo_train.py plus the workload's files, each under its relative path
/// (mounted for the make step); not the tarball.
std::vector<ContextFile> render_context_files(const Build& build);

/// Writes one directory per build under `out_dir` (DIR/<name>/Dockerfile and
/// DIR/<name>/pymatrix/...) atomically: everything is rendered and written into a
/// temporary directory beside `out_dir` first, then moved into place; on failure nothing of
/// this run remains. Returns the paths of the Dockerfiles. Throws Error on I/O failure.
std::vector<std::filesystem::path> write_build_dirs(const std::vector<Build>& builds,
                                                    const std::filesystem::path& out_dir);

/// Writes the build context of `build` as an uncompressed tar (libarchive, ustar/pax) to
/// `sink`, called with chunks of bytes; the tarball (none for a packaged python) is read from build.python.source_path and
/// its sha256 verified while streaming. Throws Error if the source is missing, unreadable, or
/// its sha256 differs (the stream is then incomplete; the receiver must discard it).
void write_build_context(const Build& build,
                         const std::function<void(const char* data, std::size_t size)>& sink);

/// The stage the build path appends to read build-info.json back without an image: `FROM scratch
/// AS pymatrix-build-info` holding only /build-info.json, copied from the `runtime` stage.
inline constexpr const char* build_info_stage = "pymatrix-build-info";

/// Writes step 1's context (pymatrix/build.hpp) to `sink`: write_build_context(build) with the
/// Dockerfile extended by the build_info_stage, built with `--target pymatrix-build-info` and a
/// local output. Every stage before it is byte-identical to render_dockerfile(build), so its steps
/// are the same cache entries in the builder. Throws as write_build_context().
void write_build_info_context(const Build& build,
                              const std::function<void(const char* data, std::size_t size)>& sink);

/// Writes step 4's context, the labelled image, to `sink`: write_build_context(build) plus
/// pymatrix/isa-features (the required cpuinfo flags on one line, space-separated: what the
/// launcher in the interpreter's path compares with the CPU's flags at every start) and pymatrix/isa.json (arch, level, features,
/// march_requested, march_resolved, build_host_cpu), the Dockerfile extended by a last stage
/// `FROM runtime AS pymatrix-labelled` that copies both to /usr/local/share/pymatrix/. The stages
/// before it are byte-identical to step 1's, so the builder finds them in its cache: the image
/// does not pass through any local store between the steps, whatever the builder's driver.
/// Throws as write_build_context().
void write_labelled_context(const Build& build, const BuildInfo& info,
                            const std::function<void(const char* data, std::size_t size)>& sink);

/// Writes the context that asks a builder for one base image as an uncompressed tar to `sink`:
/// a Dockerfile of one line, `FROM base_image` (image_build's base check). Throws Error on
/// libarchive failures.
void write_base_probe_context(const std::string& base_image,
                              const std::function<void(const char* data, std::size_t size)>& sink);

}  // namespace pymatrix
