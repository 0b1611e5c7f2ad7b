// Runs the default scenario (R1), then the same mail through a receiver whose policy chain is
// composed at compile time: a consumer mailbox provider that skips the DNS blocklist.
#include <delivsim/delivsim.hpp>

#include <iostream>

int main() {
    using namespace delivsim;
    const Scenario r1 = default_scenario();
    RunOptions options;
    options.messages = 200000;
    options.seed = 7;
    options.threads = 2;
    const Tally baseline = run(r1, options);
    std::cout << report_table(baseline, r1.name, options.seed);

    // The same senders, sent to one provider with a static chain (no DNSBL check).
    using Chain = Pipeline<SizeLimit, UnknownUser, DmarcDisposition, ContentFilter>;
    BasicScenario<Chain> custom;
    custom.name = "no_dnsbl_provider";
    custom.retry = r1.retry;
    custom.classes = r1.classes;
    BasicProfile<Chain> provider;
    provider.name = "G_without_dnsbl";
    provider.weight = 1.0;
    provider.routing = r1.profiles[0].routing;
    provider.policies.policies = {SizeLimit{50'000'000}, UnknownUser{},
                                  DmarcDisposition{DmarcDisposition::Action::reject, DmarcDisposition::Action::spam_folder},
                                  ContentFilter{{0, 1.5, 0, 0}, {{15, ContentFilter::Action::reject}, {5, ContentFilter::Action::spam_folder}}}};
    custom.profiles.push_back(provider);
    custom.finalize();
    const Tally t = run(custom, options);
    std::cout << "\nwithout a DNS blocklist, inbox rate of spam (class S): "
              << 100.0 * static_cast<double>(t.outcome(Outcome::inbox, 3)) /
                     static_cast<double>(t.outcome(Outcome::inbox, 3) + t.outcome(Outcome::bounced, 3) +
                                         t.outcome(Outcome::spam_folder, 3) + t.outcome(Outcome::silently_lost, 3))
              << "%\n";
    return 0;
}
