#pragma once
// The receiver's handling of a DMARC failure (RFC 7489 section 6.6.2): it may follow the
// published p=reject / p=quarantine, treat quarantine as the spam folder, or ignore it.
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
    bool operator==(const DmarcDisposition&) const = default;

    Verdict evaluate(const Message& m, Session&, MessageRng&, const Attempt&) const noexcept {
        if (m.dmarc == DmarcResult::fail_reject) return apply(on_fail_reject);
        if (m.dmarc == DmarcResult::fail_quarantine) return apply(on_fail_quarantine);
        return Verdict::proceed();
    }
    static DmarcDisposition parse(const Field& f, const ParseContext&) {
        f.allow_keys({"type", "fail_reject", "fail_quarantine"});
        return {static_cast<Action>(f["fail_reject"].choice(action_names)),
                static_cast<Action>(f["fail_quarantine"].choice(action_names))};
    }

private:
    static Verdict apply(Action a) noexcept {
        constexpr auto who = Responsible::sender_configuration;
        switch (a) {
            case Action::reject: return Verdict::reject(Status::dmarc_reject, who, stage_of<DmarcDisposition>);
            case Action::quarantine: return Verdict::file(Outcome::quarantined, who, stage_of<DmarcDisposition>);
            case Action::spam_folder: return Verdict::file(Outcome::spam_folder, who, stage_of<DmarcDisposition>);
            case Action::accept: break;
        }
        return Verdict::proceed();
    }
};

}  // namespace delivsim
