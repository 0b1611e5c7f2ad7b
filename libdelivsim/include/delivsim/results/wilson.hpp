#pragma once
// Wilson score interval for a binomial proportion: well-behaved near 0 and 1, where rare
// outcomes (a 0.1% bounce code) live and the normal approximation fails.
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <algorithm>
#include <ostream>
#include <utility>

namespace delivsim {

// A proportion with its 95% interval [lo, hi], all fractions (printed as percentages).
struct Rate {
    double rate = 0, lo = 0, hi = 0;
};

// Four significant digits, e.g. "63.57% (95% CI 63.36% to 63.78%)"; the stream's own
// formatting flags are left as they were.
inline std::ostream& operator<<(std::ostream& os, const Rate& r) {
    char text[96];
    std::snprintf(text, sizeof text, "%.4g%% (95%% CI %.4g%% to %.4g%%)", 100 * r.rate, 100 * r.lo, 100 * r.hi);
    return os << text;
}

inline Rate wilson(std::uint64_t k, std::uint64_t n, double z = 1.959963984540054) {
    if (n == 0) return {0, 0, 1};
    const double nn = static_cast<double>(n), p = static_cast<double>(k) / nn;
    const double z2 = z * z, denom = 1 + z2 / nn;
    const double centre = (p + z2 / (2 * nn)) / denom;
    const double half = z * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / denom;
    // At k = 0 or k = n the bound is exactly 0 or 1; rounding would leave a 1e-19 residue.
    return {p, k == 0 ? 0.0 : std::max(0.0, centre - half), k == n ? 1.0 : std::min(1.0, centre + half)};
}

}  // namespace delivsim
