// pymatrix/templates.hpp: the files of dockerfiles/ (the Dockerfile templates, the in-image
// build-info script, the ISA launcher's C source, the PGO training driver) and of workloads/,
// embedded at build time by cmake/embed_files.cmake; the template version every config hash
// carries; the bundled workloads a profile's pgo_workload may name. Throws nothing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pymatrix {

namespace embedded {
extern const std::string_view cpython_dockerfile;  ///< dockerfiles/cpython.Dockerfile.in
extern const std::string_view debian_package_dockerfile;  ///< dockerfiles/debian-package.Dockerfile.in
extern const std::string_view buildinfo_py;        ///< dockerfiles/buildinfo.py
extern const std::string_view pymatrix_launcher_c; ///< dockerfiles/pymatrix-launcher.c
extern const std::string_view pgo_train_py;        ///< dockerfiles/pgo_train.py
extern const std::string_view workload_harness_sh;      ///< workloads/harness.sh
extern const std::string_view workload_worker_pool_py;  ///< workloads/worker_pool.py
extern const std::string_view workload_kernels_py;      ///< workloads/kernels.py
}  // namespace embedded

/// A workload as a PGO training run (a profile's `pgo_workload`): a bundled one, or the files of
/// a directory of the user's (`pgo_workload = { dir = ..., script = ... }`, read by the loader).
struct PgoWorkload {
    /// "worker-pool" or "kernels" as the profile names a bundled one; "dir:<dir as written>" for a
    /// directory of the user's
    std::string name;
    std::string file;                ///< the script the training run executes, relative: "worker_pool.py"
    /// Every file of the workload: path relative to the workload's root ('/'-separated) and
    /// content. A bundled workload has one, `file`; a directory has its regular files, sorted.
    std::vector<std::pair<std::string, std::string>> files;
    std::vector<std::string> args;   ///< the training run's arguments: {"--duration", "30"}
    /// 64 lowercase hex digits (config hash, label): a bundled workload's is the SHA-256 of its one
    /// file; a directory's the SHA-256 of the lines "<sha256 of content>  <path>\n" (sha256sum's
    /// format) of its files in path order, so any file's content or name changes it.
    std::string sha256;
};

/// The bundled workloads a profile's pgo_workload may name, in name order: "kernels"
/// (kernels.py --duration 30) and "worker-pool" (worker_pool.py --duration 30, the pool at the
/// interpreter's default size).
const std::vector<PgoWorkload>& pgo_workloads();

/// The bundled workload named `name`, or nullptr.
const PgoWorkload* find_pgo_workload(const std::string& name);

/// Version of the Dockerfile template and build procedure: "2-" (2: the ISA guard moved into the
/// interpreter's own path) and the first 12 hex digits of the SHA-256 of the four embedded
/// dockerfiles/ files (a workload's own files count only in the hash of a build trained on it). Part of every config hash, so a change to how images
/// are built changes every tag that names a config hash.
std::string template_version();

/// Version of the packaged-python template (dockerfiles/debian-package.Dockerfile.in): "pkg1-"
/// and the first 12 hex digits of the SHA-256 of that template, buildinfo.py and the launcher's
/// source. Part of every packaged python's config hash, as template_version() is of a source
/// build's.
std::string package_template_version();

}  // namespace pymatrix
