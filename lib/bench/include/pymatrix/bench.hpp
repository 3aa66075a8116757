// pymatrix/bench.hpp: measuring built interpreters side by side. The runner starts one container
// per run (interleaved A B C A B C, a warm-up run per image not counted, pinned with
// --cpuset-cpus, --network=none, the workloads mounted read-only), the workload prints one JSON
// line of metrics (workloads/README.md), a harness adds the container's cgroup CPU time and peak
// memory; the statistics give each metric's median and spread and each image's ratio to the
// baseline with a bootstrap confidence interval; the report renders it as a table, JSON or a
// self-contained HTML page or a Markdown page with SVG files, both plotted by gnuplot.
// Throws ConfigError (exit 2) for bad options or unknown images, EnvironmentError (exit 5) when
// the engine, a matrix's image or gnuplot is missing, pymatrix::Error (exit 1) when a run fails.
#pragma once

#include "pymatrix/builder.hpp"
#include "pymatrix/plan.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pymatrix::bench {

// ---------------------------------------------------------------------------------------------
// Statistics (lib/src/bench/statistics.cpp)

/// Median and spread of one metric over the measured runs of one image.
struct Summary {
    std::size_t n = 0;     ///< number of runs
    double median = 0;     ///< middle value (mean of the two middle values when n is even)
    double min = 0;
    double max = 0;
    double mad = 0;        ///< median absolute deviation from the median (unscaled)
    /// Relative spread in percent: 100 * mad / |median| (0 when the median is 0). The "noise".
    double spread_percent() const;
};

/// Summarises `values` (Boost.Math median). Throws Error when
/// `values` is empty.
Summary summarise(std::vector<double> values);

/// A ratio of medians, sample / baseline, with its confidence interval.
struct RatioInterval {
    double ratio = 1;        ///< median(sample) / median(baseline)
    double low = 1;          ///< lower end of the interval
    double high = 1;         ///< upper end of the interval
    double confidence = 0.95;
    bool paired = false;     ///< true: from paired_bootstrap_ratio_of_medians (rounds resampled together)
    /// True when the interval excludes 1.0: only then is there a difference to report.
    bool significant() const { return low > 1.0 || high < 1.0; }
};

/// The bootstrap's defaults, shared by both variants and by the reports' description of them.
inline constexpr double bootstrap_confidence = 0.95;
inline constexpr int bootstrap_resamples = 10000;
inline constexpr std::uint64_t bootstrap_seed = 20261130;

/// Percentile bootstrap of the ratio of medians: `resamples` times, resample each group with
/// replacement (std::mt19937_64 seeded with `seed`, so the same data give the same interval),
/// take median(sample*) / median(baseline*), and return the (1-c)/2 and (1+c)/2 quantiles
/// (linear interpolation between order statistics) around the observed ratio. With few runs
/// (n < 5 per group) the interval is wide or degenerate: that is the data speaking.
/// Throws Error when a group is empty or the baseline median is 0.
RatioInterval bootstrap_ratio_of_medians(const std::vector<double>& sample, const std::vector<double>& baseline,
                                         double confidence = bootstrap_confidence, int resamples = bootstrap_resamples,
                                         std::uint64_t seed = bootstrap_seed);

/// Paired (block) percentile bootstrap of the ratio of medians, for interleaved runs:
/// sample[i] and baseline[i] were measured in the same round i, so drift of the machine between
/// rounds moves both alike. Each resample draws n round indices with replacement and uses the
/// same indices for both groups (the paired bootstrap of Efron & Tibshirani, "An Introduction to
/// the Bootstrap", ch. 9/14), keeping each round's pair together: drift shared by a pair cancels
/// in the ratio instead of widening the interval. Same statistic, quantiles, seed and defaults as
/// bootstrap_ratio_of_medians(); RatioInterval::paired is set. Throws Error when the groups are
/// empty or of different lengths, or the baseline median is 0.
RatioInterval paired_bootstrap_ratio_of_medians(const std::vector<double>& sample, const std::vector<double>& baseline,
                                                double confidence = bootstrap_confidence,
                                                int resamples = bootstrap_resamples,
                                                std::uint64_t seed = bootstrap_seed);

/// One sentence naming how the interval was computed (for the reports): paired or not, 95%,
/// 10000 resamples, the fixed seed.
std::string interval_method(bool paired);

/// The verdict for a ratio: "no significant difference" when the interval contains 1.0, else
/// "better" or "worse" according to whether higher values are better for the metric.
std::string verdict(const RatioInterval& r, bool higher_is_better);

// ---------------------------------------------------------------------------------------------
// The workload protocol (lib/src/bench/protocol.cpp; documented in workloads/README.md)

/// One measured value.
struct Metric {
    double value = 0;
    std::string unit;              ///< e.g. "tasks/s", "ms", "bytes", "s"; "" when not given
    bool higher_is_better = false; ///< "better": "higher"; default lower (times, sizes)
};

/// What one container run printed: the workload's metrics line and the harness's cgroup line.
struct RunOutput {
    std::map<std::string, Metric> metrics;  ///< the workload's metrics
    std::vector<std::string> order;          ///< metric names in the order the workload printed them
    nlohmann::json info = nlohmann::json::object();  ///< the workload's "info" object (pool_size, cpu_count, ...)
    int cgroup_version = 0;                  ///< 1 or 2; 0 when the harness found no cgroup counters
    std::optional<double> cpu_seconds;       ///< CPU time of the whole container, seconds
    std::optional<std::uint64_t> peak_memory_bytes;  ///< peak memory charge of the container, bytes
};

/// Parses a run's stdout: the last line that is a JSON object with a "metrics" object is the
/// workload's (each metric a number, or {"value": number, "unit": string, "better":
/// "higher"|"lower"}), the last {"pymatrix_cgroup": {...}} line is the harness's. Other lines
/// are ignored. Throws Error (exit 1) naming the problem when no metrics line is found or a
/// metric is malformed.
RunOutput parse_run_output(const std::string& stdout_text);

// ---------------------------------------------------------------------------------------------
// What is benched, and how

/// One image under test.
struct Subject {
    std::string name;                 ///< build name ("3.13-opt-v3") or the image reference as given
    std::string image;                ///< the reference docker runs (a config-hash tag for a build)
    std::string image_id;             ///< "sha256:..."
    std::uint64_t size_bytes = 0;     ///< image size, bytes (docker image inspect .Size)
    std::optional<double> build_seconds;  ///< wall time of its build, seconds (from --metadata-file)
    std::string python_version;       ///< io.pymatrix.python.version label, else what the image's
                                      ///< python3 says (python_version_in), "" if neither
    std::string profile;              ///< io.pymatrix.profile label, "" if unlabelled
};

/// The Python version the image's `python3` reports ("3.13.5", "3.15.0a2"), run as the bench
/// runs it (the image's entrypoint, then `python3 -c 'import platform; ...'`), for an image
/// without pymatrix's labels (python:3.13-slim, a distribution's package). "" when the image
/// has no python3, it fails, or its output is not one version. Throws EnvironmentError (exit 5)
/// only when the engine cannot be asked.
std::string python_version_in(const Builder& builder, const std::string& ref);

/// Looks up images given by reference, with their Python version (label, else
/// python_version_in). Throws ConfigError (exit 2) naming an image that is not in the local
/// store; EnvironmentError (exit 5) when the daemon cannot be asked.
std::vector<Subject> subjects_from_images(const Builder& builder, const std::vector<std::string>& refs);

/// Looks up a matrix's builds by their config-hash tag (the last of Build::tags) in the local
/// store. Throws EnvironmentError (exit 5) naming the builds not built yet and the command that
/// builds them (`pymatrix build FILE --only NAME...`).
std::vector<Subject> subjects_from_builds(const Builder& builder, const std::vector<Build>& builds,
                                          const std::string& matrix_path);

/// Sets Subject::build_seconds from a `pymatrix build --metadata-file` document: a build whose
/// image id or tags match and whose status is "built" gets its duration_seconds ("cached"
/// builds took no build time and stay unknown). Returns how many subjects got a build time from
/// `doc` (0: nothing in it matched). Throws ConfigError when `doc` lacks "builds".
std::size_t apply_build_metadata(std::vector<Subject>& subjects, const nlohmann::json& doc);

/// Options of a bench run.
struct Options {
    std::string workload = "worker-pool";  ///< a bundled workload (bundled_workloads()); ignored with `command`
    std::string command;                   ///< a user's shell command instead, run in /bench (see `mount`)
    std::filesystem::path mount;           ///< host directory mounted read-only at /bench (with `command`)
    int repeat = 5;                        ///< measured runs per image (plus one warm-up)
    double duration = 10;                  ///< seconds of work per run (passed to the workload)
    std::optional<double> cpus;            ///< docker run --cpus (a CPU quota)
    std::string cpuset;                    ///< docker run --cpuset-cpus, e.g. "1" or "0-1"
    std::vector<std::string> env;          ///< KEY=VALUE passed with docker run -e
    std::string baseline;                  ///< Subject::name or image of the baseline ("" = the first)
};

/// The bundled workloads: {"worker-pool", "kernels"}.
const std::vector<std::string>& bundled_workloads();

/// Checks options before anything runs: 3 <= repeat <= 1000, duration > 0, cpus > 0, a known workload,
/// a cpuset list of CPU numbers and ranges ("1", "0-1", "0,2"). Throws ConfigError naming the flag.
void validate(const Options& options);

/// The default --cpuset-cpus: the highest-numbered CPU this process may run on, as a string.
std::string default_cpuset();

/// Number of CPUs a cpuset list names ("0-1,3" -> 3). Throws ConfigError (--cpuset) when malformed.
int cpuset_size(const std::string& cpuset);

/// The highest CPU number a cpuset list names ("0-1,3" -> 3). Throws ConfigError (--cpuset) when
/// malformed.
int cpuset_highest(const std::string& cpuset);

/// Refuses, before any run, a cpuset naming a CPU the engine's host does not have: CPUs are
/// numbered 0 to NCPU - 1, NCPU from `docker info` (docker itself would refuse only when the
/// first container starts: "Requested CPUs are not available", exit 125). Throws ConfigError
/// (--cpuset, exit 2) naming the host's CPUs; does nothing when `docker info` gives no count.
void require_cpuset_on_engine(const Builder& builder, const std::string& cpuset);

/// One run of `subject` as the builder runs it: no network, --cpuset-cpus, --cpus?, env
/// PYMATRIX_BENCH_DURATION=S and the --env list, WORKLOADS mounted read-only at
/// /pymatrix-workloads [and MOUNT at /bench, the working directory], command
/// `sh /pymatrix-workloads/harness.sh COMMAND...`. Throws nothing.
RunRequest run_request(const Options& options, const Subject& subject, const std::filesystem::path& workloads_dir);

/// The `docker` arguments (after "docker") of run_request(): run --rm --network=none
/// --cpuset-cpus --cpus? -e PYMATRIX_BENCH_DURATION=S -e ... --mount=WORKLOADS...
/// [--mount=MOUNT... --workdir /bench] IMAGE sh /pymatrix-workloads/harness.sh COMMAND...
/// (docker_argv::run of pymatrix/docker_driver.hpp).
std::vector<std::string> docker_run_args(const Options& options, const Subject& subject,
                                         const std::filesystem::path& workloads_dir);

/// One container run.
struct Run {
    std::string subject;          ///< Subject::name
    int round = 0;                ///< 0 = warm-up, 1..repeat = measured
    double wall_seconds = 0;      ///< docker run, start to exit, seconds
    RunOutput output;
};

/// Statistics of one metric of one image.
struct MetricResult {
    std::string unit;
    bool higher_is_better = false;
    Summary summary;
    std::optional<RatioInterval> vs_baseline;  ///< absent for the baseline itself
    std::vector<double> values;                ///< per measured run, in round order
    std::vector<int> rounds;                   ///< Run::round of each of `values`
};

/// Everything measured about one image.
struct ImageResult {
    Subject subject;
    std::vector<Run> runs;                        ///< measured runs (warm-up excluded)
    std::map<std::string, MetricResult> metrics;  ///< workload metrics + cpu_seconds + peak_memory_bytes
    std::vector<std::string> warnings;            ///< e.g. the pool-size pitfall
};

/// A whole bench.
struct Result {
    Options options;
    std::string workload_label;        ///< "worker-pool", or the command
    std::string cpuset;                ///< as used
    std::string baseline;              ///< Subject::name of the baseline
    std::vector<std::string> metric_order;  ///< metrics in the order the workload printed them, then cpu_seconds, peak_memory_bytes
    std::vector<ImageResult> images;   ///< in the order given
    std::vector<Run> warmups;          ///< the warm-up runs (not counted)
    std::string started;               ///< RFC 3339 UTC
    std::string host_cpu;              ///< "VENDOR MODEL" of this machine
};

/// Progress callback: one line per event ("run 3/12: 3.13-opt-v3 round 1 ...").
using Progress = std::function<void(const std::string&)>;

/// Runs the bench: writes the bundled workloads to a temporary directory (removed afterwards),
/// runs a warm-up then `repeat` interleaved rounds over all subjects, and returns the analysed
/// result. Throws ConfigError (exit 2) for bad options, a cpuset the engine's host lacks
/// (require_cpuset_on_engine) or an unknown baseline; Error with exit_build_failed (3) when a
/// run exits non-zero or prints no metrics (with the end of its output), exit_rejected (4) when
/// the in-image ISA guard refused to start; EnvironmentError when the engine vanishes.
Result run(const Builder& builder, const std::vector<Subject>& subjects, const Options& options,
           const Progress& progress = {});

/// Fills metrics (summaries and ratios against the baseline), metric_order and the warnings of
/// `result` from its runs; run() calls it. Pool-size pitfall: when the workload's info reports a
/// pool_size greater than the CPUs it may use (the --cpus quota rounded up, or the cpuset size),
/// a warning says so, with the fix (Python 3.13+ honours PYTHON_CPU_COUNT; older versions need
/// the pool size set by hand). Ratios to the baseline use the paired bootstrap when the image and
/// the baseline have the metric from the same rounds (the usual case: runs are interleaved),
/// else the unpaired one. Throws ConfigError when the baseline names no subject.
void analyse(Result& result);

// ---------------------------------------------------------------------------------------------
// Output (lib/src/bench/report_*.cpp)

/// The whole result as JSON: options, subjects, every run (warm-ups marked), per image and
/// metric the summary, the values and the ratio/interval/verdict against the baseline, warnings.
nlohmann::json to_json(const Result& result);

/// The inverse of to_json() for what analyse() needs: options, baseline, subjects and every
/// run (measured and warm-up); metrics and warnings are left empty for analyse() to recompute.
/// With `only` non-empty, keeps just the images whose name or image reference is in it (in the
/// document's order). `baseline` (a name or image reference; "" keeps the document's, or the first
/// image when that one was dropped) becomes Result::baseline. So `pymatrix bench --from
/// FILE.json` re-analyses saved runs against another baseline or renders another report without
/// running anything. Throws ConfigError (key "--from", "--only" or "--baseline") when `doc` is
/// not a `pymatrix bench --format json` document, a name in `only` matches no image, or the
/// baseline is none of the images kept (the message says whether --only left it out). Each run's
/// metrics keep the document's `metric_order` (the workload's order, headline first), so the
/// report and the table lead with the same metric as the run that wrote the document.
Result from_json(const nlohmann::json& doc, const std::vector<std::string>& only = {},
                 const std::string& baseline = "");

/// Console table rows (header first): IMAGE, METRIC, MEDIAN, SPREAD, VS BASELINE, VERDICT.
std::vector<std::vector<std::string>> table_rows(const Result& result);

/// One SVG plot per metric: a bar per image (the ratio of its median to the baseline's), the
/// bootstrap interval as an error bar, the baseline bar in its own colour and a line at 1.0.
/// Rendered by gnuplot (svg terminal); returns metric name -> SVG text (from "<svg").
/// Throws EnvironmentError (exit 5) when gnuplot is not installed, Error when it fails.
std::map<std::string, std::string> render_plots(const Result& result);

/// Writes a self-contained HTML report (inline CSS and SVG, no scripts, nothing fetched) to
/// `path` atomically (a temporary file renamed into place). Throws Error when it cannot be written,
/// EnvironmentError when gnuplot is missing.
void write_html_report(const Result& result, const std::filesystem::path& path);

/// Writes a Markdown report to `path` (GitHub-flavoured: a summary table of the first metric
/// against the baseline with each image's size and build time, then per metric a table and its
/// plot) and one gnuplot SVG per metric beside it, named "<stem of path>-<metric>.svg" and linked
/// by that relative name, so the page renders wherever the files are committed together (a
/// README section, a CI artifact). All files are written to temporaries first and renamed into
/// place together: nothing half-written. Returns the paths written, the SVGs first and `path`
/// last. Throws Error when a file cannot be written, EnvironmentError when gnuplot is missing.
std::vector<std::filesystem::path> write_markdown_report(const Result& result, const std::filesystem::path& path);

}  // namespace pymatrix::bench
