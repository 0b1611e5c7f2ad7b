#pragma once
// Single Philox blocks for the world layer's own streams (core/rng.hpp: world_message,
// world_recipient). Same counter layout as MessageRng: {index, stream, block, 0} under the key
// {seed, 0}, so a draw is a pure function of (seed, index, stream, draw).
#include <delivsim/core/rng.hpp>

#include <array>
#include <cassert>
#include <cstdint>

namespace delivsim::world {

inline std::array<std::uint64_t, 4> philox_block(std::uint64_t seed, std::uint64_t index, Stream stream,
                                                 std::uint64_t block) noexcept {
    using C = r123::Philox4x64::ctr_type;
    const auto r = r123::Philox4x64{}(C{{index, static_cast<std::uint64_t>(stream), block, 0}},
                                      r123::Philox4x64::key_type{{seed, 0}});
    return {r[0], r[1], r[2], r[3]};
}

// The four draws of one Philox block of a world stream, read by their slot names
// (core/rng.hpp): draw `slot` is word slot % 4 of block slot / 4, as in MessageRng.
class DrawBlock {
public:
    DrawBlock(std::uint64_t seed, std::uint64_t index, Stream stream, std::uint32_t first_slot) noexcept
        : block_(first_slot / 4), bits_(philox_block(seed, index, stream, first_slot / 4)) {}
    // The same block computed elsewhere (with others, core/philox_batch.hpp).
    DrawBlock(std::uint32_t first_slot, const MessageRng::Block& computed) noexcept
        : block_(first_slot / 4), bits_{computed[0], computed[1], computed[2], computed[3]} {}
    std::uint64_t bits(std::uint32_t slot) const noexcept {
        assert(slot / 4 == block_ && "the slot is in another block");
        return bits_[slot % 4];
    }
    double uniform(std::uint32_t slot) const noexcept;

private:
    std::uint32_t block_;
    std::array<std::uint64_t, 4> bits_;
};

// Same mapping as MessageRng::uniform: open interval (0, 1).
inline double to_uniform(std::uint64_t bits) noexcept {
    return static_cast<double>(static_cast<std::int64_t>((bits >> 11) | 1)) * 0x1.0p-53;
}

inline double DrawBlock::uniform(std::uint32_t slot) const noexcept { return to_uniform(bits(slot)); }

// [0, n) by multiply-shift (bias < n / 2^64).
inline std::uint64_t to_index(std::uint64_t bits, std::uint64_t n) noexcept {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(bits) * n) >> 64);
}

}  // namespace delivsim::world
