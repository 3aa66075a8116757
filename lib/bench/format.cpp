#include "format.hpp"

#include <fmt/format.h>

#include <cmath>

#include <fstream>

namespace pymatrix::bench {

std::string format_value(double v, const std::string& unit) {
    if (unit == "bytes") {
        if (v >= 1024.0 * 1024 * 1024) return fmt::format("{:.2f} GiB", v / (1024.0 * 1024 * 1024));
        if (v >= 1024.0 * 1024) return fmt::format("{:.1f} MiB", v / (1024.0 * 1024));
        if (v >= 1024.0) return fmt::format("{:.1f} KiB", v / 1024.0);
        return fmt::format("{:.0f} B", v);
    }
    const std::string u = unit.empty() ? "" : " " + unit;
    // 4 significant digits, but never an exponent for a count a person reads (10290 tasks/min)
    if (std::abs(v) >= 1e4 && std::abs(v) < 1e12) return fmt::format("{:.0f}{}", v, u);
    return fmt::format("{:.4g}{}", v, u);
}

std::string format_ratio(const RatioInterval& r) { return fmt::format("{:.3f}x [{:.3f}, {:.3f}]", r.ratio, r.low, r.high); }

std::string interval_note(const Result& result) {
    std::size_t paired = 0, unpaired = 0;
    for (auto& img : result.images)
        for (auto& [name, m] : img.metrics)
            if (m.vs_baseline) ++(m.vs_baseline->paired ? paired : unpaired);
    if (paired && unpaired)
        return interval_method(true) + " where an image and the baseline have the metric from the same rounds, "
               "else each image resampled on its own";
    return interval_method(unpaired == 0);
}

void write_files_atomically(const std::vector<std::pair<std::filesystem::path, std::string>>& files) {
    namespace fs = std::filesystem;
    std::vector<fs::path> temporaries;
    auto discard = [&] {
        std::error_code ec;
        for (auto& t : temporaries) fs::remove(t, ec);
    };
    for (auto& [path, content] : files) {
        std::error_code ec;
        if (fs::exists(path, ec) && !fs::is_regular_file(path, ec))
            throw Error(fmt::format("cannot write {}: it exists and is not a regular file", path.string()));
    }
    for (auto& [path, content] : files) {
        auto tmp = path;
        tmp += ".tmp";
        temporaries.push_back(tmp);
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << content;
        out.close();
        if (!out) {
            discard();
            throw Error(fmt::format("cannot write {}", tmp.string()));
        }
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
        std::error_code ec;
        fs::rename(temporaries[i], files[i].first, ec);
        if (ec) {
            discard();
            for (std::size_t j = 0; j < i; ++j) fs::remove(files[j].first, ec);  // the set stands or falls whole
            throw Error(fmt::format("cannot write {}: {}", files[i].first.string(), ec.message()));
        }
    }
}

}  // namespace pymatrix::bench
