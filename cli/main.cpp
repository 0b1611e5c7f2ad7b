// delivsim: run a scenario, explain one message, or validate a scenario file.
// Exit codes: 0 done; 1 a failure while running or writing the results (a full disk, a
// closed pipe); 2 bad input or options (a one-line error on stderr naming the field);
// 128 + the signal when interrupted by SIGINT (130) or SIGTERM (143).
#include <delivsim/delivsim.hpp>
#include <delivsim/world/checkpoint.hpp>
#include <delivsim/world/explain.hpp>
#include <optional>
#include <delivsim/world/report.hpp>

#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <new>
#include <sstream>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

delivsim::Scenario load_or_default(const std::string& path) {
    return path.empty() ? delivsim::default_scenario() : delivsim::load_scenario(path);
}

// A one-line progress bar on stderr, only when stderr is a terminal.
void progress_bar(std::uint64_t done, std::uint64_t total) {
    const int width = 40;
    const double f = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
    const int filled = static_cast<int>(f * width);
    std::fprintf(stderr, "\r[%s%s] %5.1f%% %llu/%llu", std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), 100 * f, static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total));
    std::fflush(stderr);
}

// Results that could not be written: exit 1.
struct OutputError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Standard output, checked: a full disk (ENOSPC), a closed descriptor (EBADF) or a reader that
// has gone (EPIPE, with SIGPIPE ignored) is an error, never silent data loss.
void print(const std::string& text) {
    errno = 0;
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
        throw OutputError(std::string("standard output: cannot be written (") + std::strerror(errno ? errno : EIO) + ")");
}

// A descriptor 0-2 that is closed would be handed to the next file opened (a checkpoint could
// end up receiving the report). Standard output closed is an error; stdin/stderr get /dev/null.
void check_standard_streams() {
    for (int fd : {0, 2})
        if (::fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
            const int null = ::open("/dev/null", O_RDWR);
            if (null >= 0 && null != fd) ::close(null);
        }
    if (::fcntl(1, F_GETFD) == -1 && errno == EBADF) throw OutputError("standard output is closed");
}

// --json FILE must be writable before the run starts, not found out after it.
void check_json_path(const std::string& path) {
    if (path == "-") return;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) throw std::invalid_argument("--json: " + path + ": is a directory");
        if (::access(path.c_str(), W_OK) != 0)
            throw std::invalid_argument("--json: " + path + ": cannot be written (" + std::strerror(errno) + ")");
        return;
    }
    const std::string dir = std::filesystem::path(path).parent_path().empty() ? "." : std::filesystem::path(path).parent_path().string();
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        throw std::invalid_argument("--json: " + path + ": cannot be created (" + std::strerror(errno) + ")");
}

// --json: the report to standard output ("-") or to a file.
void write_json(const std::string& json_out, const std::string& text) {
    if (json_out == "-") return print(text);
    std::FILE* f = std::fopen(json_out.c_str(), "wb");
    if (!f) throw OutputError("--json: " + json_out + ": cannot be written (" + std::strerror(errno) + ")");
    errno = 0;
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0;
    const int saved = errno;
    if (std::fclose(f) != 0 || !ok)
        throw OutputError("--json: " + json_out + ": cannot be written (" + std::strerror(saved ? saved : errno ? errno : EIO) + ")");
}

// Ctrl-C (SIGINT) and SIGTERM: the run stops at its next check, writes its final checkpoint
// and exits with 128 + the signal.
std::atomic<bool> interrupted{false};
std::atomic<int> caught_signal{0};
extern "C" void on_signal(int sig) {
    caught_signal = sig;
    interrupted = true;
}
void catch_signals() {
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
}
std::string signal_name() { return caught_signal == SIGTERM ? "SIGTERM" : "SIGINT"; }
int signal_exit_code() { return 128 + (caught_signal ? caught_signal.load() : SIGINT); }

// Running out of memory (under a memory limit) must end in a clean error, never terminate:
// nlohmann's json destructor allocates while a failed parse unwinds. A failed allocation first
// releases this reserve (address space only, never touched), then throws std::bad_alloc.
std::unique_ptr<char[]> memory_reserve;
void on_out_of_memory() {
    if (!memory_reserve) std::set_new_handler(nullptr);
    memory_reserve.reset();
    throw std::bad_alloc();
}

// Options: a number that must be a whole number of 0 or more (CLI11 would wrap "-1" to
// 2^64-1), and a path that must not be empty (it would be ignored).
const CLI::Validator whole_number(
    [](std::string& v) {
        return !v.empty() && v.find_first_not_of("0123456789") == std::string::npos
                   ? std::string()
                   : "'" + v + "' is not a whole number from 0 to 2^64-1";
    },
    "UINT");
const CLI::Validator non_empty_path([](std::string& v) { return v.empty() ? std::string("the path is empty") : std::string(); },
                                    "PATH");

}  // namespace

int main(int argc, char** argv) {
    memory_reserve.reset(new (std::nothrow) char[32u << 20]);
    std::set_new_handler(on_out_of_memory);
    CLI::App app{"delivsim: why legitimate mail never reaches the inbox, by Monte Carlo simulation"};
    app.require_subcommand(1);
    app.set_version_flag("--version", delivsim::version);

    std::string scenario_path, json_out;
    std::uint64_t messages = 1000000, seed = 1, index = 0;
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    bool as_json = false, quiet = false;

    auto* run = app.add_subcommand("run", "simulate messages through a scenario (default: the embedded R1)");
    run->add_option("scenario", scenario_path, "scenario JSON file; omitted: the embedded default scenario R1");
    run->add_option("-n,--messages", messages, "number of messages")->capture_default_str()->check(whole_number);
    run->add_option("-s,--seed", seed, "random seed")->capture_default_str()->check(whole_number);
    run->add_option("-t,--threads", threads, "worker threads (results do not depend on it)")->capture_default_str();
    run->add_option("--json", json_out, "also write the full results as JSON to this file ('-' for stdout)")->check(non_empty_path);
    run->add_flag("-q,--quiet", quiet, "no progress bar");
    std::string checkpoint_path, resume_path;
    double checkpoint_interval = 60;
    // --checkpoint, --checkpoint-interval and --resume, as run and world both take them.
    auto checkpoint_options = [&](CLI::App* sub, const std::string& written, const std::string& resumed) {
        sub->add_option("--checkpoint", checkpoint_path,
                        "write " + written + " to this file (atomically; a symlink's target is replaced) every "
                        "--checkpoint-interval seconds, at the end and on Ctrl-C or SIGTERM")
            ->check(non_empty_path);
        sub->add_option("--checkpoint-interval", checkpoint_interval, "seconds between checkpoints")
            ->capture_default_str()
            ->check(CLI::NonNegativeNumber);
        sub->add_option("--resume", resume_path,
                        "continue the " + resumed + " saved in this checkpoint; it keeps checkpointing there unless "
                        "--checkpoint says otherwise")
            ->check(non_empty_path);
    };
    checkpoint_options(run, "completed work", "run (same scenario, seed and --messages)");

    auto* expl = app.add_subcommand("explain", "show one message's exact path, as in the full run with that seed");
    expl->add_option("scenario", scenario_path, "scenario JSON file; omitted: the embedded default scenario R1");
    expl->add_option("-s,--seed", seed, "random seed of the run")->capture_default_str()->check(whole_number);
    expl->add_option("-i,--message", index, "message index")->required()->check(whole_number);
    expl->add_flag("--json", as_json, "print JSON instead of text");

    auto* attr = app.add_subcommand("attribute", "which single fix would have delivered the legitimate mail that missed the inbox");
    std::string factors_arg;
    attr->add_option("scenario", scenario_path, "scenario JSON file; omitted: the embedded default scenario R1");
    attr->add_option("-n,--messages", messages, "number of messages")->capture_default_str()->check(whole_number);
    attr->add_option("-s,--seed", seed, "random seed")->capture_default_str()->check(whole_number);
    attr->add_option("-t,--threads", threads, "worker threads (results do not depend on it)")->capture_default_str();
    attr->add_option("--factors", factors_arg, "comma-separated factors (default: all)");
    attr->add_option("--json", json_out, "also write the attribution as JSON to this file ('-' for stdout)")->check(non_empty_path);
    attr->add_flag("-q,--quiet", quiet, "no progress bar");

    auto* trc = app.add_subcommand("trace", "the first messages whose fate matches --where, each explained as in the full run");
    std::string where_arg, jsonl_out;
    std::uint64_t limit = 100;
    trc->add_option("scenario", scenario_path, "scenario or world JSON file; omitted: the embedded default scenario R1");
    trc->add_option("-n,--messages", messages, "messages to search")->capture_default_str()->check(whole_number);
    trc->add_option("-s,--seed", seed, "random seed")->capture_default_str()->check(whole_number);
    trc->add_option("-t,--threads", threads, "worker threads (results do not depend on it)")->capture_default_str();
    trc->add_option("--where", where_arg,
                    "comma-separated key=value: outcome, sender_class, profile, responsible, stage, truth "
                    "(legitimate|spam), notice (never|bounce|delay_warning)");
    trc->add_option("--limit", limit, "at most this many messages")->capture_default_str()->check(whole_number);
    trc->add_option("--jsonl", jsonl_out, "write one JSON object per message to this file ('-' for stdout)")->check(non_empty_path);
    trc->add_flag("-q,--quiet", quiet, "no progress bar");

    auto* val = app.add_subcommand("validate", "check a scenario or world file and report the first error");
    val->add_option("scenario", scenario_path, "scenario JSON file")->required();

    auto* wld = app.add_subcommand("world", "simulate a world file (delivsim-world/1): senders, lists and receivers with state, over time");
    std::string world_path;
    wld->add_option("world", world_path, "world JSON file")->required();
    wld->add_option("-s,--seed", seed, "random seed")->capture_default_str()->check(whole_number);
    wld->add_option("-t,--threads", threads, "worker threads (results do not depend on it)")->capture_default_str();
    wld->add_option("--json", json_out, "also write totals and time series as JSON to this file ('-' for stdout)")->check(non_empty_path);
    wld->add_flag("-q,--quiet", quiet, "no progress line");
    bool world_check = false;
    wld->add_flag("--check", world_check, "only validate the world file and print what a run will generate and hold");
    std::optional<std::uint64_t> world_explain;
    wld->add_option("--explain", world_explain,
                    "show one message (id: sender << 44 | schedule item << 32 | serial) exactly as it went in the run "
                    "with --seed: its attempts, the receiver's state at each, its fate (--json - for JSON)");
    checkpoint_options(wld, "the run's whole state at an epoch boundary", "world run (same world file and seed)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }

    // --where key=value,key=value as pairs (trace).
    auto where_pairs = [&] {
        std::vector<std::pair<std::string, std::string>> where;
        for (std::size_t b = 0; !where_arg.empty() && b <= where_arg.size();) {
            const std::size_t e = std::min(where_arg.find(',', b), where_arg.size());
            const std::string item = where_arg.substr(b, e - b);
            const std::size_t eq = item.find('=');
            if (eq == std::string::npos) throw std::invalid_argument("--where: '" + item + "' is not key=value");
            where.emplace_back(item.substr(0, eq), item.substr(eq + 1));
            b = e + 1;
        }
        return where;
    };
    try {
        check_standard_streams();
        if (!json_out.empty()) check_json_path(json_out);
        if (*wld) {
            const auto w = delivsim::world::parse_world(delivsim::read_json_file(world_path));
            if (world_check) {
                print(delivsim::world::plan_text(w, world_path));
                return 0;
            }
            delivsim::validate_threads(threads);
            delivsim::world::Options wo;
            wo.seed = seed;
            wo.threads = threads;
            wo.cancel = &interrupted;
            catch_signals();
            const bool tty = !quiet && isatty(fileno(stderr));
            if (tty) wo.progress = [&](double t) {
                std::fprintf(stderr, "\rsimulated %.1f days", t / 86400.0);
                std::fflush(stderr);
            };
            if (world_explain && !(checkpoint_path.empty() && resume_path.empty()))
                throw std::invalid_argument("--explain runs the world from its start: it takes no --checkpoint or --resume");
            std::optional<delivsim::world::WorldRun> resumed;
            if (!resume_path.empty()) {
                resumed.emplace(delivsim::world::read_world_checkpoint(resume_path, w, seed));
                wo.resume = &*resumed;
                if (checkpoint_path.empty()) checkpoint_path = resume_path;
            }
            if (!checkpoint_path.empty()) {
                delivsim::checkpoint_target(checkpoint_path);  // a FIFO, device or directory: refused before the run
                wo.checkpoint = [&](const delivsim::world::WorldRun& run) {
                    delivsim::world::write_world_checkpoint(checkpoint_path, w, seed, run);
                };
                wo.checkpoint_interval_s = checkpoint_interval;
            }
            if (world_explain) {
                std::optional<delivsim::world::WorldExplanation> e;
                try {
                    e = delivsim::world::explain(w, *world_explain, wo);
                } catch (const delivsim::world::Cancelled&) {
                    std::cerr << "\ndelivsim: interrupted\n";
                    return 130;
                }
                if (tty) std::fprintf(stderr, "\n");
                if (json_out != "-") std::cout << e->to_text(w);
                if (!json_out.empty()) write_json(json_out, e->to_json(w).dump(1) + "\n");
                return 0;
            }
            delivsim::world::Result r;
            try {
                r = delivsim::world::run(w, wo);
            } catch (const delivsim::world::Cancelled&) {
                std::cerr << "\ndelivsim: interrupted (" << signal_name() << ")"
                          << (checkpoint_path.empty() ? "" : "; resume with --resume " + checkpoint_path) << "\n";
                return signal_exit_code();
            }
            if (tty) std::fprintf(stderr, "\n");
            if (json_out != "-") print(delivsim::world::world_report_table(w, r, seed));
            if (!json_out.empty()) write_json(json_out, delivsim::world::world_report_json(w, r, seed).dump(1) + "\n");
            return 0;
        }
        if (*val) {
            // One read: a world file (format delivsim-world/1) or a scenario.
            const delivsim::json doc = delivsim::read_json_file(scenario_path);
            if (doc.is_object() && doc.contains("format") && doc["format"] == delivsim::world::world_format) {
                const auto w = delivsim::world::parse_world(doc);
                print(scenario_path + ": valid world (" + std::to_string(w.senders.size()) + " senders, " +
                      std::to_string(w.lists.size()) + " lists, " + std::to_string(w.recipient_count()) + " recipients, " +
                      std::to_string(w.receivers.size()) + " receivers)\n");
                return 0;
            }
            const auto s = delivsim::parse_scenario(doc);
            print(scenario_path + ": valid (" + std::to_string(s.classes.size()) + " sender classes, " +
                  std::to_string(s.profiles.size()) + " recipient profiles, " + std::to_string(s.attempt_times.size()) +
                  " delivery attempts)\n");
            return 0;
        }
        if (*trc && !scenario_path.empty()) {
            // A world file: its whole run is searched, then run again to record the messages found.
            const delivsim::json doc = delivsim::read_json_file(scenario_path);
            if (doc.is_object() && doc.contains("format") && doc["format"] == delivsim::world::world_format) {
                const auto w = delivsim::world::parse_world(doc);
                const auto filter = delivsim::parse_where(where_pairs(), w.scenario);
                if (!jsonl_out.empty()) check_json_path(jsonl_out);
                delivsim::validate_threads(threads);
                delivsim::world::Options wo;
                wo.seed = seed;
                wo.threads = threads;
                wo.cancel = &interrupted;
                catch_signals();
                delivsim::json rows;
                try {
                    rows = delivsim::world::trace_json(w, wo, filter, limit);
                } catch (const delivsim::world::Cancelled&) {
                    std::cerr << "\ndelivsim: interrupted (" << signal_name() << ")\n";
                    return signal_exit_code();
                }
                std::string lines;
                for (const auto& r : rows) lines += r.dump() + "\n";
                if (jsonl_out != "-")
                    print((jsonl_out.empty() ? lines : std::string()) + std::to_string(rows.size()) + " messages traced\n");
                if (!jsonl_out.empty()) write_json(jsonl_out, lines);
                return 0;
            }
        }
        const auto s = load_or_default(scenario_path);
        if (*expl) {
            const auto e = delivsim::explain(s, seed, index);
            print(as_json ? e.to_json(s).dump(2) + "\n" : e.to_text(s));
            return 0;
        }
        delivsim::RunOptions o;
        o.messages = messages;
        o.seed = seed;
        o.threads = threads;
        delivsim::validate(o);
        const bool tty = !quiet && isatty(fileno(stderr));
        if (tty) o.progress = [&](std::uint64_t done) { progress_bar(done, messages); };
        if (*trc) {
            const auto filter = delivsim::parse_where(where_pairs(), s);
            if (!jsonl_out.empty()) check_json_path(jsonl_out);
            o.cancel = &interrupted;
            catch_signals();
            std::vector<std::uint64_t> found;
            try {
                found = delivsim::trace_indices(s, o, filter, limit);
            } catch (const delivsim::Cancelled&) {
                std::cerr << "\ndelivsim: interrupted (" << signal_name() << ")\n";
                return signal_exit_code();
            }
            if (tty) std::fprintf(stderr, "\n");
            std::string lines;
            for (const std::uint64_t i : found) {
                const auto e = delivsim::explain(s, seed, i);
                if (jsonl_out != "-") print(e.to_text(s) + "\n");
                if (!jsonl_out.empty()) lines += e.to_json(s).dump() + "\n";
            }
            if (jsonl_out != "-") print(std::to_string(found.size()) + " messages traced\n");
            if (!jsonl_out.empty()) write_json(jsonl_out, lines);
            return 0;
        }
        if (*attr) {
            std::vector<delivsim::Factor> factors;
            if (factors_arg.empty()) factors = delivsim::all_factors();
            for (std::size_t b = 0; !factors_arg.empty() && b <= factors_arg.size();) {
                const std::size_t e = std::min(factors_arg.find(',', b), factors_arg.size());
                factors.push_back(delivsim::factor_by_name(std::string_view(factors_arg).substr(b, e - b)));
                b = e + 1;
            }
            o.cancel = &interrupted;
            catch_signals();
            delivsim::Attribution a;
            try {
                a = delivsim::attribute(s, o, factors);
            } catch (const delivsim::Cancelled&) {
                std::cerr << "\ndelivsim: interrupted (" << signal_name() << ")\n";
                return signal_exit_code();
            }
            if (tty) std::fprintf(stderr, "\n");
            if (json_out != "-") print(delivsim::attribution_table(a, s.name, seed));
            if (!json_out.empty()) write_json(json_out, delivsim::attribution_json(a, s.name, seed).dump(2) + "\n");
            return 0;
        }
        delivsim::RunState resumed;
        if (!resume_path.empty()) {
            resumed = delivsim::read_checkpoint(resume_path, s, o);
            o.resume = &resumed;
            if (checkpoint_path.empty()) checkpoint_path = resume_path;
        }
        if (!checkpoint_path.empty()) {
            delivsim::checkpoint_target(checkpoint_path);  // a FIFO, device or directory: refused before the run
            o.checkpoint = [&](const delivsim::RunState& st) { delivsim::write_checkpoint(checkpoint_path, s, o, st); };
            o.checkpoint_interval_s = checkpoint_interval;
        }
        o.cancel = &interrupted;
        catch_signals();
        delivsim::Tally tally;
        try {
            tally = delivsim::run(s, o);
        } catch (const delivsim::Cancelled&) {
            if (tty) std::fprintf(stderr, "\n");
            std::cerr << "delivsim: interrupted (" << signal_name() << ")"
                      << (checkpoint_path.empty() ? "" : "; resume with --resume " + checkpoint_path) << "\n";
            return signal_exit_code();
        }
        if (tty) std::fprintf(stderr, "\n");
        if (json_out != "-") print(delivsim::report_table(tally, s.name, seed));
        if (!json_out.empty()) write_json(json_out, delivsim::report_json(tally, s.name, seed).dump(2) + "\n");
        return 0;
    } catch (const std::invalid_argument& e) {  // ScenarioError and bad options
        std::cerr << "delivsim: error: " << e.what() << "\n";
        return 2;
    } catch (const std::bad_alloc&) {
        std::cerr << "delivsim: error: out of memory\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "delivsim: error: " << e.what() << "\n";
        return 1;
    }
}
