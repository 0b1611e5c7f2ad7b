#pragma once
// Philox4x64-10 (Random123) for many indices at once (consecutive, or listed), eight at a time with
// AVX-512, four with AVX2, one at a time otherwise (with BMI2's mulx when the CPU has it):
// the path is chosen at run time from what the CPU supports (simd_default()). Every path
// computes the same integers as r123::Philox4x64, so results never depend on the machine
// (tests/cpp/test_rng.cpp forces each path and compares).
//
// Only integers are computed here; turning them into uniforms and anything transcendental
// (core/rng.hpp) stays on one scalar code path.
//
// The 64x64 -> 128-bit multiply of each Philox round has no vector instruction: it is
// composed of four 32x32 -> 64-bit multiplies (vpmuludq), exactly.
//
// DELIVSIM_SIMD=scalar|avx2|avx512 in the environment picks a path (to compare their speed);
// force_simd_path() does the same from code (the tests).
#include <Random123/philox.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DELIVSIM_X86_SIMD 1
#include <immintrin.h>
#endif

namespace delivsim {

enum class SimdPath : int { scalar = 0, avx2 = 1, avx512 = 2 };
inline constexpr std::array<std::string_view, 3> simd_path_names{"scalar", "avx2", "avx512"};

namespace philox_batch {

using Block = r123::Philox4x64::ctr_type;
// The H blocks computed for each index i: counters {i, columns[h][0], columns[h][1], 0}.
template <std::size_t H>
using Columns = std::array<std::array<std::uint64_t, 2>, H>;

inline constexpr std::uint64_t m0 = PHILOX_M4x64_0, m1 = PHILOX_M4x64_1, w0 = PHILOX_W64_0, w1 = PHILOX_W64_1;
inline constexpr int rounds = 10;

// The j-th index of a batch: first + j (a run of messages), or ids[j] (messages in another
// order, e.g. a receiving domain's first attempts by time).
struct Consecutive {
    std::uint64_t first;
    std::uint64_t operator[](std::size_t j) const noexcept { return first + j; }
    Consecutive from(std::size_t j) const noexcept { return {first + j}; }
};
struct Listed {
    const std::uint64_t* ids;
    std::uint64_t operator[](std::size_t j) const noexcept { return ids[j]; }
    Listed from(std::size_t j) const noexcept { return {ids + j}; }
};

// Blocks for indices idx[0, n), out[j * H + h] for index idx[j], under key {key, 0}.
template <std::size_t H, class Index>
[[gnu::always_inline]] inline void scalar_loop(std::uint64_t key, Index idx, std::size_t n, const Columns<H>& cols,
                                               Block* out) noexcept {
    const r123::Philox4x64::key_type k{{key, 0}};
    for (std::size_t j = 0; j < n; ++j)
        for (std::size_t h = 0; h < H; ++h)
            out[j * H + h] = r123::Philox4x64{}(Block{{idx[j], cols[h][0], cols[h][1], 0}}, k);
}

#if DELIVSIM_X86_SIMD
// The scalar loop compiled for BMI2, used when the CPU has it: mulx does the 64x64 -> 128-bit
// multiply in any registers, without mul's fixed rax/rdx and the moves around it (119
// instructions per block instead of 144). The same integers.
#pragma GCC push_options
#pragma GCC target("bmi2")
namespace bmi2 {
template <std::size_t H, class Index>
void kernel(std::uint64_t key, Index idx, std::size_t n, const Columns<H>& cols, Block* out) noexcept {
    scalar_loop<H>(key, idx, n, cols, out);
}
}  // namespace bmi2
#pragma GCC pop_options

inline bool has_bmi2() noexcept {
    static const bool b = (__builtin_cpu_init(), __builtin_cpu_supports("bmi2"));
    return b;
}
#endif

// One index at a time (the scalar path, and the vector paths' last few indices).
template <std::size_t H, class Index>
void scalar(std::uint64_t key, Index idx, std::size_t n, const Columns<H>& cols, Block* out) noexcept {
#if DELIVSIM_X86_SIMD
    if (has_bmi2()) return bmi2::kernel<H>(key, idx, n, cols, out);
#endif
    scalar_loop<H>(key, idx, n, cols, out);
}

// Vector groups a kernel computes together: enough that about four blocks' rounds overlap
// (one block alone, as generation's, waits for each round's multiplies).
template <std::size_t H>
inline constexpr std::size_t group_count = H >= 4 ? 1 : (4 + H - 1) / H;

#if DELIVSIM_X86_SIMD
// The vector kernels. The pragma gives every function in between the instruction set; the
// two kernels have the same shape, one per vector width.
#pragma GCC push_options
#pragma GCC target("avx512f")
namespace avx512 {
using V = __m512i;
inline constexpr std::size_t lanes = 8;
// x * m as (hi, lo), each lane exactly the 128-bit product.
[[gnu::always_inline]] inline void mulhilo(V x, std::uint64_t m, V& hi, V& lo) noexcept {
    const V mask = _mm512_set1_epi64(0xffffffff);
    const V ml = _mm512_set1_epi64(static_cast<long long>(m & 0xffffffff)), mh = _mm512_set1_epi64(static_cast<long long>(m >> 32));
    const V xh = _mm512_srli_epi64(x, 32);
    const V t = _mm512_mul_epu32(x, ml);
    const V u = _mm512_add_epi64(_mm512_mul_epu32(xh, ml), _mm512_srli_epi64(t, 32));
    const V v = _mm512_add_epi64(_mm512_mul_epu32(x, mh), _mm512_and_si512(u, mask));
    hi = _mm512_add_epi64(_mm512_add_epi64(_mm512_mul_epu32(xh, mh), _mm512_srli_epi64(u, 32)), _mm512_srli_epi64(v, 32));
    lo = _mm512_or_si512(_mm512_slli_epi64(v, 32), _mm512_and_si512(t, mask));
}
// G groups of `lanes` indices from idx[j]: G * H independent blocks in flight, so that a
// round's multiplies overlap (with one block, each round waits for the last).
template <std::size_t G, std::size_t H, class Index>
[[gnu::always_inline]] inline void groups(std::uint64_t key, Index idx, std::size_t j, const Columns<H>& cols, Block* out) noexcept {
    alignas(64) std::uint64_t words[4][lanes];
    V c[G][H][4];
    for (std::size_t g = 0; g < G; ++g) {
        V index;
        if constexpr (std::is_same_v<Index, Listed>) index = _mm512_loadu_si512(idx.ids + j + g * lanes);
        else index = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(idx[j + g * lanes])), _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7));
        for (std::size_t h = 0; h < H; ++h) {
            c[g][h][0] = index;
            c[g][h][1] = _mm512_set1_epi64(static_cast<long long>(cols[h][0]));
            c[g][h][2] = _mm512_set1_epi64(static_cast<long long>(cols[h][1]));
            c[g][h][3] = _mm512_setzero_si512();
        }
    }
    std::uint64_t k0 = key, k1 = 0;
    for (int r = 0; r < rounds; ++r) {
        const V key0 = _mm512_set1_epi64(static_cast<long long>(k0)), key1 = _mm512_set1_epi64(static_cast<long long>(k1));
        for (std::size_t g = 0; g < G; ++g)
            for (std::size_t h = 0; h < H; ++h) {
                V hi0, lo0, hi1, lo1;
                mulhilo(c[g][h][0], m0, hi0, lo0);
                mulhilo(c[g][h][2], m1, hi1, lo1);
                c[g][h][0] = _mm512_xor_si512(_mm512_xor_si512(hi1, c[g][h][1]), key0);
                c[g][h][1] = lo1;
                c[g][h][2] = _mm512_xor_si512(_mm512_xor_si512(hi0, c[g][h][3]), key1);
                c[g][h][3] = lo0;
            }
        k0 += w0;
        k1 += w1;
    }
    for (std::size_t g = 0; g < G; ++g)
        for (std::size_t h = 0; h < H; ++h) {
            for (std::size_t w = 0; w < 4; ++w) _mm512_store_si512(reinterpret_cast<V*>(words[w]), c[g][h][w]);
            for (std::size_t l = 0; l < lanes; ++l)
                for (std::size_t w = 0; w < 4; ++w) out[(j + g * lanes + l) * H + h].v[w] = words[w][l];
        }
}
template <std::size_t H, class Index>
void kernel(std::uint64_t key, Index idx, std::size_t n, const Columns<H>& cols, Block* out) noexcept {
    std::size_t j = 0;
    for (; j + group_count<H> * lanes <= n; j += group_count<H> * lanes) groups<group_count<H>>(key, idx, j, cols, out);
    for (; j + lanes <= n; j += lanes) groups<1>(key, idx, j, cols, out);
    scalar(key, idx.from(j), n - j, cols, out + j * H);
}
}  // namespace avx512
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2")
namespace avx2 {
using V = __m256i;
inline constexpr std::size_t lanes = 4;
[[gnu::always_inline]] inline void mulhilo(V x, std::uint64_t m, V& hi, V& lo) noexcept {
    const V mask = _mm256_set1_epi64x(0xffffffff);
    const V ml = _mm256_set1_epi64x(static_cast<long long>(m & 0xffffffff)), mh = _mm256_set1_epi64x(static_cast<long long>(m >> 32));
    const V xh = _mm256_srli_epi64(x, 32);
    const V t = _mm256_mul_epu32(x, ml);
    const V u = _mm256_add_epi64(_mm256_mul_epu32(xh, ml), _mm256_srli_epi64(t, 32));
    const V v = _mm256_add_epi64(_mm256_mul_epu32(x, mh), _mm256_and_si256(u, mask));
    hi = _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(xh, mh), _mm256_srli_epi64(u, 32)), _mm256_srli_epi64(v, 32));
    lo = _mm256_or_si256(_mm256_slli_epi64(v, 32), _mm256_and_si256(t, mask));
}
template <std::size_t G, std::size_t H, class Index>
[[gnu::always_inline]] inline void groups(std::uint64_t key, Index idx, std::size_t j, const Columns<H>& cols, Block* out) noexcept {
    alignas(32) std::uint64_t words[4][lanes];
    V c[G][H][4];
    for (std::size_t g = 0; g < G; ++g) {
        V index;
        if constexpr (std::is_same_v<Index, Listed>) index = _mm256_loadu_si256(reinterpret_cast<const V*>(idx.ids + j + g * lanes));
        else index = _mm256_add_epi64(_mm256_set1_epi64x(static_cast<long long>(idx[j + g * lanes])), _mm256_setr_epi64x(0, 1, 2, 3));
        for (std::size_t h = 0; h < H; ++h) {
            c[g][h][0] = index;
            c[g][h][1] = _mm256_set1_epi64x(static_cast<long long>(cols[h][0]));
            c[g][h][2] = _mm256_set1_epi64x(static_cast<long long>(cols[h][1]));
            c[g][h][3] = _mm256_setzero_si256();
        }
    }
    std::uint64_t k0 = key, k1 = 0;
    for (int r = 0; r < rounds; ++r) {
        const V key0 = _mm256_set1_epi64x(static_cast<long long>(k0)), key1 = _mm256_set1_epi64x(static_cast<long long>(k1));
        for (std::size_t g = 0; g < G; ++g)
            for (std::size_t h = 0; h < H; ++h) {
                V hi0, lo0, hi1, lo1;
                mulhilo(c[g][h][0], m0, hi0, lo0);
                mulhilo(c[g][h][2], m1, hi1, lo1);
                c[g][h][0] = _mm256_xor_si256(_mm256_xor_si256(hi1, c[g][h][1]), key0);
                c[g][h][1] = lo1;
                c[g][h][2] = _mm256_xor_si256(_mm256_xor_si256(hi0, c[g][h][3]), key1);
                c[g][h][3] = lo0;
            }
        k0 += w0;
        k1 += w1;
    }
    for (std::size_t g = 0; g < G; ++g)
        for (std::size_t h = 0; h < H; ++h) {
            for (std::size_t w = 0; w < 4; ++w) _mm256_store_si256(reinterpret_cast<V*>(words[w]), c[g][h][w]);
            for (std::size_t l = 0; l < lanes; ++l)
                for (std::size_t w = 0; w < 4; ++w) out[(j + g * lanes + l) * H + h].v[w] = words[w][l];
        }
}
template <std::size_t H, class Index>
void kernel(std::uint64_t key, Index idx, std::size_t n, const Columns<H>& cols, Block* out) noexcept {
    std::size_t j = 0;
    for (; j + group_count<H> * lanes <= n; j += group_count<H> * lanes) groups<group_count<H>>(key, idx, j, cols, out);
    for (; j + lanes <= n; j += lanes) groups<1>(key, idx, j, cols, out);
    scalar(key, idx.from(j), n - j, cols, out + j * H);
}
}  // namespace avx2
#pragma GCC pop_options
#endif

inline std::atomic<int>& forced() noexcept {
    static std::atomic<int> f{-1};
    return f;
}

}  // namespace philox_batch

inline bool simd_supported(SimdPath p) noexcept {
#if DELIVSIM_X86_SIMD
    __builtin_cpu_init();
    switch (p) {
        case SimdPath::scalar: return true;
        case SimdPath::avx2: return __builtin_cpu_supports("avx2");
        case SimdPath::avx512: return __builtin_cpu_supports("avx512f");
    }
#endif
    return p == SimdPath::scalar;
}

// AVX-512 when the CPU has it, else scalar; or the path DELIVSIM_SIMD names (if supported).
// AVX2 is not chosen by default: four lanes of the composed multiply cost as much as the
// scalar one (mulx), and measured on the development machine the AVX2 batch took 32 ns per
// message for its three blocks against 17-25 ns computed per message (AVX-512: 14 ns).
inline SimdPath simd_default() noexcept {
    static const SimdPath p = [] {
        if (const char* env = std::getenv("DELIVSIM_SIMD"))
            for (std::size_t i = 0; i < simd_path_names.size(); ++i)
                if (simd_path_names[i] == env && simd_supported(static_cast<SimdPath>(i))) return static_cast<SimdPath>(i);
        return simd_supported(SimdPath::avx512) ? SimdPath::avx512 : SimdPath::scalar;
    }();
    return p;
}

// The path in use.
inline SimdPath simd_path() noexcept {
    const int f = philox_batch::forced().load(std::memory_order_relaxed);
    return f >= 0 ? static_cast<SimdPath>(f) : simd_default();
}

// Use path `p` from now on (nullopt: back to the default). Results never change; speed may.
inline void force_simd_path(std::optional<SimdPath> p) {
    if (p && !simd_supported(*p))
        throw std::invalid_argument("simd: this CPU has no " + std::string(simd_path_names[static_cast<int>(*p)]));
    philox_batch::forced().store(p ? static_cast<int>(*p) : -1, std::memory_order_relaxed);
}

namespace philox_batch {

// Blocks for indices idx[0, n) on the path in use: out[j * H + h] is
// r123::Philox4x64{}({idx[j], cols[h][0], cols[h][1], 0}, {key, 0}).
template <std::size_t H, class Index>
void blocks_of(std::uint64_t key, Index idx, std::size_t n, const Columns<H>& cols, Block* out) noexcept {
#if DELIVSIM_X86_SIMD
    switch (simd_path()) {
        case SimdPath::avx512: return avx512::kernel<H>(key, idx, n, cols, out);
        case SimdPath::avx2: return avx2::kernel<H>(key, idx, n, cols, out);
        case SimdPath::scalar: break;
    }
#endif
    scalar<H>(key, idx, n, cols, out);
}
// Indices [first, first + n).
template <std::size_t H>
void blocks(std::uint64_t key, std::uint64_t first, std::size_t n, const Columns<H>& cols, Block* out) noexcept {
    blocks_of<H>(key, Consecutive{first}, n, cols, out);
}
// Indices ids[0, n).
template <std::size_t H>
void blocks(std::uint64_t key, const std::uint64_t* ids, std::size_t n, const Columns<H>& cols, Block* out) noexcept {
    blocks_of<H>(key, Listed{ids}, n, cols, out);
}

}  // namespace philox_batch
}  // namespace delivsim
