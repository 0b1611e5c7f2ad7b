#pragma once
// Single Philox blocks for the world layer's own streams (core/rng.hpp: world_message,
// world_recipient). Same counter layout as MessageRng: {index, stream, block, 0} under the key
// {seed, 0}, so a draw is a pure function of (seed, index, stream, draw).
#include <delivsim/core/rng.hpp>

#include <array>
#include <cstdint>

namespace delivsim::world {

inline std::array<std::uint64_t, 4> philox_block(std::uint64_t seed, std::uint64_t index, Stream stream,
                                                 std::uint64_t block) noexcept {
    using C = r123::Philox4x64::ctr_type;
    const auto r = r123::Philox4x64{}(C{{index, static_cast<std::uint64_t>(stream), block, 0}},
                                      r123::Philox4x64::key_type{{seed, 0}});
    return {r[0], r[1], r[2], r[3]};
}

// Same mapping as MessageRng::uniform: open interval (0, 1).
inline double to_uniform(std::uint64_t bits) noexcept {
    return static_cast<double>(static_cast<std::int64_t>((bits >> 11) | 1)) * 0x1.0p-53;
}

// [0, n) by multiply-shift (bias < n / 2^64).
inline std::uint64_t to_index(std::uint64_t bits, std::uint64_t n) noexcept {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(bits) * n) >> 64);
}

}  // namespace delivsim::world
