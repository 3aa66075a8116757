// The --metadata-file document: the plan's fields plus what each build produced.
#include "pymatrix/build.hpp"

namespace pymatrix {

std::filesystem::path build_log_path(const std::filesystem::path& log_dir, const std::string& build_name) {
    return log_dir / (build_name + ".log");
}

nlohmann::json metadata_json(const MatrixFile& file, const std::vector<Build>& builds,
                             const std::vector<BuildResult>& results) {
    nlohmann::json doc = plan_to_json(file, builds);
    for (std::size_t i = 0; i < builds.size(); ++i) {
        auto& j = doc["builds"][i];
        const BuildResult* r = nullptr;
        for (auto& x : results)
            if (x.name == builds[i].name) r = &x;
        if (!r) {
            j["status"] = to_string(BuildOutcome::skipped);
            continue;
        }
        j["status"] = to_string(r->outcome);
        j["error"] = r->error;
        j["image_id"] = r->image_id;
        // pushed: the manifest digest the registry serves; else the image config digest (the Id)
        j["digest"] = r->digest.empty() ? r->image_id : r->digest;
        j["pushed"] = r->pushed.empty() ? nlohmann::json(nullptr) : nlohmann::json(r->pushed);
        j["size_bytes"] = r->size_bytes;
        j["duration_seconds"] = r->seconds;
        j["stage_seconds"] = r->stage_seconds;
        j["cached_steps"] = r->cached_steps;
        j["log"] = r->log.string();
        j["node"] = r->node.empty() ? nlohmann::json(nullptr) : nlohmann::json(r->node);
    }
    return doc;
}

}  // namespace pymatrix
