#pragma once
// A SpamAssassin-style additive rule score (policy/feature_rules.hpp) against multi-action
// thresholds:
//   {"type": "rule_score", "rules": [...], "content_score": false,
//    "actions": [{"min_score": 10, "action": "reject"}, {"min_score": 5, "action": "spam_folder"}]}
#include <delivsim/policy/feature_rules.hpp>
#include <delivsim/policy/filter_actions.hpp>

namespace delivsim {

struct RuleScore {
    static constexpr std::string_view type_name = "rule_score";
    static constexpr Phase phase = Phase::data;
    static constexpr bool judges_spam = true;
    AdditiveScore model;
    FilterActions actions;

    double score(const Message& m) const noexcept { return model.score(m); }
    Verdict evaluate(const Message& m, Session&, MessageRng&, const Attempt&) const noexcept {
        return actions.decide(score(m), stage_of<RuleScore>);
    }
    static RuleScore parse(const Field& f, const ParseContext&) {
        f.allow_keys({"type", "rules", "content_score", "actions"});
        return {AdditiveScore::parse(f), FilterActions::parse(f["actions"], "min_score", [](const Field& x) { return x.number(); })};
    }
};

}  // namespace delivsim
