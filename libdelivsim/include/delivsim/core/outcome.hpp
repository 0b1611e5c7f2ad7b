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

enum class Responsible : std::uint8_t {
    none,  // delivered to the inbox
    sender_configuration,
    sender_content,
    address_error,
    receiver_policy,
    receiver_availability,
    recipient_rules,
    recipient_quota,
    sender_reputation,  // world/: the receiver's memory of the sender (complaints, traps, volume)
};
inline constexpr std::size_t responsible_count = 9;
inline constexpr auto responsible_names = std::to_array<std::string_view>({
    "none", "sender_configuration", "sender_content", "address_error",
    "receiver_policy", "receiver_availability", "recipient_rules", "recipient_quota", "sender_reputation"});
static_assert(responsible_names.size() == responsible_count && responsible_count == static_cast<std::size_t>(Responsible::sender_reputation) + 1, "a name for every value");
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
};
inline constexpr std::size_t status_count = 31;

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
    "authentication_level", "policy_rejected", "spam_rate_limited", "complaints_deferred", "reputation_rate_limited"});
static_assert(status_names.size() == status_count && status_count == static_cast<std::size_t>(Status::reputation_rate_limited) + 1, "a name for every value");

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

}  // namespace delivsim
