#pragma once
// Recipient lists. Every recipient of every list is one mailbox at one receiving domain
// (recipient profile), drawn once from the list's domain mixture. A share of a list's
// addresses is stale: most of those no longer exist (550 5.1.1), some have been recycled into
// spam traps (accepted, never read, reported to the receiver's reputation system).
#include <cstdint>
#include <string>
#include <vector>

namespace delivsim::world {

struct RecipientList {
    std::string name;
    std::uint64_t size = 0;
    std::uint64_t first_recipient = 0;  // global recipient id of member 0
    double stale = 0;                   // share of addresses that are stale
    double spam_trap = 0;               // share of stale addresses that are (recycled) spam traps
    double pristine_trap = 0;           // share of the other addresses that are pristine traps
    double typo_trap = 0;               // share of the other addresses that are typo traps
    double complaint = 0;               // per message in the inbox: "report spam"
    double engagement = 0;              // per message in the inbox: opened / replied
    double not_spam = 0;                // per message in the spam folder: "not spam" click
    std::vector<double> domain_cdf;     // over recipient profiles
};

// What a recipient is, fixed for the whole run.
struct Recipient {
    // spam_trap: a recycled trap; pristine_trap and typo_trap: see world/blocklist.hpp.
    enum class Kind : std::uint8_t { live, stale, spam_trap, pristine_trap, typo_trap };
    std::uint32_t domain = 0;       // recipient profile index
    std::uint32_t mailbox = 0;      // index of its mailbox at that domain
    std::uint32_t list = 0;
    Kind kind = Kind::live;
};

}  // namespace delivsim::world
