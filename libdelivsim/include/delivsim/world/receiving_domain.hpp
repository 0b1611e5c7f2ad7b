#pragma once
// One receiving domain (recipient profile) and everything it remembers: reputation counts,
// token buckets, greylist triplets, mailboxes, feedback on its way, and the retry queue
// entries of the messages addressed to it. It processes its attempts in the total order
// (time, message id); nothing it does depends on another domain, so domains run in parallel.
#include <delivsim/engine/deliver.hpp>
#include <delivsim/results/tally.hpp>
#include <delivsim/world/timeseries.hpp>
#include <delivsim/world/trace.hpp>
#include <delivsim/world/world.hpp>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cmath>
#include <limits>
#include <span>
#include <unordered_map>

namespace delivsim::world {

// A delivery attempt waiting in the sender's queue (or a first attempt).
struct Pending {
    double time;       // absolute simulated time of this attempt
    double t0;         // time of the first attempt
    std::uint64_t id;  // message id: sender << 44 | item << 32 | serial
    std::uint32_t recipient;
    std::uint16_t attempt;
    std::uint16_t ip;
    // The message's Delivery (its Session, kept across its attempts) in the domain's store;
    // no_delivery until its first deferral (most messages never need one).
    std::uint32_t delivery = no_delivery;
    static constexpr std::uint32_t no_delivery = 0xffffffffu;
};

// The Philox blocks a message's first attempt needs: `columns` consecutive blocks, its
// MessageRng head blocks then its feedback block (Stream::world_message block 1:
// draw_world_engagement and after); without them, the attempt draws as it reads. On a vector
// path a receiving domain computes them for the next few first attempts at once, in its
// processing order (core/philox_batch.hpp: eight messages at a time with AVX-512, whatever
// their ids), just before it needs them: computed at generation instead, 160 bytes a message
// went to memory and back, and the campaigns benchmark waited for them more than it saved.
struct MessageDraws {
    static constexpr std::size_t columns = MessageRng::head_count + 1;
    static constexpr philox_batch::Columns<columns> column_ids = [] {
        philox_batch::Columns<columns> c{};
        for (std::size_t h = 0; h < MessageRng::head_count; ++h) c[h] = MessageRng::head_columns[h];
        c[columns - 1] = {static_cast<std::uint64_t>(Stream::world_message), draw_world_engagement / 4};
        return c;
    }();
    const MessageRng::Block* blocks = nullptr;
    explicit operator bool() const noexcept { return blocks != nullptr; }
    const MessageRng::Block* heads() const noexcept { return blocks; }
    const MessageRng::Block& feedback() const noexcept { return blocks[columns - 1]; }
};
// The processing order: earliest first, ties by id. Ids are unique and a message has one
// pending attempt at a time, so the order is total.
inline bool before(const Pending& a, const Pending& b) noexcept {
    return a.time < b.time || (a.time == b.time && a.id < b.id);
}
inline std::uint32_t sender_of(std::uint64_t id) noexcept { return static_cast<std::uint32_t>(id >> 44); }

// Puts the attempts of `parts` (timed in [a, b)) into `out` in the processing order, the
// order std::sort with before() gives, in about linear time: a counting sort on short slices
// of [a, b), four slices per attempt, then an insertion sort that only ever moves an attempt
// within its slice. The slice of a time never decreases with the time, so the order is the
// same; with most slices holding at most one attempt, the insertion sort's comparisons are
// nearly all of neighbours in different slices, already in order, and its branch is
// predicted. (std::sort cost about 7% of the campaigns benchmark's instructions; slices of
// two attempts on average, sorted one by one, 10% of its time.)
// Returns how many there are: out[0, n). `out` only ever grows (its entries are overwritten,
// not constructed anew each epoch).
inline std::size_t sort_attempts(const std::vector<std::span<const Pending>>& parts, std::vector<Pending>& out,
                                 std::vector<std::uint32_t>& counts, std::vector<std::uint32_t>& slice_of, double a,
                                 double b) {
    std::size_t n = 0;
    for (const auto& part : parts) n += part.size();
    if (out.size() < n) out.resize(n);
    if (n < 32) {
        Pending* end = out.data();
        for (const auto& part : parts) end = std::copy(part.begin(), part.end(), end);
        std::sort(out.data(), end, [](const Pending& x, const Pending& y) { return before(x, y); });
        return n;
    }
    // (A slice's number and its attempts' positions are 32-bit.)
    const std::size_t slices = std::min<std::size_t>(4 * n, std::numeric_limits<std::uint32_t>::max() - 1);
    const double scale = static_cast<double>(slices) / (b - a), last = static_cast<double>(slices - 1);
    counts.assign(slices + 1, 0);
    slice_of.resize(n);
    std::size_t i = 0;
    std::uint32_t crowded = 0;  // the most attempts in one slice
    for (const auto& part : parts)
        for (const Pending& p : part) {
            const double x = (p.time - a) * scale;
            const auto k = static_cast<std::uint32_t>(!(x > 0) ? 0.0 : x < last ? x : last);
            slice_of[i++] = k;
            crowded = std::max(crowded, ++counts[k + 1]);
        }
    for (std::size_t k = 1; k <= slices; ++k) counts[k] += counts[k - 1];
    Pending* const scratch = out.data();
    i = 0;
    for (const auto& part : parts)
        for (const Pending& p : part) scratch[counts[slice_of[i++]]++] = p;
    const auto insertion_sort = [](Pending* begin, Pending* end) {
        for (Pending* i = begin + 1; i < end; ++i) {
            if (!before(*i, *(i - 1))) continue;
            const Pending x = *i;
            Pending* j = i;
            do {
                *j = *(j - 1);
                --j;
            } while (j > begin && before(x, *(j - 1)));
            *j = x;
        }
    };
    if (crowded <= 32) {
        insertion_sort(scratch, scratch + n);
        return n;
    }
    // counts[k] is now where slice k ends. A crowded slice (a campaign sent at one instant)
    // is sorted as a whole, so that no input costs quadratic time.
    std::size_t begin = 0;
    for (std::size_t k = 0; k < slices; begin = counts[k++]) {
        const std::size_t end = counts[k];
        if (end - begin > 32) std::sort(scratch + begin, scratch + end, [](const Pending& x, const Pending& y) { return before(x, y); });
        else insertion_sort(scratch + begin, scratch + end);
    }
    return n;
}

// The attempts of `parts`, each already in the processing order, merged into that order:
// the one part itself, or `out`'s first entries (`out` only ever grows).
inline std::span<const Pending> merge_attempts(const std::vector<std::span<const Pending>>& parts, std::vector<Pending>& out) {
    if (parts.empty()) return {};
    if (parts.size() == 1) return parts[0];
    std::size_t n = 0;
    for (const auto& part : parts) n += part.size();
    // Pairwise: the first two parts into `out`, each further one with the result into the
    // other half of `out` (any number of parts, two with two threads).
    const std::size_t need = parts.size() == 2 ? n : 2 * n;
    if (out.size() < need) out.resize(need);
    Pending* merged = out.data();
    Pending* end = std::merge(parts[0].begin(), parts[0].end(), parts[1].begin(), parts[1].end(), merged, before);
    for (std::size_t k = 2; k < parts.size(); ++k) {
        Pending* into = merged == out.data() ? out.data() + n : out.data();
        end = std::merge(merged, end, parts[k].begin(), parts[k].end(), into, before);
        merged = into;
    }
    return {merged, end};
}

struct Feedback {
    enum class Kind : std::uint8_t { complaint, engagement, trap };
    double arrive_s;
    std::uint16_t ip;
    std::uint16_t domain;
    Kind kind;
};

class ReceivingDomain {
public:
    ReceivingDomain(const World& w, std::uint32_t index, std::uint64_t seed, std::uint32_t mailboxes)
        : w_(&w), index_(index), seed_(seed), settings_(&w.receivers[index]), profile_(&w.scenario.profiles[index]),
          times_(&w.scenario.attempt_times),
          tally_(w.sender_names(), w.scenario.profile_names(), w.scenario.attempt_times, w.sender_truth(),
                 w.scenario.retry.delay_warning_s),
          ip_rep_(w.ips.size()), dom_rep_(w.sender_domains.size()), pool_rep_(w.pools.size()),
          ip_b_(w.ips.size()), dom_b_(w.sender_domains.size()), pool_b_(w.pools.size()),
          ip_limit_(w.ips.size()), subnet_limit_(w.subnets), ip_bucket_(w.ips.size()), subnet_bucket_(w.subnets),
          greylist_(w.ips.size()), mailboxes_(mailboxes),
          s_outcomes_(w.senders.size() * outcome_count), s_deferrals_(w.senders.size()), s_sent_(w.senders.size()),
          queue_(w.senders.size()), dead_until_(w.senders.size(), -1.0),
          postmaster_(settings_->postmaster, w.sender_domains.size()) {
        decay_ = std::exp2(-w.epoch_s / settings_->reputation.half_life_s);
        for (const Sender& snd : w.senders)
            has_folders_.push_back(profile_->folders.any() || w.scenario.classes[snd.sender_class].recipients.any());
        recompute(0);
    }

    // The one message whose attempts are recorded (world::explain), or none.
    void trace(WorldTrace* t) noexcept { trace_ = t; }
    void tracing(const WorldTracing* t) noexcept { tracing_ = t; }

    std::vector<Mailbox>& mailboxes() noexcept { return mailboxes_; }
    // This epoch's first attempts, per generating part, each in the processing order (sort_attempts()).
    std::vector<std::span<const Pending>>& fresh_parts() noexcept { return fresh_parts_; }
    const Tally& tally() const noexcept { return tally_; }
    bool idle() const noexcept { return heap_.empty() && feedback_.empty(); }
    std::size_t greylist_triplets() const noexcept { return greylist_.triplets(); }
    const Postmaster& postmaster() const noexcept { return postmaster_; }
    // The world's shared blocklist (read during epochs, updated between them by the run).
    void use_blocklist(const Blocklist* b) noexcept { blocklist_ = b; }
    void take_trap_hits(std::vector<TrapHit>& out) {
        out.insert(out.end(), trap_hits_.begin(), trap_hits_.end());
        trap_hits_.clear();
    }

    // Queue entries due before time b: 0 if none, else the queue's length (an upper bound, to
    // judge an epoch's work).
    std::size_t queued_due(double b) const noexcept {
        return !heap_.empty() && heap_.front().time < b ? heap_.size() : 0;
    }

    // Processes the epoch [a, b): this epoch's first attempts (in fresh_parts()) and
    // the queued retries that fall due, in (time, id) order; then applies arrived feedback,
    // decays the counts and recomputes levels and limits. The traced message (trace()) goes
    // through the same step, recorded. `cancel`, when set, stops the epoch part-way (the run
    // is then abandoned).
    void run_epoch(double a, double b, const std::vector<Recipient>& recipients, const std::atomic<bool>* cancel = nullptr) {
        fresh_list_ = merge_attempts(fresh_parts_, fresh_);
        const std::size_t fresh = fresh_list_.size();
        // On a vector path the draws of first attempts [i, drawn_end) wait in drawn_ (slot
        // j % draw_window); the scalar path draws them as an attempt reads them.
        const bool draw_ahead = simd_path() != SimdPath::scalar;
        std::size_t drawn_end = 0;
        std::size_t i = 0;
        Pending retry;
        const bool traced_any = trace_ || tracing_;
        for (std::uint32_t n = 0;; ++n) {
            if (cancel && n % 1024 == 1023 && cancel->load(std::memory_order_relaxed)) return;
            const bool has_fresh = i < fresh;
            const bool has_retry = !heap_.empty() && heap_.front().time < b;
            if (!has_fresh && !has_retry) break;
            const Pending* p = &retry;
            MessageDraws drawn;
            if (has_fresh && (!has_retry || before(fresh_list_[i], heap_.front()))) {
                if (draw_ahead) {
                    if (i == drawn_end) drawn_end = draw_first_attempts(i, std::min(fresh, i + draw_window));
                    drawn.blocks = &drawn_[(i % draw_window) * MessageDraws::columns];
                }
                // The first attempts themselves come from memory (an epoch's are megabytes,
                // written by generation, on another core with threads): fetched well ahead.
                if (i + 6 * prefetch_distance < fresh) __builtin_prefetch(&fresh_list_[i + 6 * prefetch_distance]);
                // A first attempt's recipient, then (once its record is here) its mailbox, are
                // random records among the world's: fetched a few attempts ahead, or each is a
                // cache miss (a fifth of the campaigns benchmark's time).
                if (i + 2 * prefetch_distance < fresh) __builtin_prefetch(&recipients[fresh_list_[i + 2 * prefetch_distance].recipient]);
                if (i + prefetch_distance < fresh && !mailboxes_.empty()) {
                    const auto* box = reinterpret_cast<const char*>(
                        &mailboxes_[recipients[fresh_list_[i + prefetch_distance].recipient].mailbox]);
                    __builtin_prefetch(box);
                    __builtin_prefetch(box + sizeof(Mailbox) - 1);
                }
                p = &fresh_list_[i++];
            } else {
                std::pop_heap(heap_.begin(), heap_.end(), later);
                retry = heap_.back();
                heap_.pop_back();
                --queue_[sender_of(retry.id)];
            }
            WorldTrace* traced = !traced_any                      ? nullptr
                                 : trace_ && p->id == trace_->id ? trace_
                                 : tracing_                      ? tracing_->find(p->id)
                                                                 : nullptr;
            if (traced) traced_attempt(*p, recipients, drawn, *traced);
            else attempt(*p, recipients, drawn);
        }
        end_epoch(b);
    }

    // Adds this epoch's counts into the series at `bucket` and clears them.
    void flush(TimeSeries& ts, std::size_t bucket) {
        const std::size_t S = w_->senders.size();
        for (std::size_t s = 0; s < S; ++s) {
            for (std::size_t o = 0; o < outcome_count; ++o)
                ts.sender_outcomes[(bucket * S + s) * outcome_count + o] += s_outcomes_[s * outcome_count + o];
            ts.sender_deferrals[bucket * S + s] += s_deferrals_[s];
            ts.sender_sent[bucket * S + s] += s_sent_[s];
        }
        std::fill(s_outcomes_.begin(), s_outcomes_.end(), 0);
        std::fill(s_deferrals_.begin(), s_deferrals_.end(), 0);
        std::fill(s_sent_.begin(), s_sent_.end(), 0);
    }
    // Values sampled at the end of `bucket` (time t): reputation, mailbox fill, queues.
    void sample(TimeSeries& ts, std::size_t bucket, double t) const {
        const std::size_t S = w_->senders.size(), R = ts.receivers;
        for (std::size_t s = 0; s < S; ++s) {
            const Sender& snd = w_->senders[s];
            const double bad = badness(snd.ips[0], snd.domain);
            ts.reputation[(bucket * R + index_) * S + s] = bad;
            ts.level[(bucket * R + index_) * S + s] = static_cast<std::uint8_t>(settings_->reputation.enabled
                                                                                    ? settings_->reputation.level(bad)
                                                                                    : Level::high);
        }
        if (const auto& mb = settings_->mailbox) {
            std::uint64_t* const bins = &ts.mailbox_fill[(bucket * R + index_) * TimeSeries::fill_bins];
            const double quota = static_cast<double>(mb->quota_bytes);
            for (const Mailbox& m : mailboxes_) {
                const std::uint64_t fill = m.peek(t, *mb);
                ++bins[std::min<std::uint64_t>(TimeSeries::fill_bins - 1,
                                               static_cast<std::uint64_t>(static_cast<double>(fill) / quota * 10.0))];
            }
        }
    }
    // Messages of each sender waiting in this domain's queue, into the series (main thread).
    void add_queue(TimeSeries& ts, std::size_t bucket) const {
        const std::size_t S = w_->senders.size();
        for (std::size_t s = 0; s < S; ++s) ts.sender_queue[bucket * S + s] += queue_[s];
    }
    // Receiver counts go straight into the series (only this domain writes its slice).
    void set_series(TimeSeries* ts, std::size_t bucket) noexcept {
        outcomes_row_ = &ts->receiver_outcomes[(bucket * ts->receivers + index_) * outcome_count];
        deferrals_row_ = &ts->receiver_deferrals[(bucket * ts->receivers + index_) * status_count];
    }

    // Everything the domain remembers between two epochs, for checkpoints (world/checkpoint.hpp):
    // what () reads keeps the world's shape, what list() reads is as long as it was. Between
    // epochs this epoch's counts have been flushed and no first attempt waits in fresh_parts().
    template <class Archive>
    void state(Archive& ar) {
        ar("tally", tally_);
        ar("ip_reputation", ip_rep_);
        ar("domain_reputation", dom_rep_);
        ar("pool_reputation", pool_rep_);
        ar("ip_badness", ip_b_);
        ar("domain_badness", dom_b_);
        ar("pool_badness", pool_b_);
        ar("ip_limit", ip_limit_);
        ar("subnet_limit", subnet_limit_);
        ar("ip_bucket", ip_bucket_);
        ar("subnet_bucket", subnet_bucket_);
        ar("greylist", greylist_);
        ar("mailboxes", mailboxes_);
        ar.list("feedback", feedback_);
        ar.list("queue", heap_);
        ar.list("deliveries", deliveries_);
        ar.list("free_deliveries", free_);
        ar("queued_by_sender", queue_);
        ar("postmaster", postmaster_);
        ar.list("suppressed", suppressed_);
        ar("dead_until", dead_until_);
    }

    // A restored state that this world could not have made (a crafted checkpoint with a
    // valid checksum): the first inconsistency found, or "" if none.
    std::string damaged(const std::vector<Recipient>& recipients) const {
        const std::size_t S = w_->senders.size();
        std::vector<std::uint64_t> queued(S, 0);
        for (std::size_t k = 0; k < heap_.size(); ++k) {
            const Pending& p = heap_[k];
            const std::string at = "queue[" + std::to_string(k) + "]: ";
            if (sender_of(p.id) >= S) return at + "no such sender";
            if (p.recipient >= recipients.size() || recipients[p.recipient].domain != index_)
                return at + "its recipient is not at this domain";
            if (p.ip >= w_->ips.size()) return at + "no such IP";
            if (p.attempt == 0 || p.attempt >= times_->size()) return at + "no such retry";
            if (p.delivery != Pending::no_delivery && p.delivery >= deliveries_.size()) return at + "no such delivery";
            ++queued[sender_of(p.id)];
        }
        if (queued != queue_) return "queued_by_sender: does not count the queue";
        if (!std::is_heap(heap_.begin(), heap_.end(), later))
            return "queue: not in the queue's order";
        for (const std::uint32_t f : free_)
            if (f >= deliveries_.size()) return "free_deliveries: no such delivery";
        for (const Feedback& f : feedback_)
            if (f.ip >= w_->ips.size() || f.domain >= w_->sender_domains.size()) return "feedback: no such IP or domain";
        return {};
    }

    // The badness this receiver gives mail from `ip` of sender domain `domain`.
    double badness(std::uint32_t ip, std::uint32_t domain) const noexcept {
        const ReputationSettings& r = settings_->reputation;
        const std::int32_t pool = w_->ips[ip].pool;
        return r.ip_weight * ip_b_[ip] + r.domain_weight * dom_b_[domain] + r.pool_weight * (pool >= 0 ? pool_b_[pool] : ip_b_[ip]);
    }

private:
    void count_outcome(std::uint32_t sender, Outcome o) noexcept {
        ++s_outcomes_[sender * outcome_count + static_cast<std::size_t>(o)];
        ++outcomes_row_[static_cast<std::size_t>(o)];
    }

    // The receiver's state as the delivery step (engine/step.hpp) sees it during one attempt:
    // connect (rate limits), reputation, RCPT (stale addresses, spam traps), greylist
    // triplets and the mailbox before the chain; volume, mailbox fill and feedback after it.
    struct AttemptState {
        static constexpr bool enabled = true;
        ReceivingDomain& d;
        const Pending& p;
        const Recipient& rc;
        std::uint32_t sender;
        double t;  // absolute simulated time of the attempt
        MessageDraws drawn;
        Mailbox* box = nullptr;

        Verdict before_chain(Message& m, const Attempt& a, MessageRng& rng) {
            const Sender& snd = d.w_->senders[sender];
            const SendingIp& sip = d.w_->ips[p.ip];
            const Receiver& settings = *d.settings_;
            // The shared blocklist: the profile's dnsbl policy sees a listed IP.
            if (d.blocklist_ && d.blocklist_->listed(p.ip, t)) m.ip_listed = true;
            // Connect: throttling per IP and per /24.
            if (settings.rate_limit) {
                const bool ip_ok = d.ip_bucket_[p.ip].available(t, d.ip_limit_[p.ip]);
                const bool net_ok = d.subnet_bucket_[sip.subnet].available(t, d.subnet_limit_[sip.subnet]);
                if (!ip_ok) return Verdict::temp_fail(Status::rate_limited, Responsible::receiver_policy, Stage::rate_limit);
                if (!net_ok)
                    return Verdict::temp_fail(Status::rate_limited_subnet, Responsible::receiver_policy, Stage::rate_limit);
                d.ip_bucket_[p.ip].take();
                d.subnet_bucket_[sip.subnet].take();
            }
            // Reputation: at the bottom, outright rejection; otherwise a content score shift.
            const ReputationSettings& rep = settings.reputation;
            if (rep.enabled) {
                const LevelEffect& effect = rep.effects[static_cast<std::size_t>(rep.level(d.badness(p.ip, snd.domain)))];
                if (effect.reject > 0 && rng.bernoulli(Stream::world_attempt, world_attempt_draw(a.index, draw_reputation_reject), effect.reject))
                    return Verdict::reject(Status::reputation_rejected, Responsible::sender_reputation, Stage::reputation);
                m.content_score += effect.content_adjustment;
                m.reputation_adjustment = effect.content_adjustment;  // the score's component, for blame
            }
            // Over the spam-rate line (Postmaster Tools' spam rate): a share of attempts deferred.
            if (d.postmaster_.enabled() && d.postmaster_.limited(snd.domain, t)) {
                const PostmasterSettings& pm = d.postmaster_.settings();
                if (rng.bernoulli(Stream::world_attempt, world_attempt_draw(a.index, draw_spam_rate_limit), pm.over_limit_share))
                    return Verdict::temp_fail(pm.over_limit_reply, Responsible::sender_reputation, Stage::reputation);
            }
            // RCPT: the list's stale addresses and spam traps.
            if (rc.kind == Recipient::Kind::stale)
                return Verdict::reject(Status::unknown_user, Responsible::address_error, stage_of<UnknownUser>);
            if (rc.kind == Recipient::Kind::spam_trap || rc.kind == Recipient::Kind::pristine_trap ||
                rc.kind == Recipient::Kind::typo_trap) {
                if (d.blocklist_) {
                    const BlocklistSettings& bl = d.blocklist_->settings();
                    const double weight = rc.kind == Recipient::Kind::pristine_trap ? bl.pristine_weight
                                          : rc.kind == Recipient::Kind::typo_trap   ? bl.typo_weight
                                                                                    : bl.recycled_weight;
                    d.trap_hits_.push_back({t, p.ip, weight});
                }
                d.add_volume(p.ip, snd.domain);
                d.feedback_.push_back({t + settings.feedback_delay_s, p.ip, static_cast<std::uint16_t>(snd.domain),
                                       Feedback::Kind::trap});
                return Verdict::file(Outcome::silently_lost, Responsible::address_error, Stage::address);
            }
            if (const auto& g = settings.greylist)
                if (!d.greylist_.check(*g, p.ip, sip.subnet, sender, p.recipient, t))
                    return Verdict::temp_fail(Status::greylisted_postgrey, Responsible::receiver_policy, stage_of<Greylist>);
            if (const auto& mb = settings.mailbox) {
                box = &d.mailboxes_[rc.mailbox];
                if (box->at(t, *mb) + m.size_bytes > mb->quota_bytes)
                    return mb->permanent ? Verdict::reject(Status::mailbox_full, Responsible::recipient_quota, stage_of<MailboxQuota>)
                                         : Verdict::temp_fail(Status::mailbox_full_temporary, Responsible::recipient_quota,
                                                              stage_of<MailboxQuota>);
            }
            return Verdict::proceed();
        }

        void after_chain(const Message& m, const Attempt&, const Verdict& v, MessageRng&) {
            if (v.action == Action::temp_fail || v.action == Action::reject) return;
            const Outcome o = v.action == Action::file ? v.folder : Outcome::inbox;
            const Sender& snd = d.w_->senders[sender];
            d.add_volume(p.ip, snd.domain);
            // Deleted by a rule or held in the gateway's quarantine: not in the mailbox.
            if (box && o != Outcome::rule_deleted && o != Outcome::quarantined) box->fill += m.size_bytes;
            if (o != Outcome::inbox && o != Outcome::spam_folder) return;
            const DrawBlock fb = drawn ? DrawBlock(draw_world_engagement, drawn.feedback())
                                       : DrawBlock(d.seed_, p.id, Stream::world_message, draw_world_engagement);
            const RecipientList& list = d.w_->lists[rc.list];
            const ClassFeedback& cf = d.w_->class_feedback[snd.sender_class];
            const double at = t + d.settings_->feedback_delay_s;
            const auto dom = static_cast<std::uint16_t>(snd.domain);
            if (o == Outcome::inbox) {
                if (d.postmaster_.enabled()) d.postmaster_.inbox(snd.domain, t);
                if (fb.uniform(draw_world_engagement) < list.engagement * cf.engagement_factor)
                    d.feedback_.push_back({at, p.ip, dom, Feedback::Kind::engagement});
                if (fb.uniform(draw_world_complaint) < list.complaint * cf.complaint_factor) {
                    d.feedback_.push_back({at, p.ip, dom, Feedback::Kind::complaint});
                    if (snd.list_hygiene) d.suppress(sender, p.recipient, at);
                    if (d.postmaster_.enabled()) d.postmaster_.complaint(snd.domain, t);
                }
            } else if (fb.uniform(draw_world_not_spam) < list.not_spam * cf.engagement_factor) {
                d.feedback_.push_back({at, p.ip, dom, Feedback::Kind::engagement});
            }
        }
    };

    static constexpr std::size_t prefetch_distance = 8;
    // First attempts whose draws are computed together: a multiple of the widest vector (8).
    static constexpr std::size_t draw_window = 32;
    // Computes the draws of first attempts [from, to) into drawn_ (from a multiple of the
    // window, at most a window); returns `to`.
    std::size_t draw_first_attempts(std::size_t from, std::size_t to) {
        assert(from % draw_window == 0 && to - from <= draw_window);
        std::uint64_t ids[draw_window];
        for (std::size_t k = from; k < to; ++k) ids[k - from] = fresh_list_[k].id;
        philox_batch::blocks(seed_, ids, to - from, MessageDraws::column_ids, drawn_.data());
        return to;
    }

    // One attempt of a message, through the delivery step; a deferred message's next attempt
    // is queued. `trace` sees this attempt as explain sees a run's.
    template <class Trace = NoTrace>
    void attempt(const Pending& p, const std::vector<Recipient>& recipients, MessageDraws drawn,
                 Trace&& trace = {}) {
        const std::uint32_t s = sender_of(p.id);
        const Sender& snd = w_->senders[s];
        const std::uint32_t i = p.attempt;
        // List hygiene: the sender no longer mails a recipient that bounced hard or complained.
        if (i == 0 && snd.list_hygiene && suppressed(s, p.recipient, p.time)) return;
        MessageRng rng = drawn ? MessageRng(seed_, p.id, drawn.heads()) : MessageRng(seed_, p.id);
        Message m = fresh_message();
        m.index = p.id;
        m.sender_class = snd.sender_class;
        m.profile = index_;
        w_->scenario.classes[snd.sender_class].draw(m, rng);
        if (i == 0) ++s_sent_[s];
        // Bulk status: counted per sender domain at this receiving domain per day, for good once reached.
        if (postmaster_.enabled())
            m.transport.bulk = m.transport.bulk || (i == 0 ? postmaster_.sent(snd.domain, p.time) : postmaster_.bulk(snd.domain));
        if constexpr (std::decay_t<Trace>::enabled)
            if (i == 0) trace.message(m);

        // By reference: a Fate passed by value is built a byte at a time and read back whole
        // (a failed store-to-load forward on every message).
        auto decide = [&](Fate& f) {
            // The recipient's folders (recipient/folders.hpp), as in a run: safe senders, spam
            // rescue and deletion, quarantine release and expiry may change the fate. The
            // feedback above (engagement, complaints, Postmaster counts) saw the filing itself.
            if (f.outcome != Outcome::bounced && has_folders_[s]) {
                const RecipientHabits& habits = w_->scenario.classes[snd.sender_class].recipients;
                const FolderFate after = after_acceptance(f, m, habits, profile_->folders, rng);
                if constexpr (requires { trace.after(after); })
                    if (after.after != AfterAcceptance::none) trace.after(after);
            }
            tally_.record(s, index_, f);  // the world's tally counts by sender
            count_outcome(s, f.outcome);
            if (snd.list_hygiene && f.outcome == Outcome::bounced &&
                (f.status == Status::unknown_user || f.status == Status::bad_destination))
                suppress(s, p.recipient, p.time);
            if (p.delivery != Pending::no_delivery) free_.push_back(p.delivery);
            if constexpr (requires { trace.decided(f); }) trace.decided(f);
            if (tracing_ && tracing_->decided) tracing_->decided(p.id, m, f);
        };

        const MxRouting& routing = profile_->routing;
        if (auto decided = decided_before_sessions(m, routing, w_->scenario.retry.unresolvable_domain()))
            return decide(*decided);
        // The message's one Delivery: new at its first attempt, kept in the store while queued.
        Delivery fresh = p.delivery == Pending::no_delivery ? open_delivery(routing, rng) : Delivery{};
        Delivery& d = p.delivery == Pending::no_delivery ? fresh : deliveries_[p.delivery];
        Attempt a{i, (*times_)[i], -1};
        // Postfix's dead destination: a connection failure to this domain (no host answered)
        // throttles it for the sender's queue manager, and its other messages are deferred
        // without connecting until minimal_backoff_s later (qmgr_queue_throttle with
        // destination_concurrency_failed_cohort_limit 1, unthrottled after minimal_backoff_time).
        const bool postfix = w_->scenario.retry.dead_destination_backoff;
        Verdict v;
        if (postfix && p.time < dead_until_[s]) {
            v = Verdict::temp_fail(Status::no_host_answered, Responsible::receiver_availability, Stage::mx_routing);
            if constexpr (std::decay_t<Trace>::enabled) trace.attempt(a, v, d.session);
        } else {
            v = attempt_step(routing, w_->scenario.retry.mx, profile_->policies, m, d, rng, a,
                             AttemptState{*this, p, recipients[p.recipient], s, p.time, drawn}, trace);
            if (postfix && v.action == Action::temp_fail && v.status == Status::no_host_answered)
                dead_until_[s] = p.time + w_->scenario.retry.minimal_backoff_s;
        }
        if (auto fate = settle(v, a)) return decide(*fate);

        // Deferred: counted, then queued for the next attempt, or expired.
        ++s_deferrals_[s];
        ++deferrals_row_[static_cast<std::size_t>(v.status)];
        if (i + 1 >= times_->size()) {
            Fate expired = expire(v, *times_);
            return decide(expired);
        }
        Pending n = p;
        n.attempt = static_cast<std::uint16_t>(i + 1);
        n.time = p.t0 + (*times_)[i + 1];
        if (n.delivery == Pending::no_delivery) {
            if (free_.empty()) {
                n.delivery = static_cast<std::uint32_t>(deliveries_.size());
                deliveries_.push_back(d);
            } else {
                n.delivery = free_.back();
                free_.pop_back();
                deliveries_[n.delivery] = d;
            }
        }
        queue(n);
    }
    // Queues a message's next attempt: the heap's top is the earliest in the processing order.
    void queue(const Pending& n) {
        heap_.push_back(n);
        std::push_heap(heap_.begin(), heap_.end(), later);
        ++queue_[sender_of(n.id)];
    }
    static bool later(const Pending& x, const Pending& y) noexcept { return before(y, x); }

    // The traced message's attempt: the receiver's state it meets (read without changing
    // anything), then the attempt itself, recorded by the delivery step's trace.
    void traced_attempt(const Pending& p, const std::vector<Recipient>& recipients, MessageDraws drawn,
                        WorldTrace& traced) {
        const std::uint32_t s = sender_of(p.id);
        const Sender& snd = w_->senders[s];
        const SendingIp& sip = w_->ips[p.ip];
        const Recipient& rc = recipients[p.recipient];
        ReceiverStateSeen seen;
        seen.time_s = p.time;
        seen.ip = p.ip;
        seen.recipient = rc;
        if (settings_->rate_limit) {
            TokenBucket ip = ip_bucket_[p.ip], net = subnet_bucket_[sip.subnet];
            (void)ip.available(p.time, ip_limit_[p.ip]);
            (void)net.available(p.time, subnet_limit_[sip.subnet]);
            seen.rate_limit = {ip.tokens, ip_limit_[p.ip], net.tokens, subnet_limit_[sip.subnet]};
        }
        if (settings_->reputation.enabled) {
            const double b = badness(p.ip, snd.domain);
            seen.badness = b;
            seen.level = settings_->reputation.level(b);
        }
        if (settings_->greylist) seen.greylist_triplets = greylist_.triplets();
        if (const auto& mb = settings_->mailbox) seen.mailbox = {mailboxes_[rc.mailbox].peek(p.time, *mb), mb->quota_bytes};
        traced.seen.push_back(seen);
        attempt(p, recipients, drawn, traced);
    }

    static std::uint64_t hygiene_key(std::uint32_t sender, std::uint32_t recipient) noexcept {
        return (static_cast<std::uint64_t>(sender) << 32) | recipient;
    }
    void suppress(std::uint32_t sender, std::uint32_t recipient, double from) {
        auto [it, added] = suppressed_.emplace(hygiene_key(sender, recipient), from);
        if (!added) it->second = std::min(it->second, from);
    }
    bool suppressed(std::uint32_t sender, std::uint32_t recipient, double t) const {
        const auto it = suppressed_.find(hygiene_key(sender, recipient));
        return it != suppressed_.end() && it->second <= t;
    }

    void add_volume(std::uint32_t ip, std::uint32_t domain) noexcept {
        ip_rep_[ip].volume += 1;
        dom_rep_[domain].volume += 1;
        if (const auto pool = w_->ips[ip].pool; pool >= 0) pool_rep_[pool].volume += 1;
    }

    void end_epoch(double b) {
        // Feedback that has arrived, in the order it was generated.
        std::size_t keep = 0;
        for (const Feedback& f : feedback_) {
            if (f.arrive_s >= b) {
                feedback_[keep++] = f;
                continue;
            }
            const std::int32_t pool = w_->ips[f.ip].pool;
            auto apply = [&](ReputationCounts& c) {
                switch (f.kind) {
                    case Feedback::Kind::complaint: c.complaints += 1; break;
                    case Feedback::Kind::engagement: c.engagement += 1; break;
                    case Feedback::Kind::trap: c.traps += 1; break;
                }
            };
            apply(ip_rep_[f.ip]);
            apply(dom_rep_[f.domain]);
            if (pool >= 0) apply(pool_rep_[pool]);
        }
        feedback_.resize(keep);
        recompute(decay_);
    }

    // Decays the counts by f (0: no decay), then recomputes badness and limits.
    void recompute(double f) {
        const ReputationSettings& r = settings_->reputation;
        auto update = [&](std::vector<ReputationCounts>& c, std::vector<double>& b) {
            for (std::size_t k = 0; k < c.size(); ++k) {
                if (f > 0) c[k].decay(f);
                b[k] = r.enabled ? c[k].badness(r) : 0.0;
            }
        };
        update(ip_rep_, ip_b_);
        update(dom_rep_, dom_b_);
        update(pool_rep_, pool_b_);
        if (const auto& rl = settings_->rate_limit) {
            // Recent accepted volume per hour, from the decayed count.
            const double per_hour = (1 - decay_) * 3600.0 / w_->epoch_s;
            std::fill(subnet_limit_.begin(), subnet_limit_.end(), 0.0);
            for (std::size_t k = 0; k < ip_rep_.size(); ++k) {
                const double history = ip_rep_[k].volume * per_hour;
                double mult = 1;
                if (r.enabled) {
                    const std::int32_t pool = w_->ips[k].pool;
                    const double wi = r.ip_weight + r.domain_weight;  // the IP stands for the domain here
                    const double bad = (wi * ip_b_[k] + r.pool_weight * (pool >= 0 ? pool_b_[pool] : ip_b_[k])) /
                                       std::max(wi + r.pool_weight, 1e-300);
                    mult = r.effects[static_cast<std::size_t>(r.level(bad))].rate_multiplier;
                }
                ip_limit_[k] = (rl->per_ip_per_hour + rl->history_factor * history) * mult;
                subnet_limit_[w_->ips[k].subnet] += history;
            }
            for (double& l : subnet_limit_) l = rl->per_subnet_per_hour + rl->history_factor * l;
        }
    }

    const World* w_;
    std::uint32_t index_;
    std::uint64_t seed_;
    WorldTrace* trace_ = nullptr;
    const WorldTracing* tracing_ = nullptr;
    const Receiver* settings_;
    const BasicProfile<PolicyChain>* profile_;
    const std::vector<double>* times_;
    Tally tally_;
    std::vector<ReputationCounts> ip_rep_, dom_rep_, pool_rep_;
    std::vector<double> ip_b_, dom_b_, pool_b_;
    std::vector<double> ip_limit_, subnet_limit_;
    std::vector<TokenBucket> ip_bucket_, subnet_bucket_;
    GreylistMemory greylist_;
    std::vector<Mailbox> mailboxes_;
    std::vector<Feedback> feedback_;
    std::vector<Pending> fresh_, heap_;
    std::vector<std::span<const Pending>> fresh_parts_;
    std::span<const Pending> fresh_list_;  // this epoch's first attempts in order (merge_attempts())
    std::vector<MessageRng::Block> drawn_ = std::vector<MessageRng::Block>(draw_window * MessageDraws::columns);
    // Deliveries of the queued messages (Pending::delivery) and the free slots among them.
    std::vector<Delivery> deliveries_;
    std::vector<std::uint32_t> free_;
    std::vector<std::uint64_t> s_outcomes_, s_deferrals_, s_sent_, queue_;
    std::vector<double> dead_until_;  // per sender: this destination is dead for it until then
    // Per sender: this domain's folders or the sender's recipients can change an accepted
    // message's fate (recipient/folders.hpp), so after_acceptance() has work to do.
    std::vector<std::uint8_t> has_folders_;
    double decay_ = 1;
    Postmaster postmaster_;
    const Blocklist* blocklist_ = nullptr;
    std::vector<TrapHit> trap_hits_;
    std::unordered_map<std::uint64_t, double> suppressed_;  // (sender, recipient) -> from when
    // This epoch's bucket of the series, this domain's row: outcomes and deferrals by status.
    std::uint64_t* outcomes_row_ = nullptr;
    std::uint64_t* deferrals_row_ = nullptr;
};

}  // namespace delivsim::world
