// One gnuplot SVG per metric: bars of the ratio to the baseline with their intervals.
#include "format.hpp"

#include <fmt/format.h>

#include <boost/process/search_path.hpp>

#include <algorithm>

namespace pymatrix::bench {

namespace {

// gnuplot string literal in double quotes: backslash and quote escaped, no newlines.
std::string gp_quote(std::string s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += (c == '\n' || c == '\r') ? ' ' : c;
    }
    return out + "\"";
}

// The SVG's width in px for `bars` bars: 150 px a bar, at least 640, and at most 1060, so the
// plot fits the HTML report's page (body max-width 1100 px) at any number of images; more bars
// get narrower ones (their names rotated past six), never a plot cut off behind a scrollbar.
int plot_width(int bars) { return std::clamp(150 * bars + 160, 640, 1060); }

std::string plot_script(const Result& res, const std::string& metric) {
    std::string unit;
    bool higher = false;
    double top = 1.0;
    std::string data;
    int x = 0;
    for (auto& img : res.images) {
        auto it = img.metrics.find(metric);
        if (it == img.metrics.end()) continue;
        const auto& m = it->second;
        unit = m.unit;
        higher = m.higher_is_better;
        bool base = img.subject.name == res.baseline;
        RatioInterval r;  // the baseline: 1.0 by definition
        if (!base && m.vs_baseline) r = *m.vs_baseline;
        else if (!base) continue;
        top = std::max(top, r.high);
        // gnuplot data columns: double-quoted strings may hold spaces, never a double quote
        std::string name = img.subject.name + (base ? " (baseline)" : "");
        std::replace(name.begin(), name.end(), '"', '\'');
        unsigned colour = base ? 0x9a9a9a : !r.significant() ? 0x6b8fc7 : (verdict(r, higher) == "better" ? 0x2e9e4f : 0xc8513a);
        data += fmt::format("{} \"{}\" {:.6f} {:.6f} {:.6f} {} \"{}\"\n", x++, name, r.ratio, r.low, r.high, colour,
                            fmt::format("{:.3f}x", r.ratio));
    }
    std::string title = fmt::format("{}{} ({} is better)", metric,
                                    unit.empty() ? "" : " [" + unit + "]", higher ? "higher" : "lower");
    return fmt::format(
        "set terminal svg size {},380 noenhanced font 'sans,11' background '#ffffff'\n"
        "set title {} font 'sans,13'\n"
        "set ylabel 'ratio of medians to the baseline'\n"
        "set style fill solid 0.85 border lc '#333333'\n"
        "set boxwidth 0.6\n"
        "set xrange [-0.6:{}]\n"
        "set yrange [0:{:.4f}]\n"
        "set grid ytics lc '#dddddd'\n"
        "set xtics nomirror scale 0{}\n"
        "set key off\n"
        "set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5 lc '#000000'\n"
        "$data << EOD\n{}EOD\n"
        "plot $data using 1:3:6:xtic(2) with boxes lc rgb variable, \\\n"
        "     $data using 1:3:4:5 with yerrorbars lc '#000000' lw 1.5 pt 0, \\\n"
        "     $data using 1:(column(5)):7 with labels offset 0,1.6 font 'sans,10'\n",
        plot_width(x), gp_quote(title), x - 0.4, top * 1.25,
        x > 6 ? " rotate by -25" : "", data);
}

}  // namespace

std::map<std::string, std::string> render_plots(const Result& res) {
    if (boost::process::search_path("gnuplot").empty())
        throw EnvironmentError("gnuplot was not found in PATH: install gnuplot-nox (scripts/setup-engine.sh)");
    std::map<std::string, std::string> out;
    for (auto& metric : res.metric_order) {
        auto script = plot_script(res, metric);
        auto r = run_command({"gnuplot"}, script);
        auto at = r.out.find("<svg");
        if (r.exit_code != 0 || at == std::string::npos)
            throw Error(fmt::format("gnuplot failed on the {} plot (exit {}): {}", metric, r.exit_code, r.err));
        out[metric] = r.out.substr(at);
    }
    return out;
}

}  // namespace pymatrix::bench
