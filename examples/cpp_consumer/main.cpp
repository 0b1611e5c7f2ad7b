// The Python quick start (notebooks/01_quickstart.ipynb), in C++: run the reference scenario
// R1, read where the mail went with 95% intervals, follow one newsletter that landed in the
// spam folder, and ask a what-if about the receivers' filters.
#include <delivsim/delivsim.hpp>

#include <iostream>

int main() {
    using namespace delivsim;
    const Scenario s = default_scenario();

    // Run. The result depends only on the scenario, the seed and the message range: the same
    // on any machine and with any number of threads.
    RunOptions options;  // the runner's options (seed, threads) and the run's (messages)
    options.messages = 200'000;
    options.seed = 1;
    options.threads = 2;
    const Tally r = run(s, options);
    std::cout << report_table(r, s.name, options.seed);

    // Rates by name, each with its 95% Wilson interval over the whole group's messages.
    std::cout << "\ninbox, all mail:           " << r.rate(Outcome::inbox)
              << "\ninbox, newsletters (N):    " << r.rate(Outcome::inbox, {.sender_class = "N"})
              << "\nspam folder, profile G:    " << r.rate(Outcome::spam_folder, {.profile = "G"})
              << "\nspam (S) in G's inboxes:   " << r.rate(Outcome::inbox, {.sender_class = "S", .profile = "G"})
              << "\n";

    // Why did this message not arrive? explain() replays one message exactly as in the run.
    const std::size_t newsletter = r.class_index("N");
    for (std::uint64_t i = 0; i < options.messages; ++i) {
        const Explanation e = explain(s, options.seed, i);
        if (e.message.sender_class == newsletter && e.fate.outcome == Outcome::spam_folder) {
            std::cout << "\nthe first newsletter in a spam folder:\n" << e.to_text(s);
            break;
        }
    }

    // What if G's content filter were stricter, and H's chain were another one altogether?
    // A policy by named fields (designated initialisers), or any policy in its JSON form.
    Scenario what_if = s;
    what_if.name = "stricter_G";
    for (AnyPolicy& p : what_if.profile("G").policies.policies)
        if (std::holds_alternative<ContentFilter>(p))
            p = ContentFilter{.dmarc_adjustment = ContentFilter::adjust({.none = 1.5}),
                              .thresholds = {{.min_score = 12, .action = ContentFilter::Action::reject},
                                             {.min_score = 4, .action = ContentFilter::Action::spam_folder}}};
    what_if.profile("H").policies = parse_chain(json::parse(R"([
        {"type": "size_limit", "max_bytes": 20000000},
        {"type": "unknown_user"},
        {"type": "greylist", "delay_s": 300},
        {"type": "content_filter", "actions": [{"min_score": 6, "action": "spam_folder"}]}
    ])"), what_if.class_names(), "H.policies");
    const Tally w = run(what_if, options);  // the same seed: the same messages, filtered otherwise
    std::cout << "\nwhat if: inbox of newsletters (N) " << r.rate(Outcome::inbox, {.sender_class = "N"}) << " -> "
              << w.rate(Outcome::inbox, {.sender_class = "N"}) << "\n         spam (S) delivered to inboxes "
              << r.rate(Outcome::inbox, {.sender_class = "S"}) << " -> "
              << w.rate(Outcome::inbox, {.sender_class = "S"}) << "\n";
    return 0;
}
