// Shared stages: builds whose build-deps and source stages render the same text (base image,
// CPython tarball, toolchain and extra packages) are grouped; those stages are built once, before
// the builds, into BuildKit's cache.
#include "pymatrix/cancel.hpp"
#include "pymatrix/render.hpp"
#include "pymatrix/scheduler.hpp"
#include "buildkit_progress.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <unordered_map>

namespace fs = std::filesystem;

namespace pymatrix {

std::string SharedStage::describe() const {
    std::string d = base_image + ", " + source_name;
    if (!build_packages.empty()) d += ", packages: " + util::join(build_packages, " ");
    if (!toolchain_packages.empty()) d += ", toolchain: " + util::join(toolchain_packages, " ");
    if (!node.empty()) d += ", on node " + node;
    return d;
}

std::vector<SharedStage> shared_stages(const std::vector<Build>& builds) {
    std::vector<SharedStage> out;
    std::unordered_map<std::string, std::size_t> group_of;  // shared_stages_text() -> index into out
    for (std::size_t i = 0; i < builds.size(); ++i) {
        const Build& b = builds[i];
        if (b.python.is_packaged()) continue;  // compiles nothing: no build-deps or source stage
        auto [it, added] = group_of.try_emplace(shared_stages_text(b), out.size());
        if (added)
            out.push_back({b.base_image, context_source_name(b), b.python.sha256, b.build_packages,
                           b.toolchain_packages, {}, ""});
        out[it->second].builds.push_back(i);
    }
    return out;
}

BuildRequest shared_stage_request(const BuildOptions& options) {
    BuildRequest request;
    request.target = "source";
    request.output = BuildOutput::cache_only;
    request.network = options.network;
    request.pull = options.pull;
    return request;
}

SharedStageResult build_shared_stage(const Builder& builder, const Build& first, const SharedStage& stage,
                                     std::size_t index, const BuildOptions& options) {
    auto t0 = std::chrono::steady_clock::now();
    SharedStageResult r;
    fs::create_directories(options.log_dir);
    r.log = fs::absolute(shared_stage_log_path(options.log_dir, index));
    std::ofstream log(r.log, std::ios::trunc);
    log << fmt::format("== pymatrix: shared stages build-deps+source ({}), context of {}\n", stage.describe(),
                       first.name);
    if (cancel_requested()) {
        r.cancelled = true;
        r.error = "cancelled before it started";
        return r;
    }
    BuildRequest request = shared_stage_request(options);
    BuildkitProgress progress;
    std::set<std::string> steps, cached;
    std::string last_error, last_line;
    int rc = builder.build(
        request, [&](const ByteSink& write) { write_build_context(first, write); },
        [&](const std::string& line) {
            log << line << '\n' << std::flush;
            last_line = line;
            if (line.rfind("ERROR: ", 0) == 0 || line.find("E: ") != std::string::npos) last_error = line;
            auto e = progress.feed(line);
            bool shared = e.stage == "build-deps" || e.stage == "source";
            if (e.kind == ProgressEvent::step && shared && e.text.rfind("FROM ", 0) != 0)  // FROM: no work of ours
                steps.insert(e.vertex);
            else if (e.kind == ProgressEvent::cached && steps.count(e.vertex))
                cached.insert(e.vertex);
        });
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.steps_run = static_cast<int>(steps.size() - cached.size());
    r.cached = r.steps_run == 0;
    if (cancel_requested()) {
        r.cancelled = true;
        r.error = "cancelled";
    } else if (rc != 0) {
        r.error = fmt::format("{} (exit {}; full log: {})", last_error.empty() ? last_line : last_error, rc,
                              r.log.string());
    } else {
        r.ok = true;
    }
    log << fmt::format("== pymatrix: shared stages {} after {:.1f} s ({} step(s) run)\n",
                       r.ok ? (r.cached ? "cached" : "built") : r.cancelled ? "cancelled" : "FAILED", r.seconds,
                       r.steps_run);
    return r;
}

}  // namespace pymatrix
