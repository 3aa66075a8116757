// The template version: a digest of the embedded dockerfiles/ files; the bundled PGO workloads.
#include "pymatrix/hash.hpp"
#include "pymatrix/templates.hpp"

namespace pymatrix {

std::string template_version() {
    static const std::string v = "2-" + sha256_hex(std::string(embedded::cpython_dockerfile) +
                                                   std::string(embedded::buildinfo_py) +
                                                   std::string(embedded::pymatrix_launcher_c) +
                                                   std::string(embedded::pgo_train_py)).substr(0, 12);
    return v;
}

std::string package_template_version() {
    static const std::string v = "pkg1-" + sha256_hex(std::string(embedded::debian_package_dockerfile) +
                                                      std::string(embedded::buildinfo_py) +
                                                      std::string(embedded::pymatrix_launcher_c)).substr(0, 12);
    return v;
}

const std::vector<PgoWorkload>& pgo_workloads() {
    static const std::vector<PgoWorkload> w = [] {
        std::vector<PgoWorkload> out = {
            {"kernels", "kernels.py", {{"kernels.py", std::string(embedded::workload_kernels_py)}}, {"--duration", "30"}, ""},
            {"worker-pool", "worker_pool.py", {{"worker_pool.py", std::string(embedded::workload_worker_pool_py)}},
             {"--duration", "30"}, ""}};
        for (auto& workload : out) workload.sha256 = sha256_hex(workload.files.front().second);
        return out;
    }();
    return w;
}

const PgoWorkload* find_pgo_workload(const std::string& name) {
    for (const auto& w : pgo_workloads())
        if (w.name == name) return &w;
    return nullptr;
}

}  // namespace pymatrix
