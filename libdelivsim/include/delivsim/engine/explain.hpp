#pragma once
// `explain`: one message's exact path, replayed through the same deliver() as the full run
// with a recording trace. Every draw is keyed by (seed, message index, stream, draw), so the
// replay is the message as it happened in any run with that seed.
#include <delivsim/engine/deliver.hpp>
#include <delivsim/engine/run.hpp>
#include <delivsim/scenario/scenario.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace delivsim {

struct ExplainTrace {
    static constexpr bool enabled = true;
    struct Tried {
        int host;
        bool up;
        Status reply = Status::none;  // a 4xx (or a 421 greeting) after which the attempt moved on
    };
    struct AttemptRecord {
        Attempt attempt;
        std::vector<Tried> tried;
        Verdict verdict;
        std::uint64_t custom_policy_tag = 0;  // of the custom policy that decided, or 0
    };
    Message msg;
    std::vector<AttemptRecord> attempts;
    std::vector<Tried> pending;
    FolderFate folders;

    void message(const Message& m) { msg = m; }
    void host_tried(const Attempt&, int host, bool up) { pending.push_back({host, up}); }
    void host_reply(Status s) {
        if (!pending.empty()) pending.back().reply = s;
    }
    void after(const FolderFate& f) { folders = f; }
    void attempt(const Attempt& a, const Verdict& v, const Session& s) {
        const bool custom = v.action != Action::proceed && v.stage == stage_of<ExternalPolicy>;
        attempts.push_back({a, std::move(pending), v, custom ? policy_memory<ExternalPolicy>(s).objecting_tag : std::uint64_t{0}});
        pending.clear();
    }
};

struct Explanation {
    std::uint64_t seed = 0;
    Message message;
    Fate fate;
    std::vector<ExplainTrace::AttemptRecord> attempts;
    FolderFate folders;
    json to_json(const Scenario& s) const;
    std::string to_text(const Scenario& s) const;
};

inline Explanation explain(const Scenario& s, std::uint64_t seed, std::uint64_t index) {
    if (index >= message_index_limit) throw std::invalid_argument("index: more than the last message index, 2^63-1");
    ExplainTrace trace;
    Explanation e;
    e.seed = seed;
    e.fate = deliver(s, seed, index, trace);
    e.message = trace.msg;
    e.attempts = std::move(trace.attempts);
    e.folders = trace.folders;
    return e;
}

namespace detail {
inline const ContentFilter* content_filter_of(const PolicyChain& chain) {
    for (const auto& p : chain.policies)
        if (auto* cf = std::get_if<ContentFilter>(&p)) return cf;
    return nullptr;
}
// What zone-based authentication (sender/authentication.hpp) evaluated for this message: the
// same draws as the run, with SPF's term-by-term trace.
inline json authentication_json(const Authentication& a, std::uint64_t seed, std::uint64_t index) {
    MessageRng rng(seed, index);
    const AuthEvaluation e = a.explain(rng);
    auto opt_str = [](const std::string& x) { return x.empty() ? json(nullptr) : json(x); };
    json spf = {{"result", auth::name_of(e.spf.result)},
                {"domain", a.mail_from_domain},
                {"mechanism", opt_str(e.spf.mechanism)},
                {"record_domain", opt_str(e.spf.domain)},
                {"problem", opt_str(e.spf.problem)},
                {"explanation", opt_str(e.spf.explanation)},
                {"dns_terms", e.spf.dns_terms},
                {"queries", e.spf.queries},
                {"random_timeout", e.spf.random_timeout},
                {"terms", e.spf.trace}};
    json dkim = {{"result", auth::name_of(e.dkim.result)},
                 {"domain", opt_str(e.dkim.domain)},
                 {"selector", opt_str(e.dkim.selector)},
                 {"problem", opt_str(e.dkim.problem)}};
    const auto& d = e.dmarc;
    json dmarc = {{"result", auth::name_of(d.result)},
                  {"from_domain", d.from_domain},
                  {"record_domain", opt_str(d.record_domain)},
                  {"record", d.record_domain.empty() ? json(nullptr) : json("_dmarc." + d.record_domain)},
                  {"policy", d.policy ? json(auth::name_of(*d.policy)) : json(nullptr)},
                  {"policy_tag", opt_str(d.policy_tag)},
                  {"pct", d.pct},
                  {"sampled", d.sampled},
                  {"alignment", {{"spf", d.spf_aligned}, {"dkim", d.dkim_aligned},
                                 {"aspf", auth::name_of(d.aspf)}, {"adkim", auth::name_of(d.adkim)}}},
                  {"disposition", auth::name_of(d.disposition)},
                  {"problem", opt_str(d.problem)}};
    return {{"ip", e.ip}, {"forwarded", e.forwarded}, {"spf", spf}, {"dkim", dkim}, {"dmarc", dmarc},
            {"message_result", dmarc_result_names[static_cast<std::size_t>(d.message_result())]}};
}
// How the message came (sender/forwarding.hpp): null when directly from the sender.
inline json indirect_json(const AuthResults& a) {
    if (!a.has(AuthResults::forwarded)) return nullptr;
    return {{"via", a.has(AuthResults::via_mailing_list) ? "mailing_list" : "forwarder"},
            {"envelope_rewritten", a.has(AuthResults::envelope_rewritten)},
            {"from_rewritten", a.has(AuthResults::from_rewritten)},
            {"arc_sealed", a.has(AuthResults::arc_sealed)},
            {"arc_dmarc_pass", a.has(AuthResults::arc_dmarc_pass)},
            {"arc_honoured", a.has(AuthResults::arc_honoured)}};
}
// The message's authentication facts (core/message.hpp), domains by name.
inline json auth_results_json(const AuthResults& a, const std::vector<std::string>& domains) {
    auto domain = [&](std::uint8_t i) { return i < domains.size() ? json(domains[i]) : json(nullptr); };
    auto name = [](AuthResult r) { return auth_result_names[static_cast<std::size_t>(r)]; };
    json dkim = json::array();
    for (std::uint8_t i = 0; i < a.dkim_count; ++i)
        dkim.push_back({{"domain", domain(a.dkim[i].domain)}, {"result", name(a.dkim[i].result)}, {"aligned", a.dkim[i].aligned}});
    return {{"spf", {{"result", name(a.spf)}, {"domain", domain(a.spf_domain)}, {"identity", a.spf_helo ? "helo" : "mail_from"},
                     {"aligned", a.spf_aligned}}},
            {"dkim", dkim},
            {"dmarc", {{"result", name(a.dmarc)}, {"policy", dmarc_policy_fact_names[static_cast<std::size_t>(a.dmarc_policy)]}}},
            {"indirect", indirect_json(a)}};
}
inline json transport_json(const Transport& t) {
    return {{"ptr", reverse_dns_names[static_cast<std::size_t>(t.ptr)]}, {"tls", t.tls},
            {"list_unsubscribe", list_unsubscribe_names[static_cast<std::size_t>(t.list_unsubscribe)]}, {"bulk", t.bulk}};
}
// The name of the custom policy (policy/external.hpp) that gave verdict v, or null.
inline json custom_policy_json(const PolicyChain& chain, std::uint64_t tag) {
    for (const AnyPolicy& p : chain.policies) {
        if (const auto* e = std::get_if<ExternalPolicy>(&p); e && e->tag == tag) return e->name();
        if (const auto* g = std::get_if<Gateway>(&p))
            if (json inner = custom_policy_json(*g->chain, tag); !inner.is_null()) return inner;
    }
    return nullptr;
}
inline json status_json(Status st) {
    return {{"reply", info(st).reply}, {"enhanced", info(st).enhanced}, {"text", info(st).text}};
}
}  // namespace detail

inline json Explanation::to_json(const Scenario& s) const {
    const auto& m = message;
    const auto& prof = s.profiles[m.profile];
    json j;
    j["seed"] = seed;
    j["message"] = m.index;
    j["sender_class"] = s.classes[m.sender_class].name;
    j["profile"] = prof.name;
    j["legit"] = m.legit;
    j["address_error"] = address_error_names[static_cast<std::size_t>(m.address_error)];
    j["ip_listed"] = m.ip_listed;
    j["size_bytes"] = m.size_bytes;
    j["has_attachment"] = m.has_attachment;
    j["dmarc"] = dmarc_result_names[static_cast<std::size_t>(m.dmarc)];
    if (const auto& a = s.classes[m.sender_class].authentication) j["authentication"] = detail::authentication_json(*a, seed, m.index);
    j["auth_results"] = detail::auth_results_json(m.auth, s.classes[m.sender_class].domains);
    j["transport"] = detail::transport_json(m.transport);
    j["content_score"] = m.content_score;
    const ContentFilter* cf = detail::content_filter_of(prof.policies);
    j["content_score_at_receiver"] = cf ? json(cf->score(m)) : json(nullptr);
    if (cf) {
        const auto c = cf->components(m);
        j["score_components"] = {{"content", c.content}, {"authentication", c.authentication}, {"reputation", c.reputation}};
    }
    // Content features, for a class that describes them (sender/features.hpp), and the score
    // of the profile's content model, when it has one other than content_filter.
    if (s.classes[m.sender_class].features) {
        const Features& f = m.features;
        j["features"] = {{"links", f.links}, {"promo_phrases", f.promo_phrases}, {"url_hits", f.url_hits},
                         {"attachment", attachment_type_names[static_cast<std::size_t>(f.attachment)]},
                         {"html_ratio", f.html_ratio}, {"reputation", f.reputation}};
    }
    if (const AnyPolicy* sp = score_policy(prof.policies); sp && !std::holds_alternative<ContentFilter>(*sp))
        j["content_model"] = {{"policy", type_name(*sp)}, {"score", policy_score(*sp, m)}};
    json attempts = json::array();
    for (const auto& a : this->attempts) {
        json ja;
        ja["attempt"] = a.attempt.index;
        ja["time_s"] = a.attempt.time_s;
        json tried = json::array();
        for (const auto& t : a.tried) {
            json jt{{"host", prof.routing.hosts()[t.host].host}, {"up", t.up}};
            if (t.reply != Status::none) jt["reply"] = detail::status_json(t.reply);
            tried.push_back(jt);
        }
        ja["hosts_tried"] = tried;
        ja["host"] = a.attempt.host >= 0 ? json(prof.routing.hosts()[a.attempt.host].host) : json(nullptr);
        const Verdict& v = a.verdict;
        if (v.action == Action::proceed || v.action == Action::file) {
            ja["reply"] = detail::status_json(Status::none);
            ja["filed"] = name(v.action == Action::file ? v.folder : Outcome::inbox);
        } else {
            ja["reply"] = detail::status_json(v.status);
        }
        ja["stage"] = name(v.action == Action::proceed ? Stage::delivery : v.stage);
        if (v.action != Action::proceed && v.stage == stage_of<ExternalPolicy>)
            ja["policy"] = detail::custom_policy_json(prof.policies, a.custom_policy_tag);
        attempts.push_back(ja);
    }
    j["attempts"] = attempts;
    j["outcome"] = name(fate.outcome);
    j["status"] = fate.outcome == Outcome::bounced ? detail::status_json(fate.status) : json(nullptr);
    j["responsible"] = name(fate.responsible);
    j["stage"] = name(fate.stage);
    if (fate.stage == stage_of<ExternalPolicy> && !this->attempts.empty())
        j["policy"] = detail::custom_policy_json(prof.policies, this->attempts.back().custom_policy_tag);
    j["sender_told"] = sender_told(fate.outcome);
    j["time_s"] = fate.time_s;
    if (folders.after != AfterAcceptance::none)
        j["after_acceptance"] = {{"what", name(folders.after)}, {"time_s", folders.time_s}};
    const NoticeOf n = notice_of(fate, s.retry.delay_warning_s);
    j["notice"] = name(n.how);
    j["notice_time_s"] = n.how == Notice::never ? json(nullptr) : json(n.time_s);
    return j;
}

inline std::string Explanation::to_text(const Scenario& s) const {
    const json j = to_json(s);
    std::ostringstream o;
    o << "message " << j["message"] << " (seed " << seed << "): class " << j["sender_class"].get<std::string>()
      << " -> profile " << j["profile"].get<std::string>() << "\n";
    o << "  address error: " << j["address_error"].get<std::string>() << ", IP listed: " << j["ip_listed"]
      << ", size " << j["size_bytes"] << " bytes, attachment: " << j["has_attachment"] << "\n";
    o << "  DMARC: " << j["dmarc"].get<std::string>() << ", content score " << j["content_score"];
    if (!j["content_score_at_receiver"].is_null()) {
        const auto& c = j["score_components"];
        o << " (at receiver " << j["content_score_at_receiver"] << " = content " << c["content"] << " + authentication "
          << c["authentication"] << " + reputation " << c["reputation"] << ")";
    }
    o << "\n";
    if (j.contains("features")) {
        const auto& f = j["features"];
        o << "  features: " << f["links"] << " links (" << f["url_hits"] << " on a URL blocklist), " << f["promo_phrases"]
          << " promotional phrases, attachment " << f["attachment"].get<std::string>() << ", HTML ratio "
          << f["html_ratio"] << ", reputation " << f["reputation"] << "\n";
    }
    if (j.contains("content_model"))
        o << "  " << j["content_model"]["policy"].get<std::string>() << " score " << j["content_model"]["score"]
          << (j["content_model"]["policy"] == "logistic" ? " (log-odds)" : "") << "\n";
    if (j.contains("authentication")) {
        const auto& a = j["authentication"];
        o << "  SPF " << a["spf"]["result"].get<std::string>() << " for " << a["spf"]["domain"].get<std::string>()
          << " from " << a["ip"].get<std::string>() << (a["forwarded"].get<bool>() ? " (forwarded)" : "");
        if (!a["spf"]["mechanism"].is_null()) o << " by " << a["spf"]["mechanism"].get<std::string>();
        if (!a["spf"]["problem"].is_null()) o << " (" << a["spf"]["problem"].get<std::string>() << ")";
        o << "\n";
        for (const auto& t : a["spf"]["terms"]) o << "    " << t.get<std::string>() << "\n";
        o << "  DKIM " << a["dkim"]["result"].get<std::string>();
        if (!a["dkim"]["problem"].is_null()) o << " (" << a["dkim"]["problem"].get<std::string>() << ")";
        const auto& d = a["dmarc"];
        o << "; DMARC " << d["result"].get<std::string>() << ", record "
          << (d["record"].is_null() ? std::string("none") : d["record"].get<std::string>());
        if (!d["policy"].is_null()) o << " (" << d["policy_tag"].get<std::string>() << "=" << d["policy"].get<std::string>() << ", pct=" << d["pct"] << ")";
        o << ", aligned: SPF " << (d["alignment"]["spf"].get<bool>() ? "yes" : "no") << " (aspf="
          << d["alignment"]["aspf"].get<std::string>() << "), DKIM " << (d["alignment"]["dkim"].get<bool>() ? "yes" : "no")
          << " (adkim=" << d["alignment"]["adkim"].get<std::string>() << "), disposition "
          << d["disposition"].get<std::string>() << "\n";
    }
    if (j["attempts"].empty()) o << "  no SMTP session (decided before any attempt)\n";
    for (const auto& a : j["attempts"]) {
        o << "  attempt " << a["attempt"] << " at t=" << a["time_s"] << " s: ";
        if (a["hosts_tried"].empty()) o << "destination dead, ";
        for (const auto& t : a["hosts_tried"])
        {
            o << t["host"].get<std::string>() << (t["up"].get<bool>() ? " up" : " down");
            if (t.contains("reply")) o << " (" << t["reply"]["reply"] << " " << t["reply"]["enhanced"].get<std::string>() << ", next host)";
            o << ", ";
        }
        const auto& r = a["reply"];
        if (r["reply"].get<int>() > 0) o << r["reply"] << " ";
        o << r["enhanced"].get<std::string>() << " " << r["text"].get<std::string>();
        if (a.contains("filed")) o << ", filed: " << a["filed"].get<std::string>();
        o << " [" << a["stage"].get<std::string>();
        if (a.contains("policy") && a["policy"].is_string()) o << " '" << a["policy"].get<std::string>() << "'";
        o << "]\n";
    }
    o << "  outcome: " << j["outcome"].get<std::string>();
    if (!j["status"].is_null()) o << " " << j["status"]["enhanced"].get<std::string>();
    o << " at t=" << j["time_s"] << " s, decided by " << j["stage"].get<std::string>();
    if (j.contains("policy") && j["policy"].is_string()) o << " '" << j["policy"].get<std::string>() << "'";
    o << ", responsible: "
      << j["responsible"].get<std::string>() << ", sender told: " << (j["sender_told"].get<bool>() ? "yes" : "no");
    if (j["notice"] != "never") o << " (first by " << j["notice"].get<std::string>() << " at t=" << j["notice_time_s"] << " s)";
    o << "\n";
    if (j.contains("after_acceptance"))
        o << "  then: " << j["after_acceptance"]["what"].get<std::string>() << " at t=" << j["after_acceptance"]["time_s"] << " s\n";
    return o.str();
}

}  // namespace delivsim
