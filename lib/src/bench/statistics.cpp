// Medians, spread and the bootstrap interval of a ratio of medians (pymatrix/bench.hpp).
#include "pymatrix/bench.hpp"

#include <boost/math/statistics/univariate_statistics.hpp>

#include <algorithm>
#include <cmath>
#include <random>

namespace pymatrix::bench {

namespace {

// Quantile of sorted data with linear interpolation between order statistics (Hyndman & Fan
// type 7, the default of R and numpy).
double quantile_sorted(const std::vector<double>& sorted, double q) {
    double pos = q * static_cast<double>(sorted.size() - 1);
    auto lo = static_cast<std::size_t>(std::floor(pos));
    auto hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

double median_of(std::vector<double>& v) { return boost::math::statistics::median(v); }

}  // namespace

double Summary::spread_percent() const { return median == 0 ? 0 : 100.0 * mad / std::fabs(median); }

Summary summarise(std::vector<double> values) {
    if (values.empty()) throw Error("summarise: no values");
    Summary s;
    s.n = values.size();
    auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    s.min = *lo;
    s.max = *hi;
    s.median = median_of(values);
    // Not boost::math::statistics::median_absolute_deviation: in Boost 1.74 it returns the value
    // nearest the centre instead of its distance from it (|x| for |x - c|).
    for (auto& v : values) v = std::fabs(v - s.median);
    s.mad = median_of(values);
    return s;
}

RatioInterval bootstrap_ratio_of_medians(const std::vector<double>& sample, const std::vector<double>& baseline,
                                         double confidence, int resamples, std::uint64_t seed) {
    if (sample.empty() || baseline.empty()) throw Error("bootstrap: a group has no values");
    if (!(confidence > 0 && confidence < 1)) throw Error("bootstrap: confidence must be in (0, 1)");
    if (resamples < 1) throw Error("bootstrap: resamples must be positive");
    std::vector<double> a = sample, b = baseline;
    double base = median_of(b);
    if (base == 0) throw Error("bootstrap: the baseline median is 0, a ratio is undefined");
    RatioInterval r;
    r.confidence = confidence;
    r.ratio = median_of(a) / base;
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::size_t> pick_a(0, sample.size() - 1), pick_b(0, baseline.size() - 1);
    std::vector<double> ratios;
    ratios.reserve(static_cast<std::size_t>(resamples));
    std::vector<double> ra(sample.size()), rb(baseline.size());
    for (int i = 0; i < resamples; ++i) {
        for (auto& x : ra) x = sample[pick_a(rng)];
        for (auto& x : rb) x = baseline[pick_b(rng)];
        double mb = median_of(rb);
        if (mb == 0) continue;  // a resample of zeros has no ratio; skip it
        ratios.push_back(median_of(ra) / mb);
    }
    if (ratios.empty()) throw Error("bootstrap: every resample of the baseline has median 0");
    std::sort(ratios.begin(), ratios.end());
    r.low = quantile_sorted(ratios, (1 - confidence) / 2);
    r.high = quantile_sorted(ratios, (1 + confidence) / 2);
    return r;
}

std::string verdict(const RatioInterval& r, bool higher_is_better) {
    if (!r.significant()) return "no significant difference";
    bool higher = r.low > 1.0;
    return higher == higher_is_better ? "better" : "worse";
}

}  // namespace pymatrix::bench
