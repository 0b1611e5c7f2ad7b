#pragma once
// The recipient's own mailbox rules, applied to mail headed for the inbox: per sender class,
// the chance that a rule deletes the message or moves it to a folder.
#include <delivsim/policy/policy.hpp>

namespace delivsim {

struct MailboxRules {
    static constexpr std::string_view type_name = "mailbox_rules";
    static constexpr Phase phase = Phase::mailbox;
    static constexpr bool judges_spam = false;
    struct Rule {
        double delete_p = 0;
        double move_p = 0;
        bool operator==(const Rule&) const = default;
    };
    std::vector<Rule> by_class;  // indexed by sender class; classes not named have no rule
    bool operator==(const MailboxRules&) const = default;

    Verdict evaluate(const Message& m, Session&, MessageRng& rng, const Attempt&) const noexcept {
        const Rule& r = by_class[m.sender_class];
        if (r.delete_p + r.move_p <= 0) return Verdict::proceed();
        const double u = rng.uniform(Stream::message, draw_mailbox_rule);
        if (u < r.delete_p) return Verdict::file(Outcome::rule_deleted, Responsible::recipient_rules, stage_of<MailboxRules>);
        if (u < r.delete_p + r.move_p)
            return Verdict::file(Outcome::rule_moved, Responsible::recipient_rules, stage_of<MailboxRules>);
        return Verdict::proceed();
    }
    static MailboxRules parse(const Field& f, const ParseContext& ctx) {
        f.allow_keys({"type", "by_class"});
        MailboxRules r;
        r.by_class.resize(ctx.class_names.size());
        for (const auto& [cls, rule] : f["by_class"].entries()) {
            const auto it = std::find(ctx.class_names.begin(), ctx.class_names.end(), cls);
            if (it == ctx.class_names.end()) rule.fail("'" + cls + "' is not a sender class");
            rule.allow_keys({"delete", "move"});
            Rule x{rule.has("delete") ? rule["delete"].probability() : 0.0,
                   rule.has("move") ? rule["move"].probability() : 0.0};
            if (x.delete_p + x.move_p > 1.0 + 1e-12) rule.fail("delete + move exceeds 1");
            r.by_class[static_cast<std::size_t>(it - ctx.class_names.begin())] = x;
        }
        return r;
    }
};

}  // namespace delivsim
