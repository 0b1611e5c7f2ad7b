#pragma once
// The per-message feature vector that content models (rule_score, logistic, rspamd,
// url_reputation) judge. A sender class describes its distribution (sender/features.hpp);
// here is only the data, and the one naming of every feature that rules and model weights
// use: numeric features by name ("links", "html_ratio", ...) and categorical ones as 0/1
// indicators ("attachment=executable", "dmarc=fail_reject").
#include <delivsim/core/message.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace delivsim {

enum class FeatureId : std::uint8_t {
    links,          // links in the body
    promo_phrases,  // promotional phrases ("act now", "free") found by the filter
    url_hits,       // links whose URL is on a URL reputation blocklist
    html_ratio,     // share of the body that is HTML markup, 0..1
    reputation,     // the sending IP/domain's reputation at the receiver (higher is better)
    content_score,  // the class's drawn content score (the content_filter's input)
    size_bytes,
    has_attachment,  // 0/1
    ip_listed,       // 0/1: sending IP on a DNS blocklist
    // attachment=<type>, 0/1 (in AttachmentType order)
    attachment_none, attachment_pdf, attachment_office, attachment_office_macro, attachment_executable,
    attachment_archive, attachment_image, attachment_other,
    // dmarc=<result>, 0/1 (in DmarcResult order)
    dmarc_pass, dmarc_none, dmarc_fail_reject, dmarc_fail_quarantine,
    // authentication and transport facts (core/message.hpp), 0/1
    spf_pass,            // SPF passed (for whichever domain)
    spf_aligned_pass,    // SPF passed for a domain aligned with From
    dkim_pass,           // some DKIM signature passed
    dkim_aligned_pass,   // a DKIM signature aligned with From passed
    dmarc_record,        // a DMARC record applied (p= none, quarantine or reject)
    dmarc_fail,          // DMARC failed, under any policy (p=none included)
    fcrdns,              // the sending IP has forward-confirmed reverse DNS
    tls,                 // the session used TLS
    list_unsubscribe,    // a List-Unsubscribe header (RFC 2369)
    one_click_unsubscribe,  // with RFC 8058 one-click
    bulk,                // the sender counts as a bulk sender at this receiver
};
inline constexpr std::size_t feature_count = 32;
inline constexpr std::array<std::string_view, feature_count> feature_names{
    "links", "promo_phrases", "url_hits", "html_ratio", "reputation", "content_score", "size_bytes",
    "has_attachment", "ip_listed",
    "attachment=none", "attachment=pdf", "attachment=office", "attachment=office_macro", "attachment=executable",
    "attachment=archive", "attachment=image", "attachment=other",
    "dmarc=pass", "dmarc=none", "dmarc=fail_reject", "dmarc=fail_quarantine",
    "spf_pass", "spf_aligned_pass", "dkim_pass", "dkim_aligned_pass", "dmarc_record", "dmarc_fail", "fcrdns", "tls",
    "list_unsubscribe", "one_click_unsubscribe", "bulk"};
inline constexpr std::size_t first_attachment_feature = static_cast<std::size_t>(FeatureId::attachment_none);
inline constexpr std::size_t first_dmarc_feature = static_cast<std::size_t>(FeatureId::dmarc_pass);
static_assert(first_attachment_feature + attachment_type_count == first_dmarc_feature);
inline constexpr std::size_t first_fact_feature = static_cast<std::size_t>(FeatureId::spf_pass);
static_assert(first_dmarc_feature + dmarc_result_count == first_fact_feature);
static_assert(static_cast<std::size_t>(FeatureId::bulk) + 1 == feature_count);

// The 0/1 authentication and transport features, in FeatureId order from spf_pass.
inline void fact_features(const Message& m, double* x) noexcept {
    const AuthResults& a = m.auth;
    x[0] = a.spf == AuthResult::pass;
    x[1] = a.spf == AuthResult::pass && a.spf_aligned;
    x[2] = a.dkim_pass();
    x[3] = a.dkim_aligned_pass();
    x[4] = a.dmarc_policy != DmarcPolicyFact::no_record;
    x[5] = a.dmarc == AuthResult::fail;
    x[6] = m.transport.ptr == ReverseDns::fcrdns;
    x[7] = m.transport.tls;
    x[8] = m.transport.list_unsubscribe != ListUnsubscribe::none;
    x[9] = m.transport.list_unsubscribe == ListUnsubscribe::one_click;
    x[10] = m.transport.bulk;
}

inline std::optional<FeatureId> feature_by_name(std::string_view n) {
    for (std::size_t i = 0; i < feature_count; ++i)
        if (feature_names[i] == n) return static_cast<FeatureId>(i);
    return std::nullopt;
}
inline std::string feature_name_list() {
    std::string s;
    for (auto n : feature_names) s += (s.empty() ? "" : ", ") + std::string(n);
    return s;
}

inline double feature_value(const Message& m, FeatureId id) noexcept {
    const auto i = static_cast<std::size_t>(id);
    switch (id) {
        case FeatureId::links: return m.features.links;
        case FeatureId::promo_phrases: return m.features.promo_phrases;
        case FeatureId::url_hits: return m.features.url_hits;
        case FeatureId::html_ratio: return m.features.html_ratio;
        case FeatureId::reputation: return m.features.reputation;
        case FeatureId::content_score: return m.content_score;
        case FeatureId::size_bytes: return static_cast<double>(m.size_bytes);
        case FeatureId::has_attachment: return m.has_attachment;
        case FeatureId::ip_listed: return m.ip_listed;
        default: break;
    }
    if (i < first_dmarc_feature) return static_cast<std::size_t>(m.features.attachment) == i - first_attachment_feature;
    if (i < first_fact_feature) return static_cast<std::size_t>(m.dmarc) == i - first_dmarc_feature;
    double facts[feature_count - first_fact_feature];
    fact_features(m, facts);
    return facts[i - first_fact_feature];
}

// The whole vector, in FeatureId order (the logistic model's x).
inline void feature_vector(const Message& m, double* x) noexcept {
    x[0] = m.features.links;
    x[1] = m.features.promo_phrases;
    x[2] = m.features.url_hits;
    x[3] = m.features.html_ratio;
    x[4] = m.features.reputation;
    x[5] = m.content_score;
    x[6] = static_cast<double>(m.size_bytes);
    x[7] = m.has_attachment;
    x[8] = m.ip_listed;
    for (std::size_t k = first_attachment_feature; k < first_fact_feature; ++k) x[k] = 0;
    x[first_attachment_feature + static_cast<std::size_t>(m.features.attachment)] = 1;
    x[first_dmarc_feature + static_cast<std::size_t>(m.dmarc)] = 1;
    fact_features(m, x + first_fact_feature);
}

}  // namespace delivsim
