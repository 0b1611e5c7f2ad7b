#pragma once
// The receiver's handling of a DMARC failure (RFC 7489 section 6.6.2): it may follow the
// published p=reject / p=quarantine, treat quarantine as the spam folder, or ignore it.
// "reject_reply" (optional, default dmarc_reject, Gmail's 550 5.7.26) is the reply a reject
// gives: Microsoft writes 550 5.7.509 (dmarc_access_denied; docs/providers.md). Both verdicts
// are built at load: a message's evaluation is two comparisons and a copy.
#include <delivsim/policy/policy.hpp>

namespace delivsim {

struct DmarcDisposition {
    static constexpr std::string_view type_name = "dmarc_disposition";
    static constexpr Phase phase = Phase::data;
    static constexpr bool judges_spam = true;
    enum class Action : std::uint8_t { reject, quarantine, spam_folder, accept };
    static constexpr std::array<std::string_view, 4> action_names{"reject", "quarantine", "spam_folder", "accept"};

    Action on_fail_reject = Action::reject;
    Action on_fail_quarantine = Action::quarantine;
    Status reject_reply = Status::dmarc_reject;
    // What each failure gets, from the three above (set by parse(), or call prepare()).
    Verdict if_fail_reject = apply(Action::reject, Status::dmarc_reject);
    Verdict if_fail_quarantine = apply(Action::quarantine, Status::dmarc_reject);

    void prepare() noexcept {
        if_fail_reject = apply(on_fail_reject, reject_reply);
        if_fail_quarantine = apply(on_fail_quarantine, reject_reply);
    }
    // The verdicts follow from the three settings, which say what the policy is.
    bool operator==(const DmarcDisposition& o) const noexcept {
        return on_fail_reject == o.on_fail_reject && on_fail_quarantine == o.on_fail_quarantine &&
               reject_reply == o.reject_reply;
    }

    Verdict evaluate(const Message& m, Session&, MessageRng&, const Attempt&) const noexcept {
        if (m.dmarc == DmarcResult::fail_reject) return if_fail_reject;
        if (m.dmarc == DmarcResult::fail_quarantine) return if_fail_quarantine;
        return Verdict::proceed();
    }
    static DmarcDisposition parse(const Field& f, const ParseContext&) {
        f.allow_keys({"type", "fail_reject", "fail_quarantine", "reject_reply"});
        DmarcDisposition d;
        d.on_fail_reject = static_cast<Action>(f["fail_reject"].choice(action_names));
        d.on_fail_quarantine = static_cast<Action>(f["fail_quarantine"].choice(action_names));
        if (f.has("reject_reply")) {
            static constexpr std::array<std::string_view, 2> replies{"dmarc_reject", "dmarc_access_denied"};
            d.reject_reply = f["reject_reply"].choice(replies) == 1 ? Status::dmarc_access_denied : Status::dmarc_reject;
        }
        d.prepare();
        return d;
    }

private:
    static constexpr Verdict apply(Action a, Status reject_reply) noexcept {
        constexpr auto who = Responsible::sender_configuration;
        switch (a) {
            case Action::reject: return Verdict::reject(reject_reply, who, stage_of<DmarcDisposition>);
            case Action::quarantine: return Verdict::file(Outcome::quarantined, who, stage_of<DmarcDisposition>);
            case Action::spam_folder: return Verdict::file(Outcome::spam_folder, who, stage_of<DmarcDisposition>);
            case Action::accept: break;
        }
        return Verdict::proceed();
    }
};

}  // namespace delivsim
