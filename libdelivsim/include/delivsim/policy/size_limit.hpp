#pragma once
// Message size limit (SMTP SIZE, RFC 1870): too large is refused with 552 5.3.4.
#include <delivsim/policy/policy.hpp>

namespace delivsim {

struct SizeLimit {
    static constexpr std::string_view type_name = "size_limit";
    static constexpr Phase phase = Phase::envelope;
    static constexpr bool judges_spam = false;
    std::uint64_t max_bytes = 0;
    bool operator==(const SizeLimit&) const = default;

    Verdict evaluate(const Message& m, Session&, MessageRng&, const Attempt&) const noexcept {
        return m.size_bytes > max_bytes
                   ? Verdict::reject(Status::message_too_big, Responsible::sender_content, stage_of<SizeLimit>)
                   : Verdict::proceed();
    }
    static SizeLimit parse(const Field& f, const ParseContext&) {
        f.allow_keys({"type", "max_bytes"});
        return {f["max_bytes"].count()};
    }
};

}  // namespace delivsim
