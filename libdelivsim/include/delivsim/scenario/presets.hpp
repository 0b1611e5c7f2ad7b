#pragma once
// Receiver presets: the published sender requirements of large mailbox providers, as a
// recipient profile's "preset" ("gmail_2025", "microsoft_2025", "yahoo_2024"). A preset gives
// policies (a sender_requirements policy, policy/sender_requirements.hpp, and the provider's
// DMARC handling) that are merged, by phase, with the profile's own "policies" (a profile with
// a preset may leave "policies" out); and, for worlds, the bulk-sender threshold and what
// crossing the spam-rate line does (world/postmaster.hpp).
//
// Every parameter, its source, and which figures are assumptions: docs/providers.md. Only what
// the providers publish is here: their content filtering is the scenario's to describe.
#include <delivsim/core/json.hpp>
#include <delivsim/core/outcome.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace delivsim {

struct ProviderPreset {
    std::string_view name;
    std::string_view policies;  // a "policies" list, JSON
    // A sender that sends this many messages a day to the provider counts as a bulk sender
    // (in a world, from then on: Gmail's status is permanent).
    std::uint64_t bulk_per_day;
    // Postmaster-Tools-style spam rate (user reports / inbox deliveries, per day): below
    // `spam_rate_target` is healthy; at `spam_rate_limit` or above the sender's mail is deferred
    // with `spam_rate_reply` until a day below the limit.
    double spam_rate_target;
    double spam_rate_limit;
    Status spam_rate_reply;
};

inline constexpr std::array<ProviderPreset, 3> provider_presets{{
    {"gmail_2025",
     R"([{"type": "sender_requirements",
          "all_senders": {"ptr": {"action": "reject", "reply": "no_reverse_dns"},
                          "tls": {"action": "temp_fail", "reply": "tls_required"},
                          "spf_or_dkim": {"action": "reject", "reply": "unauthenticated"}},
          "bulk_senders": {"spf": {"action": "reject", "reply": "spf_required"},
                           "dkim": {"action": "reject", "reply": "dkim_required"},
                           "dmarc_record": {"action": "reject", "reply": "unauthenticated"},
                           "dmarc_alignment": {"action": "reject", "reply": "dmarc_alignment_required"},
                           "one_click_unsubscribe": {"action": "spam_folder"}}},
         {"type": "dmarc_disposition", "fail_reject": "reject", "fail_quarantine": "spam_folder"}])",
     5000, 0.001, 0.003, Status::spam_rate_limited},
    {"microsoft_2025",
     R"([{"type": "sender_requirements",
          "bulk_senders": {"spf": {"action": "reject", "reply": "authentication_level"},
                           "dkim": {"action": "reject", "reply": "authentication_level"},
                           "dmarc_record": {"action": "reject", "reply": "authentication_level"},
                           "dmarc_alignment": {"action": "reject", "reply": "authentication_level"}}},
         {"type": "dmarc_disposition", "fail_reject": "reject", "fail_quarantine": "spam_folder",
          "reject_reply": "dmarc_access_denied"}])",
     5000, 0.001, 0.003, Status::reputation_rate_limited},
    {"yahoo_2024",
     R"([{"type": "sender_requirements",
          "all_senders": {"ptr": {"action": "reject", "reply": "policy_rejected"},
                          "spf_or_dkim": {"action": "reject", "reply": "policy_rejected"}},
          "bulk_senders": {"spf": {"action": "reject", "reply": "policy_rejected"},
                           "dkim": {"action": "reject", "reply": "policy_rejected"},
                           "dmarc_record": {"action": "reject", "reply": "policy_rejected"},
                           "dmarc_alignment": {"action": "reject", "reply": "policy_rejected"},
                           "one_click_unsubscribe": {"action": "spam_folder"}}},
         {"type": "dmarc_disposition", "fail_reject": "reject", "fail_quarantine": "spam_folder"}])",
     5000, 0.001, 0.003, Status::complaints_deferred},
}};

inline constexpr std::array<std::string_view, provider_presets.size()> provider_preset_names = [] {
    std::array<std::string_view, provider_presets.size()> n{};
    for (std::size_t i = 0; i < n.size(); ++i) n[i] = provider_presets[i].name;
    return n;
}();

// The preset's policies as JSON (parsed on each call; presets are read at load time only).
inline json preset_policies(std::size_t preset) { return json::parse(provider_presets[preset].policies); }

}  // namespace delivsim
