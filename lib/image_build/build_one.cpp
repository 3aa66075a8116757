// One build, as five steps: build the image and export its build-info.json -> check the PGO
// training run -> read build-info -> build the labelled image (the same Dockerfile plus the ISA
// record, every earlier step a cache hit) with the final tags, loaded or pushed -> verify the
// labels against the image. No image passes through the local store between the steps, so any
// buildx driver can run them; a failure or cancel at any step leaves no tag that lies.
#include "pymatrix/build.hpp"
#include "pymatrix/cancel.hpp"
#include "pymatrix/render.hpp"
#include "pymatrix/tags.hpp"
#include "buildkit_progress.hpp"
#include "failure_scan.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>

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

/// Where step 1's local output goes: <log dir>/<name>.build-info/ (absolute).
fs::path build_info_dir(const Build& build, const BuildOptions& options) {
    return fs::absolute(options.log_dir / (build.name + ".build-info"));
}

/// buildx's --metadata-file of the labelled build when it pushes: <log dir>/<name>.metadata.json.
fs::path push_metadata_path(const Build& build, const BuildOptions& options) {
    return fs::absolute(options.log_dir / (build.name + ".metadata.json"));
}

/// `request` with what steps 1 and 4 share, so that step 4 finds step 1's steps in the builder's
/// cache: the network, --pull and MAKE_JOBS (a build argument the make step reads: a different
/// value would be another cache key).
BuildRequest with_common(BuildRequest request, const BuildOptions& options) {
    request.network = options.network;
    request.pull = options.pull;
    if (options.make_jobs > 0) request.build_args.push_back({"MAKE_JOBS", std::to_string(options.make_jobs)});
    return request;
}

/// Step 1's request: the build-info stage to a local directory; the image itself stays in the cache.
BuildRequest image_request(const Build& build, const BuildOptions& options) {
    BuildRequest request = with_common({}, options);
    request.target = build_info_stage;
    request.output = BuildOutput::local;
    request.local_dest = build_info_dir(build, options).string();
    return request;
}

/// Whether the labelled image goes straight to the registry: with --push on a builder whose
/// images do not land in the engine's store (any driver but docker).
bool pushes_from_builder(const Builder& builder, const BuildOptions& options) {
    return options.push && builder.driver() != BuilderDriver::docker;
}

/// Step 4's request (labelling_request() plus what the image build had).
BuildRequest labelled_request(const Builder& builder, const Build& build, const BuildOptions& options,
                              const std::map<std::string, std::string>& labels) {
    BuildRequest request = with_common(labelling_request(build, labels), options);
    if (pushes_from_builder(builder, options)) {
        request.output = BuildOutput::push;
        request.metadata_file = push_metadata_path(build, options).string();
    }
    return request;
}

/// Step 5's request: the interpreter with its ISA check skipped (PYMATRIX_SKIP_ISA_CHECK, read by
/// the launcher that stands in for python3): this host ran it during the build (buildinfo.py),
/// while its cpuinfo flags may lack one of the image's (a VM that hides `abm` from an x86-64-v3
/// CPU) and the launcher would then refuse to start it.
RunRequest verify_request(const std::string& tag) {
    RunRequest config_args;
    config_args.image = tag;
    config_args.entrypoint = "python3";
    config_args.env = {"PYMATRIX_SKIP_ISA_CHECK=1"};
    config_args.command = {"-c", "import sys, sysconfig; sys.stdout.write(sysconfig.get_config_var('CONFIG_ARGS'))"};
    return config_args;
}

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

    /// Step 1: the image build of the streamed context; only build-info.json leaves the builder.
    void build_image() {
        BuildRequest request = image_request(build, options);
        std::error_code ec;
        fs::remove_all(request.local_dest, ec);  // an earlier run's file must not be read as this one's
        log << "== " << util::join(builder.build_command_line(request), " ") << "\n";
        BuildkitProgress progress;
        std::string last_step;
        int rc = builder.build(
            request, [&](const ByteSink& write) { write_build_info_context(build, write); },
            [&](const std::string& line) {
                log << line << '\n' << std::flush;  // the log can be followed while the build runs
                scan.add(line);
                on_progress(progress.feed(line), last_step);
            });
        log.flush();
        check_cancel("the image build");
        if (rc != 0)
            throw StepFailed{fmt::format("{} (exit {}; full log: {})", scan.explain(), rc, result.log.string())};
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
        auto failed = pgo_failed_tests(util::read_file(result.log).value_or(""));
        if (!failed.empty())
            throw StepFailed{fmt::format("the PGO training run (PROFILE_TASK) had failing tests: {}; the image "
                                         "would not be profile-trained as asked (full log: {})",
                                         util::join(failed, " "), result.log.string())};
    }

    /// Step 3: what was really built, as buildinfo.py wrote it inside the image (step 1's output).
    BuildInfo read_build_info() {
        check_cancel("the image build");
        const fs::path file = build_info_dir(build, options) / "build-info.json";
        auto text = util::read_file(file);
        BuildInfo info;
        try {
            if (!text) throw Error(fmt::format("the builder exported no {}", file.string()));
            info = parse_build_info(nlohmann::json::parse(*text));
        } catch (const std::exception& e) {
            throw StepFailed{fmt::format("reading build info: {}", e.what())};
        }
        log << "== build-info: " << *text << "\n";
        return info;
    }

    /// Step 4: the labelled image with the final tags, loaded into the engine's store or (with
    /// --push on a builder of another driver) pushed from the builder.
    void label(const BuildInfo& info) {
        check_cancel("reading build info");
        result.labels = labels_for(build, info, now_rfc3339());
        BuildRequest request = labelled_request(builder, build, options, result.labels);
        if (!request.metadata_file.empty()) fs::remove(request.metadata_file);
        log << "== " << util::join(builder.build_command_line(request), " ") << "\n";
        int rc = builder.build(
            request, [&](const ByteSink& write) { write_labelled_context(build, info, write); },
            [&](const std::string& line) {
                log << line << '\n';
                scan.add(line);
            });
        if (rc != 0 && cancel_requested()) throw StepCancelled{"labelling"};
        if (rc != 0)
            throw StepFailed{fmt::format("labelling failed: {} (full log: {})", scan.explain(), result.log.string())};
        if (request.output == BuildOutput::push) record_push(request.metadata_file);
    }

    /// After a labelled build that pushed: the manifest digest buildx wrote to its metadata file.
    void record_push(const std::string& metadata_file) {
        std::string digest;
        try {
            if (auto text = util::read_file(metadata_file))
                digest = nlohmann::json::parse(*text).value("containerimage.digest", "");
        } catch (const nlohmann::json::exception&) {
        }
        if (digest.rfind("sha256:", 0) != 0)
            throw StepFailed{fmt::format("the builder pushed {} but wrote no manifest digest to {}", build.tags.front(),
                                         metadata_file)};
        result.digest = digest;
        result.pushed = repository_of(build.tags.back()) + "@" + digest;
        result.push = PushState::pushed;
    }

    /// Step 5: labels are truth. A loaded image: the config-args label against sysconfig's
    /// CONFIG_ARGS run inside the tagged image. A pushed one (nothing local to run): the labels the
    /// registry serves for every tag against build-info's, which buildinfo.py read from sysconfig
    /// inside the image, and the digest against the one pushed.
    void verify(const BuildInfo& info) {
        if (result.push == PushState::pushed) return verify_pushed(info);
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

    void verify_pushed(const BuildInfo& info) {
        for (const auto& tag : build.tags) {
            std::optional<RegistryImage> served;
            try {
                served = builder.inspect_remote(tag);
            } catch (const EnvironmentError& e) {
                throw StepFailed{fmt::format("label check failed: {}", e.what())};
            }
            std::string value = served ? (served->labels.count(label::config_args) ? served->labels.at(label::config_args)
                                                                                 : "<absent>")
                                       : "<not in the registry>";
            if (!served || served->digest != result.digest || value != info.config_args)
                throw StepFailed{fmt::format("label check failed: the registry serves {} as {} with io.pymatrix.config-args "
                                             "[{}]; pushed {} built with CONFIG_ARGS [{}]",
                                             tag, served ? served->digest : "nothing", value, result.digest, info.config_args)};
        }
        result.image_id = result.digest;
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
                                                    const BuildOptions& options) {
    std::vector<std::vector<std::string>> out = {builder.build_command_line(image_request(build, options))};
    out.push_back(builder.build_command_line(
        labelled_request(builder, build, options, {{"io.pymatrix.*", "<read from build-info.json>"}})));
    if (pushes_from_builder(builder, options)) return out;  // pushed by the build; verified in the registry
    out.push_back(builder.run_command_line(verify_request(build.tags.front())));
    if (options.push)
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
        steps.build_image();
        steps.check_pgo_training();
        BuildInfo info = steps.read_build_info();
        try {
            steps.label(info);
            steps.verify(info);
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
        log << fmt::format("== pymatrix: {} cancelled during {}; no tag of it left\n", build.name, c.during);
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    log << fmt::format("== pymatrix: {} {} after {:.1f} s{}\n", build.name, r.ok() ? "built" : "FAILED", r.seconds,
                       r.ok() ? "" : ": " + r.error);
    return r;
}

}  // namespace pymatrix
