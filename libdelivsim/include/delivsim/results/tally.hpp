#pragma once
// Streaming aggregates of a run, in constant memory whatever the message count. Everything
// is an integer count, so merging chunks is exact and order-free: a run split over threads,
// processes or machines gives bit-identical totals.
#include <delivsim/core/message.hpp>
#include <delivsim/core/outcome.hpp>
#include <delivsim/policy/registry.hpp>
#include <delivsim/results/wilson.hpp>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace delivsim {

// A group of messages named in the domain's words: a sender class, a recipient profile,
// both (one cell) or neither (every message). Empty means "any":
//   tally.rate(Outcome::inbox, {.sender_class = "S"})
struct Group {
    std::string_view sender_class{};
    std::string_view profile{};
};

class Tally {
public:
    Tally() = default;
    // `legit`: each class's truth (legitimate mail or spam), so that reports can keep the two
    // apart; empty when unknown (the reports then have no truth breakdown). `delay_warning_s`:
    // the retry schedule's delay warning (core/outcome.hpp notice_of), 0 for none.
    Tally(std::vector<std::string> classes, std::vector<std::string> profiles, std::vector<double> attempt_times,
          std::vector<bool> legit = {}, double delay_warning_s = 0)
        : classes_(std::move(classes)), profiles_(std::move(profiles)), attempt_times_(std::move(attempt_times)),
          legit_(std::move(legit)), delay_warning_s_(delay_warning_s),
          cells_(classes_.size() * profiles_.size()),
          outcome_(cells_ * outcome_count), status_(cells_ * status_count),
          responsible_(cells_ * responsible_count), stage_(cells_ * stage_count),
          class_decided_at_(classes_.size() * outcome_count * attempt_times_.size()),
          profile_decided_at_(profiles_.size() * outcome_count * attempt_times_.size()) {
        if (!legit_.empty() && legit_.size() != classes_.size())
            throw std::invalid_argument("tally: " + std::to_string(legit_.size()) + " truth flags for " +
                                        std::to_string(classes_.size()) + " classes");
        if (!(delay_warning_s_ >= 0)) throw std::invalid_argument("tally: delay_warning_s must be >= 0");
    }

    void record(const Message& m, const Fate& f) noexcept { record(m.sender_class, m.profile, f); }
    // The same, counted under class `cls` and profile `profile` (a world counts by sender).
    void record(std::size_t cls, std::size_t profile, const Fate& f) noexcept {
        const std::size_t cell = cls * profiles_.size() + profile;
        const auto o = static_cast<std::size_t>(f.outcome);
        ++outcome_[cell * outcome_count + o];
        ++status_[cell * status_count + static_cast<std::size_t>(f.status)];
        ++responsible_[cell * responsible_count + static_cast<std::size_t>(f.responsible)];
        ++stage_[cell * stage_count + static_cast<std::size_t>(f.stage)];
        // Decision times are kept by class and by profile, not per cell: a per-cell
        // histogram would grow as classes x profiles x attempts.
        ++class_decided_at_[(cls * outcome_count + o) * attempt_times_.size() + f.attempt];
        ++profile_decided_at_[(profile * outcome_count + o) * attempt_times_.size() + f.attempt];
        ++messages_;
    }

    // Zero every count, keeping the layout (a chunk's scratch tally is reused).
    void clear() noexcept {
        for (auto* v : {&outcome_, &status_, &responsible_, &stage_, &class_decided_at_, &profile_decided_at_})
            std::fill(v->begin(), v->end(), 0);
        messages_ = 0;
    }

    Tally& operator+=(const Tally& o) {
        if (classes_ != o.classes_ || profiles_ != o.profiles_ || attempt_times_ != o.attempt_times_ ||
            legit_ != o.legit_ || delay_warning_s_ != o.delay_warning_s_)
            throw std::invalid_argument("results come from different scenarios and cannot be merged");
        add(outcome_, o.outcome_);
        add(status_, o.status_);
        add(responsible_, o.responsible_);
        add(stage_, o.stage_);
        add(class_decided_at_, o.class_decided_at_);
        add(profile_decided_at_, o.profile_decided_at_);
        messages_ += o.messages_;
        return *this;
    }
    friend Tally operator+(Tally a, const Tally& b) { return a += b; }
    bool operator==(const Tally&) const = default;

    std::uint64_t messages() const noexcept { return messages_; }
    const std::vector<std::string>& classes() const noexcept { return classes_; }
    const std::vector<std::string>& profiles() const noexcept { return profiles_; }
    const std::vector<double>& attempt_times() const noexcept { return attempt_times_; }
    // Each class's truth (empty: unknown), and the delay warning the notices are counted with.
    const std::vector<bool>& legit() const noexcept { return legit_; }
    bool knows_truth() const noexcept { return !legit_.empty(); }
    double delay_warning_s() const noexcept { return delay_warning_s_; }

    // Count for (class, profile) cell; class or profile = npos sums over that axis.
    static constexpr std::size_t all = static_cast<std::size_t>(-1);
    std::uint64_t outcome(Outcome o, std::size_t cls = all, std::size_t prof = all) const {
        return sum_cells(outcome_, outcome_count, static_cast<std::size_t>(o), cls, prof);
    }
    std::uint64_t status(Status s, std::size_t cls = all, std::size_t prof = all) const {
        return sum_cells(status_, status_count, static_cast<std::size_t>(s), cls, prof);
    }
    std::uint64_t responsible(Responsible r, std::size_t cls = all, std::size_t prof = all) const {
        return sum_cells(responsible_, responsible_count, static_cast<std::size_t>(r), cls, prof);
    }
    std::uint64_t stage(Stage s, std::size_t cls = all, std::size_t prof = all) const {
        return sum_cells(stage_, stage_count, static_cast<std::size_t>(s), cls, prof);
    }
    // Messages with outcome o decided at attempt index i (the latency distribution), overall,
    // for one class or for one profile (not for one cell: see record()).
    std::uint64_t decided_at(Outcome o, std::size_t attempt, std::size_t cls = all, std::size_t prof = all) const {
        const std::size_t n = attempt_times_.size(), k = static_cast<std::size_t>(o) * n + attempt;
        if (cls != all && prof != all)
            throw std::invalid_argument("decision times are kept by class or by profile, not by (class, profile)");
        if (prof != all) return profile_decided_at_[prof * outcome_count * n + k];
        std::uint64_t total = 0;
        for (std::size_t c = 0; c < classes_.size(); ++c)
            if (cls == all || c == cls) total += class_decided_at_[c * outcome_count * n + k];
        return total;
    }
    // The same look-ups by name; an unknown name throws std::invalid_argument listing the valid ones.
    std::size_t class_index(std::string_view name) const { return find(classes_, name, "sender class"); }
    std::size_t profile_index(std::string_view name) const { return find(profiles_, name, "recipient profile"); }
    std::uint64_t outcome(Outcome o, Group g) const { return outcome(o, cls_of(g), prof_of(g)); }

    // Messages of a group (every outcome), and an outcome's share of them with its 95% Wilson
    // interval: the denominator is the group's messages, never a hand-picked set of outcomes.
    std::uint64_t messages_in(std::size_t cls = all, std::size_t prof = all) const {
        std::uint64_t n = 0;
        for (std::size_t o = 0; o < outcome_count; ++o) n += outcome(static_cast<Outcome>(o), cls, prof);
        return n;
    }
    std::uint64_t messages_in(Group g) const { return messages_in(cls_of(g), prof_of(g)); }
    Rate rate(Outcome o, std::size_t cls = all, std::size_t prof = all) const {
        return wilson(outcome(o, cls, prof), messages_in(cls, prof));
    }
    Rate rate(Outcome o, Group g) const { return rate(o, cls_of(g), prof_of(g)); }

    // Accepted messages (250) by attempt index: the acceptance-time histogram.
    std::vector<std::uint64_t> acceptance_histogram(std::size_t cls = all, std::size_t prof = all) const {
        std::vector<std::uint64_t> h(attempt_times_.size());
        for (std::size_t o = 0; o < outcome_count; ++o)
            if (accepted(static_cast<Outcome>(o)))
                for (std::size_t i = 0; i < h.size(); ++i) h[i] += decided_at(static_cast<Outcome>(o), i, cls, prof);
        return h;
    }

    // The raw arrays, laid out [class][profile][kind]; class_decided_at is
    // [class][outcome][attempt] and profile_decided_at [profile][outcome][attempt]. For
    // serialisation (pickles, checkpoints) and zero-copy views.
    struct Counts {
        std::uint64_t messages = 0;
        std::vector<std::uint64_t> outcome, status, responsible, stage, class_decided_at, profile_decided_at;
        bool operator==(const Counts&) const = default;
    };
    Counts counts() const {
        return {messages_, outcome_, status_, responsible_, stage_, class_decided_at_, profile_decided_at_};
    }
    const std::vector<std::uint64_t>& outcome_counts() const noexcept { return outcome_; }
    // Number of counters: what clearing or merging a tally costs.
    std::size_t size() const noexcept {
        return outcome_.size() + status_.size() + responsible_.size() + stage_.size() + class_decided_at_.size() +
               profile_decided_at_.size();
    }

    // Rebuilds a tally from counts(); refuses arrays that do not fit the layout or disagree
    // with each other (every message is counted once in each array).
    static Tally from_counts(std::vector<std::string> classes, std::vector<std::string> profiles,
                             std::vector<double> attempt_times, Counts c, std::vector<bool> legit = {},
                             double delay_warning_s = 0) {
        Tally t(std::move(classes), std::move(profiles), std::move(attempt_times), std::move(legit), delay_warning_s);
        if (t.attempt_times_.empty()) throw std::invalid_argument("tally: attempt_times is empty");
        auto take = [&](std::vector<std::uint64_t>& into, std::vector<std::uint64_t>& from, const char* name) {
            if (from.size() != into.size())
                throw std::invalid_argument(std::string("tally: ") + name + " has " + std::to_string(from.size()) +
                                            " counts, expected " + std::to_string(into.size()));
            std::uint64_t total = 0;  // every message once: no count above the total, no wrap-around
            for (auto x : from)
                if (__builtin_add_overflow(total, x, &total) || x > c.messages)
                    throw std::invalid_argument(std::string("tally: ") + name + " has a count above the message count");
            if (total != c.messages)
                throw std::invalid_argument(std::string("tally: ") + name + " counts " + std::to_string(total) +
                                            " messages, not " + std::to_string(c.messages));
            into = std::move(from);
        };
        take(t.outcome_, c.outcome, "outcome");
        take(t.status_, c.status, "status");
        take(t.responsible_, c.responsible, "responsible");
        take(t.stage_, c.stage, "stage");
        take(t.class_decided_at_, c.class_decided_at, "class_decided_at");
        take(t.profile_decided_at_, c.profile_decided_at, "profile_decided_at");
        const std::size_t n = t.attempt_times_.size();
        for (std::size_t o = 0; o < outcome_count; ++o) {
            for (std::size_t cl = 0; cl < t.classes_.size(); ++cl) {
                std::uint64_t sum = 0;
                for (std::size_t i = 0; i < n; ++i) sum += t.class_decided_at_[(cl * outcome_count + o) * n + i];
                if (sum != t.outcome(static_cast<Outcome>(o), cl))
                    throw std::invalid_argument("tally: outcome counts disagree with class_decided_at");
            }
            for (std::size_t pr = 0; pr < t.profiles_.size(); ++pr) {
                std::uint64_t sum = 0;
                for (std::size_t i = 0; i < n; ++i) sum += t.profile_decided_at_[(pr * outcome_count + o) * n + i];
                if (sum != t.outcome(static_cast<Outcome>(o), all, pr))
                    throw std::invalid_argument("tally: outcome counts disagree with profile_decided_at");
            }
        }
        t.messages_ = c.messages;
        return t;
    }

private:
    static std::size_t find(const std::vector<std::string>& names, std::string_view name, const char* what) {
        for (std::size_t i = 0; i < names.size(); ++i)
            if (names[i] == name) return i;
        std::string valid;
        for (const auto& n : names) valid += (valid.empty() ? "" : ", ") + n;
        throw std::invalid_argument("no " + std::string(what) + " '" + std::string(name) + "' (valid: " + valid + ")");
    }
    std::size_t cls_of(Group g) const { return g.sender_class.empty() ? all : class_index(g.sender_class); }
    std::size_t prof_of(Group g) const { return g.profile.empty() ? all : profile_index(g.profile); }
    static void add(std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
        for (std::size_t i = 0; i < a.size(); ++i) a[i] += b[i];
    }
    std::uint64_t sum_cells(const std::vector<std::uint64_t>& v, std::size_t width, std::size_t k, std::size_t cls,
                            std::size_t prof) const {
        std::uint64_t total = 0;
        for (std::size_t c = 0; c < classes_.size(); ++c) {
            if (cls != all && c != cls) continue;
            for (std::size_t p = 0; p < profiles_.size(); ++p) {
                if (prof != all && p != prof) continue;
                total += v[(c * profiles_.size() + p) * width + k];
            }
        }
        return total;
    }

    std::vector<std::string> classes_, profiles_;
    std::vector<double> attempt_times_;
    std::vector<bool> legit_;
    double delay_warning_s_ = 0;
    std::size_t cells_ = 0;
    std::vector<std::uint64_t> outcome_, status_, responsible_, stage_, class_decided_at_, profile_decided_at_;
    std::uint64_t messages_ = 0;
};

}  // namespace delivsim
