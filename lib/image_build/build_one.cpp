// One build, as five steps: build the image (temporary tag) -> check the PGO training run ->
// read build-info back -> label and tag -> verify the labels against the image. The temporary
// tag is held by a guard; a failure or cancel at any step leaves no tag that lies.
#include "pymatrix/build.hpp"
#include "pymatrix/cancel.hpp"
#include "pymatrix/render.hpp"
#include "buildkit_progress.hpp"
#include "failure_scan.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace pymatrix {
namespace {

/// A step that did not yield what the next one needs; `why` is the build's error.
struct StepFailed {
    std::string why;
};
/// A cancel request seen at or during a step.
struct StepCancelled {
    std::string during;
};

/// A local tag removed when the guard goes out of scope, however the build ends.
class TemporaryTag {
public:
    TemporaryTag(const Builder& builder, std::string ref) : builder_(builder), ref_(std::move(ref)) {}
    ~TemporaryTag() {
        try {
            builder_.remove_tags({ref_});
        } catch (...) {  // the engine went away: nothing left to remove it from
        }
    }
    TemporaryTag(const TemporaryTag&) = delete;
    TemporaryTag& operator=(const TemporaryTag&) = delete;
    const std::string& ref() const { return ref_; }

private:
    const Builder& builder_;
    std::string ref_;
};

/// Step 1's request: the image under the temporary tag, with the build's network and make -j.
BuildRequest image_request(const std::string& tag, const BuildOptions& options) {
    BuildRequest request;
    request.tags = {tag};
    request.network = options.network;
    request.pull = options.pull;
    if (options.make_jobs > 0) request.build_args.push_back({"MAKE_JOBS", std::to_string(options.make_jobs)});
    return request;
}

/// Step 3's request: Debian's cat, not the ISA guard (the unlabelled image has no ISA record yet).
RunRequest build_info_request(const std::string& image) {
    RunRequest cat;
    cat.image = image;
    cat.entrypoint = "cat";
    cat.command = {build_info_path};
    return cat;
}

/// Step 5's request: the interpreter itself, not through the ISA guard: this host ran it during
/// the build (buildinfo.py), while its cpuinfo flags may lack one of the image's (a VM that hides
/// `abm` from an x86-64-v3 CPU) and the guard would then refuse to start it.
RunRequest verify_request(const std::string& tag) {
    RunRequest config_args;
    config_args.image = tag;
    config_args.entrypoint = "python3";
    config_args.command = {"-c", "import sys, sysconfig; sys.stdout.write(sysconfig.get_config_var('CONFIG_ARGS'))"};
    return config_args;
}

std::string unlabelled_tag(const Build& build) { return "pymatrix-unlabelled:" + build.config_hash.substr(0, 16); }

/// What the steps of one build share.
struct Steps {
    const Builder& builder;
    const Build& build;
    const BuildOptions& options;
    BuildResult& result;
    std::ofstream& log;
    FailureScan scan;

    void check_cancel(const char* during) const {
        if (cancel_requested()) throw StepCancelled{during};
    }

    /// Step 1: the image build of the streamed context, under the temporary tag only.
    void build_image(const std::string& tag) {
        BuildRequest request = image_request(tag, options);
        log << "== " << util::join(builder.build_command_line(request), " ") << "\n";
        BuildkitProgress progress;
        std::string last_step;
        int rc = builder.build(
            request, [&](const ByteSink& write) { write_build_context(build, write); },
            [&](const std::string& line) {
                log << line << '\n' << std::flush;  // the log can be followed while the build runs
                scan.add(line);
                on_progress(progress.feed(line), last_step);
            });
        log.flush();
        check_cancel("the image build");
        if (rc != 0) throw StepFailed{fmt::format("{} (exit {}; full log: {})", scan.explain(), rc, result.log.string())};
    }

    void on_progress(const ProgressEvent& e, std::string& last_step) {
        if (e.kind == ProgressEvent::step) {
            result.stage_seconds.try_emplace(e.stage, 0.0);
            std::string key = e.stage + " " + e.position;
            if (options.on_step && key != last_step) {
                last_step = key;
                options.on_step(build, key, e.text);
            }
        } else if (e.kind == ProgressEvent::done && e.known) {
            result.stage_seconds[e.stage] += e.seconds;
        } else if (e.kind == ProgressEvent::cached && e.known) {
            std::string entry = e.stage + " " + e.position + " " + e.text;
            auto& steps = result.cached_steps;
            if (std::find(steps.begin(), steps.end(), entry) == steps.end()) {
                steps.push_back(entry);
                if (options.on_cached) options.on_cached(build, e.stage + " " + e.position, e.text);
            }
        }
    }

    /// Step 2: a failing PGO training run does not fail CPython's make (`|| true`): it fails the build.
    void check_pgo_training() const {
        if (!build.settings.pgo) return;
        std::ifstream in(result.log);
        std::stringstream text;
        text << in.rdbuf();
        auto failed = pgo_failed_tests(text.str());
        if (!failed.empty())
            throw StepFailed{fmt::format("the PGO training run (PROFILE_TASK) had failing tests: {}; the image "
                                         "would not be profile-trained as asked (full log: {})",
                                         util::join(failed, " "), result.log.string())};
    }

    /// Step 3: what was really built, read from the image.
    BuildInfo read_build_info(const std::string& image) {
        check_cancel("the image build");
        auto run = builder.run(build_info_request(image));
        BuildInfo info;
        try {
            if (run.exit_code != 0) throw Error("cannot read " + std::string(build_info_path) + ": " + run.err);
            info = parse_build_info(nlohmann::json::parse(run.out));
        } catch (const std::exception& e) {
            throw StepFailed{fmt::format("reading build info: {}", e.what())};
        }
        log << "== build-info: " << run.out << "\n";
        return info;
    }

    /// Step 4: the labelled image, FROM the unlabelled one, with the final tags.
    void label(const std::string& unlabelled, const BuildInfo& info) {
        check_cancel("reading build info");
        result.labels = labels_for(build, info, now_rfc3339());
        int rc = builder.build(
            labelling_request(build, result.labels),
            [&](const ByteSink& write) { write_label_context(unlabelled, info, write); },
            [&](const std::string& line) {
                log << line << '\n';
                scan.add(line);
            });
        if (rc != 0 && cancel_requested()) throw StepCancelled{"labelling"};
        if (rc != 0) throw StepFailed{fmt::format("labelling failed: {} (full log: {})", scan.explain(), result.log.string())};
    }

    /// Step 5: labels are truth: the config-args label against sysconfig inside the tagged image.
    void verify() {
        const std::string& tag = build.tags.front();
        auto inspected = builder.inspect_local(tag);
        auto real = builder.run(verify_request(tag));
        std::string label_value;
        if (inspected) label_value = inspected->at("Config").at("Labels").value(label::config_args, std::string("<absent>"));
        if (!inspected || real.exit_code != 0 || label_value != real.out)
            throw StepFailed{fmt::format("label check failed: io.pymatrix.config-args is [{}] but the image's "
                                         "sysconfig CONFIG_ARGS is [{}]; tags removed",
                                         label_value, real.out)};
        result.image_id = inspected->value("Id", "");
        result.size_bytes = inspected->value("Size", std::uint64_t{0});
        result.tags = build.tags;
    }

    /// After a failure past the labelling step, or a cancel: the final tags that carry this
    /// build's config hash (a labelling build stopped mid-load may have applied some of them);
    /// a tag on another image (an earlier build's) stays.
    void remove_own_tags() const {
        std::vector<std::string> own;
        for (auto& t : build.tags)
            if (carries_config_hash(builder.inspect_local(t), build.config_hash)) own.push_back(t);
        if (!own.empty()) builder.remove_tags(own);
    }
};

}  // namespace

const char* to_string(BuildOutcome outcome) {
    switch (outcome) {
        case BuildOutcome::built: return "built";
        case BuildOutcome::cached: return "cached";
        case BuildOutcome::failed: return "failed";
        case BuildOutcome::cancelled: return "cancelled";
        case BuildOutcome::skipped: break;
    }
    return "skipped";
}

BuildRequest labelling_request(const Build& build, const std::map<std::string, std::string>& labels) {
    BuildRequest request;
    request.tags = build.tags;
    request.labels = labels;
    return request;
}

std::vector<std::vector<std::string>> build_commands(const Builder& builder, const Build& build,
                                                    const BuildOptions& options, bool push) {
    const std::string tag = unlabelled_tag(build);
    std::vector<std::vector<std::string>> out = {builder.build_command_line(image_request(tag, options)),
                                                 builder.run_command_line(build_info_request(tag))};
    out.push_back(builder.build_command_line(labelling_request(build, {{"io.pymatrix.*", "<read back from the image>"}})));
    out.push_back(builder.run_command_line(verify_request(build.tags.front())));
    if (push)
        for (auto& t : build.tags) out.push_back(builder.push_command_line(t));
    return out;
}

BuildResult build_one(const Builder& builder, const Build& build, const BuildOptions& options) {
    BuildResult r;
    r.name = build.name;
    if (cancel_requested()) {
        r.error = "cancelled before it started";
        return r;  // skipped
    }
    auto t0 = std::chrono::steady_clock::now();
    fs::create_directories(options.log_dir);
    r.log = fs::absolute(build_log_path(options.log_dir, build.name));
    std::ofstream log(r.log, std::ios::trunc);
    log << fmt::format("== pymatrix: build {} (config hash {})\n", build.name, build.config_hash);
    Steps steps{builder, build, options, r, log, {}};
    try {
        TemporaryTag unlabelled(builder, unlabelled_tag(build));
        steps.build_image(unlabelled.ref());
        steps.check_pgo_training();
        BuildInfo info = steps.read_build_info(unlabelled.ref());
        try {
            steps.label(unlabelled.ref(), info);
            steps.verify();
        } catch (const StepFailed&) {
            steps.remove_own_tags();
            throw;
        }
        r.outcome = BuildOutcome::built;
    } catch (const StepFailed& f) {
        r.outcome = BuildOutcome::failed;
        r.error = f.why;
    } catch (const StepCancelled& c) {
        steps.remove_own_tags();
        r.outcome = BuildOutcome::cancelled;
        r.error = fmt::format("cancelled during {}", c.during);
        log << fmt::format("== pymatrix: {} cancelled during {}; temporary tag removed\n", build.name, c.during);
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    log << fmt::format("== pymatrix: {} {} after {:.1f} s{}\n", build.name, r.ok() ? "built" : "FAILED", r.seconds,
                       r.ok() ? "" : ": " + r.error);
    return r;
}

}  // namespace pymatrix
