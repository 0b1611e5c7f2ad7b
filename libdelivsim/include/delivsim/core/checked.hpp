#pragma once
// Checked arithmetic for sums and products of user-given counts, sizes and times: an
// unsigned sum that wraps past 2^64, or a double that does not fit the integer it becomes,
// must be refused at load, never used.
#include <cmath>
#include <cstdint>
#include <optional>

namespace delivsim {

// a + b, or nothing if it does not fit in 64 bits.
inline std::optional<std::uint64_t> checked_add(std::uint64_t a, std::uint64_t b) noexcept {
    std::uint64_t r;
    if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
    return r;
}

// a * b, or nothing if it does not fit in 64 bits.
inline std::optional<std::uint64_t> checked_mul(std::uint64_t a, std::uint64_t b) noexcept {
    std::uint64_t r;
    if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
    return r;
}

// A non-negative double rounded up to a count, or nothing if it is not finite or not below
// `limit` (casting a double beyond 2^64 to an integer is undefined behaviour).
inline std::optional<std::uint64_t> checked_ceil(double x, std::uint64_t limit) noexcept {
    if (!(x >= 0) || !std::isfinite(x)) return std::nullopt;
    const double c = std::ceil(x);
    if (!(c < static_cast<double>(limit))) return std::nullopt;
    return static_cast<std::uint64_t>(c);
}

}  // namespace delivsim
