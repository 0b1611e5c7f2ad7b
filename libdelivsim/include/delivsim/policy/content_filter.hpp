#pragma once
// Content scoring with SpamAssassin/rspamd-style multi-action thresholds: the message's
// score (drawn from its sender class) plus the receiver's adjustments for its DMARC result
// is compared with the actions' thresholds, highest first.
#include <delivsim/policy/filter_actions.hpp>
#include <delivsim/policy/policy.hpp>

#include <algorithm>

namespace delivsim {

struct ContentFilter {
    static constexpr std::string_view type_name = "content_filter";
    static constexpr Phase phase = Phase::data;
    static constexpr bool judges_spam = true;
    enum class Action : std::uint8_t { reject, quarantine, spam_folder };
    static constexpr std::array<std::string_view, 3> action_names{"reject", "quarantine", "spam_folder"};

    struct Threshold {
        double min_score;
        Action action;
        bool operator==(const Threshold&) const = default;
    };
    std::array<double, dmarc_result_count> dmarc_adjustment{};  // added to the score
    std::vector<Threshold> thresholds;                          // descending min_score
    bool operator==(const ContentFilter&) const = default;

    // The adjustments by name, for C++ construction:
    //   ContentFilter{.dmarc_adjustment = ContentFilter::adjust({.none = 1.5}), .thresholds = {...}}
    struct DmarcAdjustment {
        double pass = 0, none = 0, fail_reject = 0, fail_quarantine = 0;
    };
    static constexpr std::array<double, dmarc_result_count> adjust(DmarcAdjustment a) noexcept {
        static_assert(dmarc_result_count == 4 && dmarc_result_names[1] == "none" && dmarc_result_names[3] == "fail_quarantine");
        return {a.pass, a.none, a.fail_reject, a.fail_quarantine};
    }

    double score(const Message& m) const noexcept {
        return m.content_score + dmarc_adjustment[static_cast<std::size_t>(m.dmarc)];
    }

    // The score's parts: the content's own, the authentication (DMARC) adjustment and the
    // reputation adjustment; score(m) is their sum.
    struct Components {
        double content = 0, authentication = 0, reputation = 0;
    };
    Components components(const Message& m) const noexcept {
        return {m.content_score - m.reputation_adjustment, dmarc_adjustment[static_cast<std::size_t>(m.dmarc)],
                m.reputation_adjustment};
    }

    // The index of the first threshold the score reaches, or thresholds.size() for none.
    std::size_t level(double s) const noexcept {
        std::size_t k = 0;
        while (k < thresholds.size() && s < thresholds[k].min_score) ++k;
        return k;
    }

    // Who is responsible for a verdict at level k of score s: the cause of an adjustment whose
    // removal alone would have given a milder verdict (authentication: the sender's
    // configuration; reputation: the sender's reputation), otherwise the content.
    Responsible blame(const Message& m, double s, std::size_t k) const noexcept {
        const double auth = dmarc_adjustment[static_cast<std::size_t>(m.dmarc)];
        if (auth > 0 && level(s - auth) > k) return Responsible::sender_configuration;
        if (m.reputation_adjustment > 0 && level(s - m.reputation_adjustment) > k) return Responsible::sender_reputation;
        return Responsible::sender_content;
    }

    Verdict evaluate(const Message& m, Session&, MessageRng&, const Attempt&) const noexcept {
        const double s = score(m);
        for (std::size_t k = 0; k < thresholds.size(); ++k) {
            const Threshold& t = thresholds[k];
            if (s < t.min_score) continue;
            const auto who = blame(m, s, k);
            switch (t.action) {
                case Action::reject: return Verdict::reject(Status::content_rejected, who, stage_of<ContentFilter>);
                case Action::quarantine: return Verdict::file(Outcome::quarantined, who, stage_of<ContentFilter>);
                case Action::spam_folder: return Verdict::file(Outcome::spam_folder, who, stage_of<ContentFilter>);
            }
        }
        return Verdict::proceed();
    }

    static ContentFilter parse(const Field& f, const ParseContext&) {
        f.allow_keys({"type", "dmarc_adjustment", "actions"});
        ContentFilter c;
        if (f.has("dmarc_adjustment")) {
            const Field adj = f["dmarc_adjustment"];
            adj.allow_keys({"pass", "none", "fail_reject", "fail_quarantine"});
            for (std::size_t i = 0; i < dmarc_result_count; ++i)
                if (adj.has(dmarc_result_names[i])) c.dmarc_adjustment[i] = adj[dmarc_result_names[i]].number();
        }
        const auto actions = f["actions"].items();
        if (actions.empty()) f["actions"].fail("is empty: a content filter needs at least one action");
        for (const Field& a : actions) {
            a.allow_keys({"min_score", "action"});
            const Threshold t{a["min_score"].number(), static_cast<Action>(a["action"].choice(action_names))};
            for (const Threshold& other : c.thresholds)
                if (other.min_score == t.min_score) a["min_score"].fail("two actions share the threshold " + a["min_score"].shown());
            c.thresholds.push_back(t);
        }
        require_severity_order(actions, "min_score", c.thresholds, action_names);
        std::sort(c.thresholds.begin(), c.thresholds.end(),
                  [](const Threshold& x, const Threshold& y) { return x.min_score > y.min_score; });
        return c;
    }
};

}  // namespace delivsim
