#pragma once
// world::run: the world simulated epoch by epoch (design in world/world.hpp). Per epoch:
//  1. generation: each sender's messages of the epoch, by sender ranges on threads, into
//     per-thread per-domain vectors (a domain sorts its own, so the split does not matter);
//  2. delivery: each receiving domain processes its attempts in (time, id) order, domains
//     in parallel;
//  3. merge: each domain's counts are added into the time series in domain order.
// The run goes on after duration_s, without new mail, until every queue and every pending
// feedback has drained (at most the retry lifetime later).
#include <delivsim/world/receiving_domain.hpp>

#include <atomic>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace delivsim::world {

struct Options {
    std::uint64_t seed = 0;
    unsigned threads = 1;  // results never depend on it
    std::function<void(double simulated_s)> progress;  // called on the calling thread after each epoch
    const std::atomic<bool>* cancel = nullptr;
};

struct Result {
    Tally tally;  // totals: classes are the world's senders, profiles its receivers
    TimeSeries series;
    std::uint64_t epochs = 0;
    std::uint64_t greylist_triplets = 0;  // triplets remembered at the end, all receivers
    bool operator==(const Result&) const = default;
};

class Cancelled : public std::runtime_error {
public:
    Cancelled() : std::runtime_error("world run cancelled") {}
};

namespace detail {

// Runs f(k) for k in [0, n) on up to `threads` threads; the first exception is rethrown.
template <class F>
void parallel_for(std::size_t n, unsigned threads, F&& f) {
    if (threads <= 1 || n <= 1) {
        for (std::size_t k = 0; k < n; ++k) f(k);
        return;
    }
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex m;
    auto work = [&] {
        try {
            for (std::size_t k; (k = next++) < n;) f(k);
        } catch (...) {
            std::lock_guard lock(m);
            if (!error) error = std::current_exception();
        }
    };
    std::vector<std::thread> pool;
    const unsigned t = static_cast<unsigned>(std::min<std::size_t>(threads, n));
    for (unsigned i = 1; i < t; ++i) pool.emplace_back(work);
    work();
    for (auto& th : pool) th.join();
    if (error) std::rethrow_exception(error);
}

inline std::uint64_t message_id(std::uint32_t sender, std::uint32_t item, std::uint64_t serial) noexcept {
    return (static_cast<std::uint64_t>(sender) << 44) | (static_cast<std::uint64_t>(item) << 32) | serial;
}

}  // namespace detail

inline Result run(const World& w, const Options& o) {
    const std::size_t S = w.senders.size(), R = w.receivers.size();
    const unsigned threads = std::max(1u, o.threads);

    // Recipients: domain, stale or trap, mailbox, drawn once (stream world_recipient).
    std::vector<Recipient> recipients(w.recipient_count());
    std::vector<std::uint32_t> per_domain(R, 0);
    for (std::uint32_t l = 0; l < w.lists.size(); ++l) {
        const RecipientList& list = w.lists[l];
        for (std::uint64_t k = 0; k < list.size; ++k) {
            const std::uint64_t r = list.first_recipient + k;
            const DrawBlock b0(o.seed, r, Stream::world_recipient, draw_recipient_domain);
            Recipient& rc = recipients[r];
            rc.list = l;
            rc.domain = pick(list.domain_cdf, b0.uniform(draw_recipient_domain));
            if (b0.uniform(draw_recipient_stale) < list.stale)
                rc.kind = b0.uniform(draw_recipient_spam_trap) < list.spam_trap ? Recipient::Kind::spam_trap
                                                                                 : Recipient::Kind::stale;
            rc.mailbox = per_domain[rc.domain]++;
        }
    }
    std::vector<ReceivingDomain> domains;
    domains.reserve(R);
    for (std::uint32_t d = 0; d < R; ++d) domains.emplace_back(w, d, o.seed, per_domain[d]);
    for (std::uint64_t r = 0; r < recipients.size(); ++r) {
        const Recipient& rc = recipients[r];
        const auto& mb = w.receivers[rc.domain].mailbox;
        if (!mb) continue;
        const DrawBlock b0(o.seed, r, Stream::world_recipient, draw_mailbox_initial_fill);
        const DrawBlock b1(o.seed, r, Stream::world_recipient, draw_mailbox_never_empty);
        Mailbox& m = domains[rc.domain].mailboxes()[rc.mailbox];
        m.fill = static_cast<std::uint64_t>(b0.uniform(draw_mailbox_initial_fill) * mb->initial_fill *
                                            static_cast<double>(mb->quota_bytes));
        m.never_empty = b1.uniform(draw_mailbox_never_empty) < mb->never_empty;
        m.phase_s = b1.uniform(draw_mailbox_phase) * mb->empty_every_s;
    }

    // Epochs: the schedule's, then the drain (at most the retry lifetime plus feedback).
    double max_delay = 0;
    for (const auto& r : w.receivers) max_delay = std::max(max_delay, r.feedback_delay_s);
    const double last_attempt = w.scenario.attempt_times.back();
    const std::uint64_t per_bucket = static_cast<std::uint64_t>(std::llround(w.bucket_s / w.epoch_s));
    const std::uint64_t send_epochs = static_cast<std::uint64_t>(std::ceil(w.duration_s / w.epoch_s));
    std::uint64_t max_epochs = static_cast<std::uint64_t>(std::ceil((w.duration_s + last_attempt + max_delay) / w.epoch_s)) + 1;
    for (const Sender& s : w.senders)  // campaigns may spread past duration_s
        for (const ScheduleItem& it : s.schedule)
            if (it.kind == ScheduleItem::Kind::campaign)
                max_epochs = std::max<std::uint64_t>(
                    max_epochs, static_cast<std::uint64_t>(std::ceil((it.at_s + it.spread_s + last_attempt + max_delay) / w.epoch_s)) + 1);
    max_epochs = (max_epochs + per_bucket - 1) / per_bucket * per_bucket;

    Result res;
    res.series.senders = S;
    res.series.receivers = R;
    res.series.bucket_s = w.bucket_s;
    res.series.resize(max_epochs / per_bucket);

    std::vector<std::vector<ScheduleCursor>> cursors(S);
    for (std::size_t s = 0; s < S; ++s) cursors[s].resize(w.senders[s].schedule.size());
    const unsigned gen_parts = static_cast<unsigned>(std::min<std::size_t>(threads, S));
    std::vector<std::vector<std::vector<Pending>>> gen(gen_parts, std::vector<std::vector<Pending>>(R));

    auto generate = [&](std::size_t part, double a, double b) {
        auto& out = gen[part];
        for (std::size_t s = part * S / gen_parts; s < (part + 1) * S / gen_parts; ++s) {
            const Sender& snd = w.senders[s];
            for (std::uint32_t k = 0; k < snd.schedule.size(); ++k) {
                const ScheduleItem& it = snd.schedule[k];
                const RecipientList& list = w.lists[it.list];
                ScheduleCursor& c = cursors[s][k];
                auto emit = [&](double t, std::uint64_t id, std::uint64_t r, std::uint64_t ip_bits) {
                    const auto ip = static_cast<std::uint16_t>(snd.ips[to_index(ip_bits, snd.ips.size())]);
                    out[recipients[r].domain].push_back(Pending{t, t, id, static_cast<std::uint32_t>(r), 0, ip});
                };
                if (it.kind == ScheduleItem::Kind::campaign) {
                    const double n = static_cast<double>(it.messages);
                    while (c.emitted < it.messages) {
                        const std::uint64_t id = detail::message_id(static_cast<std::uint32_t>(s), k, c.emitted);
                        const DrawBlock blk(o.seed, id, Stream::world_message, draw_world_recipient);
                        const double t =
                            it.at_s + (static_cast<double>(c.emitted) + blk.uniform(draw_world_send_time)) / n * it.spread_s;
                        if (t >= b) break;
                        emit(t, id, list.first_recipient + c.emitted % list.size, blk.bits(draw_world_ip));
                        ++c.emitted;
                    }
                    continue;
                }
                const double lo = std::max(a, it.start_s), hi = std::min({b, it.end_s, w.duration_s});
                if (!(lo < hi)) continue;
                c.expected += it.rate_at(0.5 * (lo + hi)) * (hi - lo) / 3600.0;
                const std::uint64_t total = static_cast<std::uint64_t>(std::floor(c.expected));
                if (total <= c.emitted) continue;
                const std::uint64_t n = total - c.emitted;
                for (std::uint64_t j = 0; j < n; ++j) {
                    const std::uint64_t id = detail::message_id(static_cast<std::uint32_t>(s), k, c.emitted + j);
                    const DrawBlock blk(o.seed, id, Stream::world_message, draw_world_recipient);
                    double t = lo + (static_cast<double>(j) + blk.uniform(draw_world_send_time)) / static_cast<double>(n) *
                                        (hi - lo);
                    if (t >= hi) t = std::nextafter(hi, lo);
                    emit(t, id, list.first_recipient + to_index(blk.bits(draw_world_recipient), list.size),
                         blk.bits(draw_world_ip));
                }
                c.emitted = total;
            }
        }
    };

    std::uint64_t e = 0;
    for (; e < max_epochs; ++e) {
        if (o.cancel && o.cancel->load()) throw Cancelled();
        const double a = static_cast<double>(e) * w.epoch_s, b = static_cast<double>(e + 1) * w.epoch_s;
        const std::size_t bucket = e / per_bucket;
        const bool bucket_end = (e + 1) % per_bucket == 0;
        // Stop after the sending period once everything has drained (at a bucket's start).
        if (e >= send_epochs && e % per_bucket == 0) {
            bool idle = true;
            for (const auto& d : domains) idle = idle && d.idle();
            bool campaigns_left = false;
            for (std::size_t s = 0; s < S; ++s)
                for (std::size_t k = 0; k < w.senders[s].schedule.size(); ++k)
                    campaigns_left = campaigns_left || (w.senders[s].schedule[k].kind == ScheduleItem::Kind::campaign &&
                                                        cursors[s][k].emitted < w.senders[s].schedule[k].messages);
            if (idle && !campaigns_left) break;
        }
        detail::parallel_for(gen_parts, threads, [&](std::size_t part) { generate(part, a, b); });
        detail::parallel_for(R, threads, [&](std::size_t d) {
            auto& fresh = domains[d].fresh();
            for (auto& g : gen) {
                fresh.insert(fresh.end(), g[d].begin(), g[d].end());
                g[d].clear();
            }
            domains[d].set_series(&res.series, bucket);
            domains[d].run_epoch(a, b, recipients);
            if (bucket_end) domains[d].sample(res.series, bucket, b);
        });
        for (auto& d : domains) {
            d.flush(res.series, bucket);
            if (bucket_end) d.add_queue(res.series, bucket);
        }
        if (o.progress) o.progress(b);
    }
    res.epochs = e;
    res.series.resize((e + per_bucket - 1) / per_bucket);
    res.tally = Tally(w.sender_names(), w.scenario.profile_names(), w.scenario.attempt_times);
    for (const auto& d : domains) {
        res.tally += d.tally();
        res.greylist_triplets += d.greylist_triplets();
    }
    return res;
}

}  // namespace delivsim::world
