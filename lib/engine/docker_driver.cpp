// The docker driver: every docker and buildx verb pymatrix uses, on the docker CLI.
#include "pymatrix/cancel.hpp"
#include "pymatrix/docker_driver.hpp"
#include "pymatrix/image_store.hpp"
#include "pymatrix/registry_fault.hpp"
#include "pymatrix/tags.hpp"
#include "api.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <future>
#include <filesystem>
#include <fstream>
#include <regex>

namespace pymatrix {
namespace {

/// The tool's own reason: its first line of stderr (else stdout), without buildx's "ERROR: ".
std::string reason(const CommandResult& r) {
    std::string line = util::first_line(r.err.empty() ? r.out : r.err);
    if (line.rfind("ERROR: ", 0) == 0) line.erase(0, 7);
    return line;
}

/// Connection-level failures: the registry is not there (exit 5), as opposed to a refusal.
bool unreachable(const std::string& text) { return classify_registry_fault(text) == RegistryFault::unreachable; }

}  // namespace

namespace docker_argv {

std::vector<std::string> build(const BuildRequest& q, const std::string& builder) {
    std::vector<std::string> a = {"buildx", "build", "--progress=plain"};
    if (!builder.empty()) a.insert(a.end(), {"--builder", builder});
    if (!q.network.empty()) a.push_back("--network=" + q.network);
    if (q.pull) a.push_back("--pull");
    if (!q.target.empty()) a.insert(a.end(), {"--target", q.target});
    switch (q.output) {
        case BuildOutput::load: a.push_back("--load"); break;
        case BuildOutput::push: a.push_back("--push"); break;
        case BuildOutput::local: a.insert(a.end(), {"--output", "type=local,dest=" + q.local_dest}); break;
        case BuildOutput::cache_only: a.insert(a.end(), {"--output", "type=cacheonly"}); break;
    }
    if (!q.metadata_file.empty()) a.insert(a.end(), {"--metadata-file", q.metadata_file});
    for (auto& t : q.tags) a.insert(a.end(), {"--tag", t});
    for (auto& [k, v] : q.build_args) a.insert(a.end(), {"--build-arg", k + "=" + v});
    for (auto& [k, v] : q.labels) a.insert(a.end(), {"--label", k + "=" + v});
    a.push_back("-");
    return a;
}

std::vector<std::string> run(const RunRequest& q) {
    std::vector<std::string> a = {"run", "--rm", "--network=none"};
    if (!q.entrypoint.empty()) a.insert(a.end(), {"--entrypoint", q.entrypoint});
    if (!q.cpuset.empty()) a.push_back("--cpuset-cpus=" + q.cpuset);
    if (q.cpus) a.push_back(fmt::format("--cpus={}", *q.cpus));
    for (auto& e : q.env) a.insert(a.end(), {"-e", e});
    for (auto& m : q.mounts) a.push_back("--mount=" + m);
    if (!q.workdir.empty()) a.insert(a.end(), {"--workdir", q.workdir});
    a.push_back(q.image);
    a.insert(a.end(), q.command.begin(), q.command.end());
    return a;
}

std::vector<std::string> push(const std::string& ref) { return {"push", ref}; }

std::vector<std::string> inspect_remote(const std::string& ref) {
    return {"buildx", "imagetools", "inspect", "--format", "{{json .}}", ref};
}

std::vector<std::string> tag_remote(const std::string& source, const std::string& ref) {
    return {"buildx", "imagetools", "create", "--tag", ref, source};
}

std::vector<std::string> create_index(const std::string& ref, const std::vector<std::string>& descriptor_files) {
    std::vector<std::string> a = {"buildx", "imagetools", "create", "--tag", ref};
    for (auto& f : descriptor_files) a.insert(a.end(), {"--file", f});
    return a;
}

std::vector<std::string> inspect_builder(const std::string& builder) {
    std::vector<std::string> a = {"buildx", "inspect"};
    if (!builder.empty()) a.push_back(builder);
    return a;
}

}  // namespace docker_argv

std::optional<BuilderDriver> driver_from_buildx_inspect(const std::string& text) {
    static const std::regex line(R"((^|\n)Driver:[ \t]*([A-Za-z0-9_-]+))");
    std::smatch m;
    if (!std::regex_search(text, m, line)) return std::nullopt;
    return parse_builder_driver(m[2].str());
}

DockerDriver::DockerDriver(std::string builder, std::string context)
    : builder_(std::move(builder)), context_(std::move(context)) {
    const char* env = std::getenv("PYMATRIX_DOCKER");
    docker_ = resolve_program(env && *env ? env : "docker");
}

std::unique_ptr<DockerDriver> DockerDriver::for_node(const std::string& name) {
    DockerDriver probe;
    if (!name.empty() && run_command(probe.with_docker({"context", "inspect", name})).exit_code == 0)
        return std::make_unique<DockerDriver>("", name);
    return std::make_unique<DockerDriver>(name);
}

std::string DockerDriver::node_name() const {
    if (!context_.empty()) return context_;
    return builder_.empty() ? "default" : builder_;
}

BuilderDriver DockerDriver::driver() const {
    std::lock_guard<std::mutex> lock(driver_mu_);
    if (driver_) return *driver_;
    auto r = run_command(with_docker(docker_argv::inspect_builder(builder_)));
    if (r.exit_code != 0)
        throw EnvironmentError(fmt::format("buildx builder '{}' cannot be asked ({}); `docker buildx ls` lists the builders",
                                           node_name(), reason(r)));
    driver_ = driver_from_buildx_inspect(r.out);
    if (!driver_) {  // no daemon: buildx prints an empty Driver and an "Error:" line, with exit 0
        static const std::regex error_line(R"((^|\n)Error:[ \t]*([^\n]*))");
        std::smatch m;
        std::string why = std::regex_search(r.out, m, error_line) ? m[2].str() : util::first_line(r.out);
        throw EnvironmentError(fmt::format("buildx builder '{}' names no driver pymatrix knows: {}", node_name(), why));
    }
    return *driver_;
}

std::vector<std::string> DockerDriver::with_docker(std::vector<std::string> args) const {
    if (!context_.empty()) args.insert(args.begin(), {"--context", context_});
    args.insert(args.begin(), docker_);
    return args;
}

void DockerDriver::require_ready() const {
    // both questions at once: each is a docker CLI start (the buildx one two), which is most of a
    // cached re-run's time on a busy machine
    auto buildx = std::async(std::launch::async, [&] { return run_command(with_docker({"buildx", "version"})); });
    auto v = run_command(with_docker({"version", "--format", "{{.Server.Version}}"}));
    auto b = buildx.get();
    if (v.exit_code != 0)
        throw EnvironmentError(fmt::format("no Docker daemon answers ({}); start one with scripts/setup-engine.sh",
                                           util::first_line(v.err.empty() ? v.out : v.err)));
    if (b.exit_code != 0)
        throw EnvironmentError(fmt::format("docker buildx is not installed ({}); install it with scripts/setup-engine.sh",
                                           util::first_line(b.err.empty() ? b.out : b.err)));
    if (driver() == BuilderDriver::docker) return;
    // a BuildKit container, pod or remote daemon: started (or reached) now, so that a builder that
    // cannot run fails here with its own reason, not as a base image that "cannot be pulled"
    auto boot = run_command(with_docker({"buildx", "inspect", "--bootstrap", builder_}));
    if (boot.exit_code != 0)
        throw EnvironmentError(fmt::format("buildx builder '{}' ({} driver) does not start: {}", node_name(),
                                           to_string(*driver_), util::last_line(boot.err.empty() ? boot.out : boot.err)));
}

void DockerDriver::assume_driver(BuilderDriver driver) const {
    std::lock_guard<std::mutex> lock(driver_mu_);
    driver_ = driver;
}

std::vector<std::string> DockerDriver::build_command_line(const BuildRequest& request) const {
    return with_docker(docker_argv::build(request, builder_));
}

int DockerDriver::build(const BuildRequest& request, const InputWriter& context, const LineSink& on_line) const {
    return stream_command(build_command_line(request), context, on_line);
}

std::optional<nlohmann::json> DockerDriver::inspect_local(const std::string& ref) const {
    // fast path: GET /images/{name}/json on the daemon's socket (what `docker image inspect` does
    // after its own start-up); any transport problem falls through to the CLI, which explains it
    // (the socket of this driver's context, resolved as the CLI does). Size: the unpacked layers on
    // both image stores, from the history where the store's Size is not that (image_store.hpp)
    if (auto sock = detail::engine_socket(context_); sock && !std::getenv("PYMATRIX_DOCKER")) {
        if (auto res = detail::api_get(*sock, "/images/" + detail::path_escape(ref) + "/json")) {
            if (res->status == 404) return std::nullopt;
            if (res->status == 200) {
                try {
                    auto doc = nlohmann::json::parse(res->body);
                    std::optional<nlohmann::json> history;
                    if (needs_history(doc))
                        if (auto h = detail::api_get(*sock, "/images/" + detail::path_escape(doc.value("Id", ref)) + "/history"))
                            if (h->status == 200) history = nlohmann::json::parse(h->body, nullptr, false);
                    return normalize_local_image(std::move(doc), history);
                } catch (const nlohmann::json::exception&) {
                }
            }
        }
    }
    auto r = run_command(with_docker({"image", "inspect", "--format", "{{json .}}", ref}), "", OnCancel::finish);
    if (r.exit_code != 0) {
        if (r.err.find("No such image") != std::string::npos || r.err.find("No such object") != std::string::npos)
            return std::nullopt;
        throw EnvironmentError(fmt::format("docker image inspect {} failed ({}); is the daemon running? "
                                           "(scripts/setup-engine.sh starts one)", ref, util::first_line(r.err)));
    }
    try {
        auto doc = nlohmann::json::parse(r.out);
        std::optional<nlohmann::json> history;
        if (needs_history(doc)) {
            auto h = run_command(with_docker({"image", "history", "--no-trunc", "--human=false", "--format", "{{.Size}}",
                                              doc.value("Id", ref)}), "", OnCancel::finish);
            if (h.exit_code == 0) history = history_from_cli(h.out);
        }
        return normalize_local_image(std::move(doc), history);
    } catch (const nlohmann::json::exception& e) {
        throw Error(fmt::format("docker image inspect {}: unreadable output: {}", ref, e.what()));
    }
}

std::vector<std::string> DockerDriver::images_labelled(const std::string& key, const std::string& value) const {
    auto r = run_command(with_docker({"images", "--no-trunc", "--format", "{{.ID}}", "--filter", "label=" + key + "=" + value}),
                         "", OnCancel::finish);
    std::vector<std::string> ids;
    if (r.exit_code != 0) return ids;
    for (std::size_t from = 0, nl; from < r.out.size(); from = nl + 1) {
        nl = r.out.find('\n', from);
        if (nl == std::string::npos) nl = r.out.size();
        if (nl > from) ids.push_back(r.out.substr(from, nl - from));
    }
    return ids;
}

std::optional<RegistryImage> DockerDriver::inspect_remote(const std::string& ref) const {
    auto r = run_command(with_docker(docker_argv::inspect_remote(ref)));
    if (r.exit_code != 0) {
        std::string why = reason(r);
        // only a 404 (MANIFEST_UNKNOWN / NAME_UNKNOWN: buildx says "REF: not found") means absent;
        // 401, 403, 429 and 5xx say nothing about what the registry holds
        const RegistryFault fault = classify_registry_fault(why);
        if (fault == RegistryFault::not_found) return std::nullopt;
        if (fault == RegistryFault::unreachable)
            throw EnvironmentError(fmt::format("registry {} does not answer for {}: {}", registry_host(ref), ref, why));
        throw EnvironmentError(fmt::format("registry {} did not say whether it holds {}: {}: {}", registry_host(ref), ref,
                                           describe(fault), why));
    }
    try {
        return registry_image_from_imagetools(ref, nlohmann::json::parse(r.out));
    } catch (const nlohmann::json::exception& e) {
        throw Error(fmt::format("docker buildx imagetools inspect {}: unreadable output: {}", ref, e.what()));
    }
}

namespace {
std::map<std::string, std::string> config_labels(const nlohmann::json& image) {
    std::map<std::string, std::string> out;
    if (image.is_object() && image.contains("config") && image["config"].is_object() &&
        image["config"].contains("Labels") && image["config"]["Labels"].is_object())
        for (auto& [k, v] : image["config"]["Labels"].items())
            if (v.is_string()) out[k] = v.get<std::string>();
    return out;
}
}  // namespace

RegistryImage registry_image_from_imagetools(const std::string& ref, const nlohmann::json& j) {
    RegistryImage out;
    out.reference = ref;
    const auto& manifest = j.at("manifest");
    out.digest = manifest.at("digest").get<std::string>();
    const auto& image = j.value("image", nlohmann::json::object());
    if (!manifest.contains("manifests")) {  // one image: .image is its config
        out.labels = config_labels(image);
        return out;
    }
    for (const auto& m : manifest.at("manifests")) {  // an index: .image maps "os/arch[/variant]" to configs
        const auto& p = m.value("platform", nlohmann::json::object());
        RegistryIndexEntry e;
        e.platform = p.value("os", "") + "/" + p.value("architecture", "");
        if (!p.value("variant", "").empty()) e.platform += "/" + p.value("variant", "");
        if (e.platform == "unknown/unknown") continue;  // a BuildKit attestation manifest
        e.digest = m.at("digest").get<std::string>();
        if (image.contains(e.platform)) e.labels = config_labels(image.at(e.platform));
        out.entries.push_back(std::move(e));
    }
    // One image behind an index (the containerd image store pushes a BuildKit image as an index
    // of it and its attestation): buildx prints .image as that image's config, not as a map, and
    // every target of its platform gets it, so it is that image, under the index's digest.
    if (out.entries.size() == 1) {
        out.labels = image.contains("config") ? config_labels(image) : std::move(out.entries.front().labels);
        out.entries.clear();
    }
    return out;
}

nlohmann::json index_entry_descriptor(const nlohmann::json& descriptor, const nlohmann::json& j) {
    const auto& manifest = j.at("manifest");
    if (!manifest.contains("manifests")) {  // an image manifest: its mediaType and size filled in
        nlohmann::json out = descriptor;
        if (manifest.contains("mediaType")) out["mediaType"] = manifest["mediaType"];
        if (manifest.contains("size")) out["size"] = manifest["size"];
        return out;
    }
    const auto& want = descriptor.at("platform");
    for (const auto& m : manifest.at("manifests")) {
        const auto& p = m.value("platform", nlohmann::json::object());
        if (p.value("os", "") != want.value("os", "") || p.value("architecture", "") != want.value("architecture", ""))
            continue;  // another platform, or an attestation (unknown/unknown)
        nlohmann::json out = descriptor;  // the platform as pymatrix says it, variant included
        out["digest"] = m.at("digest");
        if (m.contains("mediaType")) out["mediaType"] = m["mediaType"];
        if (m.contains("size")) out["size"] = m["size"];
        return out;
    }
    throw Error(fmt::format("the index {} has no {}/{} image", manifest.value("digest", "?"), want.value("os", ""),
                            want.value("architecture", "")));
}

std::vector<std::string> DockerDriver::run_command_line(const RunRequest& request) const {
    return with_docker(docker_argv::run(request));
}

std::vector<std::string> DockerDriver::push_command_line(const std::string& ref) const {
    return with_docker(docker_argv::push(ref));
}

CommandResult DockerDriver::run(const RunRequest& request) const { return run_command(run_command_line(request)); }

bool DockerDriver::tag(const std::string& image, const std::string& ref) const {
    return run_command(with_docker({"tag", image, ref}), "", OnCancel::finish).exit_code == 0;
}

void DockerDriver::remove_tags(const std::vector<std::string>& refs) const {
    for (auto& r : refs) run_command(with_docker({"image", "rm", r}), "", OnCancel::finish);
}

RegistryWrite DockerDriver::push(const std::string& ref) const {
    static const std::regex digest_line(R"(digest: (sha256:[0-9a-f]{64}))");
    auto r = run_command(push_command_line(ref));
    RegistryWrite w;
    std::string text = r.out + r.err;
    if (r.exit_code != 0) {
        w.message = util::last_line(r.err.empty() ? r.out : r.err);
        w.unreachable = unreachable(text);
        w.interrupted = cancel_requested();
        return w;
    }
    w.ok = true;  // pushed; a push that printed no digest leaves `digest` empty
    std::smatch m;
    if (std::regex_search(text, m, digest_line)) w.digest = m[1].str();
    return w;
}

RegistryWrite DockerDriver::tag_remote(const std::string& source, const std::string& ref) const {
    auto r = run_command(with_docker(docker_argv::tag_remote(source, ref)));
    RegistryWrite w;
    w.ok = r.exit_code == 0;
    if (!w.ok) {
        w.message = reason(r);
        w.unreachable = unreachable(r.out + r.err);
        w.interrupted = cancel_requested();
    }
    return w;
}

std::vector<std::string> DockerDriver::create_index_command_line(const std::string& ref,
                                                               const std::vector<std::string>& descriptor_files) const {
    return with_docker(docker_argv::create_index(ref, descriptor_files));
}

RegistryWrite DockerDriver::create_index(const std::string& ref, const std::vector<nlohmann::json>& descriptors) const {
    namespace fs = std::filesystem;
    // the descriptors go to files of a directory of this call's own, removed whatever happens
    std::string templ = (fs::temp_directory_path() / "pymatrix-index-XXXXXX").string();
    if (!mkdtemp(templ.data())) throw Error(fmt::format("cannot make a temporary directory in {}", fs::temp_directory_path().string()));
    struct RemoveDir {
        fs::path dir;
        ~RemoveDir() {
            std::error_code ec;
            fs::remove_all(dir, ec);
        }
    } cleanup{templ};
    std::vector<std::string> files, entry_digests;
    for (std::size_t i = 0; i < descriptors.size(); ++i) {
        // a digest the containerd image store pushed is an index of the image and its attestation:
        // its image manifest is the entry (buildx would merge the index and drop the variant)
        nlohmann::json descriptor = descriptors[i];
        const std::string source = repository_of(ref) + "@" + descriptor.value("digest", "");
        auto r = run_command(with_docker(docker_argv::inspect_remote(source)));
        if (r.exit_code == 0) {
            try {
                descriptor = index_entry_descriptor(descriptor, nlohmann::json::parse(r.out));
            } catch (const std::exception& e) {
                throw Error(fmt::format("docker buildx imagetools inspect {}: {}", source, e.what()));
            }
        }  // else: imagetools create names the digest it cannot get
        // (buildx, given descriptors of which some lack mediaType and size, looked for REPO:latest)
        files.push_back((cleanup.dir / fmt::format("descriptor-{}.json", i)).string());
        std::ofstream(files.back()) << descriptor.dump() << "\n";
        entry_digests.push_back(descriptor.value("digest", ""));
    }
    auto r = run_command(create_index_command_line(ref, files));
    RegistryWrite w;
    w.entry_digests = std::move(entry_digests);
    if (r.exit_code != 0) {
        w.message = reason(r);
        w.unreachable = unreachable(r.out + r.err);
        w.interrupted = cancel_requested();
        return w;
    }
    auto published = inspect_remote(ref);
    w.ok = published.has_value();
    if (published) w.digest = published->digest;
    else w.message = "the registry does not serve " + ref + " after imagetools create";
    return w;
}

int DockerDriver::host_cpus() const {
    auto r = run_command(with_docker({"info", "--format", "{{.NCPU}}"}));
    int ncpu = 0;
    if (r.exit_code != 0 || std::sscanf(r.out.c_str(), "%d", &ncpu) != 1 || ncpu <= 0) return 0;
    return ncpu;
}

}  // namespace pymatrix
