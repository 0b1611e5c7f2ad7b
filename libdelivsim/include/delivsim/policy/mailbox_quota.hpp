#pragma once
// Mailbox quota. Whether the mailbox is full is drawn the first time the check runs. A
// permanent receiver bounces (552 5.2.2); a temporary one defers (452 4.2.2) and, at each
// later check, the mailbox is still full with probability `still_full` until space is freed.
#include <delivsim/policy/policy.hpp>

namespace delivsim {

struct MailboxQuota {
    static constexpr std::string_view type_name = "mailbox_quota";
    static constexpr Phase phase = Phase::envelope;
    static constexpr bool judges_spam = false;
    enum class Mode : std::uint8_t { permanent, temporary };
    static constexpr std::array<std::string_view, 2> mode_names{"permanent", "temporary"};

    // Whether the mailbox was found full, from the first check on.
    enum class Quota : std::uint8_t { unchecked, full, has_space };
    struct Memory {
        Quota quota = Quota::unchecked;
    };
    double full = 0;
    Mode mode = Mode::permanent;
    double still_full = 0;
    bool operator==(const MailboxQuota&) const = default;

    Verdict evaluate(const Message&, Session& s, MessageRng& rng, const Attempt& a) const noexcept {
        using Q = Quota;
        Quota& quota = policy_memory<MailboxQuota>(s).quota;
        if (quota == Q::unchecked)
            quota = rng.bernoulli(Stream::message, draw_mailbox_full, full) ? Q::full : Q::has_space;
        else if (quota == Q::full)
            quota = rng.bernoulli(Stream::mailbox_quota_retry, a.index, still_full) ? Q::full : Q::has_space;
        if (quota != Q::full) return Verdict::proceed();
        return mode == Mode::permanent
                   ? Verdict::reject(Status::mailbox_full, Responsible::recipient_quota, stage_of<MailboxQuota>)
                   : Verdict::temp_fail(Status::mailbox_full_temporary, Responsible::recipient_quota,
                                        stage_of<MailboxQuota>);
    }
    static MailboxQuota parse(const Field& f, const ParseContext&) {
        f.allow_keys({"type", "full", "mode", "still_full"});
        MailboxQuota q;
        q.full = f["full"].probability();
        q.mode = static_cast<Mode>(f["mode"].choice(mode_names));
        if (q.mode == Mode::temporary) q.still_full = f["still_full"].probability();
        else if (f.has("still_full")) f["still_full"].fail("only applies with mode 'temporary'");
        return q;
    }
};

}  // namespace delivsim
