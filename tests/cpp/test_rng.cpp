#include <delivsim/core/rng.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <set>

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
