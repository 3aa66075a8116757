// The Markdown report: GitHub-flavoured tables, one gnuplot SVG file per metric beside it.
#include "format.hpp"

#include <fmt/format.h>

#include <cctype>

namespace pymatrix::bench {

namespace {

// A table cell: '|' would end the cell, a newline the row.
std::string cell(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '|') out += "\\|";
        else if (c == '\n' || c == '\r') out += ' ';
        else out += c;
    }
    return out;
}

// "report" + "tasks_per_second" -> "report-tasks_per_second.svg"; other characters become '_'.
std::string plot_file_name(const std::filesystem::path& report, const std::string& metric) {
    std::string name = report.stem().string() + "-";
    for (char c : metric) name += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') ? c : '_';
    return name + ".svg";
}

std::string ratio_cell(const ImageResult& img, const MetricResult& m, const std::string& baseline) {
    if (img.subject.name == baseline) return "baseline";
    if (!m.vs_baseline) return "-";
    auto v = verdict(*m.vs_baseline, m.higher_is_better);
    return format_ratio(*m.vs_baseline) + (v == "better" || v == "worse" ? " **" + v + "**" : ", " + v);
}

}  // namespace

std::vector<std::filesystem::path> write_markdown_report(const Result& res, const std::filesystem::path& path) {
    auto plots = render_plots(res);
    const auto& o = res.options;
    std::string md = "# pymatrix bench: " + cell(res.workload_label) + "\n\n";
    md += fmt::format(
        "{} images, {} measured runs each after one warm-up, interleaved; {} s of work per run; "
        "`--cpuset-cpus {}`{}; network off. Host CPU: {}. Started {}.\n\n",
        res.images.size(), o.repeat, o.duration, res.cpuset, o.cpus ? fmt::format(", `--cpus {}`", *o.cpus) : "",
        cell(res.host_cpu), res.started);
    md += "Centre: median; ±: median absolute deviation in % of the median; interval: " + interval_note(res) +
          ". An interval containing 1.0 is no significant difference.\n\n";
    for (auto& img : res.images)
        for (auto& w : img.warnings) md += "> **warning**: " + cell(w) + "\n\n";

    // The summary: one row per image, the first metric (the workload's headline) against the baseline.
    const std::string& head = res.metric_order.empty() ? std::string() : res.metric_order.front();
    md += fmt::format("| image | python | profile | {} | vs baseline (95% CI) | size | build time |\n", cell(head));
    md += "|---|---|---|---:|---|---:|---:|\n";
    for (auto& img : res.images) {
        const auto& s = img.subject;
        auto it = img.metrics.find(head);
        std::string value = "-", ratio = "-";
        if (it != img.metrics.end()) {
            value = fmt::format("{} ±{:.1f}%", format_value(it->second.summary.median, it->second.unit),
                                it->second.summary.spread_percent());
            ratio = ratio_cell(img, it->second, res.baseline);
        }
        md += fmt::format("| {}{} | {} | {} | {} | {} | {} | {} |\n", cell(s.name),
                          s.name == res.baseline ? " (baseline)" : "", cell(s.python_version), cell(s.profile), value,
                          ratio, format_value(static_cast<double>(s.size_bytes), "bytes"),
                          s.build_seconds ? fmt::format("{:.0f} s", *s.build_seconds) : "unknown");
    }

    std::vector<std::pair<std::filesystem::path, std::string>> files;
    for (auto& metric : res.metric_order) {
        md += "\n## " + cell(metric) + "\n\n| image | median | ± | min | max | runs | vs baseline (95% CI) |\n";
        md += "|---|---:|---:|---:|---:|---:|---|\n";
        for (auto& img : res.images) {
            auto it = img.metrics.find(metric);
            if (it == img.metrics.end()) continue;
            const auto& m = it->second;
            md += fmt::format("| {} | {} | {:.1f}% | {} | {} | {} | {} |\n", cell(img.subject.name),
                              format_value(m.summary.median, m.unit), m.summary.spread_percent(),
                              format_value(m.summary.min, m.unit), format_value(m.summary.max, m.unit), m.summary.n,
                              ratio_cell(img, m, res.baseline));
        }
        auto svg = plot_file_name(path, metric);
        md += fmt::format("\n![{}: ratio of each image's median to the baseline's, with its 95% interval]({})\n",
                          cell(metric), svg);
        files.emplace_back(path.parent_path() / svg, plots[metric]);
    }
    md += "\nEvery run, with the workload's info: `pymatrix bench ... --format json`.\n";
    files.emplace_back(path, md);
    write_files_atomically(files);

    std::vector<std::filesystem::path> written;
    for (auto& f : files) written.push_back(f.first);
    return written;
}

}  // namespace pymatrix::bench
