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

// A method's result as the receiver records it in Authentication-Results (RFC 8601 section
// 2.7): SPF (RFC 7208 section 2.6), DKIM (RFC 6376 via RFC 8601 2.7.1) and DMARC (RFC 7489
// section 11.2, where "none" means no DMARC record applied) use this one scale.
// DKIM's "policy" (RFC 8601 2.7.1) is a signature the verifier refuses by local policy (a key too short).
enum class AuthResult : std::uint8_t { none, pass, fail, softfail, neutral, policy, temperror, permerror };
inline constexpr std::size_t auth_result_count = 8;
inline constexpr std::array<std::string_view, auth_result_count> auth_result_names{
    "none", "pass", "fail", "softfail", "neutral", "policy", "temperror", "permerror"};

// The DMARC policy that applied to the message (p=, or sp= for a subdomain), or no_record.
// With AuthResults::dmarc this tells "no record" (no_record, dmarc none) from "p=none and
// failed" (none, dmarc fail), which the four-valued DmarcResult folds together.
enum class DmarcPolicyFact : std::uint8_t { no_record, none, quarantine, reject };
inline constexpr std::array<std::string_view, 4> dmarc_policy_fact_names{"no_record", "none", "quarantine", "reject"};

// One DKIM signature's verification: the signing domain (d=, an index into the sender class's
// `domains`), its result, and whether d= aligns with the From domain (RFC 7489 section 3.1.1).
struct DkimFact {
    std::uint8_t domain = 0;
    AuthResult result = AuthResult::none;
    bool aligned = false;
};
inline constexpr std::size_t max_dkim_signatures = 2;

// What the receiver's authentication checks found. Zone-based classes compute it from the
// simulated DNS (sender/authentication.hpp); the others draw it (sender/facts.hpp).
struct AuthResults {
    AuthResult spf = AuthResult::pass;
    bool spf_aligned = true;
    bool spf_helo = false;        // SPF checked the HELO identity (empty MAIL FROM, RFC 7208 2.3)
    std::uint8_t spf_domain = 0;  // the domain SPF was checked for (index into the class's `domains`)
    AuthResult dmarc = AuthResult::pass;
    DmarcPolicyFact dmarc_policy = DmarcPolicyFact::none;
    std::uint8_t dkim_count = 0;
    std::array<DkimFact, max_dkim_signatures> dkim{};
    // How the message came: through a forwarder or mailing list (sender/forwarding.hpp), bits below.
    std::uint8_t indirect = 0;
    enum IndirectBit : std::uint8_t {
        forwarded = 1,           // through an intermediary: the results above are for what it sent
        via_mailing_list = 2,    // the intermediary is a mailing list (else a forwarder)
        envelope_rewritten = 4,  // MAIL FROM is the intermediary's (SRS or the list's bounces)
        from_rewritten = 8,      // From is the list's domain (DMARC was evaluated for it)
        arc_sealed = 16,         // the intermediary added an ARC seal (RFC 8617)
        arc_dmarc_pass = 32,     // the seal records DMARC pass at the intermediary's arrival
        arc_honoured = 64,       // this receiver trusts the sealer: its DmarcResult is that pass
    };
    bool has(IndirectBit b) const noexcept { return (indirect & b) != 0; }

    bool dkim_pass() const noexcept {
        for (std::uint8_t i = 0; i < dkim_count; ++i)
            if (dkim[i].result == AuthResult::pass) return true;
        return false;
    }
    bool dkim_aligned_pass() const noexcept {
        for (std::uint8_t i = 0; i < dkim_count; ++i)
            if (dkim[i].result == AuthResult::pass && dkim[i].aligned) return true;
        return false;
    }
};

// Reverse DNS of the sending IP ("iprev", RFC 8601 section 3): forward-confirmed (the PTR name
// resolves back to the IP), no PTR record, a PTR name that does not resolve back, or a DNS error.
enum class ReverseDns : std::uint8_t { fcrdns, no_ptr, unconfirmed, temperror };
inline constexpr std::array<std::string_view, 4> reverse_dns_names{"fcrdns", "no_ptr", "unconfirmed", "temperror"};

// The List-Unsubscribe header (RFC 2369), with RFC 8058's one-click POST (List-Unsubscribe-Post).
enum class ListUnsubscribe : std::uint8_t { none, header, one_click };
inline constexpr std::array<std::string_view, 3> list_unsubscribe_names{"none", "header", "one_click"};

// How the message travelled and what it carries for the mailbox provider.
struct Transport {
    ReverseDns ptr = ReverseDns::fcrdns;
    bool tls = true;
    ListUnsubscribe list_unsubscribe = ListUnsubscribe::none;
    // The sender counts as a bulk sender at this receiver (a class's "bulk"; in a world, its
    // daily volume to the receiving domain, world/bulk_senders.hpp).
    bool bulk = false;
};

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
    AuthResults auth;
    Transport transport;
};

// A default Message, copied from a blank one. GCC builds `Message m;` (104 bytes, mostly
// zeros) with `rep stos`, whose start-up cost was a sixth of draw_message()'s time; a copy
// from memory whose contents the compiler cannot see is seven vector moves.
inline const Message blank_message{};
[[gnu::always_inline]] inline Message fresh_message() noexcept {
    const Message* blank = &blank_message;
#if defined(__GNUC__)
    asm("" : "+r"(blank));  // else the copy of known zeros becomes the same `rep stos`
#endif
    return *blank;
}

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
