// Medians, spread and the bootstrap interval of a ratio of medians (pymatrix/bench.hpp).
#include "pymatrix/bench.hpp"

#include <boost/math/statistics/univariate_statistics.hpp>
#include <fmt/format.h>

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

namespace {

// The percentile bootstrap shared by both variants: `draw(rng, ra, rb)` fills one resample of
// each group; the interval is the (1-c)/2 and (1+c)/2 quantiles of median(ra) / median(rb).
template <class Draw>
RatioInterval percentile_bootstrap(const std::vector<double>& sample, const std::vector<double>& baseline,
                                   double confidence, int resamples, std::uint64_t seed, Draw draw) {
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
    std::vector<double> ratios;
    ratios.reserve(static_cast<std::size_t>(resamples));
    std::vector<double> ra(sample.size()), rb(baseline.size());
    for (int i = 0; i < resamples; ++i) {
        draw(rng, ra, rb);
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

}  // namespace

RatioInterval bootstrap_ratio_of_medians(const std::vector<double>& sample, const std::vector<double>& baseline,
                                         double confidence, int resamples, std::uint64_t seed) {
    std::uniform_int_distribution<std::size_t> pick_a(0, sample.empty() ? 0 : sample.size() - 1),
        pick_b(0, baseline.empty() ? 0 : baseline.size() - 1);
    return percentile_bootstrap(sample, baseline, confidence, resamples, seed,
                                [&](std::mt19937_64& rng, std::vector<double>& ra, std::vector<double>& rb) {
                                    for (auto& x : ra) x = sample[pick_a(rng)];
                                    for (auto& x : rb) x = baseline[pick_b(rng)];
                                });
}

RatioInterval paired_bootstrap_ratio_of_medians(const std::vector<double>& sample, const std::vector<double>& baseline,
                                                double confidence, int resamples, std::uint64_t seed) {
    if (sample.size() != baseline.size())
        throw Error(fmt::format("paired bootstrap: {} values against {}: pairs need one of each per round",
                                sample.size(), baseline.size()));
    std::uniform_int_distribution<std::size_t> pick_round(0, sample.empty() ? 0 : sample.size() - 1);
    auto r = percentile_bootstrap(sample, baseline, confidence, resamples, seed,
                                  [&](std::mt19937_64& rng, std::vector<double>& ra, std::vector<double>& rb) {
                                      for (std::size_t i = 0; i < ra.size(); ++i) {
                                          std::size_t k = pick_round(rng);
                                          ra[i] = sample[k];
                                          rb[i] = baseline[k];
                                      }
                                  });
    r.paired = true;
    return r;
}

std::string interval_method(bool paired) {
    return fmt::format("{:g}% {}percentile bootstrap of the ratio of medians ({}, {} resamples, seed {})",
                       100 * bootstrap_confidence, paired ? "paired " : "",
                       paired ? "rounds resampled together" : "each image resampled on its own",
                       bootstrap_resamples, bootstrap_seed);
}

std::string verdict(const RatioInterval& r, bool higher_is_better) {
    if (!r.significant()) return "no significant difference";
    bool higher = r.low > 1.0;
    return higher == higher_is_better ? "better" : "worse";
}

}  // namespace pymatrix::bench
