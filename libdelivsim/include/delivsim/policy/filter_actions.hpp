#pragma once
// Score thresholds mapped to filing actions, highest threshold first, as the content models
// (rule_score, logistic, url_reputation) use them. Like content_filter's "actions": reject
// (550 5.7.1, the sender is told), quarantine, or the spam folder.
#include <delivsim/policy/policy.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

namespace delivsim {

// Thresholds must rise with the action's severity (reject > quarantine > spam_folder, the
// enums' order): a milder action at a score at or above a harsher one's would take the
// highest-scoring mail from the harsher action, which no mail administrator means.
// `ts[i]` was read from `items[i]`; fails naming the milder action's `key`.
template <class Threshold, std::size_t N>
void require_severity_order(const std::vector<Field>& items, std::string_view key, const std::vector<Threshold>& ts,
                            const std::array<std::string_view, N>& names) {
    for (std::size_t i = 0; i < ts.size(); ++i)
        for (std::size_t j = 0; j < ts.size(); ++j)
            if (ts[i].action < ts[j].action && ts[j].min_score >= ts[i].min_score)
                items[j][key].fail("the " + std::string(names[static_cast<std::size_t>(ts[j].action)]) + " threshold " +
                                   items[j][key].shown() + " is not below the " +
                                   std::string(names[static_cast<std::size_t>(ts[i].action)]) + " threshold " +
                                   items[i][key].shown() + ": a milder action needs a lower score");
}

struct FilterActions {
    enum class Action : std::uint8_t { reject, quarantine, spam_folder };
    static constexpr std::array<std::string_view, 3> action_names{"reject", "quarantine", "spam_folder"};
    struct Threshold {
        double min_score;
        Action action;
    };
    std::vector<Threshold> thresholds;  // descending min_score

    Verdict decide(double score, Stage stage) const noexcept {
        for (const Threshold& t : thresholds) {
            if (score < t.min_score) continue;
            constexpr auto who = Responsible::sender_content;
            switch (t.action) {
                case Action::reject: return Verdict::reject(Status::content_rejected, who, stage);
                case Action::quarantine: return Verdict::file(Outcome::quarantined, who, stage);
                case Action::spam_folder: return Verdict::file(Outcome::spam_folder, who, stage);
            }
        }
        return Verdict::proceed();
    }

    // `f` is the list; each item has `key` (read with `read`, which may convert it, e.g. a
    // probability to log-odds) and "action".
    static FilterActions parse(const Field& f, std::string_view key,
                               const std::function<double(const Field&)>& read) {
        FilterActions c;
        const auto items = f.items();
        if (items.empty()) f.fail("is empty: at least one action is needed");
        for (const Field& a : items) {
            a.allow_keys({key, "action"});
            const Threshold t{read(a[key]), static_cast<Action>(a["action"].choice(action_names))};
            for (const Threshold& other : c.thresholds)
                if (other.min_score == t.min_score) a[key].fail("two actions share the threshold " + a[key].shown());
            c.thresholds.push_back(t);
        }
        require_severity_order(items, key, c.thresholds, action_names);
        std::sort(c.thresholds.begin(), c.thresholds.end(),
                  [](const Threshold& x, const Threshold& y) { return x.min_score > y.min_score; });
        return c;
    }
};

}  // namespace delivsim
