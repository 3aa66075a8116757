// pymatrix build FILE [--only NAME]... [--log-dir DIR] [--builder NAME]... [--jobs N] [--fail-fast]
//                [--progress MODE] [--metadata-file F] [--push [--repository R]]
#include "build_report.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "prepare.hpp"
#include "progress.hpp"
#include "signals.hpp"

#include "pymatrix/bases.hpp"
#include "pymatrix/build.hpp"
#include "pymatrix/docker_driver.hpp"
#include "pymatrix/level_index.hpp"
#include "pymatrix/registry.hpp"
#include "pymatrix/render.hpp"
#include "pymatrix/scheduler.hpp"
#include "pymatrix/tags.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <memory>
#include <fstream>
#include <iostream>
#include <algorithm>
#include <cstdlib>
#include <thread>

namespace po = boost::program_options;

namespace pymatrix::cli {
namespace {

/// --network, else [defaults].network, else $PYMATRIX_NETWORK, else "" (the builder's default);
/// a mode that is not BuildKit's is refused naming where it came from (exit 2).
std::string network_mode(const po::variables_map& vm, const MatrixFile& file) {
    if (vm.count("network")) {
        std::string mode = vm["network"].as<std::string>();
        if (auto p = network_problem(mode); !p.empty()) throw ConfigError({}, "--network", p);
        return mode;
    }
    if (!file.defaults.network.empty()) return file.defaults.network;
    const char* env = std::getenv("PYMATRIX_NETWORK");
    if (!env || !*env) return "";
    if (auto p = network_problem(env); !p.empty()) throw ConfigError({}, "PYMATRIX_NETWORK", p);
    return env;
}

/// `argv` as one shell command line, each argument quoted where it needs to be.
std::string shell_line(const std::vector<std::string>& argv) {
    std::vector<std::string> quoted;
    for (auto& a : argv) quoted.push_back(shell_quote(a));
    return fmt::format("{}", fmt::join(quoted, " "));
}

/// The reference `--index VALUE` names: VALUE itself when it has a repository ("host:5000/a/b:tag"),
/// else the tag VALUE in the builds' one repository. Throws ConfigError (--index) without --push,
/// for a VALUE that is no tag, or when the builds go to several repositories and VALUE names none.
std::string index_reference(const std::string& value, const std::vector<Build>& builds, bool push) {
    if (!push) throw ConfigError({}, "--index", "goes with --push: an index refers to manifests in a registry");
    if (value.find('/') != std::string::npos || value.find(':') != std::string::npos) {
        const std::string repo = repository_of(value);
        if (repo == value || value.find('@') != std::string::npos)
            throw ConfigError({}, "--index", fmt::format("'{}' names no tag (REPOSITORY:TAG, or a TAG)", value));
        if (auto why = repository_problem(repo); !why.empty()) throw ConfigError({}, "--index", why);
        if (!is_valid_tag(value.substr(repo.size() + 1)))
            throw ConfigError({}, "--index", fmt::format("'{}' is not a valid tag", value.substr(repo.size() + 1)));
        return value;
    }
    if (!is_valid_tag(value))
        throw ConfigError({}, "--index", fmt::format("'{}' is not a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})", value));
    std::vector<std::string> repos;
    for (auto& b : builds)
        if (std::find(repos.begin(), repos.end(), repository_of(b.tags.back())) == repos.end())
            repos.push_back(repository_of(b.tags.back()));
    if (repos.size() != 1)
        throw ConfigError({}, "--index", fmt::format("the builds go to {} repositories ({}): name the index's, "
                                                      "REPOSITORY:{}", repos.size(), fmt::join(repos, ", "), value));
    return repos.front() + ":" + value;
}

/// After a run whose every build is in the registry: publishes the level index (plan_level_index)
/// and returns what the metadata file records of it: {"reference", "digest", "entries": [{"build",
/// "level", "platform", "digest"[, "pushed_digest"]}]} (digest: the entry's manifest in the index;
/// pushed_digest: the build's pushed digest when that was an index holding it). Prints one line per entry. Throws Error (exit 3) when the
/// builds cannot make an index, EnvironmentError (exit 5) when the registry refuses it.
nlohmann::json publish_level_index(const Builder& builder, const std::string& ref, const std::vector<Build>& builds,
                                   const std::vector<BuildResult>& results) {
    const auto entries = plan_level_index(ref, builds, results);
    std::vector<nlohmann::json> descriptors;
    nlohmann::json doc = {{"reference", ref}, {"entries", nlohmann::json::array()}};
    for (auto& e : entries) {
        descriptors.push_back(index_descriptor(e));
        const std::string platform = "linux/amd64" + (e.variant.empty() ? "" : "/" + e.variant);
        doc["entries"].push_back({{"build", e.build}, {"level", e.level}, {"platform", platform}, {"digest", e.digest}});
    }
    const auto w = builder.create_index(ref, descriptors);
    if (!w.ok)
        throw EnvironmentError(fmt::format("index {}: the registry{} did not take it: {}", ref,
                                           w.unreachable ? " (unreachable)" : "", w.message));
    doc["digest"] = w.digest;
    for (std::size_t i = 0; i < w.entry_digests.size() && i < doc["entries"].size(); ++i)
        if (w.entry_digests[i] != doc["entries"][i]["digest"]) {  // the image inside the build's pushed index
            doc["entries"][i]["pushed_digest"] = doc["entries"][i]["digest"];
            doc["entries"][i]["digest"] = w.entry_digests[i];
        }
    std::cout << fmt::format("index {}@{}:\n", ref, w.digest);
    for (auto& e : doc["entries"])
        std::cout << fmt::format("  {:<18} {} ({})\n", e["platform"].get<std::string>(), e["build"].get<std::string>(),
                                 e["level"].get<std::string>());
    return doc;
}

/// `build --dry-run`: per shared stage and per build, the commands a run would start, shell-quoted.
/// Asks each node for its driver; a node that does not answer is taken as a docker driver, and said so.
void print_dry_run(const std::vector<std::unique_ptr<DockerDriver>>& nodes, const std::vector<Build>& builds,
                   const BuildOptions& options) {
    const auto& line = shell_line;
    std::cout << "# dry run: nothing is started. A build whose config hash the local store"
              << (options.push ? " or its registry" : "") << " holds is not built.\n";
    for (auto& n : nodes) {
        try {
            std::cout << fmt::format("# node {}: buildx driver {}\n", n->node_name(), to_string(n->driver()));
        } catch (const EnvironmentError& e) {
            n->assume_driver(BuilderDriver::docker);
            std::cout << fmt::format("# node {}: not asked ({}); the docker driver assumed\n", n->node_name(), e.what());
        }
    }
    if (nodes.size() > 1)
        std::cout << fmt::format("# {} nodes: each build runs on the first node free for it; shown for node {}, the same "
                                 "commands on the others with their own docker --context or --builder\n",
                                 nodes.size(), nodes.front()->node_name());
    const Builder& builder = *nodes.front();
    for (auto& base : distinct_base_images(builds))
        std::cout << fmt::format("# base image {}: asked once, before any build\n", base)
                  << line(builder.build_command_line(base_probe_request(options.pull))) << "  < context: FROM " << base << "\n";
    std::size_t k = 0;
    for (auto& g : shared_stages(builds)) {
        if (g.builds.size() < 2) continue;
        std::vector<std::string> names;
        for (auto i : g.builds) names.push_back(builds[i].name);
        std::cout << fmt::format("# shared stage {} build-deps+source ({}): {}\n", ++k, g.describe(), fmt::join(names, " "))
                  << line(builder.build_command_line(shared_stage_request(options))) << "  < context of "
                  << builds[g.builds.front()].name << "\n";
    }
    for (auto& b : builds) {
        std::cout << fmt::format("# {} (config hash {})\n", b.name, b.config_hash.substr(0, 12));
        auto commands = build_commands(builder, b, options);
        for (std::size_t i = 0; i < commands.size(); ++i)
            std::cout << line(commands[i])
                      << (i == 0   ? "  < context: Dockerfile + stage pymatrix-build-info, pymatrix/" + (b.python.is_packaged() ? std::string() : ", " + context_source_name(b))
                          : i == 1 ? std::string("  < the same context + stage pymatrix-labelled, isa-features, isa.json")
                                   : std::string())
                      << "\n";
    }
}

}  // namespace

int cmd_build(const Args& args) {
    const std::string usage =
        "pymatrix build FILE [--only NAME]... [--jobs N] [--fail-fast] [--progress auto|tty|plain|quiet]\n"
        "                    [--log-dir DIR] [--builder NAME]... [--network default|none|host] [--metadata-file F]\n"
        "                    [--pull] [--push [--index REF]] [--repository HOST[:PORT]/PATH] [--dry-run]";
    po::options_description desc("build options");
    desc.add_options()("help,h", "show this help")("only", po::value<std::vector<std::string>>(),
                                                    "build only this build name (repeatable)")(
        "log-dir", po::value<std::string>()->default_value(".pymatrix/logs"), "where each build's full log goes")(
        "builder", po::value<std::vector<std::string>>(),
        "build node (repeatable): a docker context (its engine) or a buildx builder; builds spread over them")(
        "network", po::value<std::string>(),
        "RUN steps' network: default|none|host (else [defaults].network, else $PYMATRIX_NETWORK, else the builder's)")(
        "dry-run", "print every docker/buildx command each build would run; run nothing")(
        "pull", "resolve every base image in its registry afresh (buildx build --pull), not from the builder's cache")(
        "metadata-file", po::value<std::string>(), "write per-build JSON (plan fields, status, id, size, stage times)")(
        "jobs,j", po::value<int>()->default_value(1), "builds run in parallel (make -j gets cores / N each)")(
        "fail-fast", "after the first failure: start no more builds, cancel the running ones")(
        "progress", po::value<std::string>()->default_value("auto"), "auto|tty|plain|quiet")(
        "push", "push every tag to its registry; a build whose config hash the registry holds is not built")(
        "repository", po::value<std::string>(), "image repository for every build, instead of [defaults].repository")(
        "index", po::value<std::string>(),
        "with --push: also publish REF (a tag, or REPOSITORY:TAG) as an image index with one entry per x86-64 level "
        "(linux/amd64, linux/amd64/v2, /v3, /v4), each variant from the level the image records");
    auto vm = parse_options(args, desc, "file", usage);
    if (vm.count("help")) {
        std::cout << usage << "\n" << desc;
        return exit_ok;
    }
    const std::string path = single_file(vm, usage);
    std::vector<std::string> only;
    if (vm.count("only")) only = vm["only"].as<std::vector<std::string>>();
    const int jobs_given = vm["jobs"].as<int>();  // int: "-1" must not wrap to 4294967295
    if (jobs_given < 1 || jobs_given > 1024) throw ConfigError({}, "--jobs", "must be between 1 and 1024");
    const unsigned jobs = static_cast<unsigned>(jobs_given);
    const bool tty = ::isatty(STDOUT_FILENO) == 1;
    const auto mode = parse_progress_mode(vm["progress"].as<std::string>(), tty);
    MatrixFile file;
    auto builds = prepare_builds(path, file, only);
    const bool push = vm.count("push") > 0;
    if (vm.count("repository")) override_repository(builds, vm["repository"].as<std::string>());
    const std::string network = network_mode(vm, file);
    const std::string index_ref = vm.count("index") ? index_reference(vm["index"].as<std::string>(), builds, push) : "";
    std::vector<std::string> node_names = vm.count("builder") ? vm["builder"].as<std::vector<std::string>>()
                                                              : std::vector<std::string>{""};
    for (std::size_t i = 0; i < node_names.size(); ++i)
        if (std::find(node_names.begin(), node_names.begin() + i, node_names[i]) != node_names.begin() + i)
            throw ConfigError({}, "--builder", fmt::format("'{}' is given twice", node_names[i]));
    std::vector<std::unique_ptr<DockerDriver>> drivers;
    for (auto& n : node_names) drivers.push_back(DockerDriver::for_node(n));
    if (vm.count("dry-run")) {
        BuildOptions dry;
        dry.network = network;
        dry.pull = vm.count("pull") > 0;
        dry.make_jobs = make_jobs_for(std::max(1u, std::thread::hardware_concurrency()),
                                      static_cast<unsigned>(std::min<std::size_t>(jobs, builds.size())));
        dry.push = push;
        print_dry_run(drivers, builds, dry);
        if (!index_ref.empty())
            std::cout << "# then, when every build is pushed, the level index (descriptor files from the labels):\n"
                      << shell_line(drivers.front()->create_index_command_line(index_ref, {"<descriptor of each build>.json"}))
                      << "\n";
        return exit_ok;
    }
    for (auto& d : drivers) d->require_ready();
    const bool pull = vm.count("pull") > 0;
    std::vector<BaseImageProblem> problems;  // every node must be able to get every base
    for (auto& d : drivers)
        if (problems.empty()) problems = check_base_images(*d, builds, pull);
    if (!problems.empty()) {
        std::vector<std::string> lines;  // one per base, where the file names it: a profile, or [defaults]
        for (const auto& p : problems) {
            const Build& user = *std::find_if(builds.begin(), builds.end(), [&](const Build& b) { return b.base_image == p.base_image; });
            auto set = user.settings.origin.find("base_image");
            const bool in_profile = !user.settings.base_image.empty() && set != user.settings.origin.end();
            SourcePosition at = in_profile ? set->second : file.defaults.base_image_where;
            if (at.file.empty()) at.file = file.path.string();
            lines.push_back(located_message(at, in_profile ? "profiles." + user.profile + ".base_image" : "defaults.base_image",
                                            p.message()));
        }
        throw EnvironmentError(fmt::format("{}", fmt::join(lines, "\n")));
    }

    ScheduleOptions options;
    options.jobs = jobs;
    options.fail_fast = vm.count("fail-fast") > 0;
    options.push = push;
    options.build.log_dir = vm["log-dir"].as<std::string>();
    options.build.network = network;
    options.build.pull = pull;
    Progress progress(mode, colour_enabled(mode, tty, std::getenv("NO_COLOR")), builds, options.build.log_dir,
                      std::cout, std::cerr, terminal_width());
    connect(progress, options);
    install_cancel_handlers([&](const std::string& m) { progress.note(m); });

    std::vector<BuildNode> nodes;
    for (std::size_t i = 0; i < drivers.size(); ++i)
        nodes.push_back({vm.count("builder") ? drivers[i]->node_name() : "", drivers[i].get()});
    options.on_node_lost = [&](const std::string& node, const std::string& why, const std::string& build) {
        progress.note(fmt::format("node {} stopped answering ({}); {} moves to another node", node, why, build));
    };
    auto run = run_builds(nodes, builds, options);
    clear_cancel_callback();
    progress.finish();
    const auto& results = run.results;
    std::cout << "\n";
    print_summary(builds, run);
    for (auto& r : results)
        if (!r.pushed.empty()) std::cout << fmt::format("pushed {}: {}\n", r.name, r.pushed);
    int code = exit_code_of(run);
    nlohmann::json index_doc;  // null: no index asked for, or not published
    if (!index_ref.empty() && code == exit_ok) {
        try {
            index_doc = publish_level_index(*drivers.front(), index_ref, builds, results);
        } catch (const Error& e) {
            std::cerr << "pymatrix: " << e.what() << "\n";
            code = e.exit_code();
        }
    } else if (!index_ref.empty()) {
        std::cerr << fmt::format("pymatrix: index {} not published: not every build is in the registry\n", index_ref);
    }
    if (vm.count("metadata-file")) {
        std::string path = vm["metadata-file"].as<std::string>();
        std::string tmp = path + ".tmp";
        {
            std::ofstream out(tmp, std::ios::trunc);
            auto doc = metadata_json(file, builds, results);
            if (!index_ref.empty()) doc["index"] = index_doc;
            out << doc.dump(2) << '\n';
            if (!out) throw Error("cannot write " + path, exit_internal);
        }
        std::filesystem::rename(tmp, path);
    }
    return code;
}

}  // namespace pymatrix::cli
