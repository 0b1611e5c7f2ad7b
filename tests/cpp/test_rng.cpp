#include <delivsim/core/rng.hpp>

#include "simd_paths.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

using namespace delivsim;

TEST_CASE("a draw depends only on (seed, message, stream, draw), not on call order") {
    MessageRng a(7, 123), b(7, 123);
    const auto a1 = a.bits(Stream::message, 5);
    const auto a2 = a.bits(Stream::mx_routing, 40);
    const auto b2 = b.bits(Stream::mx_routing, 40);  // reversed order: the block cache must not matter
    const auto b1 = b.bits(Stream::message, 5);
    CHECK(a1 == b1);
    CHECK(a2 == b2);
}

TEST_CASE("changing any coordinate changes the draw") {
    std::set<std::uint64_t> seen;
    for (std::uint64_t seed : {1ull, 2ull})
        for (std::uint64_t msg : {0ull, 1ull, (1ull << 40)})
            for (auto stream : {Stream::message, Stream::mx_routing, Stream::mailbox_quota_retry})
                for (std::uint32_t d = 0; d < 9; ++d) seen.insert(MessageRng(seed, msg).bits(stream, d));
    CHECK(seen.size() == 2 * 3 * 3 * 9);
}

TEST_CASE("uniform is on the open interval and equals Random123's u01fixedpt") {
    MessageRng r(99, 5);
    double sum = 0;
    const int n = 100000;
    for (int i = 0; i < n; ++i) {
        const double u = r.uniform(Stream::user_policy, static_cast<std::uint32_t>(i));
        REQUIRE(u > 0.0);
        REQUIRE(u < 1.0);
        CHECK(u == r123::u01fixedpt<double>(r.bits(Stream::user_policy, static_cast<std::uint32_t>(i))));
        sum += u;
    }
    // mean 1/2, standard error sqrt(1/12/n)
    CHECK(std::fabs(sum / n - 0.5) < 5 * std::sqrt(1.0 / 12 / n));
    CHECK(MessageRng(1, 1).bernoulli(Stream::message, 0, 1.0));
    CHECK_FALSE(MessageRng(1, 1).bernoulli(Stream::message, 0, 0.0));
}

TEST_CASE("normal quantile matches reference values (AS 241 accuracy)") {
    CHECK(normal_quantile(0.5) == 0.0);
    CHECK(normal_quantile(0.975) == doctest::Approx(1.959963984540054).epsilon(1e-14));
    CHECK(normal_quantile(0.025) == doctest::Approx(-1.959963984540054).epsilon(1e-14));
    CHECK(normal_quantile(0.8) == doctest::Approx(0.8416212335729143).epsilon(1e-14));
    CHECK(normal_quantile(1e-10) == doctest::Approx(-6.361340902404056).epsilon(1e-13));
    CHECK(normal_quantile(1e-300) == doctest::Approx(-37.0470962993612).epsilon(1e-12));
    for (double p : {0.001, 0.1, 0.3, 0.45}) CHECK(normal_quantile(p) == doctest::Approx(-normal_quantile(1 - p)).epsilon(1e-14));
}

using testing::ForcedPath;
using testing::runnable_paths;

TEST_CASE("batched head blocks are Random123's Philox4x64 on every SIMD path, for any count and start") {
    REQUIRE(simd_supported(SimdPath::scalar));
    for (SimdPath p : runnable_paths()) {
        CAPTURE(simd_path_names[static_cast<int>(p)]);
        ForcedPath forced(p);
        CHECK(simd_path() == p);
        // Counts around the vector widths (4, 8) and starts that carry into the high words.
        for (std::uint64_t first : {0ull, 5ull, (1ull << 32) - 3, (1ull << 63) - 20, ~0ull - 6})
            for (std::size_t n : {0u, 1u, 3u, 4u, 7u, 8u, 9u, 17u, 64u}) {
                std::vector<MessageRng::Block> heads(n * MessageRng::head_count);
                for (std::uint64_t seed : {0ull, 1ull, 0xDEADBEEFCAFEF00Dull}) {
                    MessageRng::head_blocks(seed, first, n, heads.data());
                    std::vector<double> normals(n);
                    MessageRng::head_normals(n, heads.data(), normals.data());
                    for (std::size_t j = 0; j < n; ++j) {
                        MessageRng alone(seed, first + j), batched(seed, first + j, heads.data() + j * MessageRng::head_count),
                            with_normal(seed, first + j, heads.data() + j * MessageRng::head_count, normals[j]);
                        for (auto stream : {Stream::message, Stream::mx_routing})
                            for (std::uint32_t d = 0; d < 8; ++d) REQUIRE(batched.bits(stream, d) == alone.bits(stream, d));
                        // The batched normal is the single draw's, bit for bit.
                        REQUIRE(with_normal.normal(Stream::message, draw_content_score) ==
                                normal_quantile(alone.uniform(Stream::message, draw_content_score)));
                        REQUIRE(alone.normal(Stream::message, draw_content_score) == normals[j]);
                        // And the counters are Random123's own, not a re-implementation agreeing with itself.
                        const auto ref = r123::Philox4x64{}({{first + j, 3, 0, 0}}, {{seed, 0}});
                        for (std::uint32_t w = 0; w < 4; ++w) REQUIRE(batched.bits(Stream::mx_routing, w) == ref[w]);
                    }
                }
            }
    }
}

TEST_CASE("Philox blocks of listed or consecutive indices, with 1 to 5 columns, are Random123's on every SIMD path") {
    // Listed: unordered, repeated, and carrying into the high words (a receiving domain's
    // first attempts in time order). With few columns a kernel computes several vector groups
    // together (philox_batch::group_count): counts around 8, 16 and 32 cross each shape.
    std::vector<std::uint64_t> listed{7, 3, ~0ull, 3, 1ull << 44 | 12, 0, (1ull << 63) - 1, 5, 99, 1ull << 32, 42, 8, 8, 2, 77, 1, 123456789};
    for (std::uint64_t k = 0; listed.size() < 70; ++k) listed.push_back(k * 0x9E3779B97F4A7C15ull);
    constexpr std::uint64_t key = 0xDEADBEEFCAFEF00Dull, first = (1ull << 32) - 20;
    const auto check = [&](const auto& cols) {
        const std::size_t H = cols.size();
        CAPTURE(H);
        for (std::size_t n : {0u, 1u, 4u, 5u, 8u, 9u, 15u, 16u, 17u, 31u, 32u, 33u, 40u, 47u, 64u, 65u, 70u}) {
            CAPTURE(n);
            std::vector<philox_batch::Block> by_id(n * H), in_run(n * H);
            philox_batch::blocks(key, listed.data(), n, cols, by_id.data());
            philox_batch::blocks(key, first, n, cols, in_run.data());
            for (std::size_t j = 0; j < n; ++j)
                for (std::size_t h = 0; h < H; ++h) {
                    const auto ref = r123::Philox4x64{}({{listed[j], cols[h][0], cols[h][1], 0}}, {{key, 0}});
                    const auto ref_run = r123::Philox4x64{}({{first + j, cols[h][0], cols[h][1], 0}}, {{key, 0}});
                    for (std::uint32_t w = 0; w < 4; ++w) {
                        REQUIRE(by_id[j * H + h][w] == ref[w]);
                        REQUIRE(in_run[j * H + h][w] == ref_run[w]);
                    }
                }
        }
    };
    for (SimdPath p : runnable_paths()) {
        CAPTURE(simd_path_names[static_cast<int>(p)]);
        ForcedPath forced(p);
        check(philox_batch::Columns<1>{{{6, 0}}});
        check(philox_batch::Columns<2>{{{1, 0}, {3, 2}}});
        check(philox_batch::Columns<3>{{{1, 0}, {3, 2}, {17, 1}}});
        check(philox_batch::Columns<5>{{{1, 0}, {1, 1}, {1, 2}, {3, 0}, {6, 1}}});
    }
}

TEST_CASE("forcing a SIMD path the CPU lacks is refused, naming it") {
    for (SimdPath p : {SimdPath::avx2, SimdPath::avx512})
        if (!simd_supported(p)) CHECK_THROWS_WITH(force_simd_path(p), doctest::Contains(std::string(simd_path_names[static_cast<int>(p)]).c_str()));
    CHECK_NOTHROW(force_simd_path(SimdPath::scalar));
    force_simd_path(std::nullopt);
}
