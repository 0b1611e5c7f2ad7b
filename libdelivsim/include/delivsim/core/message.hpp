#pragma once
// What a message carries through the delivery path: the facts drawn once per message from
// its sender class and recipient profile. Policies read these; they never draw them.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <array>

namespace delivsim {

enum class AddressError : std::uint8_t { none, nxdomain, unknown_user, typosquat };
inline constexpr std::array<std::string_view, 4> address_error_names{"none", "nxdomain", "unknown_user", "typosquat"};

// The DMARC evaluation result at the receiver, with the published policy that applies when
// it fails (RFC 7489 section 6.3).
enum class DmarcResult : std::uint8_t { pass, none, fail_reject, fail_quarantine };
inline constexpr std::size_t dmarc_result_count = 4;
inline constexpr std::array<std::string_view, dmarc_result_count> dmarc_result_names{
    "pass", "none", "fail_reject", "fail_quarantine"};

// The type of a message's attachment, as a content filter sees it (none without one).
enum class AttachmentType : std::uint8_t { none, pdf, office, office_macro, executable, archive, image, other };
inline constexpr std::size_t attachment_type_count = 8;
inline constexpr std::array<std::string_view, attachment_type_count> attachment_type_names{
    "none", "pdf", "office", "office_macro", "executable", "archive", "image", "other"};

// What content models read besides the facts above (core/features.hpp names them all; a
// sender class draws them in sender/features.hpp). All zero, and the attachment type "other"
// when there is an attachment, for a class that gives no "features".
struct Features {
    std::uint32_t links = 0;
    std::uint32_t promo_phrases = 0;
    std::uint32_t url_hits = 0;  // links on a URL reputation blocklist
    AttachmentType attachment = AttachmentType::none;
    double html_ratio = 0;
    double reputation = 0;
};

// What kind of DNS blocklist listing a listed sending IP has, and so who is responsible for
// it: a policy listing of a dynamic or residential range (the sender's configuration: it
// should relay through its provider), the IP's own reputation (the default), or a neighbour's
// on shared infrastructure (a shared IP pool or range).
enum class IpListing : std::uint8_t { reputation, policy, shared };
inline constexpr std::array<std::string_view, 3> ip_listing_names{"reputation", "policy", "shared"};

struct Message {
    std::uint64_t index = 0;
    std::uint32_t sender_class = 0;
    std::uint32_t profile = 0;
    bool legit = true;
    AddressError address_error = AddressError::none;
    bool ip_listed = false;
    bool has_attachment = false;
    IpListing ip_listing = IpListing::reputation;  // the class's kind of listing (meaningful when ip_listed)
    DmarcResult dmarc = DmarcResult::pass;
    std::uint64_t size_bytes = 0;
    double content_score = 0;
    // The part of content_score a receiver added for the sender's reputation (world/: the
    // reputation level's content adjustment), so that blame can tell it from the content's own.
    double reputation_adjustment = 0;
    Features features;
    bool safe_sender = false;  // the recipient has the sender in safe senders or contacts
};

// State that one message's delivery carries from attempt to attempt (the receiving side's
// memory of this message). Each policy that remembers owns a part of `memory`, placed by the
// policy registry (policy_memory<P> in policy/registry.hpp), so that policies need not know
// each other and core/ knows none of them. All zero bytes: nothing remembered yet.
struct Session {
    static constexpr std::size_t memory_words = 6;  // 8-byte words; the registry checks its parts fit
    alignas(8) std::array<std::byte, memory_words * 8> memory{};
};

// One delivery attempt that reached a host.
struct Attempt {
    std::uint32_t index = 0;  // position in the retry schedule
    double time_s = 0;
    std::int32_t host = -1;   // MX host that took the session (profile's mx index)
};

}  // namespace delivsim
