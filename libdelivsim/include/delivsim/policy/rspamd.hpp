#pragma once
// rspamd's multi-action mapping: one score (rules and/or the drawn content score, as in
// policy/feature_rules.hpp) and up to four actions, the highest threshold reached wins:
//   reject          550 5.7.1, the sender is told;
//   rewrite_subject accepted, subject prefixed "*** SPAM ***";
//   add_header      accepted with X-Spam headers;
//   greylist        451 4.7.1 on the first attempt; a retry at least greylist_delay_s later
//                   (rspamd's greylist module: 300 s) passes, to the inbox.
// With a greylist threshold set (the greylist module on), add_header and rewrite_subject are
// greylisted first too, as rspamd does (validated against rspamd 3.4: validation/report.md).
// add_header and rewrite_subject both file the message to the spam folder: rspamd itself
// delivers, and it is the mailbox side (a Sieve rule on X-Spam, the provider's junk filing)
// that moves marked mail out of the inbox, which is what recipients see. The two stay
// separate actions because their thresholds differ.
//   {"type": "rspamd", "preset": "rspamd_default", "content_score": true}
// takes rspamd's default thresholds (greylist 4, add_header 6, reject 15; rewrite_subject off);
// any action given next to the preset overrides it, and null turns one off.
#include <delivsim/policy/feature_rules.hpp>
#include <delivsim/policy/greylist.hpp>
#include <delivsim/policy/policy.hpp>

#include <algorithm>
#include <optional>

namespace delivsim {

struct Rspamd {
    static constexpr std::string_view type_name = "rspamd";
    static constexpr Phase phase = Phase::data;
    static constexpr bool judges_spam = true;
    enum class Action : std::uint8_t { reject, rewrite_subject, add_header, greylist };
    static constexpr std::array<std::string_view, 4> action_names{"reject", "rewrite_subject", "add_header", "greylist"};
    static constexpr std::array<std::string_view, 1> preset_names{"rspamd_default"};

    using Memory = Greylist::Memory;  // its greylist action's, apart from the greylist policy's
    AdditiveScore model;
    std::array<std::optional<double>, 4> threshold{};  // by Action; nullopt: off
    double greylist_delay_s = 300;

    double score(const Message& m) const noexcept { return model.score(m); }

    // The action for a score: the one with the highest threshold reached, if any.
    std::optional<Action> action(double s) const noexcept {
        std::optional<Action> best;
        double best_t = 0;
        for (std::size_t i = 0; i < 4; ++i)
            if (threshold[i] && s >= *threshold[i] && (!best || *threshold[i] > best_t)) {
                best = static_cast<Action>(i);
                best_t = *threshold[i];
            }
        return best;
    }

    Verdict evaluate(const Message& m, Session& s, MessageRng&, const Attempt& a) const noexcept {
        const auto act = action(score(m));
        if (!act) return Verdict::proceed();
        constexpr auto who = Responsible::sender_content;
        switch (*act) {
            case Action::reject: return Verdict::reject(Status::content_rejected, who, stage_of<Rspamd>);
            case Action::rewrite_subject:
            case Action::add_header:
                // rspamd's greylist module greylists every action but reject and no action
                // (plugins/greylist.lua): marked mail is deferred first, then filed.
                if (threshold[static_cast<std::size_t>(Action::greylist)] &&
                    !Greylist::passes(policy_memory<Rspamd>(s), greylist_delay_s, a.time_s))
                    return Verdict::temp_fail(Status::greylisted, Responsible::receiver_policy, stage_of<Rspamd>);
                return Verdict::file(Outcome::spam_folder, who, stage_of<Rspamd>);
            case Action::greylist:
                return Greylist::passes(policy_memory<Rspamd>(s), greylist_delay_s, a.time_s)
                           ? Verdict::proceed()
                           : Verdict::temp_fail(Status::greylisted, Responsible::receiver_policy, stage_of<Rspamd>);
        }
        return Verdict::proceed();
    }

    static Rspamd parse(const Field& f, const ParseContext&) {
        f.allow_keys({"type", "preset", "rules", "content_score", "reject", "rewrite_subject", "add_header", "greylist",
                      "greylist_delay_s"});
        Rspamd r;
        r.model = AdditiveScore::parse(f);
        if (f.has("preset")) {
            f["preset"].choice(preset_names);
            r.threshold[static_cast<std::size_t>(Action::reject)] = 15;
            r.threshold[static_cast<std::size_t>(Action::add_header)] = 6;
            r.threshold[static_cast<std::size_t>(Action::greylist)] = 4;
        }
        for (std::size_t i = 0; i < 4; ++i) {
            if (!f.has(action_names[i])) continue;
            const Field t = f[action_names[i]];
            if (t.is_null()) r.threshold[i].reset();
            else r.threshold[i] = t.number();
        }
        if (std::none_of(r.threshold.begin(), r.threshold.end(), [](const auto& t) { return t.has_value(); }))
            f.fail("no action: give \"preset\" or a threshold for reject, rewrite_subject, add_header or greylist");
        for (std::size_t i = 0; i < 4; ++i)
            for (std::size_t j = i + 1; j < 4; ++j)
                if (r.threshold[i] && r.threshold[j] && *r.threshold[i] == *r.threshold[j])
                    (f.has(action_names[j]) ? f[action_names[j]] : f[action_names[i]])
                        .fail(std::string(action_names[i]) + " and " + std::string(action_names[j]) +
                              " share the threshold " + json(*r.threshold[i]).dump());
        if (f.has("greylist_delay_s")) r.greylist_delay_s = f["greylist_delay_s"].non_negative();
        return r;
    }
};

}  // namespace delivsim
