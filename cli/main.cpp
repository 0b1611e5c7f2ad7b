// delivsim: run a scenario, explain one message, or validate a scenario file.
// Bad input exits with code 2 and a one-line error on stderr.
#include <delivsim/delivsim.hpp>
#include <delivsim/world/report.hpp>

#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
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

// A world file (format delivsim-world/1) rather than a scenario: `validate` takes both. Any
// file that is not readable JSON goes to the scenario loader, which reports why.
bool is_world_file(const std::string& path) {
    delivsim::json doc;
    try {
        doc = delivsim::read_json_file(path, "scenario or world file");
    } catch (const std::exception&) {
        return false;
    }
    return doc.is_object() && doc.contains("format") && doc["format"] == delivsim::world::world_format;
}

// --json: the report to standard output ("-") or to a file.
void write_json(const std::string& json_out, const std::string& text) {
    if (json_out == "-") {
        std::cout << text;
        return;
    }
    std::ofstream f(json_out);
    if (!(f << text)) throw std::runtime_error(json_out + ": cannot be written");
}

std::atomic<bool> interrupted{false};
extern "C" void on_sigint(int) { interrupted = true; }

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"delivsim: why legitimate mail never reaches the inbox, by Monte Carlo simulation"};
    app.require_subcommand(1);
    app.set_version_flag("--version", delivsim::version);

    std::string scenario_path, json_out;
    std::uint64_t messages = 1000000, seed = 1, index = 0;
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    bool as_json = false, quiet = false;

    auto* run = app.add_subcommand("run", "simulate messages through a scenario (default: the embedded R1)");
    run->add_option("scenario", scenario_path, "scenario JSON file; omitted: the embedded default scenario R1");
    run->add_option("-n,--messages", messages, "number of messages")->capture_default_str();
    run->add_option("-s,--seed", seed, "random seed")->capture_default_str();
    run->add_option("-t,--threads", threads, "worker threads (results do not depend on it)")->capture_default_str();
    run->add_option("--json", json_out, "also write the full results as JSON to this file ('-' for stdout)");
    run->add_flag("-q,--quiet", quiet, "no progress bar");
    std::string checkpoint_path, resume_path;
    double checkpoint_interval = 60;
    run->add_option("--checkpoint", checkpoint_path,
                    "write completed work to this file (atomically) every --checkpoint-interval seconds and on Ctrl-C");
    run->add_option("--checkpoint-interval", checkpoint_interval, "seconds between checkpoints")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    run->add_option("--resume", resume_path,
                    "continue the run saved in this checkpoint (same scenario, seed and --messages); "
                    "it keeps checkpointing there unless --checkpoint says otherwise");

    auto* expl = app.add_subcommand("explain", "show one message's exact path, as in the full run with that seed");
    expl->add_option("scenario", scenario_path, "scenario JSON file; omitted: the embedded default scenario R1");
    expl->add_option("-s,--seed", seed, "random seed of the run")->capture_default_str();
    expl->add_option("-i,--message", index, "message index")->required();
    expl->add_flag("--json", as_json, "print JSON instead of text");

    auto* val = app.add_subcommand("validate", "check a scenario or world file and report the first error");
    val->add_option("scenario", scenario_path, "scenario JSON file")->required();

    auto* wld = app.add_subcommand("world", "simulate a world file (delivsim-world/1): senders, lists and receivers with state, over time");
    std::string world_path;
    wld->add_option("world", world_path, "world JSON file")->required();
    wld->add_option("-s,--seed", seed, "random seed")->capture_default_str();
    wld->add_option("-t,--threads", threads, "worker threads (results do not depend on it)")->capture_default_str();
    wld->add_option("--json", json_out, "also write totals and time series as JSON to this file ('-' for stdout)");
    wld->add_flag("-q,--quiet", quiet, "no progress line");
    bool world_check = false;
    wld->add_flag("--check", world_check, "only validate the world file");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }

    try {
        if (*wld) {
            const auto w = delivsim::world::load_world(world_path);
            if (world_check) {
                std::cout << world_path << ": valid (" << w.senders.size() << " senders, " << w.lists.size() << " lists, "
                          << w.recipient_count() << " recipients, " << w.receivers.size() << " receivers)\n";
                return 0;
            }
            delivsim::world::Options wo;
            wo.seed = seed;
            wo.threads = threads;
            wo.cancel = &interrupted;
            std::signal(SIGINT, on_sigint);
            const bool tty = !quiet && isatty(fileno(stderr));
            if (tty) wo.progress = [&](double t) {
                std::fprintf(stderr, "\rsimulated %.1f days", t / 86400.0);
                std::fflush(stderr);
            };
            delivsim::world::Result r;
            try {
                r = delivsim::world::run(w, wo);
            } catch (const delivsim::world::Cancelled&) {
                std::cerr << "\ndelivsim: interrupted\n";
                return 130;
            }
            if (tty) std::fprintf(stderr, "\n");
            if (json_out != "-") std::cout << delivsim::world::world_report_table(w, r, seed);
            if (!json_out.empty()) write_json(json_out, delivsim::world::world_report_json(w, r, seed).dump(1) + "\n");
            return 0;
        }
        if (*val) {
            if (is_world_file(scenario_path)) {
                const auto w = delivsim::world::load_world(scenario_path);
                std::cout << scenario_path << ": valid world (" << w.senders.size() << " senders, " << w.lists.size()
                          << " lists, " << w.recipient_count() << " recipients, " << w.receivers.size() << " receivers)\n";
                return 0;
            }
            const auto s = delivsim::load_scenario(scenario_path);
            std::cout << scenario_path << ": valid (" << s.classes.size() << " sender classes, " << s.profiles.size()
                      << " recipient profiles, " << s.attempt_times.size() << " delivery attempts)\n";
            return 0;
        }
        const auto s = load_or_default(scenario_path);
        if (*expl) {
            const auto e = delivsim::explain(s, seed, index);
            std::cout << (as_json ? e.to_json(s).dump(2) + "\n" : e.to_text(s));
            return 0;
        }
        delivsim::RunOptions o;
        o.messages = messages;
        o.seed = seed;
        o.threads = threads;
        const bool tty = !quiet && isatty(fileno(stderr));
        if (tty) o.progress = [&](std::uint64_t done) { progress_bar(done, messages); };
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
        std::signal(SIGINT, on_sigint);
        delivsim::Tally tally;
        try {
            tally = delivsim::run(s, o);
        } catch (const delivsim::Cancelled&) {
            if (tty) std::fprintf(stderr, "\n");
            std::cerr << "delivsim: interrupted"
                      << (checkpoint_path.empty() ? "" : "; resume with --resume " + checkpoint_path) << "\n";
            return 130;
        }
        if (tty) std::fprintf(stderr, "\n");
        if (json_out != "-") std::cout << delivsim::report_table(tally, s.name, seed);
        if (!json_out.empty()) write_json(json_out, delivsim::report_json(tally, s.name, seed).dump(2) + "\n");
        return 0;
    } catch (const std::invalid_argument& e) {  // ScenarioError and bad options
        std::cerr << "delivsim: error: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "delivsim: error: " << e.what() << "\n";
        return 1;
    }
}
