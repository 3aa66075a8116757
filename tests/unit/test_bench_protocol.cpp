// lib/src/bench/{protocol,options,analyse}.cpp: the workload's JSON line, the harness's cgroup
// line, docker run arguments, the pool-size pitfall, and the Markdown report.
#include "pymatrix/bench.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace pymatrix;
using namespace pymatrix::bench;

namespace {
// What workloads/worker_pool.py and harness.sh printed in pymatrix/cpython:3.13.5-default.
const std::string kWorkerPoolOutput =
    "some noise the workload printed\n"
    R"({"metrics": {"tasks_per_second": {"value": 38.12, "unit": "tasks/s", "better": "higher"}, )"
    R"("tasks_per_minute": {"value": 2287.2, "unit": "tasks/min", "better": "higher"}, )"
    R"("mean_task_ms": {"value": 20.86, "unit": "ms", "better": "lower"}}, )"
    R"("info": {"workload": "worker-pool", "python": "3.13.5", "pool_size": 1, "cpu_count": 2, "affinity": 1}})"
    "\n"
    R"({"pymatrix_cgroup": {"version": 1, "peak_memory_bytes": 18493440, "cpu_ns": 1260443935, "exit_code": 0}})"
    "\n";

Run make_run(const std::string& subject, int round, double tps, long pool, const std::string& python) {
    Run r;
    r.subject = subject;
    r.round = round;
    r.output.metrics["tasks_per_second"] = Metric{tps, "tasks/s", true};
    r.output.order = {"tasks_per_second"};
    r.output.cpu_seconds = 2.0;
    r.output.peak_memory_bytes = 20u << 20;
    r.output.info = {{"pool_size", pool}, {"cpu_count", 2}, {"python", python}};
    return r;
}

Result two_images(long pool, const std::string& python_b, std::optional<double> cpus, const std::string& cpuset) {
    Result res;
    res.options.cpus = cpus;
    res.cpuset = cpuset;
    res.baseline = "a";
    res.images.push_back(ImageResult{Subject{"a", "img:a", "", 0, {}, "3.13.5", "default"}, {}, {}, {}});
    res.images.push_back(ImageResult{Subject{"b", "img:b", "", 0, {}, python_b, "opt"}, {}, {}, {}});
    double a[] = {100, 101, 99, 100, 102}, b[] = {150, 149, 151, 152, 148};
    for (int i = 0; i < 5; ++i) {
        res.images[0].runs.push_back(make_run("a", i + 1, a[i], pool, "3.13.5"));
        res.images[1].runs.push_back(make_run("b", i + 1, b[i], pool, python_b));
    }
    return res;
}
}  // namespace

TEST_CASE("the workload line and the cgroup line are parsed") {
    auto out = parse_run_output(kWorkerPoolOutput);
    REQUIRE(out.metrics.size() == 3);
    CHECK(out.order == std::vector<std::string>{"tasks_per_second", "tasks_per_minute", "mean_task_ms"});
    CHECK(out.metrics["tasks_per_second"].value == 38.12);
    CHECK(out.metrics["tasks_per_second"].unit == "tasks/s");
    CHECK(out.metrics["tasks_per_second"].higher_is_better);
    CHECK_FALSE(out.metrics["mean_task_ms"].higher_is_better);
    CHECK(out.info["pool_size"] == 1);
    CHECK(out.cgroup_version == 1);
    REQUIRE(out.cpu_seconds);
    CHECK(*out.cpu_seconds == doctest::Approx(1.260443935));
    CHECK(out.peak_memory_bytes == 18493440u);
}

TEST_CASE("a plain number is a lower-is-better metric; the last metrics line wins") {
    auto out = parse_run_output("{\"metrics\": {\"x\": 1}}\n{\"metrics\": {\"seconds\": 2.5}}\n");
    REQUIRE(out.metrics.size() == 1);
    CHECK(out.metrics["seconds"].value == 2.5);
    CHECK_FALSE(out.metrics["seconds"].higher_is_better);
    CHECK(out.cgroup_version == 0);
    CHECK_FALSE(out.cpu_seconds);
}

TEST_CASE("output without metrics or with a malformed metric is refused") {
    CHECK_THROWS_AS(parse_run_output("hello\n{\"other\": 1}\n"), Error);
    CHECK_THROWS_AS(parse_run_output("{\"metrics\": {}}\n"), Error);
    CHECK_THROWS_WITH_AS(parse_run_output("{\"metrics\": {\"t\": \"fast\"}}\n"), doctest::Contains("metric 't'"), Error);
    CHECK_THROWS_WITH_AS(parse_run_output("{\"metrics\": {\"t\": {\"value\": 1, \"better\": \"up\"}}}\n"),
                         doctest::Contains("better must be"), Error);
}

TEST_CASE("cpuset lists and options are checked") {
    CHECK(cpuset_size("1") == 1);
    CHECK(cpuset_size("0-1") == 2);
    CHECK(cpuset_size("0-1,3") == 3);
    CHECK(cpuset_size("0,0-1") == 2);
    CHECK_THROWS_AS(cpuset_size("a"), ConfigError);
    CHECK_THROWS_AS(cpuset_size("3-1"), ConfigError);
    CHECK_THROWS_AS(cpuset_size(""), ConfigError);
    Options o;
    CHECK_NOTHROW(validate(o));
    o.repeat = 2;
    CHECK_THROWS_WITH_AS(validate(o), doctest::Contains("--repeat"), ConfigError);
    o = Options{};
    o.workload = "nbody";
    CHECK_THROWS_WITH_AS(validate(o), doctest::Contains("unknown workload 'nbody'"), ConfigError);
    o = Options{};
    o.cpus = 0;
    CHECK_THROWS_WITH_AS(validate(o), doctest::Contains("--cpus"), ConfigError);
    o = Options{};
    o.env = {"NOEQUALS"};
    CHECK_THROWS_WITH_AS(validate(o), doctest::Contains("--env"), ConfigError);
}

TEST_CASE("docker run arguments: pinned, no network, workloads read-only") {
    Options o;
    o.duration = 2;
    o.cpuset = "1";
    o.cpus = 1.5;
    o.env = {"PYTHON_CPU_COUNT=1"};
    Subject s{"3.13-default", "pymatrix/cpython:3.13.5-default", "", 0, {}, "", ""};
    auto a = docker_run_args(o, s, "/tmp/w");
    auto has = [&](const std::string& x) { return std::find(a.begin(), a.end(), x) != a.end(); };
    CHECK(a[0] == "run");
    CHECK(has("--rm"));
    CHECK(has("--network=none"));
    CHECK(has("--cpuset-cpus=1"));
    CHECK(has("--cpus=1.5"));
    CHECK(has("PYTHON_CPU_COUNT=1"));
    CHECK(has("--mount=type=bind,source=/tmp/w,target=/pymatrix-workloads,readonly"));
    auto img = std::find(a.begin(), a.end(), s.image);
    REQUIRE(img != a.end());
    CHECK(std::vector<std::string>(img + 1, a.end()) ==
          std::vector<std::string>{"sh", "/pymatrix-workloads/harness.sh", "python3", "/pymatrix-workloads/worker_pool.py",
                                   "--duration", "2"});
    o.command = "python3 mine.py";
    o.mount = "/home/me/bench";
    a = docker_run_args(o, s, "/tmp/w");
    CHECK(has("--mount=type=bind,source=/home/me/bench,target=/bench,readonly"));
    CHECK(a.back() == "python3 mine.py");
}

TEST_CASE("analyse: medians, ratio with interval, resources as metrics") {
    auto res = two_images(1, "3.13.5", std::nullopt, "1");
    analyse(res);
    CHECK(res.metric_order == std::vector<std::string>{"tasks_per_second", "cpu_seconds", "peak_memory_bytes"});
    auto& a = res.images[0].metrics["tasks_per_second"];
    auto& b = res.images[1].metrics["tasks_per_second"];
    CHECK(a.summary.median == 100);
    CHECK_FALSE(a.vs_baseline);
    CHECK(b.summary.median == 150);
    REQUIRE(b.vs_baseline);
    CHECK(b.vs_baseline->ratio == 1.5);
    CHECK(verdict(*b.vs_baseline, b.higher_is_better) == "better");
    auto& cpu = res.images[1].metrics["cpu_seconds"];
    REQUIRE(cpu.vs_baseline);
    CHECK(verdict(*cpu.vs_baseline, false) == "no significant difference");  // identical CPU time
    CHECK(res.images[0].warnings.empty());
    auto j = to_json(res);
    CHECK(j["images"][1]["metrics"]["tasks_per_second"]["vs_baseline"]["verdict"] == "better");
    CHECK(j["images"][1]["runs"].size() == 5);
    CHECK(table_rows(res).size() == 1 + 3 * 2);
}

TEST_CASE("analyse: the pool-size pitfall under a CPU quota") {
    auto res = two_images(2, "3.11.2", 1.0, "0-1");
    analyse(res);
    REQUIRE(res.images[0].warnings.size() == 1);
    CHECK(res.images[0].warnings[0].find("pool of 2 workers (os.cpu_count() = 2)") != std::string::npos);
    CHECK(res.images[0].warnings[0].find("--cpus 1 (a CPU quota) allows 1") != std::string::npos);
    CHECK(res.images[0].warnings[0].find("PYTHON_CPU_COUNT=1") != std::string::npos);
    REQUIRE(res.images[1].warnings.size() == 1);
    CHECK(res.images[1].warnings[0].find("predates PYTHON_CPU_COUNT") != std::string::npos);
    CHECK(res.images[1].warnings[0].find("max_workers=1") != std::string::npos);
    // a pool that fits the CPUs: no warning
    auto fits = two_images(2, "3.11.2", 2.0, "0-1");
    analyse(fits);
    CHECK(fits.images[0].warnings.empty());
    // an unknown baseline is refused
    auto bad = two_images(1, "3.13.5", std::nullopt, "1");
    bad.baseline = "zzz";
    CHECK_THROWS_AS(analyse(bad), ConfigError);
}

TEST_CASE("build times come from a pymatrix build --metadata-file document") {
    std::vector<Subject> subjects = {Subject{"3.13-default", "pymatrix/cpython:3.13.5-default-6762f3235179", "sha256:aa", 0, {}, "", ""},
                                     Subject{"3.13-opt-v3", "pymatrix/cpython:3.13.5-opt-v3-cdc09e549fba", "sha256:bb", 0, {}, "", ""},
                                     Subject{"other", "img:other", "sha256:cc", 0, {}, "", ""}};
    auto doc = nlohmann::json::parse(R"({"builds": [
        {"name": "3.13-default", "status": "built", "duration_seconds": 206.5, "image_id": "sha256:aa",
         "tags": ["pymatrix/cpython:3.13.5-default", "pymatrix/cpython:3.13.5-default-6762f3235179"]},
        {"name": "3.13-opt-v3", "status": "cached", "duration_seconds": 0.2, "image_id": "sha256:bb",
         "tags": ["pymatrix/cpython:3.13.5-opt-v3-cdc09e549fba"]}]})");
    CHECK(apply_build_metadata(subjects, doc) == 1);  // one build time given
    REQUIRE(subjects[0].build_seconds);
    CHECK(*subjects[0].build_seconds == 206.5);
    CHECK_FALSE(subjects[1].build_seconds);  // cached: no build time of its own
    CHECK_FALSE(subjects[2].build_seconds);  // not in the document
    CHECK_THROWS_AS(apply_build_metadata(subjects, nlohmann::json::object()), ConfigError);
}

TEST_CASE("the Markdown report: summary table, per-metric tables, one gnuplot SVG per metric beside it") {
    namespace fs = std::filesystem;
    auto res = two_images(1, "3.13.5", std::nullopt, "1");
    analyse(res);
    fs::path dir = fs::temp_directory_path() / ("pymatrix-md-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto written = write_markdown_report(res, dir / "seed.md");
    REQUIRE(written.size() == 4);  // three metrics' plots, then the page
    CHECK(written.back() == dir / "seed.md");
    CHECK(written[0] == dir / "seed-tasks_per_second.svg");
    std::ifstream svg(written[0]);
    std::string first;
    std::getline(svg, first);
    CHECK(first.rfind("<svg", 0) == 0);
    std::ifstream in(dir / "seed.md");
    std::stringstream md;
    md << in.rdbuf();
    auto text = md.str();
    // a: 100 101 99 100 102 -> median 100, MAD 1 (1.0%); b: 150 149 151 152 148 -> 150, MAD 1 (0.7%)
    CHECK(text.find("| a (baseline) | 3.13.5 | default | 100 tasks/s ±1.0% | baseline | 0 B | unknown |") !=
          std::string::npos);
    // the interval is the paired bootstrap's with its fixed seed: the same runs give the same
    // interval. These rounds move a and b in opposite directions (101/149, 99/151, 102/148), so
    // pairing widens it: the unpaired bootstrap of the same values gives [1.465, 1.520].
    CHECK(text.find("| b | 3.13.5 | opt | 150 tasks/s ±0.7% | 1.500x [1.451, 1.525] **better** | 0 B | unknown |") !=
          std::string::npos);
    CHECK(text.find("interval: 95% paired percentile bootstrap of the ratio of medians (rounds resampled together") !=
          std::string::npos);
    CHECK(text.find("](seed-tasks_per_second.svg)") != std::string::npos);
    CHECK(text.find("](seed-peak_memory_bytes.svg)") != std::string::npos);
    CHECK(text.find("| b | 20.0 MiB | 0.0% | 20.0 MiB | 20.0 MiB | 5 | 1.000x [1.000, 1.000], no significant difference |") !=
          std::string::npos);

    // A plot that cannot be put in place: nothing of the set is left, not even a temporary.
    fs::path other = dir / "again";
    fs::create_directories(other / "again-cpu_seconds.svg");  // a directory where a plot goes
    CHECK_THROWS_AS(write_markdown_report(res, other / "again.md"), Error);
    std::size_t left = 0;
    for (auto& e : fs::directory_iterator(other)) left += e.path().filename() != "again-cpu_seconds.svg";
    CHECK(left == 0);
    fs::remove_all(dir);
}

TEST_CASE("--from: a saved result re-analysed against another baseline, part of it, without running") {
    auto res = two_images(1, "3.13.5", std::nullopt, "1");
    res.workload_label = "worker-pool";
    res.warmups.push_back(make_run("a", 0, 90, 1, "3.13.5"));
    analyse(res);
    const auto doc = to_json(res);

    auto same = from_json(doc);
    CHECK(same.baseline == "a");
    REQUIRE(same.images.size() == 2);
    CHECK(same.images[1].runs.size() == 5);
    CHECK(same.warmups.size() == 1);
    CHECK(same.images[0].metrics.empty());  // left for analyse()
    analyse(same);
    CHECK(to_json(same) == doc);  // the round trip loses nothing analyse() uses

    auto flipped = from_json(doc, {}, "img:b");  // by image reference
    analyse(flipped);
    CHECK(flipped.baseline == "b");
    REQUIRE(flipped.images[0].metrics["tasks_per_second"].vs_baseline);
    CHECK(flipped.images[0].metrics["tasks_per_second"].vs_baseline->ratio == doctest::Approx(100.0 / 150.0));
    CHECK(verdict(*flipped.images[0].metrics["tasks_per_second"].vs_baseline, true) == "worse");

    auto part = from_json(doc, {"b"});  // the document's baseline dropped: the first kept image
    CHECK(part.images.size() == 1);
    CHECK(part.baseline == "b");
    CHECK(part.warmups.empty());

    CHECK_THROWS_WITH_AS(from_json(doc, {"zzz"}), "--only: the document has no image named 'zzz'", ConfigError);
    CHECK_THROWS_WITH_AS(from_json(doc, {}, "zzz"), "--baseline: 'zzz' is none of the images in the document (images: a, b)",
                         ConfigError);
    CHECK_THROWS_WITH_AS(from_json(doc, {"b"}, "a"), "--baseline: 'a' is left out by --only; name it with --only too (kept: b)",
                         ConfigError);
    CHECK_THROWS_AS(from_json(nlohmann::json::object()), ConfigError);
    auto broken = doc;
    broken["images"][0]["runs"][0].erase("metrics");
    CHECK_THROWS_WITH_AS(from_json(broken), doctest::Contains("--from: not a `pymatrix bench --format json` document"),
                         ConfigError);
}

TEST_CASE("--from keeps the workload's metric order: the headline stays first, not the alphabet's first") {
    auto res = two_images(1, "3.13.5", std::nullopt, "1");
    for (auto& img : res.images)
        for (auto& r : img.runs) {  // worker-pool prints tasks_per_second before mean_task_ms
            r.output.metrics["mean_task_ms"] = Metric{1000.0 / r.output.metrics.at("tasks_per_second").value, "ms", false};
            r.output.order.push_back("mean_task_ms");
        }
    analyse(res);
    const std::vector<std::string> order = {"tasks_per_second", "mean_task_ms", "cpu_seconds", "peak_memory_bytes"};
    REQUIRE(res.metric_order == order);
    auto again = from_json(to_json(res));
    analyse(again);
    CHECK(again.metric_order == order);
    CHECK(table_rows(again)[1][1] == "tasks_per_second");
    CHECK(to_json(again) == to_json(res));
}

TEST_CASE("the console table prints a large median whole, not with an exponent") {
    auto res = two_images(1, "3.13.5", std::nullopt, "1");
    for (auto& img : res.images)
        for (auto& r : img.runs) {
            r.output.metrics["tasks_per_minute"] = Metric{r.output.metrics.at("tasks_per_second").value * 102.9, "tasks/min", true};
            r.output.order.push_back("tasks_per_minute");
        }
    analyse(res);
    auto rows = table_rows(res);
    bool seen = false;
    for (auto& row : rows)
        if (row[0] == "a" && row[1] == "tasks_per_minute") {
            CHECK(row[2] == "10290 tasks/min");  // median 100 tasks/s x 102.9
            seen = true;
        }
    CHECK(seen);
    CHECK(rows[1][2] == "100 tasks/s");  // below 10,000: 4 significant digits as before
}
