#pragma once
// Counter-based random draws: every draw is a pure function of
// (seed, message index, stage, draw index), so a message's fate does not depend on
// which thread simulated it, in which chunk, or what other messages were simulated.
#include <delivsim/core/philox_batch.hpp>

#include <Random123/philox.h>
#include <Random123/uniform.hpp>

#include <array>
#include <cmath>
#include <cstdint>

namespace delivsim {

// Streams ("stages") and their draw slots are part of the reproducibility contract:
// renumbering one changes every result for a given seed. Per-message draws share one stream,
// with slots grouped four to a Philox block by how often they are needed, so that a typical
// message costs two blocks for all its per-message draws.
enum class Stream : std::uint32_t {
    message = 1,              // per-message draws, slots in MessageDraw
    mx_routing = 3,           // per attempt: host order and host up/down (see MxRouting)
    mailbox_quota_retry = 4,  // draw = attempt index: is the mailbox still full?
    dns_timeout = 5,          // draw = DNS query ordinal (+ offset per check): random timeouts
                              // of zone-based authentication (sender/authentication.hpp)
    // world/: a world message's class facts and routing use the streams above (index = the
    // world message id); its world draws use these, slots below. 9..15 reserved for world/.
    world_message = 6,        // index = world message id, slots in WorldMessageDraw
    world_recipient = 7,      // index = recipient id, slots in WorldRecipientDraw
    world_attempt = 8,        // index = world message id, draw = world_attempt_draw(attempt, slot)
    recipient = 33,           // after acceptance (recipient/folders.hpp): slots in RecipientDraw
    mx_busy = 34,             // draw = attempt * MxRouting::max_hosts + host: a busy host's 421
    features = 16,            // content features of a class's "features" (sender/features.hpp,
                              // slots in FeatureDraw); issue 6 owns streams 16..31
    custom_policy = 40,       // policies written outside the library (policy/external.hpp): its own
                              // Philox counter {message index, 40, draw / 4, FNV-1a of the policy name}
    user_policy = 64,         // first stream free for policies added outside the library
};

enum MessageDraw : std::uint32_t {
    // block 0: needed by every message
    draw_sender_class = 0,
    draw_profile = 1,
    draw_address_error = 2,
    draw_ip_listed = 3,
    // block 1: needed by most messages
    draw_content_score = 4,
    draw_size = 5,
    draw_mailbox_full = 6,
    draw_mailbox_rule = 7,
    // block 2 and on: needed by some
    draw_dmarc = 8,
    draw_attachment = 9,
    draw_dead_destination = 10,
    draw_attachment_scan = 11,
    draw_address_error_kind = 12,
    draw_auth_ip = 13,         // zone-based authentication: which sending IP
    draw_auth_forwarded = 14,  // zone-based authentication: through the forwarder or list?
    draw_dmarc_pct = 15,       // zone-based authentication: DMARC pct= sampling
    // block 4 and 5: authentication and transport facts (sender/facts.hpp), drawn only by
    // classes that give them as probabilities
    draw_spf = 16,                // "auth_results": the SPF result
    draw_dkim_0 = 17,             // "auth_results": the first DKIM signature's result
    draw_dkim_1 = 18,             // "auth_results": the second DKIM signature's result
    draw_ptr = 19,                // "transport": reverse DNS of the sending IP
    draw_tls = 20,                // "transport": the session used STARTTLS
    draw_list_unsubscribe = 21,   // "transport": the List-Unsubscribe header
    draw_forwarded = 22,          // "auth_results": through the forwarder or list (sender/forwarding.hpp)
    draw_forwarded_spf = 23,      // "auth_results": SPF at the receiver when the forwarder kept MAIL FROM
};

// Stream::recipient: what the recipient and the receiver's folders do after acceptance.
enum RecipientDraw : std::uint32_t {
    draw_safe_sender = 0,           // the sender is in the recipient's safe senders or contacts
    draw_rescue = 1,                // a spam-folder message is found and marked "not spam"
    draw_release_by_recipient = 2,  // released from quarantine from a digest
    draw_release_by_admin = 3,      // released from quarantine by an admin
};

// Stream::world_message: drawn when a world message is generated (block 0) and when it is
// accepted into the inbox or spam folder (block 1: the recipient's feedback).
enum WorldMessageDraw : std::uint32_t {
    draw_world_recipient = 0,  // which recipient of the list (steady, daily_cycle, ramp)
    draw_world_send_time = 1,  // jitter of the send time within its slot
    draw_world_ip = 2,         // which of the sender's IPs
    draw_world_engagement = 4,  // the recipient engages (opens, replies)
    draw_world_complaint = 5,   // the recipient reports spam
    draw_world_not_spam = 6,    // the recipient clicks "not spam" on a spam-folder message
};

// Stream::world_recipient: drawn once per recipient when the world is set up.
enum WorldRecipientDraw : std::uint32_t {
    draw_recipient_domain = 0,      // receiving domain, from the list's domain weights
    draw_recipient_stale = 1,       // the address no longer exists
    draw_recipient_spam_trap = 2,   // a stale address turned spam trap
    draw_mailbox_initial_fill = 3,  // mailbox fill at the start
    draw_mailbox_never_empty = 4,   // the owner never empties the mailbox
    draw_mailbox_phase = 5,         // when in its cycle the owner empties it
    draw_recipient_trap_kind = 6,   // a live address that is a pristine or typo trap (world/blocklist.hpp)
};

// Stream::world_attempt: per attempt of a world message, world_attempt_slots draws each.
enum WorldAttemptDraw : std::uint32_t {
    draw_reputation_reject = 0,  // rejected outright for the sender's reputation
    draw_spam_rate_limit = 1,    // deferred while over the spam-rate limit (world/postmaster.hpp)
};
inline constexpr std::uint32_t world_attempt_slots = 4;
constexpr std::uint32_t world_attempt_draw(std::uint32_t attempt, WorldAttemptDraw slot) noexcept {
    return attempt * world_attempt_slots + slot;
}

// Standard normal quantile, Wichura's algorithm AS 241 (PPND16, relative accuracy ~1e-16).
// Inversion keeps one uniform per normal draw (a fixed draw budget per stream), and is
// cheaper than Box-Muller: no log/sqrt in the central 85% of the distribution. Never inlined:
// one compiled copy, so a batched draw (MessageRng::head_normals) and a single one agree bit
// for bit whatever the caller's floating-point contraction.
[[gnu::noinline]] inline double normal_quantile(double p) noexcept {
    const double q = p - 0.5;
    if (std::fabs(q) <= 0.425) {
        // Central region, 85% of draws. Estrin's scheme evaluates the degree-7 polynomials
        // with a short dependency chain (Horner's is latency-bound here).
        const double r = 0.180625 - q * q, r2 = r * r, r4 = r2 * r2;
        const double num = (3.387132872796366608 + 133.14166789178437745 * r) +
                           (1971.5909503065514427 + 13731.693765509461125 * r) * r2 +
                           ((45921.953931549871457 + 67265.770927008700853 * r) +
                            (33430.575583588128105 + 2509.0809287301226727 * r) * r2) * r4;
        const double den = (1.0 + 42.313330701600911252 * r) +
                           (687.1870074920579083 + 5394.1960214247511077 * r) * r2 +
                           ((21213.794301586595867 + 39307.89580009271061 * r) +
                            (28729.085735721942674 + 5226.495278852545925 * r) * r2) * r4;
        return q * num / den;
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

// Draws of one message. Philox4x64-10 turns the 256-bit counter
// {message index, stream, block, 0} under the key {seed, 0} into four 64-bit words, i.e.
// four draws per block.
class MessageRng {
public:
    static constexpr std::uint32_t draws_per_block = 4;

    // The blocks nearly every message needs (message blocks 0 and 1, the first attempt's
    // routing block) are computed up front, together: they are independent, so the CPU
    // overlaps the Philox evaluations instead of running them one after another. Message
    // block 2 (DMARC, attachment, dead destination; about three R1 messages in four) is a
    // head block in batches, where it costs little, and computed on first use otherwise
    // (a world message's retry builds its generator again and often reads none of it).
    MessageRng(std::uint64_t seed, std::uint64_t message_index) noexcept
        : key_{{seed, 0}}, index_(message_index) {
        head_[0] = block(Stream::message, 0);
        head_[1] = block(Stream::message, 1);
        head_[3] = block(Stream::mx_routing, 0);
        have_block2_ = false;
    }
    using Block = r123::Philox4x64::ctr_type;
    // The head blocks, in this order: (stream, block) of each, for head_blocks().
    static constexpr philox_batch::Columns<4> head_columns{{{static_cast<std::uint64_t>(Stream::message), 0},
                                                            {static_cast<std::uint64_t>(Stream::message), 1},
                                                            {static_cast<std::uint64_t>(Stream::message), 2},
                                                            {static_cast<std::uint64_t>(Stream::mx_routing), 0}}};
    static constexpr std::size_t head_count = head_columns.size();
    // With the head blocks already computed (head_blocks(), for many messages at once).
    MessageRng(std::uint64_t seed, std::uint64_t message_index, const Block* heads) noexcept
        : key_{{seed, 0}}, index_(message_index) {
        for (std::size_t h = 0; h < head_count; ++h) head_[h] = heads[h];
    }
    // ... and the head normal already computed (head_normals()).
    MessageRng(std::uint64_t seed, std::uint64_t message_index, const Block* heads, double head_normal) noexcept
        : MessageRng(seed, message_index, heads) {
        head_normal_ = head_normal;
        have_head_normal_ = true;
    }
    // The head blocks of messages [first, first + n): out[j * head_count + h] for message first + j.
    static void head_blocks(std::uint64_t seed, std::uint64_t first, std::size_t n, Block* out) noexcept {
        philox_batch::blocks(seed, first, n, head_columns, out);
    }

    // The one normal draw most messages make (the content score) is computed for a batch at
    // once, from head_blocks()' output: a quantile is a chain of dependent multiplies and a
    // division, and independent messages let the CPU overlap those chains; one message at a
    // time, the content filter's branch waits for it.
    static constexpr Stream head_normal_stream = Stream::message;
    static constexpr std::uint32_t head_normal_draw = draw_content_score;
    static void head_normals(std::size_t n, const Block* heads, double* out) noexcept {
        constexpr std::size_t b = head_normal_draw / draws_per_block, lane = head_normal_draw % draws_per_block;
        static_assert(head_columns[b][0] == static_cast<std::uint64_t>(head_normal_stream) && head_columns[b][1] == b);
        for (std::size_t j = 0; j < n; ++j) out[j] = normal_quantile(to_uniform(heads[j * head_count + b][lane]));
    }

    std::uint64_t message_index() const noexcept { return index_; }
    std::uint64_t seed() const noexcept { return key_[0]; }

    // 64 random bits: draw `draw` of stream `stream`. Always inlined: with the stream and
    // draw known at the call, a head-block draw is one load; GCC's own choice depends on the
    // size of the calling function and left it out of line in the larger draw_message().
    [[gnu::always_inline]] std::uint64_t bits(Stream stream, std::uint32_t draw) noexcept {
        const std::uint32_t b = draw / draws_per_block, lane = draw % draws_per_block;
        if (stream == Stream::message && b < 2) return head_[b][lane];
        if (stream == Stream::message && b == 2) {
            if (!have_block2_) compute_block2();
            return head_[2][lane];
        }
        if (stream == Stream::mx_routing && b == 0) return head_[3][lane];
        if (!(cached_ && stream == cached_stream_ && b == cached_block_)) refill(stream, b);
        return last_[lane];
    }

    // Uniform on the open interval (0, 1): `uniform(...) < p` is never true for p = 0 and
    // always true for p = 1, so degenerate probabilities stay exact.
    [[gnu::always_inline]] double uniform(Stream stream, std::uint32_t draw) noexcept {
        // Same value as r123::u01fixedpt<double>: (1 | top 53 bits) * 2^-53. Converting
        // through int64 (exact below 2^53) avoids the slow unsigned-to-double sequence.
        return to_uniform(bits(stream, draw));
    }

    [[gnu::always_inline]] bool bernoulli(Stream stream, std::uint32_t draw, double p) noexcept {
        return uniform(stream, draw) < p;
    }

    // Standard normal by inversion: normal_quantile(uniform(stream, draw)).
    [[gnu::always_inline]] double normal(Stream stream, std::uint32_t draw) noexcept {
        if (stream == head_normal_stream && draw == head_normal_draw && have_head_normal_) return head_normal_;
        return normal_quantile(uniform(stream, draw));
    }

    // Blocks first .. first+N-1 of a stream, computed together (the CPU overlaps them) and
    // not cached, so they do not evict the block other draws are reading: for a stage that
    // needs all of a stream's draws at once (sender/features.hpp). Word `lane` of block b is
    // bits(stream, 4 b + lane); to_uniform() turns it into uniform()'s value.
    template <std::size_t N>
    std::array<Block, N> blocks(Stream stream, std::uint32_t first) const noexcept {
        std::array<Block, N> out;
        for (std::size_t i = 0; i < N; ++i) out[i] = block(stream, first + i);
        return out;
    }
    static double to_uniform(std::uint64_t bits) noexcept {
        return static_cast<double>(static_cast<std::int64_t>((bits >> 11) | 1)) * 0x1.0p-53;
    }

private:
    [[gnu::noinline]] void compute_block2() noexcept {
        head_[2] = block(Stream::message, 2);
        have_block2_ = true;
    }
    [[gnu::noinline]] void refill(Stream stream, std::uint32_t b) noexcept {
        last_ = block(stream, b);
        cached_ = true;
        cached_stream_ = stream;
        cached_block_ = b;
    }
    Block block(Stream stream, std::uint64_t b) const noexcept {
        return r123::Philox4x64{}(Block{{index_, static_cast<std::uint64_t>(stream), b, 0}}, key_);
    }

    r123::Philox4x64::key_type key_;
    std::uint64_t index_;
    Block head_[4];
    bool have_block2_ = true;
    bool have_head_normal_ = false;
    double head_normal_ = 0;
    bool cached_ = false;
    Stream cached_stream_{};
    std::uint32_t cached_block_ = 0;
    Block last_{};
};

}  // namespace delivsim
