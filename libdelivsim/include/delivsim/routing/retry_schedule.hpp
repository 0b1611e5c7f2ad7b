#pragma once
// The sender's retry queue: when a message that failed temporarily is tried again, and when
// it is given up (bounced with 4.4.7 after the last attempt fails temporarily).
//
// Two ways to write it (docs/retry-models.md gives the sources):
// - an explicit geometric schedule: first_retry_s, backoff_factor, max_backoff_s, lifetime_s
//   (R1's; no attempt after the lifetime);
// - a named MTA's retry model, "model": "postfix" | "exim" | "sendmail", each parameter
//   optional with that MTA's default. Queue scans are placed on a grid starting at the
//   message's arrival (the real scan phase is independent of the message: each real attempt
//   lies up to one scan interval after the simulated one).
#include <delivsim/core/json.hpp>
#include <delivsim/core/outcome.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

namespace delivsim {

// One item of an Exim retry rule ("F,2h,15m" or "G,16h,1h,1.5"): until `cutoff_s` after the
// first failure, retry every `interval_s` (F) or at intervals growing by `factor` (G).
struct EximRetryItem {
    char kind = 'F';
    double cutoff_s = 0;
    double interval_s = 0;
    double factor = 1;
};

enum class RetryModel { explicit_schedule, postfix, exim, sendmail };

// How many MX hosts one delivery attempt may try. A host that does not answer, or answers
// 421 at its greeting, is passed over (up to address_limit hosts); a host that takes a
// session and answers 4xx hands the message to the next host while fewer than session_limit
// sessions have been held. 0: no limit. Postfix: smtp_mx_address_limit 5 and
// smtp_mx_session_limit 2 (postconf(5); src/smtp/smtp_trouble.c keeps a soft-failed recipient
// for the next host unless the server is the last one). Exim: hosts_max_try 5 IP addresses per
// delivery, whether they failed to connect or deferred (its smtp transport; the absolute
// hosts_max_try_hardlimit 50 only matters for hosts past their retry limits, which a run does
// not track, so the limit is the smaller of the two). Sendmail: the next MX host whenever the
// connection could not be opened (deliver.c: "try next MX site" when mci_state != MCIS_OPEN;
// at most MAXMXHOSTS, 100), but a 4xx in an open session decides the attempt. An explicit schedule: one session, every host
// tried for a connection (R1's rule).
//
// Relay hosts (a backup MX that accepts and relays later, MxHost::relay): a run's delivery
// hands the message to one (`accept`), its onward delivery skips them (`skip`); a world treats
// them as ordinary hosts running the domain's checks (`ordinary`).
struct MxLimits {
    enum class Relays : std::uint8_t { ordinary, accept, skip };
    std::uint32_t address_limit = 0;
    std::uint32_t session_limit = 1;
    Relays relays = Relays::ordinary;
};

struct RetrySchedule {
    // The explicit geometric schedule (used when model == explicit_schedule).
    double first_retry_s = 300;
    double backoff_factor = 2;
    double max_backoff_s = 4000;
    double lifetime_s = 432000;

    RetryModel model = RetryModel::explicit_schedule;
    // Postfix: minimal_backoff_time and maximal_backoff_time bound the delay, which is the
    // message's age; the deferred queue is scanned every queue_run_delay.
    double minimal_backoff_s = 300;
    double maximal_backoff_s = 4000;
    // Postfix queue_run_delay; Exim's queue-runner interval (-q30m, Debian's QUEUEINTERVAL);
    // Sendmail's queue interval (-q30m in op.me's start-up example).
    double queue_run_delay_s = 300;
    std::vector<EximRetryItem> exim_rule;
    MxLimits mx;
    // The sending MTA's delay warning (a "delayed" DSN) to the sender once a message has been
    // queued this long; 0: none. Defaults as each MTA ships: Postfix delay_warning_time = 0h
    // (off), Exim delay_warning = 24h, Sendmail Timeout.queuewarn = 4h.
    double delay_warning_s = 0;
    // Postfix: after a connection failure the destination is dead for minimal_backoff_s (worlds).
    bool dead_destination_backoff = false;

    static constexpr std::size_t max_attempts = 100000;

    std::vector<double> attempt_times() const {
        switch (model) {
            case RetryModel::postfix: return postfix_times();
            case RetryModel::exim: return exim_times();
            case RetryModel::sendmail: return sendmail_times();
            case RetryModel::explicit_schedule: break;
        }
        return explicit_times();
    }

    // How the sending MTA reports a recipient domain that does not exist, in its bounce:
    // Postfix's smtp client 5.4.4 "Host or domain name not found" (src/smtp/smtp_addr.c,
    // DNS_NOTFOUND), Exim "Unrouteable address" with DSN status 5.0.0 (src/deliver.c), Sendmail
    // 550 5.1.2 "Host unknown"; an explicit schedule names no MTA and keeps 5.1.2 (R1's).
    Status unresolvable_domain() const noexcept {
        switch (model) {
            case RetryModel::postfix: return Status::domain_not_found;
            case RetryModel::exim: return Status::unrouteable_address;
            case RetryModel::sendmail:
            case RetryModel::explicit_schedule: break;
        }
        return Status::bad_destination;
    }

    static std::string_view model_name(RetryModel m) {
        switch (m) {
            case RetryModel::postfix: return "postfix";
            case RetryModel::exim: return "exim";
            case RetryModel::sendmail: return "sendmail";
            case RetryModel::explicit_schedule: break;
        }
        return "explicit";
    }

    static RetrySchedule postfix_defaults() {
        RetrySchedule r;
        r.model = RetryModel::postfix;
        r.mx = {5, 2};
        r.dead_destination_backoff = true;
        return r;
    }
    static RetrySchedule exim_defaults() {
        RetrySchedule r;
        r.model = RetryModel::exim;
        r.queue_run_delay_s = 1800;
        r.exim_rule = parse_exim_rule(default_exim_rule, nullptr);
        r.lifetime_s = r.exim_rule.back().cutoff_s;
        r.delay_warning_s = 86400;
        r.mx = {exim_hosts_max_try, 0};
        return r;
    }
    static RetrySchedule sendmail_defaults() {
        RetrySchedule r;
        r.model = RetryModel::sendmail;
        r.queue_run_delay_s = 1800;
        r.delay_warning_s = 14400;
        r.mx = {sendmail_max_mx_hosts, 1};
        return r;
    }
    // Exim's smtp transport defaults (src/src/transports/smtp.c) and Sendmail's MAXMXHOSTS (conf.h).
    static constexpr std::uint32_t exim_hosts_max_try = 5, exim_hosts_max_try_hardlimit = 50, sendmail_max_mx_hosts = 100;

    static constexpr std::string_view default_exim_rule = "F,2h,15m; G,16h,1h,1.5; F,4d,6h";

    static RetrySchedule parse(const Field& f) {
        f.expect_object();
        if (f.has("model")) return parse_model(f);
        f.allow_keys({"first_retry_s", "backoff_factor", "max_backoff_s", "lifetime_s", "delay_warning_s"});
        RetrySchedule r;
        if (f.has("delay_warning_s")) r.delay_warning_s = f["delay_warning_s"].non_negative();
        r.first_retry_s = f["first_retry_s"].positive();
        r.backoff_factor = f["backoff_factor"].number();
        if (r.backoff_factor < 1) f["backoff_factor"].fail(f["backoff_factor"].shown() + " is below 1: waits must not shrink");
        r.max_backoff_s = f["max_backoff_s"].positive();
        if (r.max_backoff_s < r.first_retry_s)
            f["max_backoff_s"].fail("must be at least first_retry_s (" + f["first_retry_s"].shown() + ")");
        r.lifetime_s = f["lifetime_s"].non_negative();
        if (r.attempt_times().size() > max_attempts)
            f["lifetime_s"].fail("gives more than " + std::to_string(max_attempts) + " attempts");
        return r;
    }

    // "2h", "15m", "4d", "1w", "30s" or a plain number of seconds, as Exim writes times.
    static double parse_exim_time(const std::string& text, const Field* where) {
        auto bad = [&](const std::string& why) -> double {
            if (where) where->fail("'" + text + "' " + why);
            throw ScenarioError("retry.rule", "'" + text + "' " + why);
        };
        if (text.empty()) return bad("is not a time");
        double total = 0;
        std::size_t i = 0;
        while (i < text.size()) {
            std::size_t j = i;
            while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.')) ++j;
            const std::string digits = text.substr(i, j - i);
            char* end = nullptr;
            const double n = std::strtod(digits.c_str(), &end);
            if (j == i || end != digits.c_str() + digits.size() || !std::isfinite(n))
                return bad("is not a time (a number with an optional unit s, m, h, d or w)");
            double unit = 1;
            if (j < text.size()) {
                switch (text[j]) {
                    case 's': unit = 1; break;
                    case 'm': unit = 60; break;
                    case 'h': unit = 3600; break;
                    case 'd': unit = 86400; break;
                    case 'w': unit = 604800; break;
                    default: return bad("has an unknown time unit '" + std::string(1, text[j]) + "' (s, m, h, d or w)");
                }
                ++j;
            }
            total += n * unit;
            i = j;
        }
        return total;
    }

    // An Exim retry rule's timing part: items separated by ';', each F,cutoff,interval or
    // G,cutoff,interval,factor, with cutoffs increasing.
    static std::vector<EximRetryItem> parse_exim_rule(std::string_view text, const Field* where) {
        auto fail = [&](const std::string& why) {
            if (where) where->fail(why);
            throw ScenarioError("retry.rule", why);
        };
        auto trim = [](std::string s) {
            const auto b = s.find_first_not_of(" \t");
            const auto e = s.find_last_not_of(" \t");
            return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
        };
        std::vector<EximRetryItem> items;
        std::string rest(text);
        std::size_t start = 0;
        while (start <= rest.size()) {
            const auto semi = rest.find(';', start);
            std::string item = trim(rest.substr(start, semi == std::string::npos ? std::string::npos : semi - start));
            start = semi == std::string::npos ? rest.size() + 1 : semi + 1;
            if (item.empty()) {
                if (semi == std::string::npos && !items.empty()) break;  // a trailing ';'
                fail("has an empty item (expected F,cutoff,interval or G,cutoff,interval,factor)");
            }
            std::vector<std::string> parts;
            std::size_t p = 0;
            while (true) {
                const auto comma = item.find(',', p);
                parts.push_back(trim(item.substr(p, comma == std::string::npos ? std::string::npos : comma - p)));
                if (comma == std::string::npos) break;
                p = comma + 1;
            }
            EximRetryItem it;
            if (parts[0] == "F" && parts.size() == 3) it.kind = 'F';
            else if (parts[0] == "G" && parts.size() == 4) it.kind = 'G';
            else fail("item '" + item + "' is not F,cutoff,interval or G,cutoff,interval,factor (H is not modelled)");
            it.cutoff_s = parse_exim_time(parts[1], where);
            it.interval_s = parse_exim_time(parts[2], where);
            if (!(it.interval_s > 0)) fail("item '" + item + "': the interval must be greater than 0");
            if (it.kind == 'G') {
                char* end = nullptr;
                it.factor = std::strtod(parts[3].c_str(), &end);
                if (end == parts[3].c_str() || *end != '\0' || !std::isfinite(it.factor) || it.factor < 1)
                    fail("item '" + item + "': the factor must be a number of at least 1");
            }
            if (!items.empty() && it.cutoff_s <= items.back().cutoff_s)
                fail("item '" + item + "': cutoffs must increase from item to item");
            items.push_back(it);
        }
        return items;
    }

private:
    static std::uint32_t mx_limit(const Field& f) {
        const auto n = f.count();
        if (n > 65535) f.fail(f.shown() + " is more than 65535 (0 means no limit)");
        return static_cast<std::uint32_t>(n);
    }

    static RetrySchedule parse_model(const Field& f) {
        static constexpr std::array<std::string_view, 3> models{"postfix", "exim", "sendmail"};
        const std::size_t m = f["model"].choice(models);
        RetrySchedule r;
        if (m == 0) {
            f.allow_keys({"model", "minimal_backoff_s", "maximal_backoff_s", "queue_run_delay_s", "lifetime_s",
                          "mx_address_limit", "mx_session_limit", "delay_warning_s", "dead_destination_backoff"});
            r = postfix_defaults();
            if (f.has("dead_destination_backoff")) r.dead_destination_backoff = f["dead_destination_backoff"].boolean();
            if (f.has("mx_address_limit")) r.mx.address_limit = mx_limit(f["mx_address_limit"]);
            if (f.has("mx_session_limit")) r.mx.session_limit = mx_limit(f["mx_session_limit"]);
            if (f.has("minimal_backoff_s")) r.minimal_backoff_s = f["minimal_backoff_s"].positive();
            if (f.has("maximal_backoff_s")) r.maximal_backoff_s = f["maximal_backoff_s"].positive();
            if (r.maximal_backoff_s < r.minimal_backoff_s) {
                if (f.has("maximal_backoff_s"))
                    f["maximal_backoff_s"].fail(f["maximal_backoff_s"].shown() + " is below minimal_backoff_s (" +
                                                (f.has("minimal_backoff_s") ? f["minimal_backoff_s"].shown() : "300, Postfix's default") + ")");
                f["minimal_backoff_s"].fail(f["minimal_backoff_s"].shown() + " is above maximal_backoff_s (4000, Postfix's default)");
            }
        } else if (m == 1) {
            f.allow_keys({"model", "rule", "queue_run_interval_s", "delay_warning_s", "hosts_max_try",
                          "hosts_max_try_hardlimit"});
            r = exim_defaults();
            std::uint32_t max_try = exim_hosts_max_try, hard = exim_hosts_max_try_hardlimit;
            if (f.has("hosts_max_try")) max_try = mx_limit(f["hosts_max_try"]);
            if (f.has("hosts_max_try_hardlimit")) hard = mx_limit(f["hosts_max_try_hardlimit"]);
            for (const char* k : {"hosts_max_try", "hosts_max_try_hardlimit"})
                if (f.has(k) && f[k].count() == 0) f[k].fail("0 would try no host (Exim counts from 1)");
            r.mx.address_limit = std::min(max_try, hard);
            if (f.has("rule")) {
                const Field rule = f["rule"];
                r.exim_rule = parse_exim_rule(rule.string(), &rule);
                r.lifetime_s = r.exim_rule.back().cutoff_s;
            }
        } else {
            f.allow_keys({"model", "queue_interval_s", "lifetime_s", "delay_warning_s"});
            r = sendmail_defaults();
        }
        const char* scan = m == 0 ? "queue_run_delay_s" : m == 1 ? "queue_run_interval_s" : "queue_interval_s";
        if (f.has(scan)) r.queue_run_delay_s = f[scan].positive();
        if (m != 1 && f.has("lifetime_s")) r.lifetime_s = f["lifetime_s"].non_negative();
        if (f.has("delay_warning_s")) r.delay_warning_s = f["delay_warning_s"].non_negative();
        if (r.attempt_times().size() > max_attempts)
            f.fail("gives more than " + std::to_string(max_attempts) + " attempts: use a longer interval or a shorter lifetime");
        return r;
    }

    // Explicit geometric schedule: 0, then each wait added, the wait multiplied by the factor
    // and capped; no attempt after the lifetime.
    std::vector<double> explicit_times() const {
        std::vector<double> t{0.0};
        double wait = first_retry_s;
        // One attempt past the limit is built so that parse() can tell a schedule was cut.
        while (t.back() + wait <= lifetime_s && t.size() <= max_attempts) {
            t.push_back(t.back() + wait);
            wait = std::min(wait * backoff_factor, max_backoff_s);
        }
        return t;
    }

    // The first queue scan at or after `t` (scans every queue_run_delay_s from arrival).
    double next_scan(double t) const { return std::ceil(t / queue_run_delay_s - 1e-9) * queue_run_delay_s; }

    // Postfix qmgr: after a failed attempt at age a, if a >= lifetime the message expires;
    // otherwise it waits clamp(a, minimal, maximal) and is picked up by the next deferred
    // queue scan.
    std::vector<double> postfix_times() const {
        std::vector<double> t{0.0};
        while (t.back() < lifetime_s && t.size() <= max_attempts) {
            const double a = t.back();
            const double delay = std::clamp(a, minimal_backoff_s, maximal_backoff_s);
            t.push_back(next_scan(a + delay));
        }
        return t;
    }

    // Exim: the item whose cutoff (from the first failure, at 0) has not passed gives the next
    // retry time; G intervals grow by the factor from the previous gap (at least the item's
    // interval). A queue run makes the attempt. Once the final cutoff has passed, the next queue
    // run tries once more and a failure there bounces the address.
    std::vector<double> exim_times() const {
        std::vector<double> t{0.0};
        double last_gap = 0;
        const double final_cutoff = exim_rule.back().cutoff_s;
        while (t.back() <= final_cutoff && t.size() <= max_attempts) {
            const double now = t.back();
            const EximRetryItem* item = nullptr;
            for (const auto& i : exim_rule)
                if (now <= i.cutoff_s) {
                    item = &i;
                    break;
                }
            double gap = item->interval_s;
            if (item->kind == 'G' && last_gap >= item->interval_s) gap = last_gap * item->factor;
            const double first_run_after_cutoff = (std::floor(final_cutoff / queue_run_delay_s) + 1) * queue_run_delay_s;
            const double next = std::min(next_scan(now + gap), first_run_after_cutoff);
            last_gap = gap;
            t.push_back(next);
        }
        return t;
    }

    // Sendmail: every queue run tries every queued message (MinQueueAge 0); after a failed
    // attempt at an age of Timeout.queuereturn or more the message is returned.
    std::vector<double> sendmail_times() const {
        std::vector<double> t{0.0};
        while (t.back() < lifetime_s && t.size() <= max_attempts) t.push_back(t.back() + queue_run_delay_s);
        return t;
    }
};

}  // namespace delivsim
