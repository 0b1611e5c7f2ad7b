#pragma once
// world::run: the world simulated epoch by epoch (design in world/world.hpp), on the one
// runner (engine/runner.hpp: one thread pool for the whole run, started once). Per epoch:
//  1. generation: each sender's messages of the epoch, by sender ranges (on threads when the
//     epoch has enough work), into per-part per-domain vectors (a domain orders its own, so
//     the split does not matter);
//  2. delivery: each receiving domain processes its attempts in (time, id) order (the Philox
//     blocks of its first attempts computed a few at a time: MessageDraws), domains
//     in parallel, the busiest first; threads with no domain left meanwhile generate the next
//     epoch (step 1 reads nothing a domain changes);
//  3. merge: each domain's counts are added into the time series in domain order.
// The run goes on after duration_s, without new mail, until every queue and every pending
// feedback has drained (at most the retry lifetime later).
#include <delivsim/engine/run.hpp>
#include <delivsim/engine/runner.hpp>
#include <delivsim/world/receiving_domain.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace delivsim::world {

class WorldRun;

// The runner's options (engine/runner.hpp: seed, threads, cancel) and a world run's progress.
struct Options : RunnerOptions {
    // Called from the calling thread about every 100 ms, and once at the end, with the
    // simulated time reached.
    std::function<void(double simulated_s)> progress;
    WorldTrace* trace = nullptr;  // records the attempts of message trace->id (world::explain)
    // Called from the calling thread with the run at an epoch boundary: before the first
    // epoch, every checkpoint_interval_s, at the end, and when the run is cancelled (the
    // epoch under way is finished first). world/checkpoint.hpp writes it to a file.
    std::function<void(const WorldRun&)> checkpoint;
    double checkpoint_interval_s = 60;
    // Continue this run (read from a checkpoint of the same world and seed) instead of
    // starting anew.
    const WorldRun* resume = nullptr;
    const WorldTracing* tracing = nullptr;  // sees every fate, records several messages (world::trace)
};

using delivsim::Cancelled;

struct Result {
    Tally tally;  // totals: classes are the world's senders, profiles its receivers
    TimeSeries series;
    std::uint64_t epochs = 0;
    std::uint64_t greylist_triplets = 0;  // triplets remembered at the end, all receivers
    bool operator==(const Result&) const = default;
};

namespace detail {

inline std::uint64_t message_id(std::uint32_t sender, std::uint32_t item, std::uint64_t serial) noexcept {
    return (static_cast<std::uint64_t>(sender) << 44) | (static_cast<std::uint64_t>(item) << 32) | serial;
}

}  // namespace detail

// A world run, one epoch at a time. Between two calls of next_epoch() its whole state (the
// recipients, every receiving domain's state and queue, the schedule cursors, the series so
// far) is that of a completed epoch, independent of the threads: that is where a run can be
// checkpointed and resumed. A domain traces one message's attempts through the same step as
// any other (Options::trace, ReceivingDomain::trace).
class WorldRun {
public:
    // `parts`: how many parts the senders are split into for generation (any number gives
    // the same results; the run's thread count is the useful one).
    // `trace`: records the attempts of message trace->id (world::explain), or nullptr.
    WorldRun(const World& w, std::uint64_t seed, unsigned parts, WorldTrace* trace = nullptr,
             const WorldTracing* tracing = nullptr)
        : w_(&w), seed_(seed) {
        const std::size_t S = w.senders.size(), R = w.receivers.size();
        // Recipients: domain, stale or trap, mailbox, drawn once (stream world_recipient).
        recipients_.resize(w.recipient_count());
        std::vector<std::uint32_t> per_domain(R, 0);
        for (std::uint32_t l = 0; l < w.lists.size(); ++l) {
            const RecipientList& list = w.lists[l];
            for (std::uint64_t k = 0; k < list.size; ++k) {
                const std::uint64_t r = list.first_recipient + k;
                const DrawBlock b0(seed, r, Stream::world_recipient, draw_recipient_domain);
                Recipient& rc = recipients_[r];
                rc.list = l;
                rc.domain = pick(list.domain_cdf, b0.uniform(draw_recipient_domain));
                if (b0.uniform(draw_recipient_stale) < list.stale)
                    rc.kind = b0.uniform(draw_recipient_spam_trap) < list.spam_trap ? Recipient::Kind::spam_trap
                                                                                     : Recipient::Kind::stale;
                if (rc.kind == Recipient::Kind::live && (list.pristine_trap > 0 || list.typo_trap > 0)) {
                    const double u = DrawBlock(seed, r, Stream::world_recipient, draw_recipient_trap_kind)
                                         .uniform(draw_recipient_trap_kind);
                    if (u < list.pristine_trap) rc.kind = Recipient::Kind::pristine_trap;
                    else if (u < list.pristine_trap + list.typo_trap) rc.kind = Recipient::Kind::typo_trap;
                }
                rc.mailbox = per_domain[rc.domain]++;
            }
        }
        domains_.reserve(R);
        for (std::uint32_t d = 0; d < R; ++d) domains_.emplace_back(w, d, seed, per_domain[d]);
        blocklist_ = Blocklist(w.blocklist, w.ips.size());
        if (trace)  // only the domain of the message's recipient ever meets it
            for (auto& d : domains_) d.trace(trace);
        if (tracing)
            for (auto& d : domains_) d.tracing(tracing);
        for (std::uint64_t r = 0; r < recipients_.size(); ++r) {
            const Recipient& rc = recipients_[r];
            const auto& mb = w.receivers[rc.domain].mailbox;
            if (!mb) continue;
            const DrawBlock b0(seed, r, Stream::world_recipient, draw_mailbox_initial_fill);
            const DrawBlock b1(seed, r, Stream::world_recipient, draw_mailbox_never_empty);
            Mailbox& m = domains_[rc.domain].mailboxes()[rc.mailbox];
            m.fill = static_cast<std::uint64_t>(b0.uniform(draw_mailbox_initial_fill) * mb->initial_fill *
                                                static_cast<double>(mb->quota_bytes));
            m.never_empty = b1.uniform(draw_mailbox_never_empty) < mb->never_empty;
            m.phase_s = b1.uniform(draw_mailbox_phase) * mb->empty_every_s;
        }

        // Epochs: the schedule's, then the drain (at most the retry lifetime plus feedback).
        const Plan pl = plan(w);
        per_bucket_ = pl.per_bucket;
        send_epochs_ = pl.send_epochs;
        max_epochs_ = pl.max_epochs;

        res_.series.senders = S;
        res_.series.receivers = R;
        res_.series.bucket_s = w.bucket_s;
        res_.series.resize(max_epochs_ / per_bucket_);

        cursors_.resize(S);
        for (std::size_t s = 0; s < S; ++s) cursors_[s].resize(w.senders[s].schedule.size());
        set_parts(parts);
    }

    std::uint64_t epochs_done() const noexcept { return epoch_; }
    std::uint64_t seed() const noexcept { return seed_; }
    const World& world() const noexcept { return *w_; }

    // How many parts generation is split into (any number gives the same results).
    void set_parts(unsigned parts) {
        parts_ = static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(parts, w_->senders.size())));
        for (auto& g : gen_) g.assign(parts_, std::vector<Generated>(w_->receivers.size()));
        ahead_ = false;
        batch_.assign(parts_, std::vector<MessageRng::Block>(batch));
        sort_buffers_.assign(parts_, SortBuffers{});
    }

    // The whole state at an epoch boundary, for checkpoints (world/checkpoint.hpp). The
    // recipients are not part of it: they are drawn from the seed when the run is made.
    template <class Archive>
    void state(Archive& ar) {
        ar("epoch", epoch_);
        ar("finished", finished_);
        ar("generated", generated_);
        ar("cursors", cursors_);
        ar("series", res_.series);
        ar("domains", domains_);
        ar("blocklist", blocklist_);
    }
    // After a restore: throws std::invalid_argument naming what no run of this world could
    // have reached (a crafted checkpoint with a valid checksum).
    void check_restored() const {
        if (epoch_ > max_epochs_)
            throw std::invalid_argument("state.epoch: " + std::to_string(epoch_) + " is beyond the run's " +
                                        std::to_string(max_epochs_) + " epochs");
        for (std::size_t d = 0; d < domains_.size(); ++d)
            if (const std::string why = domains_[d].damaged(recipients_); !why.empty())
                throw std::invalid_argument("state.domains[" + std::to_string(d) + "]." + why);
    }
    double simulated_s() const noexcept { return static_cast<double>(epoch_) * w_->epoch_s; }

    // Runs the next epoch on `pool`; false (and nothing run) once the run is over: every
    // queue and pending feedback drained after the sending period, or the last epoch done.
    // Cancellation (o.cancel) stops an epoch part-way and throws Cancelled: the state is then
    // not that of an epoch boundary, and the run is abandoned.
    bool next_epoch(WorkerPool& pool, const RunnerOptions& o) {
        const World& w = *w_;
        const std::size_t S = w.senders.size(), R = w.receivers.size();
        const std::uint64_t e = epoch_;
        if (finished_ || e >= max_epochs_) return false;
        const double a = static_cast<double>(e) * w.epoch_s, b = static_cast<double>(e + 1) * w.epoch_s;
        const std::size_t bucket = e / per_bucket_;
        const bool bucket_end = (e + 1) % per_bucket_ == 0;
        // Stop after the sending period once everything has drained (at a bucket's start).
        if (e >= send_epochs_ && e % per_bucket_ == 0) {
            bool idle = true;
            for (const auto& d : domains_) idle = idle && d.idle();
            bool campaigns_left = false;
            for (std::size_t s = 0; s < S; ++s)
                for (std::size_t k = 0; k < w.senders[s].schedule.size(); ++k)
                    campaigns_left = campaigns_left || (w.senders[s].schedule[k].kind == ScheduleItem::Kind::campaign &&
                                                        cursors_[s][k].emitted < w.senders[s].schedule[k].messages);
            if (idle && !campaigns_left) {
                finished_ = true;
                return false;
            }
        }
        // Threads only where there is enough work to share: an idle epoch (the drain, a quiet
        // night) costs microseconds, less than waking the pool. Never a change in results.
        // This epoch's messages: generated ahead during the last epoch, or now.
        if (ahead_ && ahead_epoch_ == e) {
            cur_ ^= 1;
            cursors_.swap(cursors_ahead_);
            ahead_ = false;
        } else if (drop_ahead(); generated_ >= parallel_threshold) {
            pool.for_each(parts_, [&](std::size_t part) { generate(part, a, b, gen_[cur_][part], cursors_); });
        } else {
            for (unsigned part = 0; part < parts_; ++part) generate(part, a, b, gen_[cur_][part], cursors_);
        }
        auto& gen = gen_[cur_];
        generated_ = 0;
        std::uint64_t work = 0;
        for (std::size_t d = 0; d < R; ++d) {
            std::uint64_t n = 0;
            for (const auto& g : gen) n += g[d].pending.size();
            generated_ += n;
            n += domains_[d].queued_due(b);
            work += n + w.ips.size() / 16;
        }
        auto deliver = [&](std::size_t d) {
            auto& fresh = domains_[d].fresh_parts();
            fresh.clear();
            for (auto& g : gen) fresh.emplace_back(g[d].pending);
            domains_[d].set_series(&res_.series, bucket);
            // This run's blocklist, handed over each epoch (a copied or moved run has its own).
            domains_[d].use_blocklist(blocklist_.enabled() ? &blocklist_ : nullptr);
            domains_[d].run_epoch(a, b, recipients_, o.cancel);
            for (auto& g : gen) g[d].pending.clear();
            if (bucket_end) domains_[d].sample(res_.series, bucket, b);
        };
        if (work >= parallel_threshold && pool.size() > 1) {
            // The next epoch's messages depend on nothing the domains change: threads that have
            // no domain left generate them meanwhile (into the other buffers, from a copy of the
            // cursors, taken up by the next call). The busiest domains start first.
            const bool ahead = e + 1 < max_epochs_;
            if (ahead) cursors_ahead_ = cursors_;
            order_.resize(R);
            for (std::size_t d = 0; d < R; ++d) order_[d] = d;
            std::stable_sort(order_.begin(), order_.end(), [&](std::size_t x, std::size_t y) {
                std::size_t nx = domains_[x].queued_due(b), ny = domains_[y].queued_due(b);  // + first attempts:
                for (const auto& g : gen) nx += g[x].pending.size(), ny += g[y].pending.size();
                return nx > ny;
            });
            const double a1 = b, b1 = static_cast<double>(e + 2) * w.epoch_s;
            pool.for_each(R + (ahead ? parts_ : 0), [&](std::size_t k) {
                if (k < R) deliver(order_[k]);
                else generate(k - R, a1, b1, gen_[cur_ ^ 1][k - R], cursors_ahead_);
            });
            ahead_ = ahead;
            ahead_epoch_ = e + 1;
        } else {
            for (std::size_t d = 0; d < R; ++d) deliver(d);
        }
        if (o.cancelled()) throw Cancelled();
        for (auto& d : domains_) {
            d.flush(res_.series, bucket);
            if (bucket_end) d.add_queue(res_.series, bucket);
        }
        // The epoch's trap hits reach the shared blocklist, in domain order (then sorted).
        if (blocklist_.enabled()) {
            std::vector<TrapHit> hits;
            for (auto& d : domains_) d.take_trap_hits(hits);
            blocklist_.add(hits, b);
        }
        ++epoch_;
        return true;
    }

    // The results once next_epoch() has returned false.
    Result result() const {
        Result res = res_;
        res.epochs = epoch_;
        res.series.resize((epoch_ + per_bucket_ - 1) / per_bucket_);
        res.tally = Tally(w_->sender_names(), w_->scenario.profile_names(), w_->scenario.attempt_times, w_->sender_truth(),
                          w_->scenario.retry.delay_warning_s);
        for (const auto& d : domains_) {
            res.tally += d.tally();
            res.greylist_triplets += d.greylist_triplets();
        }
        return res;
    }

private:
    // This epoch's new messages for one domain, from one part, in the processing order once
    // generate() returns (`sorted`: the sort's other buffer).
    struct Generated {
        std::vector<Pending> pending, sorted;
    };
    // sort_attempts()' buffers, per part.
    struct SortBuffers {
        std::vector<std::uint32_t> counts, slice_of;
    };
    // Forgets what was generated ahead, if anything (the buffers are appended to).
    void drop_ahead() {
        if (!ahead_) return;
        for (auto& part : gen_[cur_ ^ 1])
            for (Generated& g : part) g.pending.clear();
        ahead_ = false;
    }
    // Work (messages, queue entries) below which an epoch runs on the calling thread alone.
    static constexpr std::uint64_t parallel_threshold = 2048;

    // Messages whose generation block generate() computes together (core/philox_batch.hpp).
    static constexpr std::size_t batch = 64;
    // Generation's own block of a message: its send time, IP and recipient.
    static constexpr philox_batch::Columns<1> generation_column{
        {{static_cast<std::uint64_t>(Stream::world_message), draw_world_recipient / 4}}};

    // Generates the messages of senders part [part] of the epoch [a, b) into `out` (per
    // domain), moving `cursors` on.
    void generate(std::size_t part, double a, double b, std::vector<Generated>& out,
                  std::vector<std::vector<ScheduleCursor>>& cursors) {
        const World& w = *w_;
        const std::size_t S = w.senders.size();
        MessageRng::Block* blocks = batch_[part].data();
        for (std::size_t s = part * S / parts_; s < (part + 1) * S / parts_; ++s) {
            const Sender& snd = w.senders[s];
            for (std::uint32_t k = 0; k < snd.schedule.size(); ++k) {
                const ScheduleItem& it = snd.schedule[k];
                const RecipientList& list = w.lists[it.list];
                ScheduleCursor& c = cursors[s][k];
                // Message `serial` of the item, whose generation block is blocks[j]: queued at
                // its recipient's domain.
                auto emit = [&](double t, std::uint64_t serial, std::size_t j, std::uint64_t r) {
                    const auto ip = static_cast<std::uint16_t>(
                        snd.ips[to_index(DrawBlock(draw_world_ip, blocks[j]).bits(draw_world_ip), snd.ips.size())]);
                    out[recipients_[r].domain].pending.push_back(
                        Pending{t, t, detail::message_id(static_cast<std::uint32_t>(s), k, serial), static_cast<std::uint32_t>(r), 0, ip});
                };
                // The blocks of serials [first, first + n) (n <= batch).
                auto compute = [&](std::uint64_t first, std::size_t n) {
                    const std::uint64_t id = detail::message_id(static_cast<std::uint32_t>(s), k, first);
                    philox_batch::blocks(seed_, id, n, generation_column, blocks);
                };
                if (it.kind == ScheduleItem::Kind::campaign) {
                    // Every send time is at or after at_s: a campaign not begun costs nothing.
                    if (it.at_s >= b) continue;
                    const double n = static_cast<double>(it.messages);
                    // About how many are due before b (so that few blocks are computed in vain).
                    const double due = it.spread_s > 0 ? (b - it.at_s) / it.spread_s * n + 1 : n;
                    while (c.emitted < it.messages) {
                        const std::uint64_t left = it.messages - c.emitted;
                        const double expect = std::max(1.0, due - static_cast<double>(c.emitted));
                        const auto m = static_cast<std::size_t>(
                            std::min<double>({static_cast<double>(batch), static_cast<double>(left), expect}));
                        compute(c.emitted, m);
                        std::size_t j = 0;
                        for (; j < m; ++j) {
                            const double t = it.at_s + (static_cast<double>(c.emitted) +
                                                        DrawBlock(draw_world_send_time, blocks[j]).uniform(draw_world_send_time)) /
                                                           n * it.spread_s;
                            if (t >= b) break;
                            emit(t, c.emitted, j, list.first_recipient + c.emitted % list.size);
                            ++c.emitted;
                        }
                        if (j < m) break;
                    }
                    continue;
                }
                const double lo = std::max(a, it.start_s), hi = std::min({b, it.end_s, w.duration_s});
                if (!(lo < hi)) continue;
                const std::uint64_t total = due_by(it, hi, w.duration_s);
                if (total <= c.emitted) continue;
                const std::uint64_t n = total - c.emitted;
                for (std::uint64_t j0 = 0; j0 < n; j0 += batch) {
                    const auto m = static_cast<std::size_t>(std::min<std::uint64_t>(batch, n - j0));
                    compute(c.emitted + j0, m);
                    for (std::size_t jj = 0; jj < m; ++jj) {
                        const std::uint64_t j = j0 + jj;
                        const DrawBlock blk(draw_world_recipient, blocks[jj]);
                        double t = lo + (static_cast<double>(j) + blk.uniform(draw_world_send_time)) / static_cast<double>(n) *
                                            (hi - lo);
                        if (t >= hi) t = std::nextafter(hi, lo);
                        emit(t, c.emitted + j, jj, list.first_recipient + to_index(blk.bits(draw_world_recipient), list.size));
                    }
                }
                c.emitted = total;
            }
        }
        // Each domain's messages of this part in the processing order, here on the generating
        // thread: with threads, generation runs ahead on threads that have no domain left,
        // off the busiest domain's path; the domain merges the parts (merge_attempts()).
        SortBuffers& sb = sort_buffers_[part];
        for (Generated& g : out) {
            const std::size_t n = sort_attempts({std::span<const Pending>(g.pending)}, g.sorted, sb.counts, sb.slice_of, a, b);
            g.sorted.resize(n);
            g.pending.swap(g.sorted);
        }
    }

    const World* w_;
    std::uint64_t seed_;
    std::vector<Recipient> recipients_;
    std::vector<ReceivingDomain> domains_;
    Blocklist blocklist_;
    std::vector<std::vector<ScheduleCursor>> cursors_;
    unsigned parts_ = 1;
    // Per part, per domain: this epoch's messages (gen_[cur_]), and the next epoch's when they
    // were generated ahead (ahead_: for epoch ahead_epoch_, with the cursors after them).
    std::vector<std::vector<Generated>> gen_[2];
    unsigned cur_ = 0;
    bool ahead_ = false;
    std::uint64_t ahead_epoch_ = 0;
    std::vector<std::vector<ScheduleCursor>> cursors_ahead_;
    std::vector<std::size_t> order_;  // domains, busiest first
    std::vector<std::vector<MessageRng::Block>> batch_;  // per part: generate()'s blocks
    std::vector<SortBuffers> sort_buffers_;
    std::uint64_t per_bucket_ = 1, send_epochs_ = 0, max_epochs_ = 0, epoch_ = 0;
    std::uint64_t generated_ = 0;  // messages the last epoch generated (whether to share the next one)
    bool finished_ = false;
    Result res_;
};

// The parts generation is split into with `threads` threads: one per thread beyond the
// first, at least one. The busiest domain holds a thread for the whole epoch and merges the
// parts' sorted messages there (merge_attempts()), on the epoch's longest path; only the other
// threads can generate meanwhile. (With two threads, two parts were 6% slower than one on
// the campaigns benchmark: 12 interleaved pairs.)
inline unsigned generation_parts(unsigned threads) noexcept { return threads > 1 ? threads - 1 : 1; }

// The world simulated epoch by epoch on the runner's pool, started once for the whole run.
inline Result run(const World& w, const Options& o) {
    validate_threads(o.threads);
    if (!(o.checkpoint_interval_s >= 0)) throw std::invalid_argument("checkpoint_interval_s: must be >= 0");
    if (o.resume && (&o.resume->world() != &w || o.resume->seed() != o.seed))
        throw std::invalid_argument("resume: the run to continue is of another world or seed");
    const unsigned threads = static_cast<unsigned>(
        std::min<std::size_t>(o.threads, std::max<std::size_t>({w.receivers.size(), w.senders.size(), 1})));
    WorldRun run = o.resume ? *o.resume : WorldRun(w, o.seed, threads, o.trace, o.tracing);
    run.set_parts(generation_parts(threads));
    WorkerPool pool(threads);
    ProgressClock clock;
    // With checkpoints, cancellation is seen between epochs only, so that the final
    // checkpoint holds an epoch boundary.
    RunnerOptions epoch_options = o;
    if (o.checkpoint) epoch_options.cancel = nullptr;
    auto last_checkpoint = std::chrono::steady_clock::now();
    auto checkpoint = [&] {
        o.checkpoint(run);
        last_checkpoint = std::chrono::steady_clock::now();
    };
    if (o.checkpoint) checkpoint();  // an unwritable path fails now, not minutes in
    for (;;) {
        if (o.cancelled()) {
            if (o.checkpoint) checkpoint();
            throw Cancelled();
        }
        if (!run.next_epoch(pool, epoch_options)) break;
        if (o.progress) clock.tick([&] { o.progress(run.simulated_s()); });
        if (o.checkpoint && std::chrono::duration<double>(std::chrono::steady_clock::now() - last_checkpoint).count() >=
                                o.checkpoint_interval_s)
            checkpoint();
    }
    if (o.checkpoint) checkpoint();
    if (o.progress) o.progress(run.simulated_s());
    return run.result();
}

}  // namespace delivsim::world
