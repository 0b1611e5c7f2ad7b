#pragma once
// A corporate gateway's attachment scanner: it quarantines a malicious attachment with
// probability `detection` and a legitimate one with probability `false_positive`.
#include <delivsim/policy/policy.hpp>

namespace delivsim {

struct AttachmentScanner {
    static constexpr std::string_view type_name = "attachment_scanner";
    static constexpr Phase phase = Phase::data;
    static constexpr bool judges_spam = true;
    double false_positive = 0;
    double detection = 0;
    bool operator==(const AttachmentScanner&) const = default;

    Verdict evaluate(const Message& m, Session&, MessageRng& rng, const Attempt&) const noexcept {
        if (!m.has_attachment) return Verdict::proceed();
        const double p = m.legit ? false_positive : detection;
        return rng.bernoulli(Stream::message, draw_attachment_scan, p)
                   ? Verdict::file(Outcome::quarantined, Responsible::receiver_policy, stage_of<AttachmentScanner>)
                   : Verdict::proceed();
    }
    static AttachmentScanner parse(const Field& f, const ParseContext&) {
        f.allow_keys({"type", "false_positive", "detection"});
        return {f["false_positive"].probability(), f["detection"].probability()};
    }
};

}  // namespace delivsim
