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
inline constexpr std::array<std::string_view, outcome_count> outcome_names{
    "inbox", "rule_moved", "spam_folder", "quarantined", "rule_deleted", "silently_lost", "bounced"};
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
};
inline constexpr std::size_t responsible_count = 8;
inline constexpr std::array<std::string_view, responsible_count> responsible_names{
    "none", "sender_configuration", "sender_content", "address_error",
    "receiver_policy", "receiver_availability", "recipient_rules", "recipient_quota"};
constexpr std::string_view name(Responsible r) { return responsible_names[static_cast<std::size_t>(r)]; }

// The SMTP replies the built-in stages give. Several replies can share an enhanced code
// (554 and 550 5.7.1); bounce counts are reported per enhanced code.
enum class Status : std::uint8_t {
    none,  // 250: accepted
    bad_destination,       // 550 5.1.2
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
};
inline constexpr std::size_t status_count = 13;

struct StatusInfo {
    int reply;  // SMTP reply code; 0 where no server replied
    std::string_view enhanced;
    std::string_view text;
};
inline constexpr std::array<StatusInfo, status_count> status_table{{
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
}};
constexpr const StatusInfo& info(Status s) { return status_table[static_cast<std::size_t>(s)]; }

// The stage that decided a message's fate (or, for a temporary failure, the attempt's).
enum class Stage : std::uint8_t {
    none,
    address,
    mx_routing,
    retry_queue,
    dnsbl,
    size_limit,
    unknown_user,
    mailbox_quota,
    greylist,
    dmarc_disposition,
    content_filter,
    attachment_scanner,
    mailbox_rules,
    delivery,  // reached the end of the chain: inbox
    // content models (issue 6)
    rule_score,
    logistic,
    rspamd,
    url_reputation,
};
inline constexpr std::size_t stage_count = 18;
inline constexpr std::array<std::string_view, stage_count> stage_names{
    "none", "address", "mx_routing", "retry_queue", "dnsbl", "size_limit", "unknown_user",
    "mailbox_quota", "greylist", "dmarc_disposition", "content_filter", "attachment_scanner",
    "mailbox_rules", "delivery", "rule_score", "logistic", "rspamd", "url_reputation"};
constexpr std::string_view name(Stage s) { return stage_names[static_cast<std::size_t>(s)]; }

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
