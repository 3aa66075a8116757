// The bench runner: warm-up, then interleaved rounds (A B C A B C ...), one container per run.
#include "pymatrix/bench.hpp"
#include "pymatrix/cpuinfo.hpp"
#include "pymatrix/labels.hpp"
#include "pymatrix/templates.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>


namespace pymatrix::bench {

namespace {

// The bundled workloads in a fresh temporary directory, removed when this goes out of scope.
class WorkloadDir {
public:
    WorkloadDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "pymatrix-bench-XXXXXX").string();
        if (!mkdtemp(tmpl.data())) throw Error("cannot create a temporary directory for the workloads: " + tmpl);
        path_ = tmpl;
        std::filesystem::permissions(path_, std::filesystem::perms(0755));
        write("harness.sh", embedded::workload_harness_sh);
        write("worker_pool.py", embedded::workload_worker_pool_py);
        write("kernels.py", embedded::workload_kernels_py);
    }
    ~WorkloadDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    WorkloadDir(const WorkloadDir&) = delete;
    WorkloadDir& operator=(const WorkloadDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    void write(const char* name, std::string_view text) {
        std::ofstream out(path_ / name, std::ios::binary);
        out << text;
        if (!out) throw Error(fmt::format("cannot write {}", (path_ / name).string()));
    }
    std::filesystem::path path_;
};

std::string tail_lines(const std::string& text, std::size_t n) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    std::string out;
    for (std::size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) out += "\n  " + lines[i];
    return out;
}

Run run_once(const Builder& builder, const Options& o, const Subject& s, const std::filesystem::path& dir, int round) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = builder.run(run_request(o, s, dir));
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // a failed run is a failed subject, as a failed build is (exit 3); the in-image guard's
    // refusal is the deployment gate's (exit 4)
    const std::string who = s.name == s.image ? s.name : fmt::format("{} ({})", s.name, s.image);
    if (r.exit_code != 0) {
        bool isa = r.err.find("refusing to start") != std::string::npos;
        throw Error(fmt::format("{}: the run exited with {}; its output ends:{}{}", who, r.exit_code,
                                tail_lines(r.out, 5), tail_lines(r.err, 15)),
                    isa ? exit_rejected : exit_build_failed);
    }
    Run run;
    run.subject = s.name;
    run.round = round;
    run.wall_seconds = wall;
    try {
        run.output = parse_run_output(r.out);
    } catch (const Error& e) {
        throw Error(fmt::format("{}: {}; its output ends:{}{}", who, e.what(), tail_lines(r.out, 5),
                                tail_lines(r.err, 5)),
                    exit_build_failed);
    }
    return run;
}

std::string headline(const Run& r) {
    auto it = r.output.metrics.begin();
    if (it == r.output.metrics.end()) return "";
    if (r.output.metrics.count("tasks_per_second")) it = r.output.metrics.find("tasks_per_second");
    return fmt::format("{}={:.4g}{}", it->first, it->second.value, it->second.unit.empty() ? "" : " " + it->second.unit);
}

}  // namespace

Result run(const Builder& builder, const std::vector<Subject>& subjects, const Options& options,
           const Progress& progress) {
    validate(options);
    if (subjects.empty()) throw ConfigError({}, "IMAGE", "nothing to bench: give at least one image or matrix file");
    Result result;
    result.options = options;
    result.cpuset = options.cpuset.empty() ? default_cpuset() : options.cpuset;
    result.options.cpuset = result.cpuset;
    require_cpuset_on_engine(builder, result.cpuset);
    result.workload_label = options.command.empty() ? options.workload : options.command;
    result.started = now_rfc3339();
    auto cpu = isa::host_cpu();
    result.host_cpu = cpu.model.empty() ? cpu.vendor : cpu.model;
    result.baseline = options.baseline.empty() ? subjects.front().name : options.baseline;
    for (auto& s : subjects) {
        if (result.baseline == s.image) result.baseline = s.name;
        result.images.push_back(ImageResult{s, {}, {}, {}});
    }
    bool known = false;
    for (auto& s : subjects) known |= s.name == result.baseline;
    if (!known) throw ConfigError({}, "--baseline", fmt::format("'{}' is none of the benched images", options.baseline));

    WorkloadDir dir;
    int total = static_cast<int>(subjects.size()) * (options.repeat + 1), done = 0;
    for (int round = 0; round <= options.repeat; ++round) {
        for (std::size_t i = 0; i < subjects.size(); ++i) {
            Run r = run_once(builder, result.options, subjects[i], dir.path(), round);
            ++done;
            if (progress)
                progress(fmt::format("[{}/{}] {} {}: {} ({:.1f} s)", done, total, subjects[i].name,
                                     round == 0 ? "warm-up" : fmt::format("round {}/{}", round, options.repeat),
                                     headline(r), r.wall_seconds));
            if (round == 0)
                result.warmups.push_back(std::move(r));
            else
                result.images[i].runs.push_back(std::move(r));
        }
    }
    analyse(result);
    return result;
}

}  // namespace pymatrix::bench
