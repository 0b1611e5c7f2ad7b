#pragma once
// World checkpoints: a world run's whole state at an epoch boundary (WorldRun::state lists
// it: the epoch, the schedule cursors, the time series so far, and each receiving domain's
// rate limits, reputation, greylist memory, mailboxes, feedback on its way, totals and retry
// queue with every queued message's Session), in the checkpoint format and with the atomic
// writes of engine/checkpoint.hpp, identified by the world document and the seed. A resumed
// run ends bit-identical to an uninterrupted one; a checkpoint of another world or seed, or
// a damaged one, is refused with the field named. The recipients (their domain, kind and
// mailbox) are not stored: they are drawn again from the seed, as at the start.
#include <delivsim/engine/checkpoint.hpp>
#include <delivsim/world/run.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace delivsim::world {

namespace detail {

// The fields of the small records in a world's state, as rows of a checkpoint.
inline auto cells(Pending& p) { return std::tie(p.time, p.t0, p.id, p.recipient, p.attempt, p.ip, p.delivery); }
inline auto cells(Feedback& f) { return std::tie(f.arrive_s, f.ip, f.domain, f.kind); }
inline auto cells(TokenBucket& b) { return std::tie(b.tokens, b.last_s); }
inline auto cells(Mailbox& m) { return std::tie(m.fill, m.last_s, m.phase_s, m.never_empty); }
inline auto cells(ReputationCounts& c) { return std::tie(c.volume, c.complaints, c.engagement, c.traps); }
inline auto cells(ScheduleCursor& c) { return std::tie(c.emitted); }
inline auto cells(GreylistMemory::Triplet& t) { return std::tie(t.first_s, t.passed); }
inline auto cells(Delivery& d) { return std::tie(d.session, d.dead); }

template <class T>
concept HasCells = requires(T& x) { cells(x); };

// Writes a state (the `state(ar)` of WorldRun and what it holds) as JSON. JSON has no
// infinities or NaN: those are written as strings.
class StateWriter {
public:
    json doc = json::object();

    template <class T>
    void operator()(const char* name, const T& x) {
        doc[name] = put(x);
    }
    template <class T>
    void list(const char* name, const T& x) {
        doc[name] = put(x);
    }

    template <class T>
    static json put(const T& x) {
        if constexpr (std::is_same_v<T, Session>) {
            std::array<std::uint64_t, Session::memory_words> words{};
            std::memcpy(words.data(), x.memory.data(), sizeof words);
            return words;
        } else if constexpr (std::is_same_v<T, bool>) {
            return x;
        } else if constexpr (std::is_floating_point_v<T>) {
            if (std::isfinite(x)) return x;
            return std::isnan(x) ? "nan" : x > 0 ? "inf" : "-inf";
        } else if constexpr (std::is_enum_v<T>) {
            return static_cast<std::uint64_t>(x);
        } else if constexpr (std::is_integral_v<T>) {
            return static_cast<std::uint64_t>(x);
        } else if constexpr (std::is_same_v<T, Tally>) {
            return tally_counts_json(x);
        } else if constexpr (HasCells<T>) {
            json row = json::array();
            std::apply([&](auto&... c) { (row.push_back(put(c)), ...); }, cells(const_cast<T&>(x)));
            return row;
        } else if constexpr (requires { typename T::mapped_type; }) {  // sorted by key: one text for one state
            std::vector<std::pair<std::uint64_t, json>> rows;
            for (const auto& [k, v] : x) rows.emplace_back(k, put(v));
            std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            json out = json::array();
            for (auto& [k, v] : rows) out.push_back({k, std::move(v)});
            return out;
        } else if constexpr (requires { typename T::value_type; x.begin(); x.size(); }) {
            json out = json::array();
            for (const auto& e : x) out.push_back(put(e));
            return out;
        } else {
            StateWriter sub;
            const_cast<T&>(x).state(sub);
            return std::move(sub.doc);
        }
    }
};

// Reads a state written by StateWriter into objects built for the same world and seed. A
// vector read with () keeps its length (it is the world's: its IPs, mailboxes, buckets...);
// one read with list() takes the file's. Errors name the field (ScenarioError).
class StateReader {
public:
    explicit StateReader(Field f) : f_(std::move(f)) {}

    template <class T>
    void operator()(const char* name, T& x) {
        get(f_[name], x, true);
    }
    template <class T>
    void list(const char* name, T& x) {
        get(f_[name], x, false);
    }

    template <class T>
    static void get(const Field& f, T& x, bool fixed) {
        if constexpr (std::is_same_v<T, Session>) {
            const auto words = f.items();
            if (words.size() != Session::memory_words)
                f.fail("has " + std::to_string(words.size()) + " words, a Session has " + std::to_string(Session::memory_words));
            std::array<std::uint64_t, Session::memory_words> w{};
            for (std::size_t i = 0; i < w.size(); ++i) w[i] = words[i].count();
            std::memcpy(x.memory.data(), w.data(), sizeof w);
        } else if constexpr (std::is_same_v<T, bool>) {
            x = f.boolean();
        } else if constexpr (std::is_floating_point_v<T>) {
            if (f.raw().is_string()) {
                const std::string s = f.string();
                if (s == "inf") x = std::numeric_limits<T>::infinity();
                else if (s == "-inf") x = -std::numeric_limits<T>::infinity();
                else if (s == "nan") x = std::numeric_limits<T>::quiet_NaN();
                else f.fail("'" + s + "' is not a number");
            } else {
                x = static_cast<T>(f.number());
            }
        } else if constexpr (std::is_enum_v<T>) {
            using U = std::underlying_type_t<T>;
            x = static_cast<T>(bounded<U>(f));
        } else if constexpr (std::is_integral_v<T>) {
            x = bounded<T>(f);
        } else if constexpr (std::is_same_v<T, Tally>) {
            x = tally_from_counts_json(f, x.classes(), x.profiles(), x.attempt_times());
        } else if constexpr (HasCells<T>) {
            const auto row = f.items();
            auto c = cells(x);
            if (row.size() != std::tuple_size_v<decltype(c)>)
                f.fail("has " + std::to_string(row.size()) + " values, not " + std::to_string(std::tuple_size_v<decltype(c)>));
            std::size_t i = 0;
            std::apply([&](auto&... v) { (get(row[i++], v, fixed), ...); }, c);
        } else if constexpr (requires { typename T::mapped_type; }) {
            x.clear();
            for (const Field& r : f.items()) {
                const auto kv = r.items();
                if (kv.size() != 2) r.fail("is not a [key, value] pair");
                typename T::mapped_type v{};
                get(kv[1], v, fixed);
                if (!x.emplace(kv[0].count(), v).second) kv[0].fail("repeats a key");
            }
        } else if constexpr (requires { typename T::value_type; x.size(); x.resize(0); }) {
            const auto items = f.items();
            if (fixed || !std::is_default_constructible_v<typename T::value_type>) {
                if (items.size() != x.size())
                    f.fail("has " + std::to_string(items.size()) + " entries, this world has " + std::to_string(x.size()));
            } else if constexpr (std::is_default_constructible_v<typename T::value_type>) {
                x.resize(items.size());
            }
            for (std::size_t i = 0; i < items.size(); ++i) get(items[i], x[i], fixed);
        } else {
            f.expect_object();
            StateReader sub(f);
            x.state(sub);
        }
    }

private:
    template <class T>
    static T bounded(const Field& f) {
        const std::uint64_t v = f.count();
        if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
            f.fail(f.shown() + " is out of range (at most " + std::to_string(std::numeric_limits<T>::max()) + ")");
        return static_cast<T>(v);
    }
    Field f_;
};

}  // namespace detail

inline json world_checkpoint_json(const World& w, std::uint64_t seed, const WorldRun& run) {
    detail::StateWriter state;
    const_cast<WorldRun&>(run).state(state);
    json j = {{"format", checkpoint_format},
              {"axes", tally_axes_json(w.sender_names(), w.scenario.profile_names())},
              {"world", w.document},
              {"seed", seed},
              {"state", std::move(state.doc)}};
    j["crc32"] = document_crc32(j);
    return j;
}

inline void write_world_checkpoint(const std::string& path, const World& w, std::uint64_t seed, const WorldRun& run) {
    write_file_atomically(path, world_checkpoint_json(w, seed, run).dump());
}

// Reads the checkpoint of a run of world `w` with `seed`: the run as it was at the epoch
// boundary it was written at. Refuses a checkpoint of another world, seed or version, a
// `delivsim run` checkpoint, and a damaged one (naming the field).
inline WorldRun read_world_checkpoint(const std::string& path, const World& w, std::uint64_t seed) {
    const json j = read_checkpoint_document(path);
    try {
        const Field root(j, "");
        if (!root.has("world"))
            throw CheckpointError(path + ": is a checkpoint of `delivsim run`, not of a world: resume it with delivsim run --resume");
        root.allow_keys({"format", "axes", "crc32", "world", "seed", "state"});
        if (root["axes"].raw() != tally_axes_json(w.sender_names(), w.scenario.profile_names()))
            root["axes"].fail("the names of the counts' axes differ from this version's for this world");
        if (root["world"].raw() != w.document) {
            const json& doc = root["world"].raw();
            const std::string name = doc.is_object() && doc.contains("name") && doc["name"].is_string()
                                         ? doc["name"].get<std::string>() : "?";
            throw CheckpointError(path + ": was written for a different world ('" + name + "' as it was then)");
        }
        if (const auto v = root["seed"].count(); v != seed)
            throw CheckpointError(path + ": was written for seed " + std::to_string(v) + ", this run has " + std::to_string(seed));
        WorldRun run(w, seed, 1);
        detail::StateReader reader(root["state"]);
        run.state(reader);
        run.check_restored();
        check_checkpoint_crc(path, j);
        return run;
    } catch (const ScenarioError& e) {
        throw CheckpointError(path + ": damaged checkpoint: " + e.what());
    } catch (const CheckpointError&) {
        throw;
    } catch (const std::invalid_argument& e) {  // from Tally::from_counts and check_restored
        throw CheckpointError(path + ": damaged checkpoint: " + e.what());
    }
}

}  // namespace delivsim::world
