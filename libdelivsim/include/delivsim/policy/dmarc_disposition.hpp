#pragma once
// The receiver's handling of a DMARC failure (RFC 7489 section 6.6.2): it may follow the
// published p=reject / p=quarantine, treat quarantine as the spam folder, or ignore it.
// "reject_reply" (optional, a 5xx Status name, default dmarc_reject, Gmail's 550 5.7.26) is the
// reply a reject gives: Microsoft writes 550 5.7.509 (dmarc_access_denied; docs/providers.md).
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
    bool operator==(const DmarcDisposition&) const = default;

    Verdict evaluate(const Message& m, Session&, MessageRng&, const Attempt&) const noexcept {
        if (m.dmarc == DmarcResult::fail_reject) return apply(on_fail_reject);
        if (m.dmarc == DmarcResult::fail_quarantine) return apply(on_fail_quarantine);
        return Verdict::proceed();
    }
    static DmarcDisposition parse(const Field& f, const ParseContext&) {
        f.allow_keys({"type", "fail_reject", "fail_quarantine", "reject_reply"});
        DmarcDisposition d{static_cast<Action>(f["fail_reject"].choice(action_names)),
                           static_cast<Action>(f["fail_quarantine"].choice(action_names))};
        if (f.has("reject_reply")) {
            const Field r = f["reject_reply"];
            d.reject_reply = static_cast<Status>(r.choice(status_names));
            const StatusInfo& st = info(d.reject_reply);
            if (st.reply < 500 || st.reply > 599)
                r.fail("'" + r.string() + "' (" + std::to_string(st.reply) + " " + std::string(st.enhanced) +
                       ") is not a 5xx reply, as a DMARC reject needs");
        }
        return d;
    }

private:
    Verdict apply(Action a) const noexcept {
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
