#include "format.hpp"

#include <fmt/format.h>

namespace pymatrix::bench {

std::string format_value(double v, const std::string& unit) {
    if (unit == "bytes") {
        if (v >= 1024.0 * 1024 * 1024) return fmt::format("{:.2f} GiB", v / (1024.0 * 1024 * 1024));
        if (v >= 1024.0 * 1024) return fmt::format("{:.1f} MiB", v / (1024.0 * 1024));
        if (v >= 1024.0) return fmt::format("{:.1f} KiB", v / 1024.0);
        return fmt::format("{:.0f} B", v);
    }
    return fmt::format("{:.4g}{}", v, unit.empty() ? "" : " " + unit);
}

std::string format_ratio(const RatioInterval& r) { return fmt::format("{:.3f}x [{:.3f}, {:.3f}]", r.ratio, r.low, r.high); }

}  // namespace pymatrix::bench
