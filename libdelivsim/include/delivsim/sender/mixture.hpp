#pragma once
// Drawing a component of a mixture from its cumulative weights (core/json.hpp's
// mixture_cdf builds them).
#include <algorithm>
#include <cstdint>
#include <iterator>

namespace delivsim {

// Picks a component of a mixture from its cumulative weights.
// Small mixtures count without branches: the draw is random, so a binary search's
// branches would mispredict half the time.
template <class Cdf>
[[gnu::always_inline]] inline std::uint32_t pick(const Cdf& cdf, double u) noexcept {
    const std::size_t n = std::size(cdf);
    if (n <= 16) {
        std::uint32_t k = 0;
        for (std::size_t i = 0; i + 1 < n; ++i) k += cdf[i] <= u;
        return k;
    }
    const auto it = std::upper_bound(std::begin(cdf), std::end(cdf), u);
    return static_cast<std::uint32_t>(std::min<std::size_t>(it - std::begin(cdf), n - 1));
}

// The component that carries all the weight, or -1 when the mixture needs a draw.
template <class Cdf>
inline int certain_component(const Cdf& cdf) noexcept {
    double prev = 0;
    for (std::size_t i = 0; i < std::size(cdf); ++i) {
        if (cdf[i] - prev >= 1.0) return static_cast<int>(i);
        prev = cdf[i];
    }
    return -1;
}

}  // namespace delivsim
