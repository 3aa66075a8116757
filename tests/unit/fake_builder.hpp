// tests/unit/fake_builder.hpp: a Builder (pymatrix/builder.hpp) that keeps an image store, tags and
// a registry in memory, so that unit tests drive build_one() and run_builds() through success,
// failure, cancellation and clean-up without an engine. Its builds print BuildKit plain progress.
#pragma once

#include "pymatrix/builder.hpp"
#include "pymatrix/cancel.hpp"
#include "pymatrix/labels.hpp"
#include "pymatrix/registry_fault.hpp"
#include "pymatrix/render.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>
#include <chrono>
#include <thread>

namespace pymatrix::testing {

/// One image of the fake store.
struct FakeImage {
    std::string id;
    std::map<std::string, std::string> labels;
    std::string config_args;  ///< what `python3 -c ...CONFIG_ARGS` prints in it
    std::string build_info;   ///< what `cat build-info.json` prints in it
};

class FakeBuilder final : public Builder {
public:
    // --- the script: what the next builds and pushes do ---
    int build_exit = 0;                        ///< exit code of image builds (not labelling ones)
    std::vector<std::string> failure_lines;    ///< printed by a failing image build
    std::vector<std::string> output_lines;     ///< printed by every image build, before it ends
    bool cancel_during_build = false;          ///< request_cancel(sigint) inside the image build, exit 130
    bool cancel_during_push = false;           ///< request_cancel(sigint) inside a push, interrupted
    bool refuse_push = false;                  ///< the registry refuses pushes ("denied")
    std::string push_failure;                  ///< "" = pushes work; else the push fails with this line
    mutable int push_failures_left = -1;       ///< with push_failure: how many pushes fail (-1: all)
    std::string reported_config_args = "'--enable-option-checking=fatal'";  ///< CONFIG_ARGS the images report
    std::string build_info_config_args;        ///< "" = reported_config_args
    /// base image -> the error line a build `FROM` it prints (the builder cannot get that base)
    std::map<std::string, std::string> unobtainable_bases;
    BuilderDriver driver_kind = BuilderDriver::docker;  ///< what driver() answers
    int build_delay_ms = 0;    ///< image builds take this long (another node then takes the next build)
    bool engine_gone = false;  ///< the engine stops answering: image builds fail as buildx does, require_ready throws

    // --- what happened ---
    mutable std::mutex mu;
    mutable std::map<std::string, std::string> tags;         ///< local reference -> image id
    mutable std::map<std::string, FakeImage> images;         ///< id -> image
    mutable std::map<std::string, RegistryImage> registry;   ///< reference -> what the registry serves
    mutable std::vector<BuildRequest> builds;                ///< every build request, in order
    mutable std::vector<std::string> removed;                ///< every remove_tags reference, in order
    mutable std::vector<std::string> pushes;                 ///< every push reference, in order
    mutable int pushes_from_builder = 0;                      ///< labelled builds that pushed (BuildOutput::push)
    mutable std::map<std::string, FakeImage> cache;          ///< the builder's cache: stages -> what they built

    /// Puts a labelled image in the store under `refs` (an earlier build's).
    std::string add_image(const std::vector<std::string>& refs, std::map<std::string, std::string> labels) {
        std::lock_guard<std::mutex> lock(mu);
        std::string id = next_id();
        images[id] = {id, std::move(labels), reported_config_args, ""};
        for (auto& r : refs) tags[r] = id;
        return id;
    }
    /// The labels of the image `ref` names, empty when absent.
    std::map<std::string, std::string> labels_of(const std::string& ref) const {
        std::lock_guard<std::mutex> lock(mu);
        auto t = tags.find(ref);
        return t == tags.end() ? std::map<std::string, std::string>{} : images.at(t->second).labels;
    }
    bool has_tag(const std::string& ref) const {
        std::lock_guard<std::mutex> lock(mu);
        return tags.count(ref) > 0;
    }
    /// Local references whose name starts with `prefix`.
    std::vector<std::string> tags_starting(const std::string& prefix) const {
        std::lock_guard<std::mutex> lock(mu);
        std::vector<std::string> out;
        for (auto& [ref, id] : tags)
            if (ref.rfind(prefix, 0) == 0) out.push_back(ref);
        return out;
    }

    void require_ready() const override {
        if (engine_gone) throw EnvironmentError("no Docker daemon answers (Cannot connect to the Docker daemon)");
    }
    BuilderDriver driver() const override { return driver_kind; }

    std::vector<std::string> build_command_line(const BuildRequest& request) const override {
        std::vector<std::string> argv = {"fake-build"};
        argv.insert(argv.end(), request.tags.begin(), request.tags.end());
        return argv;
    }

    int build(const BuildRequest& request, const InputWriter& context, const LineSink& on_line) const override {
        std::string bytes;
        context([&](const char* d, std::size_t n) { bytes.append(d, n); });
        {
            std::lock_guard<std::mutex> lock(mu);
            builds.push_back(request);
        }
        if (bytes.empty()) return 1;
        for (auto& [base, error] : unobtainable_bases)
            if (bytes.find("FROM " + base + "\n") != std::string::npos) {
                on_line("#1 [internal] load metadata for " + base);
                on_line(error);
                return 1;
            }
        if (!request.labels.empty()) return label_build(request, bytes, on_line);
        for (const char* line : {"#1 [internal] load build definition from Dockerfile", "#1 DONE 0.0s",
                                 "#2 [build-deps 1/2] FROM docker.io/library/debian:bookworm-slim",
                                 "#3 [build-deps 2/2] RUN apt-get update", "#3 CACHED",
                                 "#4 [build 1/2] RUN ./configure", "#4 DONE 2.5s"})
            on_line(line);
        for (auto& l : output_lines) on_line(l);
        if (cancel_during_build) {
            request_cancel(CancelReason::sigint);
            on_line("ERROR: failed to solve: Canceled: context canceled");
            return 130;
        }
        if (build_exit != 0) {
            for (auto& l : failure_lines) on_line(l);
            return build_exit;
        }
        if (request.output == BuildOutput::cache_only) return 0;
        if (engine_gone) {  // gone after the shared stages, during the compile
            on_line("ERROR: failed to receive status: rpc error: code = Unavailable desc = error reading from server: EOF");
            return 1;
        }
        if (build_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(build_delay_ms));
        on_line("#5 [build 2/2] RUN make -j2");
        on_line("#5 DONE 10.0s");
        std::string info_args = build_info_config_args.empty() ? reported_config_args : build_info_config_args;
        std::string info = build_info(info_args);
        {
            std::lock_guard<std::mutex> lock(mu);
            cache[stages_of(bytes)] = {"", {}, reported_config_args, info};
        }
        if (request.output != BuildOutput::local) return 0;
        std::filesystem::create_directories(request.local_dest);
        std::ofstream(std::filesystem::path(request.local_dest) / "build-info.json") << info;
        return 0;
    }

    std::optional<nlohmann::json> inspect_local(const std::string& ref) const override {
        std::lock_guard<std::mutex> lock(mu);
        std::string id = tags.count(ref) ? tags.at(ref) : images.count(ref) ? ref : "";
        if (id.empty()) return std::nullopt;
        const FakeImage& image = images.at(id);
        return nlohmann::json{{"Id", id}, {"Size", 1000}, {"Config", {{"Labels", image.labels}}}};
    }

    std::vector<std::string> images_labelled(const std::string& key, const std::string& value) const override {
        std::lock_guard<std::mutex> lock(mu);
        std::vector<std::string> ids;
        for (auto& [id, image] : images)
            if (auto it = image.labels.find(key); it != image.labels.end() && it->second == value) ids.push_back(id);
        return ids;
    }

    std::optional<RegistryImage> inspect_remote(const std::string& ref) const override {
        std::lock_guard<std::mutex> lock(mu);
        auto it = registry.find(ref);
        if (it == registry.end()) return std::nullopt;
        return it->second;
    }

    std::vector<std::string> run_command_line(const RunRequest& request) const override {
        std::vector<std::string> argv = {"fake-run", request.image};
        if (!request.entrypoint.empty()) argv.push_back(request.entrypoint);
        argv.insert(argv.end(), request.command.begin(), request.command.end());
        return argv;
    }
    std::vector<std::string> push_command_line(const std::string& ref) const override { return {"fake-push", ref}; }

    CommandResult run(const RunRequest& request) const override {
        std::lock_guard<std::mutex> lock(mu);
        std::string id = tags.count(request.image) ? tags.at(request.image) : "";
        if (id.empty()) return {125, "", "Unable to find image '" + request.image + "' locally"};
        const FakeImage& image = images.at(id);
        std::vector<std::string> argv = request.command;
        if (!request.entrypoint.empty()) argv.insert(argv.begin(), request.entrypoint);
        if (argv.at(0) == "cat") return {0, image.build_info, ""};
        if (argv.at(0) == "python3") return {0, image.config_args, ""};
        return {127, "", "fake: no such command"};
    }

    /// Indexes "published" by create_index: ref -> the descriptors given.
    mutable std::map<std::string, std::vector<nlohmann::json>> indexes;
    RegistryWrite create_index(const std::string& ref, const std::vector<nlohmann::json>& descriptors) const override {
        std::lock_guard<std::mutex> lock(mu);
        indexes[ref] = descriptors;
        return {true, false, false, "sha256:" + std::string(64, 'e'), ""};
    }

    bool tag(const std::string& image, const std::string& ref) const override {
        std::lock_guard<std::mutex> lock(mu);
        std::string id = tags.count(image) ? tags.at(image) : image;
        if (!images.count(id)) return false;
        tags[ref] = id;
        return true;
    }

    void remove_tags(const std::vector<std::string>& refs) const override {
        std::lock_guard<std::mutex> lock(mu);
        for (auto& r : refs) {
            removed.push_back(r);
            tags.erase(r);
        }
    }

    RegistryWrite push(const std::string& ref) const override {
        std::lock_guard<std::mutex> lock(mu);
        pushes.push_back(ref);
        RegistryWrite w;
        if (cancel_during_push) {
            request_cancel(CancelReason::sigint);
            w.interrupted = true;
            w.message = "context canceled";
            return w;
        }
        if (refuse_push) {
            w.message = "denied: requested access to the resource is denied";
            return w;
        }
        if (!push_failure.empty() && push_failures_left != 0) {
            if (push_failures_left > 0) --push_failures_left;
            w.message = push_failure;
            w.unreachable = classify_registry_fault(push_failure) == RegistryFault::unreachable;
            return w;
        }
        const std::string& id = tags.at(ref);
        w.ok = true;
        w.digest = digest_of(id);
        registry[ref] = {ref, w.digest, images.at(id).labels};
        return w;
    }

    RegistryWrite tag_remote(const std::string& source, const std::string& ref) const override {
        std::lock_guard<std::mutex> lock(mu);
        for (auto& [r, image] : registry)
            if (source.size() > image.digest.size() && source.compare(source.size() - image.digest.size(),
                                                                      image.digest.size(), image.digest) == 0) {
                auto copy = image;
                registry[ref] = copy;
                return {true, false, false, copy.digest, ""};
            }
        return {false, false, false, "", "not found"};
    }

    int host_cpus() const override { return 2; }

private:
    mutable int serial_ = 0;
    /// "sha256:" and 64 hex digits ending in the serial number.
    std::string next_id() const {
        std::string n = std::to_string(++serial_);
        return "sha256:" + std::string(64 - n.size(), 'f') + n;
    }

    static std::string build_info(const std::string& config_args) {
        return nlohmann::json{{"python_version", "3.13.5"}, {"config_args", config_args}, {"cflags", "-O2"},
                              {"cflags_nodist", ""}, {"arch", "x86_64"}, {"march_requested", ""},
                              {"march_resolved", ""}, {"build_host_cpu", "AuthenticAMD AMD EPYC"},
                              {"missing_modules", nlohmann::json::array()},
                              {"cc_macros", "#define __x86_64__ 1\n#define __SSE2__ 1\n"}}
            .dump();
    }

    /// The Dockerfile stages every build of one context shares: its text from the first FROM up to
    /// pymatrix's appended stage (step 1's build-info export, step 4's labelled stage); the tar
    /// header before it holds the Dockerfile's size, which the appended stage changes.
    static std::string stages_of(const std::string& context) {
        auto from = context.find("FROM ");
        return context.substr(from, context.find("# --- pymatrix:") - from);
    }

    /// The labelled build: the image the image build left in the cache (its stages), with the
    /// request's labels and tags, loaded into the store or pushed (BuildOutput::push, digest in
    /// the metadata file as buildx writes it).
    int label_build(const BuildRequest& request, const std::string& context, const LineSink& on_line) const {
        on_line("#1 [runtime 1/5] FROM docker.io/library/debian:bookworm-slim");
        on_line("#1 CACHED");
        std::lock_guard<std::mutex> lock(mu);
        auto cached = cache.find(stages_of(context));
        if (cached == cache.end()) return 1;  // the fake does not build twice
        std::string id = next_id();
        images[id] = {id, request.labels, cached->second.config_args, cached->second.build_info};
        if (request.output == BuildOutput::load) {
            for (auto& t : request.tags) tags[t] = id;
            return 0;
        }
        std::string digest = digest_of(id);
        for (auto& t : request.tags) registry[t] = {t, digest, request.labels};
        pushes_from_builder += 1;
        std::ofstream(request.metadata_file) << nlohmann::json{{"containerimage.digest", digest}}.dump();
        return 0;
    }

    static std::string digest_of(const std::string& id) { return "sha256:" + std::string(64 - id.size() + 7, '0') + id.substr(7); }
};

}  // namespace pymatrix::testing
