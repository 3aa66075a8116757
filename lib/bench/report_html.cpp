// The self-contained HTML report: inline CSS, gnuplot SVGs inlined, no scripts, nothing fetched.
#include "format.hpp"

#include <fmt/format.h>

namespace pymatrix::bench {

namespace {

std::string esc(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

const char* kStyle = R"(body{font-family:sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}
.warn{background:#fff4e0;border-left:4px solid #e69500;padding:.6em 1em;margin:.6em 0}
.better{color:#1f7a3a;font-weight:bold}.worse{color:#b23a23;font-weight:bold}.nsd{color:#555}
figure{margin:1.5em 0;max-width:100%}figure svg{max-width:100%;height:auto}figcaption{font-size:.9em;color:#555}code{background:#f4f4f4;padding:0 .2em})";

}  // namespace

void write_html_report(const Result& res, const std::filesystem::path& path) {
    auto plots = render_plots(res);
    const auto& o = res.options;
    std::string h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    h += "<title>pymatrix bench: " + esc(res.workload_label) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
    h += "<h1>pymatrix bench: " + esc(res.workload_label) + "</h1>\n";
    h += fmt::format(
        "<p>{} images, {} measured runs each after one warm-up, interleaved; {} s of work per run; "
        "<code>--cpuset-cpus {}</code>{}; network off. Host CPU: {}. Started {}.</p>\n",
        res.images.size(), o.repeat, o.duration, esc(res.cpuset),
        o.cpus ? fmt::format(", <code>--cpus {}</code>", *o.cpus) : "", esc(res.host_cpu), esc(res.started));
    h += "<p>Centre: median; spread: median absolute deviation in % of the median; interval: " +
         esc(interval_note(res)) + ". An interval containing 1.0 is <span class=\"nsd\">no significant difference</span>.</p>\n";
    for (auto& img : res.images)
        for (auto& w : img.warnings) h += "<div class=\"warn\">" + esc(w) + "</div>\n";

    h += "<h2>Images</h2>\n<table>\n<tr><th>name</th><th>image</th><th>python</th><th>profile</th><th>size</th>"
         "<th>build time</th></tr>\n";
    for (auto& img : res.images) {
        const auto& s = img.subject;
        h += fmt::format("<tr><td>{}{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"num\">{}</td>"
                         "<td class=\"num\">{}</td></tr>\n",
                         esc(s.name), s.name == res.baseline ? " <b>(baseline)</b>" : "", esc(s.image),
                         esc(s.python_version), esc(s.profile), format_value(static_cast<double>(s.size_bytes), "bytes"),
                         s.build_seconds ? fmt::format("{:.0f} s", *s.build_seconds) : "unknown");
    }
    h += "</table>\n<h2>Results</h2>\n";
    for (auto& metric : res.metric_order) {
        h += "<h3 id=\"" + esc(metric) + "\">" + esc(metric) + "</h3>\n<table>\n<tr><th>image</th><th>median</th>"
             "<th>spread</th><th>min</th><th>max</th><th>runs</th><th>vs baseline (95% CI)</th><th>verdict</th></tr>\n";
        for (auto& img : res.images) {
            auto it = img.metrics.find(metric);
            if (it == img.metrics.end()) continue;
            const auto& m = it->second;
            bool base = img.subject.name == res.baseline;
            std::string v = base ? "" : m.vs_baseline ? verdict(*m.vs_baseline, m.higher_is_better) : "";
            std::string cls = v == "better" ? "better" : v == "worse" ? "worse" : "nsd";
            h += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">±{:.1f}%</td><td class=\"num\">{}</td>"
                             "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                             "<td class=\"{}\">{}</td></tr>\n",
                             esc(img.subject.name), esc(format_value(m.summary.median, m.unit)),
                             m.summary.spread_percent(), esc(format_value(m.summary.min, m.unit)),
                             esc(format_value(m.summary.max, m.unit)), m.summary.n,
                             base ? "baseline" : m.vs_baseline ? format_ratio(*m.vs_baseline) : "-", cls, esc(v));
        }
        h += "</table>\n<figure class=\"plot\">\n" + plots[metric] + "\n<figcaption>" + esc(metric) +
             ": bars are the ratio of each image's median to the baseline's (grey); whiskers, the 95% interval; "
             "green/red: a significant difference, blue: none.</figcaption>\n</figure>\n";
    }
    h += "<p>Every run, with the workload's info: <code>pymatrix bench ... --format json</code>.</p>\n</body>\n</html>\n";

    write_files_atomically({{path, h}});
}

}  // namespace pymatrix::bench
