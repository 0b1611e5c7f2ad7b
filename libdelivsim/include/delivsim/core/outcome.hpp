#pragma once
// The outcome taxonomy: where a message ended, which SMTP reply decided it, who was
// responsible, and whether the sender is ever told.
#include <array>
#include <cstdint>
#include <string_view>

namespace delivsim {

enum class Outcome : std::uint8_t {
    inbox,
    rule_moved,
    spam_folder,
    quarantined,
    rule_deleted,
    silently_lost,
    bounced,
};
inline constexpr std::size_t outcome_count = 7;
inline constexpr auto outcome_names = std::to_array<std::string_view>({
    "inbox", "rule_moved", "spam_folder", "quarantined", "rule_deleted", "silently_lost", "bounced"});
static_assert(outcome_names.size() == outcome_count && outcome_count == static_cast<std::size_t>(Outcome::bounced) + 1, "a name for every value");
constexpr std::string_view name(Outcome o) { return outcome_names[static_cast<std::size_t>(o)]; }

// Accepted means the receiving server answered 250: the receiving side decided the rest.
constexpr bool accepted(Outcome o) { return o != Outcome::bounced && o != Outcome::silently_lost; }
// A bounce (DSN) is the only way a sender ever learns that mail did not arrive.
constexpr bool sender_told(Outcome o) { return o == Outcome::bounced; }

// How the sender first learns that a message is not (yet) delivered. A delay warning is the
// sending MTA's delay DSN (RFC 3464 Action: delayed), sent once the message has waited
// `delay_warning_s` in the queue: the message may still be delivered or bounce later.
// Later ways (a quarantine release notice, a recipient's reply) are added here.
enum class Notice : std::uint8_t { never, bounce, delay_warning };
inline constexpr std::size_t notice_count = 3;
inline constexpr auto notice_names = std::to_array<std::string_view>({"never", "bounce", "delay_warning"});
static_assert(notice_names.size() == notice_count && notice_count == static_cast<std::size_t>(Notice::delay_warning) + 1, "a name for every value");
constexpr std::string_view name(Notice n) { return notice_names[static_cast<std::size_t>(n)]; }

enum class Responsible : std::uint8_t {
    none,  // delivered to the inbox
    sender_configuration,
    sender_content,
    address_error,
    receiver_policy,
    receiver_availability,
    recipient_rules,
    recipient_quota,
    sender_reputation,      // the sending IP's or domain's reputation (a DNSBL listing by default; world/: complaints, traps, volume)
    shared_infrastructure,  // a neighbour on the sender's shared infrastructure (a DNSBL listing of kind "shared")
};
inline constexpr std::size_t responsible_count = 10;
inline constexpr auto responsible_names = std::to_array<std::string_view>({
    "none", "sender_configuration", "sender_content", "address_error",
    "receiver_policy", "receiver_availability", "recipient_rules", "recipient_quota", "sender_reputation",
    "shared_infrastructure"});
static_assert(responsible_names.size() == responsible_count && responsible_count == static_cast<std::size_t>(Responsible::shared_infrastructure) + 1, "a name for every value");
constexpr std::string_view name(Responsible r) { return responsible_names[static_cast<std::size_t>(r)]; }

// The SMTP replies the built-in stages give, as the software that writes them writes them
// (docs/status-codes.md gives each one's source). Several replies can share an enhanced code
// (554 and 550 5.7.1); bounce counts are reported per enhanced code. Where no server replied
// (reply 0), the code is the sending MTA's own, in its bounce (DSN).
enum class Status : std::uint8_t {
    none,  // 250: accepted
    bad_destination,       // 550 5.1.2 (Sendmail's "Host unknown"; R1's)
    unknown_user,          // 550 5.1.1
    null_mx,               // 556 5.1.10 (RFC 7505)
    ip_blocklisted,        // 554 5.7.1
    content_rejected,      // 550 5.7.1
    message_too_big,       // 552 5.3.4
    mailbox_full,          // 552 5.2.2
    dmarc_reject,          // 550 5.7.26
    expired,               // 4.4.7: queue lifetime exceeded (a DSN, no SMTP reply)
    no_host_answered,      // 4.4.1 (no SMTP reply: connection failed)
    mailbox_full_temporary,// 452 4.2.2
    greylisted,            // 451 4.7.1
    rate_limited,          // 421 4.7.0 (world/: per sending IP)
    rate_limited_subnet,   // 421 4.7.0 (world/: per sending /24)
    reputation_rejected,   // 550 5.7.1 (world/: sender reputation "bad")
    domain_not_found,      // 5.4.4 (Postfix's smtp client: the domain does not resolve)
    unrouteable_address,   // 5.0.0 (Exim: "Unrouteable address"; its DSNs say 5.0.0)
    greylisted_postgrey,   // 450 4.2.0 (postgrey's DEFER_IF_PERMIT through Postfix)
    host_busy,             // 421 4.7.0 at the greeting: too many connections (a busy MX host)
    // Mailbox providers' sender requirements (policy/sender_requirements.hpp; sources in
    // docs/providers.md)
    unauthenticated,          // 550 5.7.26 Gmail: neither SPF nor DKIM passed
    no_reverse_dns,           // 550 5.7.25 Gmail: the sending IP has no valid PTR
    tls_required,             // 421 4.7.0 Gmail: TLS required
    spf_required,             // 550 5.7.27 Gmail, bulk: SPF did not pass
    dkim_required,            // 550 5.7.30 Gmail, bulk: DKIM did not pass
    dmarc_alignment_required, // 550 5.7.32 Gmail, bulk: From not aligned with SPF or DKIM
    authentication_level,     // 550 5.7.515 Microsoft, high-volume senders
    policy_rejected,          // 554 5.7.9 Yahoo: not accepted for policy reasons
    spam_rate_limited,        // 421 4.7.28 Gmail: unusual rate of unsolicited mail
    complaints_deferred,      // 421 4.7.0 Yahoo [TSS04]: unexpected volume or user complaints
    reputation_rate_limited,  // 451 4.7.650 Microsoft: rate limited due to IP reputation
    dmarc_access_denied,      // 550 5.7.509 Microsoft: DMARC failed under p=reject
};
inline constexpr std::size_t status_count = 32;

struct StatusInfo {
    int reply;  // SMTP reply code; 0 where no server replied
    std::string_view enhanced;
    std::string_view text;
};
inline constexpr auto status_table = std::to_array<StatusInfo>({
    {250, "2.0.0", "accepted"},
    {550, "5.1.2", "recipient domain does not exist"},
    {550, "5.1.1", "recipient unknown"},
    {556, "5.1.10", "recipient domain has a null MX"},
    {554, "5.7.1", "sending IP on a DNS blocklist"},
    {550, "5.7.1", "rejected by content filter"},
    {552, "5.3.4", "message exceeds size limit"},
    {552, "5.2.2", "mailbox full"},
    {550, "5.7.26", "DMARC policy reject"},
    {0, "4.4.7", "queue lifetime expired"},
    {0, "4.4.1", "no MX host answered"},
    {452, "4.2.2", "mailbox full, try later"},
    {451, "4.7.1", "greylisted, try later"},
    {421, "4.7.0", "sending IP over its rate limit, try later"},
    {421, "4.7.0", "sending network over its rate limit, try later"},
    {550, "5.7.1", "rejected for poor sender reputation"},
    {0, "5.4.4", "Host or domain name not found"},
    {0, "5.0.0", "Unrouteable address"},
    {450, "4.2.0", "Recipient address rejected: Greylisted"},
    {421, "4.7.0", "too many connections, try again later"},
    {550, "5.7.26", "unauthenticated: neither SPF nor DKIM passed"},
    {550, "5.7.25", "the sending IP has no PTR record that resolves back to it"},
    {421, "4.7.0", "TLS required, closing connection"},
    {550, "5.7.27", "bulk sender: SPF did not pass"},
    {550, "5.7.30", "bulk sender: DKIM did not pass"},
    {550, "5.7.32", "bulk sender: From domain not aligned with SPF or DKIM"},
    {550, "5.7.515", "sending domain does not meet the required authentication level"},
    {554, "5.7.9", "message not accepted for policy reasons"},
    {421, "4.7.28", "unusual rate of unsolicited mail, temporarily rate limited"},
    {421, "4.7.0", "temporarily deferred due to unexpected volume or user complaints"},
    {451, "4.7.650", "temporarily rate limited due to IP reputation"},
    {550, "5.7.509", "Access denied, sending domain does not pass DMARC verification and has a DMARC policy of reject"},
});
static_assert(status_table.size() == status_count, "a reply for every status");
constexpr const StatusInfo& info(Status s) { return status_table[static_cast<std::size_t>(s)]; }
// The Status enumerators' names, for APIs that name a reply (custom policies in Python).
inline constexpr auto status_names = std::to_array<std::string_view>({
    "none", "bad_destination", "unknown_user", "null_mx", "ip_blocklisted", "content_rejected",
    "message_too_big", "mailbox_full", "dmarc_reject", "expired", "no_host_answered",
    "mailbox_full_temporary", "greylisted", "rate_limited", "rate_limited_subnet", "reputation_rejected",
    "domain_not_found", "unrouteable_address", "greylisted_postgrey", "host_busy",
    "unauthenticated", "no_reverse_dns", "tls_required", "spf_required", "dkim_required", "dmarc_alignment_required",
    "authentication_level", "policy_rejected", "spam_rate_limited", "complaints_deferred", "reputation_rate_limited",
    "dmarc_access_denied"});
static_assert(status_names.size() == status_count && status_count == static_cast<std::size_t>(Status::dmarc_access_denied) + 1, "a name for every value");

// The stage that decided a message's fate (or, for a temporary failure, the attempt's): one
// of the engine's own steps named here, or a policy's. The policies' stages are numbered
// after these, in the order of the policy registry, which also names them
// (policy/registry.hpp: stage_of<P>, stage_count, stage_names).
enum class Stage : std::uint8_t {
    none,
    address,
    mx_routing,
    retry_queue,
    delivery,     // reached the end of the chain: inbox
    rate_limit,   // world/: token buckets per sending IP and /24
    reputation,   // world/: reputation-based rejection
};
inline constexpr auto engine_stage_names = std::to_array<std::string_view>(
    {"none", "address", "mx_routing", "retry_queue", "delivery", "rate_limit", "reputation"});
inline constexpr std::size_t engine_stage_count = engine_stage_names.size();
static_assert(engine_stage_count == static_cast<std::size_t>(Stage::reputation) + 1, "a name for every engine stage");

// A message's final fate.
struct Fate {
    Outcome outcome = Outcome::inbox;
    Status status = Status::none;
    Responsible responsible = Responsible::none;
    Stage stage = Stage::delivery;
    std::uint32_t attempt = 0;  // index of the deciding attempt in the retry schedule
    double time_s = 0;          // time of acceptance or bounce, seconds after the first attempt
};

// When the sending MTA's delay warning goes out for a message still queued (0: never, as in
// Postfix's default delay_warning_time = 0h). A message whose fate was decided after it was
// queued that long was warned first, whatever its fate.
constexpr bool delay_warned(const Fate& f, double delay_warning_s) noexcept {
    return delay_warning_s > 0 && f.time_s > delay_warning_s;
}
// How, and how long after the first attempt, the sender first learns of message `f`.
struct NoticeOf {
    Notice how = Notice::never;
    double time_s = 0;
};
constexpr NoticeOf notice_of(const Fate& f, double delay_warning_s) noexcept {
    if (delay_warned(f, delay_warning_s)) return {Notice::delay_warning, delay_warning_s};
    if (f.outcome == Outcome::bounced) return {Notice::bounce, f.time_s};
    return {};
}

}  // namespace delivsim
