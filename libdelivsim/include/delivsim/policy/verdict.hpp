#pragma once
// The one answer every policy gives: go on, try later, reject, or accept into a folder.
#include <delivsim/core/outcome.hpp>

namespace delivsim {

enum class Phase : std::uint8_t { connect, envelope, data, mailbox };
inline constexpr std::array<std::string_view, 4> phase_names{"connect", "envelope", "data", "mailbox"};

enum class Action : std::uint8_t {
    proceed,    // this policy has no objection
    temp_fail,  // 4xx: the sender's queue retries later
    reject,     // 5xx: bounced, the sender is told
    file,       // accepted (250) and filed: the rest of the chain is skipped
};

struct Verdict {
    Action action = Action::proceed;
    Outcome folder = Outcome::inbox;  // with Action::file
    Status status = Status::none;     // with temp_fail / reject
    Responsible responsible = Responsible::none;
    Stage stage = Stage::none;

    static constexpr Verdict proceed() { return {}; }
    static constexpr Verdict temp_fail(Status s, Responsible r, Stage st) { return {Action::temp_fail, Outcome::inbox, s, r, st}; }
    static constexpr Verdict reject(Status s, Responsible r, Stage st) { return {Action::reject, Outcome::bounced, s, r, st}; }
    static constexpr Verdict file(Outcome folder, Responsible r, Stage st) { return {Action::file, folder, Status::none, r, st}; }
};

}  // namespace delivsim
