#pragma once
// Strategy comparison on identical mail (common random numbers). A strategy is a name plus
// policy chains that replace the profiles' own (all of them, or the named ones). Each message
// is drawn once (its facts and features) and delivered under every strategy with the same
// counter RNG: whatever does not depend on the strategy (address errors, MX and host draws,
// sizes, features, quota draws...) is identical across strategies, and a strategy equal to
// the scenario's own chains gives exactly the plain run's Tally.
//
// Per strategy: a Tally. Per pair of strategies (a, b), by truth (legitimate / spam): the joint
// counts of each message's judged category under a and under b (3x3), and of its outcome
// (7x7): the paired differences come from these, not from two independent intervals. Per
// strategy with a score-based policy: a histogram of that score for every message, by sender
// class and recipient profile, on fixed bins (ScoreBins), enough for ROC curves from one run
// (per profile: profiles may be judged by scores on different scales).
//
// compare_scenarios() (ScenarioComparison, below) does the same for whole scenarios.
//
// Threads, chunks, progress and cancellation are run()'s (detail::run_chunks); all results
// are integer counts, so they are bit-identical for any thread count or split, and merge (+).
#include <delivsim/engine/run.hpp>
#include <delivsim/scenario/scenario.hpp>

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace delivsim {

// What the filters made of a message.
enum class Judged : std::uint8_t {
    not_judged,   // decided before any filter could: address error, size, unknown user, quota, expiry...
    judged_ham,   // the filters let it through (inbox, or moved/deleted by the recipient's own rules)
    judged_spam,  // a filtering stage sent it to the spam folder, to quarantine, or rejected it
};
inline constexpr std::size_t judged_count = 3;
inline constexpr std::array<std::string_view, judged_count> judged_names{"not_judged", "judged_ham", "judged_spam"};

// The stages that judge spam (their policies' judges_spam): their spam_folder / quarantine /
// reject verdicts are judged_spam.
constexpr bool filtering_stage(Stage s) { return judges_spam(s); }

constexpr Judged judged(const Fate& f) {
    if (filtering_stage(f.stage) &&
        (f.outcome == Outcome::spam_folder || f.outcome == Outcome::quarantined || f.outcome == Outcome::bounced))
        return Judged::judged_spam;
    if (f.outcome == Outcome::inbox || f.outcome == Outcome::rule_moved || f.outcome == Outcome::rule_deleted)
        return Judged::judged_ham;
    return Judged::not_judged;
}

// The score histograms' bins: 1400 bins of width 0.05 over [-20, 50), plus an underflow bin
// (score < -20) first and an overflow bin (score >= 50) last: 1402 in all. Bin 1 + i holds
// [-20 + i/20, -20 + (i+1)/20). A threshold t on the 0.05 grid splits the bins exactly: the
// messages with score >= t are those in bins from 1 + 20 (t + 20) on (to within the rounding
// of a score that lies within an ulp of an edge). The logistic model's score is its log-odds.
struct ScoreBins {
    static constexpr double lo = -20, hi = 50, per_unit = 20;  // bins per unit of score
    static constexpr std::size_t regular = 1400, count = regular + 2;
    static std::size_t bin(double score) noexcept {
        const double x = (score - lo) * per_unit;
        if (!(x >= 0)) return 0;  // below lo
        if (x >= static_cast<double>(regular)) return count - 1;
        return 1 + static_cast<std::size_t>(x);
    }
    // The regular bins' edges, regular + 1 of them: -20, -19.95, ..., 50.
    static std::vector<double> edges() {
        std::vector<double> e(regular + 1);
        for (std::size_t i = 0; i <= regular; ++i) e[i] = lo + static_cast<double>(i) / per_unit;
        return e;
    }
};

struct Strategy {
    std::string name;
    // By profile index: the chain that replaces the profile's own; nullptr keeps the profile's.
    std::vector<std::shared_ptr<const PolicyChain>> chains;
};

// A strategy from JSON: a list of policies (a chain for every profile) or an object mapping
// profile names to chains (the other profiles keep theirs). Errors name "strategies.<name>...".
// `hooks`: the custom policies (policy/external.hpp) the chains may name.
inline Strategy parse_strategy(const Scenario& s, const std::string& name, const json& spec,
                               const ExternalHooks* hooks = nullptr) {
    const Field f(spec, "strategies." + name);
    if (name.empty()) Field(spec, "strategies").fail("a strategy name must not be empty");
    Strategy st{name, std::vector<std::shared_ptr<const PolicyChain>>(s.profiles.size())};
    // Parsed for each profile: a custom policy resolves the profile's name and MX hosts.
    auto parse_for = [&](const Field& chain, std::size_t profile) {
        ParseContext ctx{s.class_names(), hooks, s.profiles[profile].name, {}};
        for (const auto& h : s.profiles[profile].routing.hosts()) ctx.mx_hosts.push_back(h.host);
        return std::make_shared<const PolicyChain>(PolicyChain::parse(chain, ctx));
    };
    if (spec.is_array()) {
        for (std::size_t p = 0; p < st.chains.size(); ++p) st.chains[p] = parse_for(f, p);
    } else if (spec.is_object()) {
        if (spec.empty()) f.fail("is empty: name at least one profile, or give a list of policies for all");
        const auto names = s.profile_names();
        for (const auto& [profile, chain] : f.entries()) {
            const auto it = std::find(names.begin(), names.end(), profile);
            if (it == names.end()) chain.fail("'" + profile + "' is not a recipient profile");
            const auto p = static_cast<std::size_t>(it - names.begin());
            st.chains[p] = parse_for(chain, p);
        }
    } else {
        f.fail(f.shown() + " is not a list of policies or an object of profile -> list of policies");
    }
    return st;
}

// The results of compare(): see the header comment.
class Comparison {
public:
    static constexpr std::size_t codes = outcome_count * judged_count;  // per message and strategy

    Comparison() = default;
    Comparison(std::vector<std::string> names, std::vector<Tally> tallies, std::vector<bool> has_score,
               std::size_t classes)
        : names_(std::move(names)), tallies_(std::move(tallies)), has_score_(std::move(has_score)), classes_(classes) {
        const std::size_t k = names_.size();
        if (tallies_.size() != k || has_score_.size() != k)
            throw std::invalid_argument("comparison: names, tallies and score flags differ in number");
        profiles_ = tallies_.empty() ? 0 : tallies_.front().profiles().size();
        joint_.assign(k * (k + 1) / 2 * 2 * codes * codes, 0);
        hist_offset_.assign(k, npos);
        std::size_t h = 0;
        for (std::size_t i = 0; i < k; ++i)
            if (has_score_[i]) hist_offset_[i] = (h++) * cells() * ScoreBins::count;
        hist_.assign(h * cells() * ScoreBins::count, 0);
    }

    std::size_t size() const noexcept { return names_.size(); }
    const std::vector<std::string>& names() const noexcept { return names_; }
    const Tally& tally(std::size_t i) const { return tallies_.at(i); }
    std::uint64_t messages() const noexcept { return messages_; }
    std::size_t classes() const noexcept { return classes_; }
    std::size_t profiles() const noexcept { return profiles_; }
    bool has_score(std::size_t i) const { return has_score_.at(i); }

    // [truth legit=0 / spam=1][category under a][category under b], 2 x 3 x 3.
    std::vector<std::uint64_t> judged(std::size_t a, std::size_t b) const {
        std::vector<std::uint64_t> out(2 * judged_count * judged_count);
        joint_fold(a, b, [&](std::size_t t, std::size_t ca, std::size_t cb, std::uint64_t n) {
            out[(t * judged_count + ca % judged_count) * judged_count + cb % judged_count] += n;
        });
        return out;
    }
    // [truth][outcome under a][outcome under b], 2 x 7 x 7.
    std::vector<std::uint64_t> outcome_joint(std::size_t a, std::size_t b) const {
        std::vector<std::uint64_t> out(2 * outcome_count * outcome_count);
        joint_fold(a, b, [&](std::size_t t, std::size_t ca, std::size_t cb, std::uint64_t n) {
            out[(t * outcome_count + ca / judged_count) * outcome_count + cb / judged_count] += n;
        });
        return out;
    }
    // [class][profile][bin] (ScoreBins), or empty for a strategy without a score-based policy.
    std::vector<std::uint64_t> score_histogram(std::size_t i) const {
        if (!has_score_.at(i)) return {};
        const auto* p = hist_.data() + hist_offset_[i];
        return {p, p + cells() * ScoreBins::count};
    }

    // Raw state (for pickling): the pair tables [pair (a <= b, row-major)][truth][code a][code b],
    // code = outcome * 3 + judged; the histograms of the scored strategies in order.
    const std::vector<std::uint64_t>& raw_joint() const noexcept { return joint_; }
    const std::vector<std::uint64_t>& raw_histograms() const noexcept { return hist_; }
    static Comparison from_state(std::vector<std::string> names, std::vector<Tally> tallies, std::vector<bool> has_score,
                                 std::size_t classes, std::uint64_t messages, std::vector<std::uint64_t> joint,
                                 std::vector<std::uint64_t> hist) {
        Comparison c(std::move(names), std::move(tallies), std::move(has_score), classes);
        if (joint.size() != c.joint_.size() || hist.size() != c.hist_.size())
            throw std::invalid_argument("comparison state: the tables do not fit the strategies and classes");
        for (const Tally& t : c.tallies_)
            if (t.messages() != messages || t.classes().size() != classes || t.profiles().size() != c.profiles_)
                throw std::invalid_argument("comparison state: a tally disagrees with the message or class count");
        c.joint_ = std::move(joint);
        c.hist_ = std::move(hist);
        c.messages_ = messages;
        return c;
    }

    void clear() noexcept {
        for (Tally& t : tallies_) t.clear();
        std::fill(joint_.begin(), joint_.end(), 0);
        std::fill(hist_.begin(), hist_.end(), 0);
        messages_ = 0;
    }
    Comparison& operator+=(const Comparison& o) {
        if (names_ != o.names_ || has_score_ != o.has_score_ || classes_ != o.classes_)
            throw std::invalid_argument("comparisons of different strategies cannot be merged");
        for (std::size_t i = 0; i < tallies_.size(); ++i) tallies_[i] += o.tallies_[i];
        for (std::size_t i = 0; i < joint_.size(); ++i) joint_[i] += o.joint_[i];
        for (std::size_t i = 0; i < hist_.size(); ++i) hist_[i] += o.hist_[i];
        messages_ += o.messages_;
        return *this;
    }
    friend Comparison operator+(Comparison a, const Comparison& b) { return a += b; }
    bool operator==(const Comparison&) const = default;

    // Recording, for compare(): one message's fates under every strategy (fates[k], code[k]).
    Tally& tally_mut(std::size_t i) { return tallies_[i]; }
    void record_joint(bool legit, const std::uint8_t* code) noexcept {
        const std::size_t k = names_.size(), t = legit ? 0 : 1;
        constexpr std::size_t pair_size = 2 * codes * codes;
        std::uint64_t* pair = joint_.data() + t * codes * codes;
        for (std::size_t a = 0; a < k; ++a) {
            std::uint64_t* row = pair + code[a] * codes;  // [truth][code a][.] of pair (a, a)
            for (std::size_t b = a; b < k; ++b, row += pair_size) ++row[code[b]];
            pair += (k - a) * pair_size;
        }
        ++messages_;
    }
    void record_score(std::size_t i, std::uint32_t cls, std::uint32_t profile, double score) noexcept {
        ++hist_[hist_offset_[i] + (cls * profiles_ + profile) * ScoreBins::count + ScoreBins::bin(score)];
    }

private:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    std::size_t cells() const noexcept { return classes_ * profiles_; }
    template <class F>
    void joint_fold(std::size_t a, std::size_t b, F&& f) const {
        const std::size_t k = names_.size();
        if (a >= k || b >= k) throw std::out_of_range("strategy index out of range");
        const bool swap = a > b;
        const std::size_t lo = swap ? b : a, hi = swap ? a : b;
        std::size_t pair = 0;
        for (std::size_t x = 0; x < lo; ++x) pair += k - x;
        pair += hi - lo;
        const std::uint64_t* p = joint_.data() + pair * 2 * codes * codes;
        for (std::size_t t = 0; t < 2; ++t)
            for (std::size_t ca = 0; ca < codes; ++ca)
                for (std::size_t cb = 0; cb < codes; ++cb) {
                    const std::uint64_t n = p[(t * codes + ca) * codes + cb];
                    if (n) swap ? f(t, cb, ca, n) : f(t, ca, cb, n);
                }
    }

    std::vector<std::string> names_;
    std::vector<Tally> tallies_;
    std::vector<bool> has_score_;
    std::size_t classes_ = 0, profiles_ = 0;
    std::vector<std::uint64_t> joint_;
    std::vector<std::size_t> hist_offset_;
    std::vector<std::uint64_t> hist_;
    std::uint64_t messages_ = 0;
};

namespace detail {

// The chains of several strategies for one profile as a tree of the stages they share: a
// node holds stages [from, to) of `chain`, which every chain of its lanes (bit l of `lanes`:
// lane l) has at those places (same_policy); its children split the lanes by the stage that
// follows, a lane whose chain ends there getting a child of no stages. Evaluating the tree
// gives every lane the verdict and Session its own chain would give: a stage shared by lanes
// runs once, on the Session they share, and each child goes on from a copy of it.
class ChainTree {
public:
    static constexpr std::size_t max_lanes = 64;
    struct Lane {
        Delivery delivery;      // its Session (a destination found dead never gets a session)
        Verdict verdict;        // at the current attempt, once the lane has one
        Verdict last_deferral;  // the last attempt's, while the lane is deferred
        std::int32_t host = -1;
    };

    ChainTree() = default;
    explicit ChainTree(std::vector<const PolicyChain*> chains) : chains_(std::move(chains)) {
        if (chains_.empty() || chains_.size() > max_lanes) throw std::invalid_argument("chain tree: 1 to 64 lanes");
        build(all_lanes(chains_.size()), 0, 0, true);
    }
    std::size_t lanes() const noexcept { return chains_.size(); }
    const PolicyChain& chain(std::size_t lane) const { return *chains_[lane]; }
    // The Sessions evaluate() works in.
    std::size_t slots() const noexcept { return slots_; }
    // The stages the tree holds: each shared stage once.
    std::size_t stages() const noexcept {
        std::size_t n = 0;
        for (const Node& node : nodes_) n += static_cast<std::size_t>(node.last - node.first);
        return n;
    }

    // Runs the lanes of `group`, whose Sessions equal slot[0], through their chains:
    // lanes[l].verdict and lanes[l].session for each lane l of `group`. `slot`: slots() Sessions.
    [[gnu::always_inline]] void evaluate(const Message& m, MessageRng& rng, const Attempt& a, std::uint64_t group,
                                         Lane* lanes, Session* slot) const {
        // In preorder; a node works in its parent's Session when it is the last child, else
        // in a copy one slot further (its siblings after it still need the parent's).
        const Node* const begin = nodes_.data();
        const Node* const end = begin + nodes_.size();
        for (const Node* node = begin; node != end;) {
            if (!(node->lanes & group)) {
                node = begin + node->skip;
                continue;
            }
            Session& s = slot[node->slot];
            if (node->slot != node->parent_slot) s = slot[node->parent_slot];
            const Verdict v = PolicyChain::evaluate_stages(node->first, node->last, m, s, rng, a);
            const Node* const next = begin + node->skip;
            if (v.action == Action::proceed && next != node + 1) {
                ++node;  // on to the children
                continue;
            }
            // A lane the chain decided never uses its Session again (a backup MX, which
            // does, takes the message without a chain); a deferred lane goes on with it.
            const bool deferred = v.action == Action::temp_fail;
            for (std::uint64_t t = node->lanes & group; t; t &= t - 1) {
                Lane& lane = lanes[std::countr_zero(t)];
                if (deferred) lane.delivery.session = s;
                lane.verdict = v;
            }
            node = next;
        }
    }

    static constexpr std::uint64_t all_lanes(std::size_t n) noexcept {
        return n >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
    }

private:
    struct Node {
        const AnyPolicy *first, *last;  // its stages, in the chain of one of its lanes
        std::uint64_t lanes;
        std::uint32_t skip;        // the node after its subtree
        std::uint32_t slot, parent_slot;
    };

    // Appends the node of `lanes` from stage `from` and its subtree, in preorder.
    void build(std::uint64_t lanes, std::size_t from, std::uint32_t parent_slot, bool last_child) {
        const auto n = static_cast<std::uint32_t>(nodes_.size());
        const PolicyChain& rep = *chains_[static_cast<std::size_t>(std::countr_zero(lanes))];
        const std::uint32_t slot = n == 0 || last_child ? parent_slot : parent_slot + 1;
        slots_ = std::max<std::size_t>(slots_, slot + 1);
        auto all_share = [&](std::size_t at) {
            for (std::uint64_t t = lanes; t; t &= t - 1) {
                const PolicyChain& c = *chains_[static_cast<std::size_t>(std::countr_zero(t))];
                if (c.policies.size() <= at || !same_policy(c.policies[at], rep.policies[at])) return false;
            }
            return true;
        };
        std::size_t to = from;
        while (to < rep.policies.size() && all_share(to)) ++to;
        nodes_.push_back({rep.policies.data() + from, rep.policies.data() + to, lanes, 0, slot, parent_slot});
        // The children: the lanes whose chain ends here, then the lanes by their next stage.
        std::vector<std::uint64_t> groups;
        std::uint64_t ended = 0;
        for (std::uint64_t t = lanes; t; t &= t - 1) {
            const auto l = static_cast<std::size_t>(std::countr_zero(t));
            const PolicyChain& c = *chains_[l];
            if (c.policies.size() == to) {
                ended |= std::uint64_t{1} << l;
                continue;
            }
            auto g = std::find_if(groups.begin(), groups.end(), [&](std::uint64_t x) {
                return same_policy(chains_[static_cast<std::size_t>(std::countr_zero(x))]->policies[to], c.policies[to]);
            });
            if (g == groups.end()) groups.push_back(std::uint64_t{1} << l);
            else *g |= std::uint64_t{1} << l;
        }
        if (!groups.empty()) {
            if (ended) groups.insert(groups.begin(), ended);
            for (std::size_t c = 0; c < groups.size(); ++c)
                build(groups[c], to, slot, c + 1 == groups.size());
        }
        nodes_[n].skip = static_cast<std::uint32_t>(nodes_.size());
    }

    std::vector<const PolicyChain*> chains_;
    std::vector<Node> nodes_;
    std::size_t slots_ = 0;
};

// A message delivered to one profile under several strategies side by side, lane l with the
// chain tree's chain l: the strategy-independent work (the decisions before any session, the
// dead-destination draw, every attempt's MX visit with its up/down and busy draws) is done
// once, and at each host the lanes the attempt has not yet decided run through the chain tree
// together. Lanes decide at different hosts and attempts; each one sees exactly the hosts,
// draws, Sessions and verdicts its own deliver_through() would, so its fate is that one.
//
// The one delivery step (attempt_step) drives the lanes through a chain whose verdict is
// temp_fail while some lane wants the next host: then the step goes on as it would for each of
// them. When the step ends on a verdict of its own (no host answered, a busy host after the
// last session, a backup MX that accepts), the lanes still undecided take that verdict.
class Lockstep {
public:
    using Lane = ChainTree::Lane;

    // `lanes`: tree.lanes() of them; `slot`: tree.slots() Sessions.
    Lockstep(const ChainTree& tree, Lane* lanes, Session* slot) : tree_(tree), lanes_(lanes), slot_(slot) {}

    // The fates of message `m` (drawn from `rng`) under every lane: fates[to[l]] for lane l.
    // `plain`: no host of the profile is a backup MX and no folder handling applies to the
    // message, so that finish_settled() would keep every settled fate as it is.
    template <class Scenario>
    void deliver(const Scenario& s, const Message& m, MessageRng& rng, Fate* fates, const std::uint32_t* to,
                 bool plain) {
        const std::size_t n = tree_.lanes();
        const auto& routing = s.profiles[m.profile].routing;
        if (const auto decided = decided_before_sessions(m, routing, s.retry.unresolvable_domain())) {
            for (std::size_t l = 0; l < n; ++l) fates[to[l]] = *decided;
            return;
        }
        Delivery d = open_delivery(routing, rng);
        fresh_ = true;
        MxLimits limits = s.retry.mx;
        limits.relays = MxLimits::Relays::accept;
        const auto& times = s.attempt_times;
        std::uint64_t open = ChainTree::all_lanes(n);
        for (std::uint32_t i = 0; i < times.size() && open; ++i) {
            Attempt a{i, times[i], -1};
            undecided_ = open;
            const Verdict v = attempt_step(routing, limits, Chain{this}, m, d, rng, a);
            const bool own = v.action == Action::temp_fail && v.stage == Stage::none;  // lanes_wait()
            for (std::uint64_t t = undecided_; t; t &= t - 1) {
                Lane& lane = lanes_[std::countr_zero(t)];
                if (!own) lane.verdict = v;
                lane.host = a.host;
            }
            static constexpr Delivery empty{};  // of a lane no stage has run for yet
            for (std::uint64_t t = open; t; t &= t - 1) {
                const auto l = static_cast<std::size_t>(std::countr_zero(t));
                Lane& lane = lanes_[l];
                if (lane.verdict.action == Action::temp_fail) {
                    lane.last_deferral = lane.verdict;
                    continue;
                }
                const Attempt at{i, times[i], lane.host};
                fates[to[l]] = plain ? *settle(lane.verdict, at)
                                     : finish_settled(s, tree_.chain(l), m, fresh_ ? empty : lane.delivery, rng,
                                                      lane.verdict, at, NoTrace{});
                open &= ~(t & -t);
            }
        }
        for (std::uint64_t t = open; t; t &= t - 1) {
            const auto l = static_cast<std::size_t>(std::countr_zero(t));
            fates[to[l]] = expire(lanes_[l].last_deferral, times);
        }
    }

private:
    // The verdict that keeps the step going while some lane wants the next host; no chain
    // and no step gives it (the step's own verdicts name the routing stage).
    static constexpr Verdict lanes_wait() { return Verdict::temp_fail(Status::none, Responsible::none, Stage::none); }

    // The undecided lanes at one host, grouped by equal Sessions (all empty before the first
    // stage has run), each group through the chain tree once.
    [[gnu::noinline]] Verdict evaluate(const Message& m, MessageRng& rng, const Attempt& a) {
        if (fresh_) {
            slot_[0] = Session{};
            tree_.evaluate(m, rng, a, undecided_, lanes_, slot_);
            fresh_ = false;
        } else {
            for (std::uint64_t todo = undecided_; todo;) {
                const Lane& lead = lanes_[std::countr_zero(todo)];
                std::uint64_t group = todo & -todo;
                for (std::uint64_t t = todo & (todo - 1); t; t &= t - 1)
                    if (std::memcmp(&lanes_[std::countr_zero(t)].delivery.session, &lead.delivery.session, sizeof(Session)) == 0)
                        group |= t & -t;
                slot_[0] = lead.delivery.session;
                tree_.evaluate(m, rng, a, group, lanes_, slot_);
                todo &= ~group;
            }
        }
        std::uint64_t waiting = 0;
        for (std::uint64_t t = undecided_; t; t &= t - 1) {
            Lane& lane = lanes_[std::countr_zero(t)];
            if (lane.verdict.action == Action::temp_fail) waiting |= t & -t;
            else lane.host = a.host;
        }
        undecided_ = waiting;
        return waiting ? lanes_wait() : Verdict::proceed();
    }

    // What attempt_step() calls as the chain.
    struct Chain {
        Lockstep* self;
        Verdict evaluate(const Message& m, Session&, MessageRng& rng, const Attempt& a) const {
            return self->evaluate(m, rng, a);
        }
    };

    const ChainTree& tree_;
    Lane* lanes_;
    Session* slot_;
    std::uint64_t undecided_ = 0;  // lanes this attempt has not decided
    bool fresh_ = true;            // no stage has run yet for this message
};

// The strategies resolved against the scenario, for the message loop: per profile and
// strategy the chain, the first strategy with the same chain (its fate is reused) and the
// score-based policy; per profile, the distinct chains as lanes of chain trees (64 per tree).
struct CompareSetup {
    struct Column {
        const PolicyChain* chain;
        std::uint32_t same_as;    // the first strategy with this chain
        const AnyPolicy* scorer;  // may be null
    };
    struct Lanes {
        ChainTree tree;
        std::vector<std::uint32_t> strategy;  // by lane
    };

    const Scenario& s;
    std::size_t k, profiles;
    std::vector<Column> column;              // [profile][k]
    std::vector<bool> has_score;             // [k]
    std::vector<std::vector<Lanes>> lanes;   // [profile]: the trees of the distinct chains
    std::vector<bool> finishing_profile;     // [profile]: a backup MX or folder handling
    std::vector<bool> finishing_class;       // [class]: recipients who act on their mail

    CompareSetup(const Scenario& sc, const std::vector<Strategy>& strategies)
        : s(sc), k(strategies.size()), profiles(sc.profiles.size()), column(k * profiles), has_score(k, false),
          lanes(profiles), finishing_profile(profiles), finishing_class(sc.classes.size()) {
        for (std::size_t c = 0; c < sc.classes.size(); ++c) finishing_class[c] = sc.classes[c].recipients.any();
        for (std::size_t i = 0; i < k; ++i)
            if (strategies[i].chains.size() != profiles)
                throw std::invalid_argument("strategy '" + strategies[i].name + "' was made for another scenario");
        for (std::size_t p = 0; p < profiles; ++p) {
            Column* row = column.data() + p * k;
            const auto& hosts = sc.profiles[p].routing.hosts();
            finishing_profile[p] = sc.profiles[p].folders.any() ||
                                   std::any_of(hosts.begin(), hosts.end(), [](const auto& h) { return h.relay; });
            std::vector<const PolicyChain*> distinct;
            std::vector<std::uint32_t> leader;
            for (std::size_t i = 0; i < k; ++i) {
                const PolicyChain* c = strategies[i].chains[p] ? strategies[i].chains[p].get() : &sc.profiles[p].policies;
                auto same = static_cast<std::uint32_t>(i);
                for (std::size_t j = 0; j < i; ++j)
                    if (same_chain(*row[j].chain, *c)) {
                        same = static_cast<std::uint32_t>(j);
                        break;
                    }
                row[i] = {c, same, score_policy(*c)};
                if (row[i].scorer) has_score[i] = true;
                if (same == i) leader.push_back(same);
            }
            for (std::size_t b = 0; b < leader.size(); b += ChainTree::max_lanes) {
                Lanes group;
                std::vector<const PolicyChain*> chains;
                for (std::size_t l = b; l < std::min(leader.size(), b + ChainTree::max_lanes); ++l) {
                    group.strategy.push_back(leader[l]);
                    chains.push_back(row[leader[l]].chain);
                }
                group.tree = ChainTree(std::move(chains));
                lanes[p].push_back(std::move(group));
            }
        }
    }

    Comparison make(const std::vector<Strategy>& strategies) const {
        std::vector<std::string> names;
        std::vector<Tally> tallies;
        for (const auto& st : strategies) {
            names.push_back(st.name);
            tallies.push_back(make_tally(s));
        }
        return Comparison(std::move(names), std::move(tallies), has_score, s.classes.size());
    }

    void simulate(std::uint64_t seed, std::uint64_t first, std::uint64_t count, Comparison& out) const {
        std::vector<Fate> fates(k);
        std::vector<std::uint8_t> code(k);
        std::vector<double> scores(k);
        std::array<ChainTree::Lane, ChainTree::max_lanes> lane_state;
        std::size_t slots = 0;
        for (const auto& row : lanes)
            for (const Lanes& group : row) slots = std::max(slots, group.tree.slots());
        std::vector<Session> slot(slots);
        for_each_message(seed, first, count, [&](MessageRng& rng) {
            const Message m = draw_message(s, rng);
            const Column* row = column.data() + m.profile * k;
            // The distinct chains: one alone is a plain delivery; several go side by side.
            for (const Lanes& group : lanes[m.profile]) {
                if (group.strategy.size() == 1) {
                    const std::uint32_t j = group.strategy[0];
                    fates[j] = deliver_through(s, *row[j].chain, m, rng);
                } else {
                    const bool plain = !finishing_profile[m.profile] && !finishing_class[m.sender_class];
                    Lockstep(group.tree, lane_state.data(), slot.data())
                        .deliver(s, m, rng, fates.data(), group.strategy.data(), plain);
                }
            }
            Fate* const fate = fates.data();
            double* const score = scores.data();
            std::uint8_t* const coded = code.data();
            for (std::size_t j = 0; j < k; ++j) {
                const Column& c = row[j];
                if (c.same_as != j) fate[j] = fate[c.same_as];
                out.tally_mut(j).record(m, fate[j]);
                coded[j] = static_cast<std::uint8_t>(static_cast<std::size_t>(fate[j].outcome) * judged_count +
                                                     static_cast<std::size_t>(judged(fate[j])));
                if (c.scorer) {
                    score[j] = c.same_as == j ? policy_score(*c.scorer, m) : score[c.same_as];
                    out.record_score(j, m.sender_class, m.profile, score[j]);
                }
            }
            out.record_joint(m.legit, coded);
        });
    }
};

}  // namespace detail

// Chunk size of a comparison: o.chunk, or as run() chooses it, grown (by powers of two) to
// at least the comparison's counter count, then cut so that every thread has chunks to take.
inline std::uint64_t compare_chunk_size(const Scenario& s, const Comparison& c, const RunOptions& o) {
    std::uint64_t chunk = chunk_size(s, o);
    if (o.chunk > 0) return chunk;
    std::size_t counters = c.raw_joint().size() + c.raw_histograms().size();
    for (std::size_t i = 0; i < c.size(); ++i) counters += c.tally(i).size();
    while (chunk < counters) chunk <<= 1;
    // But at least four chunks per thread when the run is long enough, so that threads share
    // the work (a comparison keeps no checkpoints, so its chunk may depend on the threads).
    const std::uint64_t floor = std::uint64_t{1} << 12;
    while (chunk > floor && o.messages / chunk < 4 * std::uint64_t{o.threads}) chunk >>= 1;
    return chunk;
}

inline Comparison compare(const Scenario& s, const std::vector<Strategy>& strategies, const RunOptions& o) {
    validate(o);
    if (o.checkpoint || o.resume) throw std::invalid_argument("compare: checkpoints are not supported");
    if (strategies.empty()) throw std::invalid_argument("strategies: at least one strategy is needed");
    for (std::size_t i = 0; i < strategies.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (strategies[i].name == strategies[j].name)
                throw std::invalid_argument("strategies: the name '" + strategies[i].name + "' is used twice");
    const detail::CompareSetup setup(s, strategies);
    Comparison total = setup.make(strategies);
    const std::uint64_t chunk = compare_chunk_size(s, total, o);
    const std::uint64_t chunks = o.messages / chunk + (o.messages % chunk != 0);
    detail::run_chunks(
        o, chunk, chunks, ChunkSet{}, 0, [&] { return setup.make(strategies); },
        [&](Comparison& scratch, std::uint64_t first, std::uint64_t count) { setup.simulate(o.seed, first, count, scratch); },
        [&](std::uint64_t, const Comparison& scratch) { total += scratch; }, [] { return 0; }, [](int) {});
    if (o.progress) o.progress(total.messages());
    if (total.messages() < o.messages) throw Cancelled();
    return total;
}


// Several whole scenarios on the same messages: message i of each is drawn and delivered by
// its own scenario from the same counter RNG (seed, i), so whatever the scenarios share gives
// the same draws (common random numbers), and a difference between two scenarios is what their
// differences did to those messages. Per scenario: a Tally. Per pair (a <= b): the joint
// counts of each message's outcome under a and under b, by the message's sender class and
// recipient profile in the first scenario (the baseline): the paired differences, for any
// group of the baseline, come from these.
class ScenarioComparison {
public:
    ScenarioComparison() = default;
    ScenarioComparison(std::vector<Tally> tallies, std::size_t classes, std::size_t profiles)
        : tallies_(std::move(tallies)), classes_(classes), profiles_(profiles) {
        const std::size_t k = tallies_.size();
        joint_.assign(k * (k + 1) / 2 * classes_ * profiles_ * outcome_count * outcome_count, 0);
    }

    std::size_t size() const noexcept { return tallies_.size(); }
    const Tally& tally(std::size_t i) const { return tallies_.at(i); }
    std::uint64_t messages() const noexcept { return messages_; }
    std::size_t classes() const noexcept { return classes_; }
    std::size_t profiles() const noexcept { return profiles_; }

    // [baseline class][baseline profile][outcome under a][outcome under b].
    std::vector<std::uint64_t> outcome_joint(std::size_t a, std::size_t b) const {
        const std::size_t k = tallies_.size();
        if (a >= k || b >= k) throw std::out_of_range("scenario index out of range");
        const bool swap = a > b;
        const std::size_t lo = swap ? b : a, hi = swap ? a : b;
        std::size_t pair = 0;
        for (std::size_t x = 0; x < lo; ++x) pair += k - x;
        pair += hi - lo;
        constexpr std::size_t O = outcome_count;
        const std::size_t block = classes_ * profiles_ * O * O;
        std::vector<std::uint64_t> out(joint_.begin() + static_cast<std::ptrdiff_t>(pair * block),
                                       joint_.begin() + static_cast<std::ptrdiff_t>((pair + 1) * block));
        if (swap)
            for (std::size_t c = 0; c < classes_ * profiles_; ++c)
                for (std::size_t x = 0; x < O; ++x)
                    for (std::size_t y = x + 1; y < O; ++y) std::swap(out[(c * O + x) * O + y], out[(c * O + y) * O + x]);
        return out;
    }

    void clear() noexcept {
        for (Tally& t : tallies_) t.clear();
        std::fill(joint_.begin(), joint_.end(), 0);
        messages_ = 0;
    }
    ScenarioComparison& operator+=(const ScenarioComparison& o) {
        if (tallies_.size() != o.tallies_.size() || joint_.size() != o.joint_.size())
            throw std::invalid_argument("comparisons of different scenarios cannot be merged");
        for (std::size_t i = 0; i < tallies_.size(); ++i) tallies_[i] += o.tallies_[i];
        for (std::size_t i = 0; i < joint_.size(); ++i) joint_[i] += o.joint_[i];
        messages_ += o.messages_;
        return *this;
    }

    // Recording: one message's outcomes under every scenario, in the baseline's cell.
    Tally& tally_mut(std::size_t i) { return tallies_[i]; }
    void record_joint(std::size_t cell, const std::uint8_t* outcome) noexcept {
        const std::size_t k = tallies_.size();
        constexpr std::size_t O = outcome_count;
        const std::size_t block = classes_ * profiles_ * O * O;
        std::uint64_t* p = joint_.data() + cell * O * O;
        for (std::size_t a = 0; a < k; ++a)
            for (std::size_t b = a; b < k; ++b, p += block) ++p[outcome[a] * O + outcome[b]];
        ++messages_;
    }

private:
    std::vector<Tally> tallies_;
    std::size_t classes_ = 0, profiles_ = 0;
    std::vector<std::uint64_t> joint_;
    std::uint64_t messages_ = 0;
};

inline ScenarioComparison compare_scenarios(const std::vector<const Scenario*>& scenarios, const RunOptions& o) {
    validate(o);
    if (o.checkpoint || o.resume) throw std::invalid_argument("compare_scenarios: checkpoints are not supported");
    if (scenarios.empty()) throw std::invalid_argument("scenarios: at least one scenario is needed");
    const Scenario& base = *scenarios.front();
    const std::size_t k = scenarios.size();
    auto make = [&] {
        std::vector<Tally> tallies;
        for (const Scenario* s : scenarios) tallies.push_back(make_tally(*s));
        return ScenarioComparison(std::move(tallies), base.classes.size(), base.profiles.size());
    };
    ScenarioComparison total = make();
    std::uint64_t chunk = chunk_size(base, o);
    if (o.chunk == 0) {
        std::size_t counters = k * (k + 1) / 2 * base.classes.size() * base.profiles.size() * outcome_count * outcome_count;
        for (std::size_t i = 0; i < k; ++i) counters += total.tally(i).size();
        while (chunk < counters) chunk <<= 1;
        const std::uint64_t floor = std::uint64_t{1} << 12;
        while (chunk > floor && o.messages / chunk < 4 * std::uint64_t{o.threads}) chunk >>= 1;
    }
    const std::uint64_t chunks = o.messages / chunk + (o.messages % chunk != 0);
    auto simulate = [&](ScenarioComparison& out, std::uint64_t first, std::uint64_t count) {
        std::vector<std::uint8_t> outcome(k);
        for (std::uint64_t i = first; i < first + count; ++i) {
            std::size_t cell = 0;
            for (std::size_t j = 0; j < k; ++j) {
                MessageRng rng(o.seed, i);
                const Message m = draw_message(*scenarios[j], rng);
                const Fate f = deliver(*scenarios[j], m, rng);
                out.tally_mut(j).record(m, f);
                outcome[j] = static_cast<std::uint8_t>(f.outcome);
                if (j == 0) cell = std::size_t{m.sender_class} * base.profiles.size() + m.profile;
            }
            out.record_joint(cell, outcome.data());
        }
    };
    detail::run_chunks(
        o, chunk, chunks, ChunkSet{}, 0, make, simulate,
        [&](std::uint64_t, const ScenarioComparison& scratch) { total += scratch; }, [] { return 0; }, [](int) {});
    if (o.progress) o.progress(total.messages());
    if (total.messages() < o.messages) throw Cancelled();
    return total;
}

}  // namespace delivsim
