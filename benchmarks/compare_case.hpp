#pragma once
// The strategy comparison's benchmark case, shared by delivsim_bench (BM_Compare*) and
// delivsim_compare_cost (exact instruction counts under valgrind): R1's mail with content
// features (examples/scenarios/r1_content_features.json) and four strategies that share the
// profiles' pre-filter stages (dnsbl, size_limit, unknown_user, mailbox_quota) and differ after.
#include <delivsim/delivsim.hpp>

#include <string>
#include <utility>
#include <vector>

namespace delivsim_bench {

inline const delivsim::Scenario& r1_features() {
    static const delivsim::Scenario s = delivsim::load_scenario(DELIVSIM_SOURCE_DIR "/examples/scenarios/r1_content_features.json");
    return s;
}

inline const std::vector<delivsim::Strategy>& four_strategies() {
    static const std::vector<delivsim::Strategy> st = [] {
        const std::string pre = R"({"type": "dnsbl"}, {"type": "size_limit", "max_bytes": 36000000}, {"type": "unknown_user"},
            {"type": "mailbox_quota", "full": 0.003, "mode": "permanent"}, )";
        const std::vector<std::pair<std::string, std::string>> specs = {
            {"strict_content", "[" + pre + R"({"type": "dmarc_disposition", "fail_reject": "reject", "fail_quarantine": "quarantine"},
                {"type": "content_filter", "dmarc_adjustment": {"none": 1.5}, "actions": [{"min_score": 12, "action": "reject"},
                 {"min_score": 4, "action": "spam_folder"}]}, {"type": "mailbox_rules", "by_class": {"N": {"delete": 0.04, "move": 0.15}}}])"},
            {"lax_content", "[" + pre + R"({"type": "dmarc_disposition", "fail_reject": "reject", "fail_quarantine": "quarantine"},
                {"type": "content_filter", "dmarc_adjustment": {"none": 1.5}, "actions": [{"min_score": 8, "action": "spam_folder"}]},
                {"type": "mailbox_rules", "by_class": {"N": {"delete": 0.04, "move": 0.15}}}])"},
            {"rspamd_default", "[" + pre + R"({"type": "rspamd", "preset": "rspamd_default", "content_score": true, "rules": [
                {"name": "PROMO", "feature": "promo_phrases", "op": ">=", "value": 3, "score": 2},
                {"name": "BAD_URL", "feature": "url_hits", "op": ">=", "value": 1, "score": 6}]},
                {"type": "mailbox_rules", "by_class": {"N": {"delete": 0.04, "move": 0.15}}}])"},
            {"gateway", "[" + pre + R"({"type": "gateway", "policies": [
                {"type": "url_reputation", "actions": [{"min_hits": 2, "action": "quarantine"}]},
                {"type": "logistic", "intercept": -5, "weights": {"links": 0.1, "promo_phrases": 0.5, "html_ratio": 2,
                 "reputation": -0.03, "attachment=executable": 5, "attachment=office_macro": 4, "content_score": 0.4},
                 "actions": [{"min_probability": 0.9, "action": "quarantine"}, {"min_probability": 0.5, "action": "spam_folder"}]},
                {"type": "attachment_scanner", "false_positive": 0.02, "detection": 0.9}]},
                {"type": "mailbox_rules", "by_class": {"N": {"delete": 0.04, "move": 0.15}}}])"}};
        std::vector<delivsim::Strategy> out;
        for (const auto& [name, text] : specs)
            out.push_back(delivsim::parse_strategy(r1_features(), name, delivsim::json::parse(text)));
        return out;
    }();
    return st;
}

// The scenario's own chains ("own") and the first three strategies above: BM_Compare_vs_Run's K = 4.
inline std::vector<delivsim::Strategy> own_and_three() {
    const auto& s = r1_features();
    std::vector<delivsim::Strategy> st{{"own", std::vector<std::shared_ptr<const delivsim::PolicyChain>>(s.profiles.size())}};
    st.insert(st.end(), four_strategies().begin(), four_strategies().begin() + 3);
    return st;
}

}  // namespace delivsim_bench
