// pymatrix bench FILE|IMAGE... [--only BUILD]... [--workload NAME | --command CMD] [--repeat N] [--duration S] [--cpus N]
//                [--cpuset LIST] [--env K=V]... [--baseline IMAGE|BUILD] [--metadata-file F]
//                [--format table|json] [--report FILE.html|FILE.md]
// pymatrix bench --from RESULT.json [--only NAME]... [--baseline NAME] [--format table|json] [--report F]
#include "commands.hpp"
#include "output.hpp"

#include "pymatrix/bench.hpp"
#include "pymatrix/docker_driver.hpp"
#include "pymatrix/plan.hpp"
#include "pymatrix/profile.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>

namespace po = boost::program_options;

namespace pymatrix::cli {

namespace {

bool is_matrix_file(const std::string& arg) {
    return arg.size() > 5 && arg.ends_with(".toml") && std::filesystem::is_regular_file(arg);
}

// --report FILE.html|FILE.md, checked before anything runs ("" when not given).
std::filesystem::path report_path(const po::variables_map& vm) {
    std::filesystem::path report;
    if (vm.count("report")) {
        report = vm["report"].as<std::string>();
        auto dir = std::filesystem::absolute(report).parent_path();
        if (!std::filesystem::is_directory(dir))
            throw ConfigError({}, "--report", fmt::format("directory '{}' does not exist", dir.string()));
        auto ext = report.extension().string();
        if (ext != ".html" && ext != ".htm" && ext != ".md")
            throw ConfigError({}, "--report", fmt::format("'{}': the name must end in .html or .md", report.string()));
    }
    return report;
}

// The table or JSON on stdout, the report file if asked.
void print_result(const bench::Result& result, const std::string& format, const std::filesystem::path& report) {
    const auto& o = result.options;
    if (!report.empty()) {
        if (report.extension() == ".md") bench::write_markdown_report(result, report);
        else bench::write_html_report(result, report);
    }
    if (format == "json") {
        std::cout << bench::to_json(result).dump(2) << '\n';
        for (auto& img : result.images)  // in the document too; stderr so that nobody misses them
            for (auto& w : img.warnings) std::cerr << "pymatrix: warning: " << w << '\n';
    } else {
        std::cout << fmt::format("workload: {}; {} runs per image after a warm-up, interleaved; {} s each; cpuset {}{}\n",
                                 result.workload_label, o.repeat, o.duration, result.cpuset,
                                 o.cpus ? fmt::format("; --cpus {}", *o.cpus) : "");
        std::vector<std::vector<std::string>> images = {{"IMAGE", "PYTHON", "PROFILE", "SIZE", "BUILD TIME"}};
        for (auto& img : result.images) {
            const auto& s = img.subject;
            images.push_back({s.name + (s.name == result.baseline ? " (baseline)" : ""), s.python_version, s.profile,
                              human_bytes(s.size_bytes), s.build_seconds ? human_seconds(*s.build_seconds) : "unknown"});
        }
        print_table(images);
        std::cout << '\n';
        print_table(bench::table_rows(result));
        for (auto& img : result.images)
            for (auto& w : img.warnings) std::cout << "\nwarning: " << w << '\n';
    }
    if (!report.empty()) std::cerr << "pymatrix: report written to " << report.string() << '\n';
}

// pymatrix bench --from FILE.json [--only NAME]... [--baseline X] [--format] [--report]: no run.
int bench_from(const po::variables_map& vm, const std::string& format) {
    const std::string why = "goes with a new run, not with --from (its runs are in the document)";
    if (vm.count("input")) throw ConfigError({}, "IMAGE", "an image or matrix file " + why);
    for (const char* flag : {"command", "mount", "cpus", "cpuset", "env", "metadata-file"})
        if (vm.count(flag)) throw ConfigError({}, std::string("--") + flag, why);
    for (const char* flag : {"workload", "repeat", "duration"})
        if (!vm[flag].defaulted())
            throw ConfigError({}, std::string("--") + flag, why);
    auto report = report_path(vm);
    const std::string path = vm["from"].as<std::string>();
    auto doc = read_json_file(path, "--from");
    std::vector<std::string> only;
    if (vm.count("only")) only = vm["only"].as<std::vector<std::string>>();
    auto result = bench::from_json(doc, only, vm.count("baseline") ? vm["baseline"].as<std::string>() : "");
    bench::analyse(result);
    print_result(result, format, report);
    return exit_ok;
}

}  // namespace

int cmd_bench(const Args& args) {
    const std::string usage =
        "pymatrix bench FILE|IMAGE... [--only BUILD]... [--workload NAME | --command CMD [--mount DIR]] [--repeat N] "
        "[--duration S] [--cpus N] [--cpuset LIST] [--env KEY=VALUE]... [--baseline IMAGE|BUILD] [--metadata-file F]... "
        "[--format table|json] [--report FILE.html|FILE.md]\n"
        "       pymatrix bench --from RESULT.json [--only NAME]... [--baseline NAME] [--format table|json] "
        "[--report FILE.html|FILE.md]";
    po::options_description desc("bench options");
    desc.add_options()("help,h", "show this help")(
        "workload", po::value<std::string>()->default_value("worker-pool"), "bundled workload: worker-pool or kernels")(
        "command", po::value<std::string>(), "your own command (sh -c, in /bench, the --mount directory); it prints one "
                                             "JSON line of metrics (workloads/README.md)")(
        "mount", po::value<std::string>(), "directory mounted read-only at /bench for --command (default: the current one)")(
        "repeat", po::value<int>()->default_value(5), "measured runs per image (3-1000), after one warm-up run")(
        "duration", po::value<double>()->default_value(10), "seconds of work per run")(
        "cpus", po::value<double>(), "docker run --cpus: a CPU quota")(
        "cpuset", po::value<std::string>(), "docker run --cpuset-cpus (default: this machine's last CPU)")(
        "env", po::value<std::vector<std::string>>(), "KEY=VALUE for the container (repeatable), e.g. PYTHON_CPU_COUNT=1")(
        "only", po::value<std::vector<std::string>>(), "bench only this build of a matrix FILE (repeatable)")(
        "baseline", po::value<std::string>(), "the image or build the others are compared with (default: the first)")(
        "metadata-file", po::value<std::vector<std::string>>(),
        "a `pymatrix build --metadata-file` document: build times (repeatable)")(
        "format", po::value<std::string>()->default_value("table"), "table or json")(
        "from", po::value<std::string>(),
        "re-analyse the runs of a `bench --format json` document (another --baseline, --only, report) "
        "instead of running")(
        "report", po::value<std::string>(),
        "write a report with plots: FILE.html (self-contained) or FILE.md (SVG files beside it)");
    auto vm = parse_options(args, desc, "input", usage);
    if (vm.count("help")) {
        std::cout << usage << "\nFILE: a matrix file (its built images); IMAGE: a local image\n" << desc;
        return exit_ok;
    }
    std::string format = vm["format"].as<std::string>();
    require_format(format, {"table", "json"});
    if (vm.count("from")) return bench_from(vm, format);
    if (!vm.count("input")) throw ConfigError({}, "IMAGE", "at least one image or matrix file is needed (usage: " + usage + ")");
    if (vm.count("command") && !vm["workload"].defaulted())
        throw ConfigError({}, "--command", "give --workload or --command, not both");
    if (vm.count("mount") && !vm.count("command")) throw ConfigError({}, "--mount", "--mount goes with --command");

    bench::Options o;
    o.workload = vm["workload"].as<std::string>();
    if (vm.count("command")) {
        o.command = vm["command"].as<std::string>();
        if (o.command.empty()) throw ConfigError({}, "--command", "is empty");
        o.mount = std::filesystem::absolute(vm.count("mount") ? vm["mount"].as<std::string>() : ".").lexically_normal();
    }
    o.repeat = vm["repeat"].as<int>();
    o.duration = vm["duration"].as<double>();
    if (vm.count("cpus")) o.cpus = vm["cpus"].as<double>();
    if (vm.count("cpuset")) o.cpuset = vm["cpuset"].as<std::string>();
    if (vm.count("env")) o.env = vm["env"].as<std::vector<std::string>>();
    if (vm.count("baseline")) o.baseline = vm["baseline"].as<std::string>();
    bench::validate(o);

    std::filesystem::path report = report_path(vm);
    std::vector<std::pair<std::string, nlohmann::json>> metadata;  // path, document
    if (vm.count("metadata-file")) {
        for (auto& path : vm["metadata-file"].as<std::vector<std::string>>())
            metadata.emplace_back(path, read_json_file(path, "--metadata-file"));
    }

    std::vector<std::string> only;
    if (vm.count("only")) only = vm["only"].as<std::vector<std::string>>();
    // every matrix FILE expanded first, so a misspelt --only is named before any image is looked up
    std::vector<std::vector<Build>> matrices;  // each matrix FILE's builds, in input order
    std::vector<std::string> build_names;
    for (auto& input : vm["input"].as<std::vector<std::string>>()) {
        if (!is_matrix_file(input)) continue;
        MatrixFile file = load_matrix_file(input);
        matrices.push_back(expand(file));
        for (auto& b : matrices.back()) build_names.push_back(b.name);
    }
    for (auto& name : only)
        if (std::find(build_names.begin(), build_names.end(), name) == build_names.end())
            throw ConfigError({}, "--only",
                              build_names.empty()
                                  ? fmt::format("'{}': --only picks builds of a matrix FILE, and none is given", name)
                                  : fmt::format("no build is named '{}' (builds: {})", name, fmt::join(build_names, ", ")));
    DockerDriver engine;
    std::vector<bench::Subject> subjects;
    std::size_t next_matrix = 0;
    for (auto& input : vm["input"].as<std::vector<std::string>>()) {
        std::vector<bench::Subject> more;
        if (is_matrix_file(input)) {
            auto& builds = matrices[next_matrix++];
            if (!only.empty())
                std::erase_if(builds, [&](const Build& b) { return std::find(only.begin(), only.end(), b.name) == only.end(); });
            more = bench::subjects_from_builds(engine, builds, input);
        } else {
            more = bench::subjects_from_images(engine, {input});
        }
        subjects.insert(subjects.end(), more.begin(), more.end());
    }
    for (std::size_t i = 0; i < subjects.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (subjects[i].name == subjects[j].name)
                throw ConfigError({}, "IMAGE", fmt::format("'{}' is given twice", subjects[i].name));
    for (auto& [path, doc] : metadata)
        if (bench::apply_build_metadata(subjects, doc) == 0)
            std::cerr << fmt::format("pymatrix: note: --metadata-file {}: no build in it with status \"built\" and "
                                     "duration_seconds matches a benched image (by image_id or tag): no build time "
                                     "from it\n", path);

    auto result = bench::run(engine, subjects, o, [](const std::string& line) { std::cerr << line << '\n'; });

    print_result(result, format, report);
    return exit_ok;
}

}  // namespace pymatrix::cli
