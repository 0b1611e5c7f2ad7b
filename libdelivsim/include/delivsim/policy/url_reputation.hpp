#pragma once
// URL reputation (a URIBL/SURBL-style blocklist of the links' domains): the number of the
// message's links on the list (feature url_hits) against thresholds:
//   {"type": "url_reputation", "actions": [{"min_hits": 1, "action": "reject"}]}
#include <delivsim/core/features.hpp>
#include <delivsim/policy/filter_actions.hpp>

namespace delivsim {

struct UrlReputation {
    static constexpr std::string_view type_name = "url_reputation";
    static constexpr Phase phase = Phase::data;
    static constexpr bool judges_spam = true;
    FilterActions actions;

    Verdict evaluate(const Message& m, Session&, MessageRng&, const Attempt&) const noexcept {
        return actions.decide(m.features.url_hits, stage_of<UrlReputation>);
    }
    static UrlReputation parse(const Field& f, const ParseContext&) {
        f.allow_keys({"type", "actions"});
        return {FilterActions::parse(f["actions"], "min_hits", [](const Field& x) {
            if (x.count() == 0) x.fail("must be at least 1 (every message has at least 0 hits)");
            return static_cast<double>(x.count());
        })};
    }
};

}  // namespace delivsim
