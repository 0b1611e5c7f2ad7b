#pragma once
// After acceptance: what happens to accepted mail in the recipient's folders, which can change
// its final fate and when that fate is known.
//
// - Safe senders and contacts: a share of a class's recipients have the sender in their
//   safe-sender list or contacts (drawn per message). A receiver that honours the list does not
//   file such mail to the spam folder (it reaches the inbox); rejections, blocklists and
//   quarantines still apply (Microsoft: safe senders do not override high-confidence phishing or
//   malware verdicts, docs/recipient-folders.md).
// - Spam-folder rescue: a legitimate message in the spam folder is found, with a probability
//   per class, `rescue_after_s` after acceptance and marked "not spam": it moves to the inbox
//   then. A receiver that deletes spam-folder mail after `spam_retention_s` (Gmail: 30 days)
//   deletes it unread if nobody found it before.
// - Quarantine: the receiver's digest lists quarantined mail every `digest_interval_s`; the
//   recipient releases a legitimate message from the first digest with a probability, or an
//   admin does after `admin_release_after_s`; what is not released expires after
//   `retention_s` (Microsoft 365: 30 days).
// Spam (legit: false) is never rescued or released. Draws: Stream::recipient, slots below.
#include <delivsim/core/json.hpp>
#include <delivsim/core/message.hpp>
#include <delivsim/core/outcome.hpp>
#include <delivsim/core/rng.hpp>

#include <array>
#include <optional>
#include <string_view>

namespace delivsim {

// A sender class's recipients: "recipients": {"safe_sender": p, "rescue": p, "rescue_after_s": s}.
struct RecipientHabits {
    double safe_sender = 0;       // the recipient has the sender in safe senders or contacts
    double rescue = 0;            // a legitimate spam-folder message is found and marked "not spam"
    double rescue_after_s = 86400;

    bool any() const noexcept { return safe_sender > 0 || rescue > 0; }

    static RecipientHabits parse(const Field& f) {
        f.allow_keys({"safe_sender", "rescue", "rescue_after_s"});
        RecipientHabits h;
        if (f.has("safe_sender")) h.safe_sender = f["safe_sender"].probability();
        if (f.has("rescue")) h.rescue = f["rescue"].probability();
        if (f.has("rescue_after_s")) h.rescue_after_s = f["rescue_after_s"].non_negative();
        if (f.has("rescue_after_s") && !f.has("rescue"))
            f["rescue_after_s"].fail("is given without 'rescue' (the probability that spam-folder mail is rescued)");
        return h;
    }
};

// A receiver's folders: "folders": {"honours_safe_senders": true, "spam_retention_s": 2592000,
// "quarantine": {...}}.
struct FolderHandling {
    struct Quarantine {
        double digest_interval_s = 0;
        double recipient_release = 0;
        double admin_release = 0;
        double admin_release_after_s = 0;
        double retention_s = 0;
    };
    bool honours_safe_senders = false;
    double spam_retention_s = 0;  // 0: spam-folder mail is kept
    std::optional<Quarantine> quarantine;

    bool any() const noexcept { return honours_safe_senders || spam_retention_s > 0 || quarantine.has_value(); }

    static FolderHandling parse(const Field& f) {
        f.allow_keys({"honours_safe_senders", "spam_retention_s", "quarantine"});
        FolderHandling h;
        if (f.has("honours_safe_senders")) h.honours_safe_senders = f["honours_safe_senders"].boolean();
        if (f.has("spam_retention_s")) h.spam_retention_s = f["spam_retention_s"].positive();
        if (f.has("quarantine")) {
            const Field q = f["quarantine"];
            q.allow_keys({"digest_interval_s", "recipient_release", "admin_release", "admin_release_after_s",
                          "retention_s"});
            Quarantine x;
            x.digest_interval_s = q["digest_interval_s"].positive();
            x.recipient_release = q["recipient_release"].probability();
            x.admin_release = q["admin_release"].probability();
            x.admin_release_after_s = q["admin_release_after_s"].non_negative();
            x.retention_s = q["retention_s"].positive();
            h.quarantine = x;
        }
        return h;
    }
};

// What happened to an accepted message after it was filed.
enum class AfterAcceptance : std::uint8_t {
    none,
    safe_sender,            // not filed to the spam folder: the sender is a safe sender
    rescued_from_spam,      // moved from the spam folder to the inbox ("not spam")
    released_by_recipient,  // released from quarantine by the recipient (from a digest)
    released_by_admin,      // released from quarantine by an admin
    spam_deleted,           // deleted unread from the spam folder at the end of its retention
    quarantine_expired,     // deleted from quarantine at the end of its retention, never released
    relayed,                // accepted by a backup MX, which delivered it to a primary host later
    bounced_by_backup_mx,   // accepted by a backup MX, refused by the primary: the backup MX bounces it
                            // (to the envelope sender: backscatter when the sender was forged, i.e. spam)
};
inline constexpr auto after_acceptance_names = std::to_array<std::string_view>(
    {"none", "safe_sender", "rescued_from_spam", "released_by_recipient", "released_by_admin", "spam_deleted",
     "quarantine_expired", "relayed", "bounced_by_backup_mx"});
constexpr std::string_view name(AfterAcceptance a) { return after_acceptance_names[static_cast<std::size_t>(a)]; }

// The fate after the folders and the recipient had their say, and when it changed (seconds
// after the first attempt; the fate's own time_s stays the acceptance).
struct FolderFate {
    AfterAcceptance after = AfterAcceptance::none;
    double time_s = 0;
};

// Applies the folders' and recipient's handling to `f`, the fate the delivery decided.
inline FolderFate after_acceptance(Fate& f, const Message& m, const RecipientHabits& habits,
                                   const FolderHandling& folders, MessageRng& rng) noexcept {
    if (f.outcome == Outcome::spam_folder) {
        if (m.safe_sender && folders.honours_safe_senders) {
            f = Fate{Outcome::inbox, Status::none, Responsible::none, Stage::delivery, f.attempt, f.time_s};
            return {AfterAcceptance::safe_sender, f.time_s};
        }
        const bool in_time = folders.spam_retention_s == 0 || habits.rescue_after_s < folders.spam_retention_s;
        if (m.legit && habits.rescue > 0 && in_time && rng.bernoulli(Stream::recipient, draw_rescue, habits.rescue)) {
            f.outcome = Outcome::inbox;
            f.responsible = Responsible::none;  // the stage that filed it stays: it misjudged
            return {AfterAcceptance::rescued_from_spam, f.time_s + habits.rescue_after_s};
        }
        if (folders.spam_retention_s > 0) return {AfterAcceptance::spam_deleted, f.time_s + folders.spam_retention_s};
    } else if (f.outcome == Outcome::quarantined && folders.quarantine) {
        const auto& q = *folders.quarantine;
        if (m.legit && q.digest_interval_s < q.retention_s &&
            rng.bernoulli(Stream::recipient, draw_release_by_recipient, q.recipient_release)) {
            f.outcome = Outcome::inbox;
            f.responsible = Responsible::none;
            return {AfterAcceptance::released_by_recipient, f.time_s + q.digest_interval_s};
        }
        if (m.legit && q.admin_release_after_s < q.retention_s &&
            rng.bernoulli(Stream::recipient, draw_release_by_admin, q.admin_release)) {
            f.outcome = Outcome::inbox;
            f.responsible = Responsible::none;
            return {AfterAcceptance::released_by_admin, f.time_s + q.admin_release_after_s};
        }
        return {AfterAcceptance::quarantine_expired, f.time_s + q.retention_s};
    }
    return {};
}

}  // namespace delivsim
