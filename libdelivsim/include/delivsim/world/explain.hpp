#pragma once
// world::explain: one world message exactly as it went in the full run with that seed. Its
// fate depends on every message before it at its receiving domain (rate limits, reputation,
// greylist triplets, its recipient's mailbox), so the whole world is run, and that message's
// attempts are recorded through the delivery step's trace, as explain records a run's
// message, with the receiver's state each attempt met. The run is the full run: the same
// Result, whatever the thread count.
#include <delivsim/world/run.hpp>
#include <delivsim/world/trace.hpp>

#include <array>
#include <sstream>
#include <stdexcept>
#include <string>

namespace delivsim::world {

struct WorldExplanation {
    std::uint64_t seed = 0;
    WorldTrace trace;
    Result result;  // the full run's

    json to_json(const World& w) const;
    std::string to_text(const World& w) const;
};

inline WorldExplanation explain(const World& w, std::uint64_t id, Options o) {
    WorldExplanation e;
    e.seed = o.seed;
    e.trace.id = id;
    o.trace = &e.trace;
    e.result = run(w, o);
    if (!e.trace.fate)
        throw std::invalid_argument("message: this world sent no message " + std::to_string(id) +
                                    " (ids are sender << 44 | schedule item << 32 | serial)");
    return e;
}

inline json WorldExplanation::to_json(const World& w) const {
    const std::uint64_t id = trace.id;
    Explanation core;  // the delivery step's record, written as explain writes a run's
    core.seed = seed;
    core.message = trace.msg;
    core.fate = *trace.fate;
    core.attempts = trace.attempts;
    json j = core.to_json(w.scenario);
    const std::uint32_t s = sender_of(id);
    const Sender& snd = w.senders[s];
    j["format"] = "delivsim-world-explain/1";
    j["world"] = w.name;
    j["sender"] = snd.name;
    j["schedule_item"] = (id >> 32) & 0xfff;
    j["serial"] = id & 0xffffffffULL;
    j["receiver"] = w.scenario.profiles[trace.msg.profile].name;
    if (!trace.seen.empty()) {
        const Recipient& rc = trace.seen.front().recipient;
        static constexpr std::array<const char*, 5> kinds{"live", "stale", "spam_trap", "pristine_trap", "typo_trap"};
        j["recipient"] = {{"list", w.lists[rc.list].name}, {"kind", kinds[static_cast<std::size_t>(rc.kind)]},
                          {"mailbox", rc.mailbox}};
        j["sending_ip"] = w.ips[trace.seen.front().ip].address;
    }
    // The receiver's state at each attempt (one per SMTP attempt; none for a message decided
    // before any session).
    auto& attempts = j["attempts"];
    for (std::size_t k = 0; k < attempts.size() && k < trace.seen.size(); ++k) {
        const ReceiverStateSeen& st = trace.seen[k];
        json r;
        r["time_s"] = st.time_s;
        r["sending_ip"] = w.ips[st.ip].address;
        if (st.rate_limit)
            r["rate_limit"] = {{"ip_tokens", st.rate_limit->ip_tokens}, {"ip_per_hour", st.rate_limit->ip_per_hour},
                               {"subnet_tokens", st.rate_limit->subnet_tokens},
                               {"subnet_per_hour", st.rate_limit->subnet_per_hour}};
        if (st.badness) r["reputation"] = {{"badness", *st.badness}, {"level", level_names[static_cast<std::size_t>(*st.level)]}};
        if (st.greylist_triplets) r["greylist_triplets"] = *st.greylist_triplets;
        if (st.mailbox) r["mailbox"] = {{"fill_bytes", st.mailbox->fill_bytes}, {"quota_bytes", st.mailbox->quota_bytes}};
        attempts[k]["receiver_state"] = r;
    }
    return j;
}

inline std::string WorldExplanation::to_text(const World& w) const {
    const json j = to_json(w);
    Explanation core;
    core.seed = seed;
    core.message = trace.msg;
    core.fate = *trace.fate;
    core.attempts = trace.attempts;
    std::ostringstream o;
    o << "world " << w.name << ", sender " << j["sender"].get<std::string>() << " (schedule item " << j["schedule_item"]
      << ", serial " << j["serial"] << ")";
    if (j.contains("recipient"))
        o << ", recipient " << j["recipient"]["kind"].get<std::string>() << " of list "
          << j["recipient"]["list"].get<std::string>() << ", from " << j["sending_ip"].get<std::string>();
    o << "\n" << core.to_text(w.scenario);
    if (!j["attempts"].empty()) o << "  the receiver's state at each attempt:\n";
    for (const auto& a : j["attempts"]) {
        if (!a.contains("receiver_state")) continue;
        const auto& r = a["receiver_state"];
        o << "    attempt " << a["attempt"] << " at world time " << r["time_s"] << " s:";
        if (r.contains("rate_limit"))
            o << " IP tokens " << r["rate_limit"]["ip_tokens"] << " of " << r["rate_limit"]["ip_per_hour"] << "/h, /24 tokens "
              << r["rate_limit"]["subnet_tokens"] << " of " << r["rate_limit"]["subnet_per_hour"] << "/h;";
        if (r.contains("reputation"))
            o << " reputation " << r["reputation"]["level"].get<std::string>() << " (badness " << r["reputation"]["badness"]
              << ");";
        if (r.contains("greylist_triplets")) o << " " << r["greylist_triplets"] << " greylist triplets;";
        if (r.contains("mailbox"))
            o << " mailbox " << r["mailbox"]["fill_bytes"] << " of " << r["mailbox"]["quota_bytes"] << " bytes";
        o << "\n";
    }
    return o.str();
}

}  // namespace delivsim::world
