#pragma once
// A mailbox provider's published sender requirements: checks of the message's authentication
// and transport facts (core/message.hpp), each with what the provider does to mail that fails
// it. Some apply to every sender, the others only to bulk senders (Transport::bulk: a class's
// "bulk", or in a world its daily volume to the receiving domain). The presets
// (scenario/presets.hpp) fill it from the providers' pages; docs/providers.md gives the sources.
//
//   {"type": "sender_requirements",
//    "all_senders": {"spf_or_dkim": {"action": "reject", "reply": "unauthenticated"},
//                    "ptr": {"action": "reject", "reply": "no_reverse_dns"},
//                    "tls": {"action": "temp_fail", "reply": "tls_required"}},
//    "bulk_senders": {"spf": {"action": "reject", "reply": "spf_required"},
//                     "dkim": {"action": "reject", "reply": "dkim_required"},
//                     "dmarc_record": {"action": "reject", "reply": "unauthenticated"},
//                     "dmarc_alignment": {"action": "reject", "reply": "dmarc_alignment_required"},
//                     "one_click_unsubscribe": {"action": "spam_folder"}}}
// Every requirement is optional. Actions: reject (a 5xx "reply", a Status name), temp_fail (a
// 4xx reply), spam_folder, quarantine. The checks, in this order, the first failure deciding:
//   ptr              forward-confirmed reverse DNS (a DNS error counts as a failure)
//   tls              the session used TLS
//   spf_or_dkim      SPF passed or some DKIM signature passed
//   spf, dkim        SPF passed; some DKIM signature passed
//   dmarc_record     a DMARC record applied (p=none is enough)
//   dmarc_alignment  DMARC passed (SPF or DKIM passed aligned with From)
//   one_click_unsubscribe  List-Unsubscribe with RFC 8058 one-click
#include <delivsim/policy/policy.hpp>

#include <array>
#include <string>

namespace delivsim {

struct SenderRequirements {
    static constexpr std::string_view type_name = "sender_requirements";
    static constexpr Phase phase = Phase::data;
    static constexpr bool judges_spam = false;

    enum class Check : std::uint8_t { ptr, tls, spf_or_dkim, spf, dkim, dmarc_record, dmarc_alignment, one_click_unsubscribe };
    static constexpr std::size_t check_count = 8;
    static constexpr std::array<std::string_view, check_count> check_names{
        "ptr", "tls", "spf_or_dkim", "spf", "dkim", "dmarc_record", "dmarc_alignment", "one_click_unsubscribe"};
    enum class Action : std::uint8_t { none, reject, temp_fail, spam_folder, quarantine };
    static constexpr std::array<std::string_view, 4> action_names{"reject", "temp_fail", "spam_folder", "quarantine"};

    struct Requirement {
        Action action = Action::none;  // none: not required
        Status reply = Status::none;
    };
    std::array<Requirement, check_count> all{}, bulk{};

    static bool meets(Check c, const Message& m) noexcept {
        const AuthResults& a = m.auth;
        switch (c) {
            case Check::ptr: return m.transport.ptr == ReverseDns::fcrdns;
            case Check::tls: return m.transport.tls;
            case Check::spf_or_dkim: return a.spf == AuthResult::pass || a.dkim_pass();
            case Check::spf: return a.spf == AuthResult::pass;
            case Check::dkim: return a.dkim_pass();
            case Check::dmarc_record: return a.dmarc_policy != DmarcPolicyFact::no_record;
            case Check::dmarc_alignment: return a.dmarc == AuthResult::pass;
            case Check::one_click_unsubscribe: return m.transport.list_unsubscribe == ListUnsubscribe::one_click;
        }
        return true;
    }

    Verdict evaluate(const Message& m, Session&, MessageRng&, const Attempt&) const noexcept {
        for (std::size_t i = 0; i < check_count; ++i) {
            const Check c = static_cast<Check>(i);
            if (all[i].action != Action::none && !meets(c, m)) return apply(all[i]);
            if (m.transport.bulk && bulk[i].action != Action::none && !meets(c, m)) return apply(bulk[i]);
        }
        return Verdict::proceed();
    }

    static SenderRequirements parse(const Field& f, const ParseContext&) {
        f.allow_keys({"type", "all_senders", "bulk_senders"});
        SenderRequirements r;
        auto group = [](const Field& g, std::array<Requirement, check_count>& out) {
            g.expect_object();
            for (const auto& item : g.raw().items()) {
                bool known = false;
                for (auto n : check_names) known = known || n == item.key();
                if (!known) {
                    std::string list;
                    for (auto n : check_names) list += (list.empty() ? "" : ", ") + std::string(n);
                    g.child(item.key()).fail("unknown requirement '" + item.key() + "' (known: " + list + ")");
                }
            }
            for (std::size_t i = 0; i < check_count; ++i)
                if (g.has(check_names[i])) out[i] = parse_requirement(g[check_names[i]]);
        };
        if (f.has("all_senders")) group(f["all_senders"], r.all);
        if (f.has("bulk_senders")) group(f["bulk_senders"], r.bulk);
        return r;
    }

private:
    static Requirement parse_requirement(const Field& f) {
        f.allow_keys({"action", "reply"});
        Requirement q;
        q.action = static_cast<Action>(1 + f["action"].choice(action_names));
        const bool needs_reply = q.action == Action::reject || q.action == Action::temp_fail;
        if (!needs_reply) {
            if (f.has("reply")) f["reply"].fail("only a reject or temp_fail gives an SMTP reply");
            return q;
        }
        q.reply = static_cast<Status>(f["reply"].choice(status_names));
        const StatusInfo& st = info(q.reply);
        const char want = q.action == Action::reject ? '5' : '4';
        if (st.reply == 0 || st.enhanced[0] != want)
            f["reply"].fail("'" + std::string(status_names[static_cast<std::size_t>(q.reply)]) + "' (" +
                            std::to_string(st.reply) + " " + std::string(st.enhanced) + ") is not a " + want +
                            "xx reply, as a " + (want == '5' ? "reject" : "temp_fail") + " needs");
        return q;
    }
    static Verdict apply(const Requirement& q) noexcept {
        constexpr auto who = Responsible::sender_configuration;
        constexpr Stage stage = stage_of<SenderRequirements>;
        switch (q.action) {
            case Action::reject: return Verdict::reject(q.reply, who, stage);
            case Action::temp_fail: return Verdict::temp_fail(q.reply, who, stage);
            case Action::spam_folder: return Verdict::file(Outcome::spam_folder, who, stage);
            case Action::quarantine: return Verdict::file(Outcome::quarantined, who, stage);
            case Action::none: break;
        }
        return Verdict::proceed();
    }
};

}  // namespace delivsim
