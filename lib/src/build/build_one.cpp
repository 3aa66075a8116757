// One build: buildx (unlabelled) -> read build-info from the image -> label and tag ->
// verify the labels against the image -> drop the temporary tag.
#include "pymatrix/build.hpp"
#include "pymatrix/cancel.hpp"
#include "pymatrix/render.hpp"
#include "render/tar_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <fstream>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;

namespace pymatrix {
namespace {

struct LogScan {
    std::deque<std::string> tail;   // last lines, for failure messages
    std::vector<std::string> notable;
    void add(const std::string& line) {
        tail.push_back(line);
        if (tail.size() > 25) tail.pop_front();
        static const std::regex keep(R"((pymatrix: stdlib modules missing.*|configure: error: .*|E: .*|\S+:\d+:\d+: error: .*|make: \*\*\* .*|ERROR: .*))");
        std::smatch m;
        if (std::regex_search(line, m, keep)) notable.push_back(m[1]);
    }
    std::string explain() const {
        std::string head;
        for (auto& n : notable)
            if (head.empty() && n.rfind("pymatrix: stdlib", 0) == 0) head = n.substr(10);
        for (const char* first : {"configure: error:", "E: "})
            for (auto& n : notable)
                if (head.empty() && n.rfind(first, 0) == 0) head = n;
        if (head.empty() && !notable.empty()) head = notable.front();
        if (head.empty()) return tail.empty() ? "docker buildx failed without output" : tail.back();
        std::string more;  // the last relevant lines, for compile errors in particular
        std::size_t from = notable.size() > 6 ? notable.size() - 6 : 0;
        for (std::size_t i = from; i < notable.size(); ++i)
            if (notable[i] != head && notable[i].rfind("ERROR: ", 0) != 0) more += "\n      " + notable[i];
        return head + more;
    }
};

std::string short_hash(const Build& b) { return b.config_hash.substr(0, 16); }

/// After a cancel: the final tags that carry this build's config hash (a labelling build stopped
/// mid-load may have applied some of them); a tag on another image (an earlier build's) stays.
void remove_own_tags(const Engine& engine, const Build& build) {
    std::vector<std::string> own;
    for (auto& t : build.tags) {
        auto doc = engine.inspect_image(t);
        if (!doc) continue;
        const auto& labels = (*doc)["Config"]["Labels"];
        if (labels.is_object() && labels.value(label::config_hash, std::string()) == build.config_hash) own.push_back(t);
    }
    if (!own.empty()) engine.remove_tags(own);
}

/// The context of the labelling build: FROM the unlabelled image, plus the ISA record the
/// entrypoint guard reads (isa-features: one line of cpuinfo flags) and isa.json.
void write_label_context(const std::string& unlabelled, const BuildInfo& info,
                         const std::function<void(const char*, std::size_t)>& sink) {
    render::TarWriter tar(sink);
    tar.add("Dockerfile", "FROM " + unlabelled + "\nCOPY isa-features isa.json /usr/local/share/pymatrix/\n");
    std::string features;
    for (auto& f : info.features) features += (features.empty() ? "" : " ") + f;
    tar.add("isa-features", features + "\n");
    nlohmann::json isa = {{"arch", info.arch}, {"level", info.level},
                          {"features", std::vector<std::string>(info.features.begin(), info.features.end())},
                          {"march_requested", info.march_requested}, {"march_resolved", info.march_resolved},
                          {"build_host_cpu", info.build_host_cpu}};
    tar.add("isa.json", isa.dump(1) + "\n");
    tar.finish();
}

}  // namespace

std::vector<std::string> labelling_args(const Build& build, const std::map<std::string, std::string>& labels,
                                        const std::string& builder) {
    std::vector<std::string> a = {"buildx", "build", "--progress=plain", "--load"};
    if (!builder.empty()) a.insert(a.end(), {"--builder", builder});
    for (auto& t : build.tags) a.insert(a.end(), {"--tag", t});
    for (auto& [k, v] : labels) a.insert(a.end(), {"--label", k + "=" + v});
    a.push_back("-");
    return a;
}

BuildResult build_one(const Engine& engine, const Build& build, const BuildOptions& options) {
    auto t0 = std::chrono::steady_clock::now();
    BuildResult r;
    r.name = build.name;
    fs::create_directories(options.log_dir);
    r.log = fs::absolute(options.log_dir / (build.name + ".log"));
    std::ofstream log(r.log, std::ios::trunc);
    auto finish = [&](bool ok, std::string error) {
        r.ok = ok;
        r.error = std::move(error);
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        log << fmt::format("== pymatrix: {} {} after {:.1f} s{}\n", build.name, ok ? "built" : "FAILED", r.seconds,
                           ok ? "" : ": " + r.error);
        return r;
    };
    const std::string unlabelled = "pymatrix-unlabelled:" + short_hash(build);
    // a cancel (signal or --fail-fast): no further step; temporary and own final tags removed
    auto cancelled = [&](const char* during) {
        engine.remove_tags({unlabelled});
        remove_own_tags(engine, build);
        r.cancelled = true;
        log << fmt::format("== pymatrix: {} cancelled during {}; temporary tag removed\n", build.name, during);
        return finish(false, fmt::format("cancelled during {}", during));
    };
    r.started = true;
    if (cancel_requested()) {
        r.started = false;
        r.cancelled = true;
        return finish(false, "cancelled before it started");
    }
    log << fmt::format("== pymatrix: build {} (config hash {})\n", build.name, build.config_hash);

    // 1. the real build, streamed context, temporary tag only
    std::vector<std::string> args = {"buildx", "build", "--progress=plain", "--network=host", "--load",
                                     "--tag", unlabelled};
    if (!options.builder.empty()) args.insert(args.end(), {"--builder", options.builder});
    if (options.make_jobs > 0) args.insert(args.end(), {"--build-arg", fmt::format("MAKE_JOBS={}", options.make_jobs)});
    args.push_back("-");
    log << "== docker " << [&] { std::string s; for (auto& a : args) s += a + " "; return s; }() << "\n";
    LogScan scan;
    static const std::regex step_re(R"(^#(\d+) \[([A-Za-z0-9_.-]+) (\d+/\d+)\] (.*)$)");
    static const std::regex done_re(R"(^#(\d+) DONE (\d+(\.\d+)?)s$)");
    static const std::regex cached_re(R"(^#(\d+) CACHED$)");
    std::map<std::string, std::string> step_stage;  // BuildKit vertex number -> stage
    std::map<std::string, std::pair<std::string, std::string>> step_text;  // vertex -> ("build 2/5", "RUN ...")
    std::string last_step;
    int rc = engine.stream(
        args, [&](const auto& write) { write_build_context(build, write); },
        [&](const std::string& line) {
            log << line << '\n' << std::flush;  // the log can be followed while the build runs
            scan.add(line);
            std::smatch m;
            if (std::regex_match(line, m, step_re)) {
                step_stage[m[1]] = m[2];
                step_text[m[1]] = {std::string(m[2]) + " " + std::string(m[3]), m[4]};
                r.stage_seconds.try_emplace(m[2], 0.0);
                std::string key = std::string(m[2]) + " " + std::string(m[3]);
                if (options.on_step && key != last_step) {
                    last_step = key;
                    options.on_step(build, key, m[4]);
                }
            } else if (std::regex_match(line, m, done_re)) {
                if (auto it = step_stage.find(m[1]); it != step_stage.end())
                    r.stage_seconds[it->second] += std::stod(m[2]);
            } else if (std::regex_match(line, m, cached_re)) {
                if (auto it = step_text.find(m[1]); it != step_text.end()) {
                    std::string entry = it->second.first + " " + it->second.second;
                    if (std::find(r.cached_steps.begin(), r.cached_steps.end(), entry) == r.cached_steps.end()) {
                        r.cached_steps.push_back(entry);
                        if (options.on_cached) options.on_cached(build, it->second.first, it->second.second);
                    }
                }
            }
        });
    log.flush();
    if (cancel_requested()) return cancelled("the image build");
    if (rc != 0) {
        engine.remove_tags({unlabelled});
        return finish(false, fmt::format("{} (exit {}; full log: {})", scan.explain(), rc, r.log.string()));
    }

    // a failing PGO training run does not fail CPython's make (`|| true`): it fails this build
    if (build.settings.pgo) {
        std::ifstream in(r.log);
        std::stringstream text;
        text << in.rdbuf();
        auto failed = pgo_failed_tests(text.str());
        if (!failed.empty()) {
            engine.remove_tags({unlabelled});
            std::string names;
            for (auto& t : failed) names += (names.empty() ? "" : " ") + t;
            return finish(false, fmt::format("the PGO training run (PROFILE_TASK) had failing tests: {}; the image "
                                             "would not be profile-trained as asked (full log: {})",
                                             names, r.log.string()));
        }
    }

    if (cancel_requested()) return cancelled("the image build");
    // 2. what was really built, read from the image
    auto info_run = engine.run_in_image(unlabelled, {"cat", build_info_path}, "");
    BuildInfo info;
    try {
        if (info_run.exit_code != 0) throw Error("cannot read " + std::string(build_info_path) + ": " + info_run.err);
        info = parse_build_info(nlohmann::json::parse(info_run.out));
    } catch (const std::exception& e) {
        engine.remove_tags({unlabelled});
        return finish(false, fmt::format("reading build info: {}", e.what()));
    }
    log << "== build-info: " << info_run.out << "\n";

    // 3. the labelled image, with its final tags
    if (cancel_requested()) return cancelled("reading build info");
    r.labels = labels_for(build, info, now_rfc3339());
    auto largs = labelling_args(build, r.labels, options.builder);
    rc = engine.stream(
        largs, [&](const auto& write) { write_label_context(unlabelled, info, write); },
        [&](const std::string& line) { log << line << '\n'; scan.add(line); });
    if (rc != 0 && cancel_requested()) return cancelled("labelling");
    engine.remove_tags({unlabelled});
    if (rc != 0) {
        engine.remove_tags(build.tags);
        return finish(false, fmt::format("labelling failed: {} (full log: {})", scan.explain(), r.log.string()));
    }

    // 4. labels are truth: compare with the tagged image itself
    auto inspected = engine.inspect_image(build.tags.front());
    auto real = engine.run_in_image(build.tags.front(),
                                    {"python3", "-c",
                                     "import sys, sysconfig; sys.stdout.write(sysconfig.get_config_var('CONFIG_ARGS'))"});
    std::string label_value;
    if (inspected) label_value = inspected->at("Config").at("Labels").value(label::config_args, std::string("<absent>"));
    if (!inspected || real.exit_code != 0 || label_value != real.out) {
        engine.remove_tags(build.tags);
        return finish(false, fmt::format("label check failed: io.pymatrix.config-args is [{}] but the image's "
                                         "sysconfig CONFIG_ARGS is [{}]; tags removed",
                                         label_value, real.out));
    }
    r.image_id = inspected->value("Id", "");
    r.size_bytes = inspected->value("Size", std::uint64_t{0});
    r.tags = build.tags;
    return finish(true, "");
}

}  // namespace pymatrix
