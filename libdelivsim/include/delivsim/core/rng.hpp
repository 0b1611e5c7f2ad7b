#pragma once
// Counter-based random draws: every draw is a pure function of
// (seed, message index, stage, draw index), so a message's fate does not depend on
// which thread simulated it, in which chunk, or what other messages were simulated.
#include <Random123/philox.h>
#include <Random123/uniform.hpp>

#include <cmath>
#include <cstdint>

namespace delivsim {

// Stage identifiers name the independent random streams of one message. They are part of
// the reproducibility contract: renumbering one changes every result for a given seed.
enum class Stream : std::uint32_t {
    population = 1,      // 0: sender class, 1: recipient profile
    address = 2,         // 0: address error?, 1: which kind
    sender_traits = 3,   // 0: IP listed, 1: size, 2: DMARC result, 3: content score, 4: attachment
    destination = 4,     // 0: destination dead for the whole message life
    mx_routing = 5,      // per attempt: host order and host up/down
    mailbox_quota = 6,   // 0: full at first check; 1 + attempt: still full
    dmarc_disposition = 7,
    content_filter = 8,
    attachment_scanner = 9,  // 0: scanner flags the attachment
    mailbox_rules = 10,      // 0: which rule (if any) matches
    user_policy = 64,        // first stream free for policies added outside the library
};

// Draws of one message. Philox4x32-10 turns the 128-bit counter
// {index lo, index hi, stream, block} under the 64-bit seed key into two 64-bit words,
// i.e. two draws per block; the last block is cached because draws of one stream are
// usually consecutive.
class MessageRng {
public:
    MessageRng(std::uint64_t seed, std::uint64_t message_index) noexcept
        : key_{{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}},
          index_lo_(static_cast<std::uint32_t>(message_index)),
          index_hi_(static_cast<std::uint32_t>(message_index >> 32)) {}

    std::uint64_t message_index() const noexcept {
        return (std::uint64_t{index_hi_} << 32) | index_lo_;
    }

    // 64 random bits: draw `draw` of stream `stream`.
    std::uint64_t bits(Stream stream, std::uint32_t draw) noexcept {
        const auto s = static_cast<std::uint32_t>(stream);
        const std::uint32_t block = draw >> 1;
        if (!(cached_ && s == cached_stream_ && block == cached_block_)) {
            r123::Philox4x32::ctr_type ctr{{index_lo_, index_hi_, s, block}};
            last_ = r123::Philox4x32{}(ctr, key_);
            cached_ = true;
            cached_stream_ = s;
            cached_block_ = block;
        }
        const unsigned lane = (draw & 1u) * 2u;
        return (std::uint64_t{last_[lane + 1]} << 32) | last_[lane];
    }

    // Uniform on the open interval (0, 1): `uniform(...) < p` is never true for p = 0 and
    // always true for p = 1, so degenerate probabilities stay exact.
    double uniform(Stream stream, std::uint32_t draw) noexcept {
        return r123::u01fixedpt<double>(bits(stream, draw));
    }

    bool bernoulli(Stream stream, std::uint32_t draw, double p) noexcept {
        return uniform(stream, draw) < p;
    }

private:
    r123::Philox4x32::key_type key_;
    std::uint32_t index_lo_, index_hi_;
    bool cached_ = false;
    std::uint32_t cached_stream_ = 0, cached_block_ = 0;
    r123::Philox4x32::ctr_type last_{};
};

// Standard normal quantile, Wichura's algorithm AS 241 (PPND16, relative accuracy ~1e-16).
// Inversion keeps one uniform per normal draw (a fixed draw budget per stream), and is
// cheaper than Box-Muller: no log/sqrt in the central 85% of the distribution.
inline double normal_quantile(double p) noexcept {
    const double q = p - 0.5;
    if (std::fabs(q) <= 0.425) {
        const double r = 0.180625 - q * q;
        return q *
               (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r +
                    45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r +
                 133.14166789178437745) * r + 3.387132872796366608) /
               (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r +
                    21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r +
                 42.313330701600911252) * r + 1.0);
    }
    double r = q < 0 ? p : 1.0 - p;
    r = std::sqrt(-std::log(r));
    double x;
    if (r <= 5.0) {
        r -= 1.6;
        x = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r +
                 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r +
              4.6303378461565452959) * r + 1.42343711074968357734) /
            (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r +
                 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r +
              2.05319162663775882187) * r + 1.0);
    } else {
        r -= 5.0;
        x = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r +
                 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r +
              5.4637849111641143699) * r + 6.6579046435011037772) /
            (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r +
                 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r +
              0.59983220655588793769) * r + 1.0);
    }
    return q < 0 ? -x : x;
}

}  // namespace delivsim
