// lib/src/bench/statistics.cpp: medians, spread and the bootstrap interval on data with known answers.
#include "pymatrix/bench.hpp"

#include <doctest/doctest.h>

using namespace pymatrix;
using namespace pymatrix::bench;

TEST_CASE("summarise: odd count, hand-computed median and MAD") {
    auto s = summarise({3, 1, 2, 5, 4});
    CHECK(s.n == 5);
    CHECK(s.median == 3);
    CHECK(s.min == 1);
    CHECK(s.max == 5);
    CHECK(s.mad == 1);  // |x - 3| = 0 2 1 2 1 -> median 1
    CHECK(s.spread_percent() == doctest::Approx(33.3333).epsilon(1e-4));
}

TEST_CASE("summarise: even count averages the middle pair") {
    auto s = summarise({4, 1, 3, 2});
    CHECK(s.median == 2.5);
    CHECK(s.mad == 1.0);  // |x - 2.5| = 1.5 1.5 0.5 0.5 -> median 1.0
    CHECK_THROWS_AS(summarise({}), Error);
}

TEST_CASE("bootstrap: a clear difference is significant, the verdict follows the metric's direction") {
    std::vector<double> fast = {200, 201, 202, 199, 198}, slow = {100, 101, 99, 100, 102};
    auto r = bootstrap_ratio_of_medians(fast, slow);
    CHECK(r.ratio == 2.0);
    CHECK(r.low >= 198.0 / 102);  // no resample can go below min/max
    CHECK(r.high <= 202.0 / 99);
    CHECK(r.low > 1.9);
    CHECK(r.significant());
    CHECK(verdict(r, true) == "better");   // tasks/s: higher is better
    CHECK(verdict(r, false) == "worse");   // ms: lower is better
}

TEST_CASE("bootstrap: the same distribution is no significant difference") {
    std::vector<double> a = {100, 102, 98, 101, 99}, b = {101, 99, 100, 98, 102};
    auto r = bootstrap_ratio_of_medians(a, b);
    CHECK(r.ratio == 1.0);
    CHECK(r.low < 1.0);
    CHECK(r.high > 1.0);
    CHECK_FALSE(r.significant());
    CHECK(verdict(r, true) == "no significant difference");
    CHECK(verdict(r, false) == "no significant difference");
}

TEST_CASE("bootstrap: a small shift inside the noise is not a win") {
    // medians 103 vs 100 (+3%), but each group spreads over +-10%
    std::vector<double> a = {93, 112, 103, 96, 110}, b = {91, 108, 100, 95, 107};
    auto r = bootstrap_ratio_of_medians(a, b);
    CHECK(r.ratio == doctest::Approx(1.03));
    CHECK_FALSE(r.significant());
    CHECK(verdict(r, true) == "no significant difference");
}

TEST_CASE("bootstrap: hand-computed interval quantiles") {
    // sample {1, 3} resamples to median 1 (p 1/4), 2 (p 1/2) or 3 (p 1/4); baseline {1}.
    auto r = bootstrap_ratio_of_medians({1, 3}, {1});
    CHECK(r.ratio == 2.0);
    CHECK(r.low == 1.0);   // the 2.5% quantile falls in the p=1/4 mass at 1
    CHECK(r.high == 3.0);  // the 97.5% quantile in the mass at 3
    CHECK_FALSE(r.significant());
    // one value each: the interval collapses onto the ratio
    auto one = bootstrap_ratio_of_medians({3}, {2});
    CHECK(one.ratio == 1.5);
    CHECK(one.low == 1.5);
    CHECK(one.high == 1.5);
    CHECK(one.significant());
}

TEST_CASE("bootstrap: a fixed seed gives the same interval, errors are refused") {
    std::vector<double> a = {10, 12, 11, 13, 9}, b = {10, 11, 10, 12, 9};
    auto r1 = bootstrap_ratio_of_medians(a, b), r2 = bootstrap_ratio_of_medians(a, b);
    CHECK(r1.low == r2.low);
    CHECK(r1.high == r2.high);
    CHECK_THROWS_AS(bootstrap_ratio_of_medians({}, b), Error);
    CHECK_THROWS_AS(bootstrap_ratio_of_medians(a, {0, 0, 0}), Error);
    CHECK_THROWS_AS(bootstrap_ratio_of_medians(a, b, 1.5), Error);
}

TEST_CASE("paired bootstrap: drift shared by each round cancels, the unpaired bootstrap drowns in it") {
    // Five interleaved rounds; the machine's speed drifts 80..150 between rounds and the sample is
    // exactly 1.2x the baseline in every round.
    std::vector<double> baseline = {100, 150, 80, 120, 90}, sample;
    for (double b : baseline) sample.push_back(1.2 * b);
    auto unpaired = bootstrap_ratio_of_medians(sample, baseline);
    CHECK(unpaired.ratio == doctest::Approx(1.2));
    CHECK_FALSE(unpaired.paired);
    CHECK(unpaired.low < 1.0);  // 96..180 against 80..150: inside the drift
    CHECK_FALSE(unpaired.significant());
    auto paired = paired_bootstrap_ratio_of_medians(sample, baseline);
    CHECK(paired.paired);
    CHECK(paired.ratio == doctest::Approx(1.2));
    CHECK(paired.low == doctest::Approx(1.2));  // every resample keeps the 1.2x pairs
    CHECK(paired.high == doctest::Approx(1.2));
    CHECK(verdict(paired, true) == "better");
}

TEST_CASE("paired bootstrap: hand-computed interval quantiles, errors are refused") {
    // rounds (2, 1) and (4, 4): a resample of both rounds is {0,0} -> 2/1 (p 1/4), {1,1} -> 4/4
    // (p 1/4), or one of each -> median 3 / median 2.5 = 1.2 (p 1/2).
    auto r = paired_bootstrap_ratio_of_medians({2, 4}, {1, 4});
    CHECK(r.ratio == doctest::Approx(1.2));
    CHECK(r.low == 1.0);
    CHECK(r.high == 2.0);
    CHECK_FALSE(r.significant());
    CHECK_THROWS_AS(paired_bootstrap_ratio_of_medians({1, 2, 3}, {1, 2}), Error);
    CHECK_THROWS_AS(paired_bootstrap_ratio_of_medians({}, {}), Error);
    CHECK_THROWS_AS(paired_bootstrap_ratio_of_medians({1, 2}, {0, 0}), Error);
}
