// Fuzz target: SPF record text -> parse_spf_record, the macro functions, and check_host().
//
// The input is one or more lines. Line 1 is the SPF record (TXT, split into 255-octet strings)
// of t.example; lines 2, 3, ... are the records of a.example, b.example, ..., so that include
// and redirect chains between fuzzed records get explored. A fixed world gives the other
// mechanisms something to find (addresses, MX, PTR, a name that times out, one that fails).
//
// Contract checked (a violation aborts, so libFuzzer keeps the input):
//  - parse_spf_record and the macro functions return; nothing throws;
//  - check_host returns one of the seven results for IPv4 and IPv6 clients, with a problem
//    text for none/temperror/permerror and an explanation only for fail; its counters stay
//    within one step over the limits; it is deterministic (a second evaluation is identical);
//  - with a draw that never times out it equals the evaluation without a draw, and with
//    random timeouts it still returns one of the seven results.
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Ilibdelivsim/include \
//       tests/fuzz/fuzz_spf.cpp -o fuzz_spf
//   ./fuzz_spf CORPUS_DIR tests/fuzz/corpus/spf -dict=tests/fuzz/spf.dict
#include <delivsim/auth/spf.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

namespace {

[[noreturn]] void finding(const std::string& what) {
    std::fprintf(stderr, "\n==delivsim-fuzz== FINDING: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}
void check(bool ok, const char* what) {
    if (!ok) finding(what);
}

delivsim::dns::Zone base_world() {
    delivsim::dns::Zone z;
    z.add_a("h.example", "192.0.2.1");
    z.add_aaaa("h.example", "2001:db8::1");
    z.add_mx("h.example", 10, "h.example");
    z.add_mx("t.example", 10, "h.example");
    z.add_a("t.example", "192.0.2.1");
    z.add_ptr("1.2.0.192.in-addr.arpa", "h.example");
    z.add_ptr("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "h.example");
    z.add_txt("why.example", {"%{s} via %{h} from %{c} at %{t}: %{p} %{ir}.%{v}"});
    z.add_timeout("slow.example");
    z.add_servfail("broken.example");
    z.add_cname("alias.example", "h.example");
    return z;
}

void add_record(delivsim::dns::Zone& z, const std::string& name, const std::string& text) {
    delivsim::dns::Txt strings;
    for (std::size_t at = 0; at < text.size(); at += 255) strings.push_back(text.substr(at, 255));
    if (strings.empty()) strings.emplace_back();
    z.add_txt(name, std::move(strings));
}

void exercise_macros(const std::string& line) {
    using namespace delivsim::auth;
    for (const MacroText kind : {MacroText::domain_spec, MacroText::explain_string, MacroText::unknown_modifier}) {
        if (!macro_problem(line, kind).empty()) continue;
        MacroInputs in;
        in.sender = "local-part@t.example";
        in.local_part = "local-part";
        in.sender_domain = "t.example";
        in.domain = "t.example";
        in.helo = "h.example";
        in.receiver = "r.example";
        in.ip = *delivsim::dns::parse_ip("2001:db8::1");
        MacroUse use;
        (void)expand_macros(line, in, [] { return std::string("h.example"); }, use);
    }
}

void check_result(const delivsim::auth::SpfCheck& r, const delivsim::auth::SpfOptions& o) {
    using delivsim::auth::SpfResult;
    check(static_cast<std::size_t>(r.result) < delivsim::auth::spf_result_count, "result out of range");
    if (r.result == SpfResult::none || r.result == SpfResult::temperror || r.result == SpfResult::permerror)
        check(!r.problem.empty(), "none/temperror/permerror without a problem text");
    check(r.result == SpfResult::fail || r.explanation.empty(), "an explanation for a result other than fail");
    check(r.dns_terms <= o.max_dns_terms + 1, "DNS-querying terms beyond the limit");
    check(r.void_lookups <= o.max_void_lookups + 1, "void lookups beyond the limit");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace delivsim::auth;
    if (size > 4096) return 0;  // the record limits make longer inputs uninteresting
    const std::string input(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start <= input.size() && lines.size() < 6) {
        const auto nl = input.find('\n', start);
        lines.push_back(input.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
        if (nl == std::string::npos) break;
        start = nl + 1;
    }
    try {
        delivsim::dns::Zone zone = base_world();
        static const char* const names[] = {"t.example", "a.example", "b.example", "c.example", "d.example", "e.example"};
        for (std::size_t i = 0; i < lines.size(); ++i) {
            const auto parsed = parse_spf_record(lines[i]);
            check(parsed.record.has_value() != !parsed.problem.empty(), "parse_spf_record: record and problem disagree");
            if (!is_spf_record(lines[i])) check(!parsed.record, "parsed a record that is not v=spf1");
            exercise_macros(lines[i]);
            add_record(zone, names[i], lines[i]);
        }
        SpfOptions options;
        options.receiver = "r.example";
        options.timestamp = 1700000000;
        options.trace = size % 2 == 0;
        for (const char* ip : {"192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1", "198.51.100.9"}) {
            const SpfCheck first = check_host(zone, ip, "", "local-part@t.example", "h.example", options);
            check_result(first, options);
            const SpfCheck again = check_host(zone, ip, "", "local-part@t.example", "h.example", options);
            check(again.result == first.result && again.explanation == first.explanation &&
                      again.problem == first.problem && again.queries == first.queries && again.trace == first.trace,
                  "check_host is not deterministic");
            zone.set_timeout_probability(0.25);
            const auto never = [](std::uint32_t) { return 0.9; };
            const SpfCheck with_draw = check_host(zone, ip, "", "local-part@t.example", "h.example", options, never);
            check(with_draw.result == first.result && with_draw.queries == first.queries,
                  "a draw that never times out changed the check");
            const std::uint64_t salt = size * 0x9E3779B97F4A7C15ull;
            const auto random = [salt](std::uint32_t k) {
                return static_cast<double>(((salt ^ (k * 0xBF58476D1CE4E5B9ull)) >> 11) & ((1ull << 53) - 1)) * 0x1.0p-53;
            };
            check_result(check_host(zone, ip, "", "local-part@t.example", "h.example", options, random), options);
            zone.set_timeout_probability(0.0);
        }
        // The HELO identity (empty MAIL FROM) and an explicit, possibly odd, domain.
        check_result(check_host(zone, "192.0.2.1", "", "", "t.example", options), options);
        check_result(check_host(zone, "192.0.2.1", lines[0].substr(0, 300), "x@t.example", "h.example", options), options);
    } catch (const std::exception& e) {
        finding(std::string("exception: ") + e.what());
    }
    return 0;
}
