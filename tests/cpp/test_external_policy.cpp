// Custom policies through ExternalHook (policy/external.hpp): resolution by name, the chain's
// phase rule with the hook's phase, the custom stage, draws, explain, and failures.
#include "scenario_builder.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <functional>

using namespace delivsim;
using delivsim::testing::minimal_scenario;
using delivsim::testing::simulate;

namespace {

// A hook given by a C++ function.
class FunctionHook final : public ExternalHook {
public:
    FunctionHook(std::string name, Phase phase, std::function<Verdict(const ExternalCall&)> f)
        : name_(std::move(name)), phase_(phase), f_(std::move(f)) {}
    const std::string& name() const noexcept override { return name_; }
    Phase phase() const noexcept override { return phase_; }
    Verdict evaluate(const ExternalCall& c) const override { return f_(c); }

private:
    std::string name_;
    Phase phase_;
    std::function<Verdict(const ExternalCall&)> f_;
};

ExternalHooks hooks_of(std::initializer_list<std::shared_ptr<const ExternalHook>> hs) {
    ExternalHooks out;
    for (const auto& h : hs) out[h->name()] = h;
    return out;
}

// The minimal scenario with size_limit replaced by a custom policy entry.
json with_custom(const std::string& name, const std::string& phase, std::size_t at = 1) {
    json j = minimal_scenario();
    j["recipient_profiles"][0]["policies"][at] = {{"type", "python"}, {"name", name}, {"phase", phase}};
    return j;
}

std::string load_error(const json& j, const ExternalHooks* hooks) {
    try {
        parse_scenario(j, hooks);
    } catch (const ScenarioError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a custom policy in a file without hooks is a clear error naming the field") {
    CHECK(load_error(with_custom("my_filter", "envelope"), nullptr) ==
          "recipient_profiles[0].policies[1].type: policy 'my_filter' is written in Python: run it from the delivsim "
          "Python package");
    const auto hooks = hooks_of({std::make_shared<FunctionHook>("other", Phase::envelope,
                                                                [](const ExternalCall&) { return Verdict::proceed(); })});
    CHECK(load_error(with_custom("my_filter", "envelope"), &hooks).find(
              "recipient_profiles[0].policies[1].name: no Python policy named 'my_filter' was given (given: other)") == 0);
    CHECK(load_error(with_custom("other", "data"), &hooks) ==
          "recipient_profiles[0].policies[1].phase: 'data', but Python policy 'other' has phase 'envelope'");
    json extra = with_custom("other", "envelope");
    extra["recipient_profiles"][0]["policies"][1]["max_bytes"] = 3;
    CHECK(load_error(extra, &hooks).find("recipient_profiles[0].policies[1]") == 0);
}

TEST_CASE("the chain's phase order uses the hook's phase; a name appears once") {
    const auto data = std::make_shared<FunctionHook>("late", Phase::data, [](const ExternalCall&) { return Verdict::proceed(); });
    const auto hooks = hooks_of({data});
    // Before unknown_user (envelope): a data-phase policy cannot come first.
    CHECK(load_error(with_custom("late", "data", 1), &hooks) ==
          "recipient_profiles[0].policies[2].type: 'unknown_user' (envelope phase) cannot come after Python policy 'late' "
          "(data phase)");
    json twice = minimal_scenario();
    twice["recipient_profiles"][0]["policies"].push_back({{"type", "python"}, {"name", "late"}, {"phase", "data"}});
    twice["recipient_profiles"][0]["policies"].push_back({{"type", "python"}, {"name", "late"}, {"phase", "data"}});
    CHECK(load_error(twice, &hooks) == "recipient_profiles[0].policies[4].type: Python policy 'late' appears twice in this chain");
    json ok = minimal_scenario();
    ok["recipient_profiles"][0]["policies"].push_back({{"type", "python"}, {"name", "late"}, {"phase", "data"}});
    CHECK(load_error(ok, &hooks) == "");
}

TEST_CASE("a custom policy decides with the stage custom_policy and sees the message's names") {
    std::atomic<int> calls{0};
    const auto hook = std::make_shared<FunctionHook>("tiny_limit", Phase::envelope, [&](const ExternalCall& c) {
        ++calls;
        CHECK(c.sender_class == "A");
        CHECK(c.profile == "X");
        CHECK(c.host == "mx.x.example");
        return c.message.size_bytes > 500
                   ? Verdict::reject(Status::message_too_big, Responsible::sender_content, stage_of<SizeLimit>)
                   : Verdict::proceed();
    });
    const auto hooks = hooks_of({hook});
    const Scenario s = parse_scenario(with_custom("tiny_limit", "envelope"), &hooks);
    const Tally t = simulate(s, 1000);
    CHECK(calls == 1000);
    CHECK(t.outcome(Outcome::bounced) == 1000);
    CHECK(t.stage(stage_of<ExternalPolicy>) == 1000);
    CHECK(t.stage(stage_of<SizeLimit>) == 0);

    const Explanation e = explain(s, 1, 7);
    const json j = e.to_json(s);
    CHECK(j["stage"] == "custom_policy");
    CHECK(j["policy"] == "tiny_limit");
    CHECK(j["attempts"][0]["policy"] == "tiny_limit");
    CHECK(e.to_text(s).find("decided by custom_policy 'tiny_limit'") != std::string::npos);
}

TEST_CASE("a custom policy's draws are its own: a pure function of seed, message, name and draw") {
    // Draws do not depend on the thread count, and differ between names and from MessageRng's.
    const ExternalDraws a(9, 42, policy_tag("a")), a2(9, 42, policy_tag("a")), b(9, 42, policy_tag("b"));
    CHECK(a.uniform(0) == a2.uniform(0));
    CHECK(a.uniform(5) == a2.uniform(5));
    CHECK(a.uniform(0) != b.uniform(0));
    CHECK(a.uniform(0) != a.uniform(1));
    CHECK(a.uniform(0) > 0.0);
    CHECK(a.uniform(0) < 1.0);
    MessageRng rng(9, 42);
    CHECK(rng.seed() == 9);

    // A hook that files half the mail into spam by its draw: same tally for 1 and 2 threads.
    const auto hook = std::make_shared<FunctionHook>("coin", Phase::data, [](const ExternalCall& c) {
        return c.draws.uniform(0) < 0.5 ? Verdict::file(Outcome::spam_folder, Responsible::receiver_policy, Stage::none)
                                        : Verdict::proceed();
    });
    const auto hooks = hooks_of({hook});
    json j = minimal_scenario();
    j["recipient_profiles"][0]["policies"].push_back({{"type", "python"}, {"name", "coin"}, {"phase", "data"}});
    const Scenario s = parse_scenario(j, &hooks);
    RunOptions o;
    o.messages = 20000;
    o.seed = 3;
    o.threads = 1;
    o.chunk = 1000;
    const Tally one = run(s, o);
    o.threads = 2;
    CHECK(run(s, o) == one);
    const auto spam = one.outcome(Outcome::spam_folder);
    CHECK(spam > 9700);
    CHECK(spam < 10300);
    CHECK(one.stage(stage_of<ExternalPolicy>) == spam);
}

TEST_CASE("a hook's failure stops the run and reaches the caller") {
    const auto hook = std::make_shared<FunctionHook>("broken", Phase::data, [](const ExternalCall& c) -> Verdict {
        if (c.message.index == 1234) throw ExternalPolicyError("broken", "it broke");
        return Verdict::proceed();
    });
    const auto hooks = hooks_of({hook});
    json j = minimal_scenario();
    j["recipient_profiles"][0]["policies"].push_back({{"type", "python"}, {"name", "broken"}, {"phase", "data"}});
    const Scenario s = parse_scenario(j, &hooks);
    RunOptions o;
    o.messages = 5000;
    o.threads = 2;
    o.chunk = 500;
    CHECK_THROWS_WITH_AS(run(s, o), "policy 'broken': it broke", ExternalPolicyError);
}
