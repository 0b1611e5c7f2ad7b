// SPF check_host() (RFC 7208): every mechanism, modifier, macro, limit, result and error path.
// Section numbers refer to RFC 7208; the zones are small worlds written for each case.
#include <delivsim/auth/spf.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace delivsim;
using namespace delivsim::auth;
using delivsim::dns::Zone;

namespace {

// A zone from lines "name TYPE value": TXT values may use "|" to split character-strings;
// MX values are "pref host".
Zone zone(std::initializer_list<const char*> lines) {
    Zone z;
    for (const char* line : lines) {
        const std::string s(line);
        const auto a = s.find(' ');
        const auto b = s.find(' ', a + 1);
        const std::string name = s.substr(0, a), type = s.substr(a + 1, b - a - 1), value = s.substr(b + 1);
        if (type == "A") z.add_a(name, value);
        else if (type == "AAAA") z.add_aaaa(name, value);
        else if (type == "MX") z.add_mx(name, std::stoi(value.substr(0, value.find(' '))), value.substr(value.find(' ') + 1));
        else if (type == "PTR") z.add_ptr(name, value);
        else if (type == "CNAME") z.add_cname(name, value);
        else if (type == "TXT" || type == "SPF") {
            dns::Txt parts;
            std::size_t start = 0;
            while (true) {
                const auto bar = value.find('|', start);
                parts.push_back(value.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
                if (bar == std::string::npos) break;
                start = bar + 1;
            }
            if (type == "TXT") z.add_txt(name, parts);
            else z.add_spf(name, parts);
        } else FAIL("bad test zone line: " << s);
    }
    return z;
}

SpfCheck check(const Zone& z, const char* ip, const char* sender, const char* helo = "mail.example.com") {
    return check_host(z, ip, "", sender, helo);
}
std::string result(const Zone& z, const char* ip, const char* sender, const char* helo = "mail.example.com") {
    return std::string(name_of(check(z, ip, sender, helo).result));
}
// The result of a record published at example.com for a client.
std::string record_result(const char* record, const char* ip = "192.0.2.1") {
    Zone z;
    z.add_txt("example.com", {record});
    return result(z, ip, "user@example.com");
}
std::string record_problem(const char* record) {
    Zone z;
    z.add_txt("example.com", {record});
    return check(z, "192.0.2.1", "user@example.com").problem;
}

MacroInputs rfc_macro_inputs(const char* ip) {
    MacroInputs in;
    in.sender = "strong-bad@email.example.com";
    in.local_part = "strong-bad";
    in.sender_domain = "email.example.com";
    in.domain = "email.example.com";
    in.helo = "mx.example.org";
    in.receiver = "receiver.example.net";
    in.timestamp = 1234567890;
    in.ip = *dns::parse_ip(ip);
    return in;
}
std::string expand(const char* s, const char* ip = "192.0.2.3", MacroText kind = MacroText::domain_spec) {
    REQUIRE_MESSAGE(macro_problem(s, kind).empty(), macro_problem(s, kind));
    MacroUse use;
    return expand_macros(s, rfc_macro_inputs(ip), [] { return std::string("mx.example.org"); }, use);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Appendix A: the RFC's example world, every example record of A.1.
// ---------------------------------------------------------------------------------------------

namespace {
Zone appendix_a(const char* record) {
    Zone z = zone({"example.com MX 10 mail-a.example.com", "example.com MX 20 mail-b.example.com",
                   "example.com A 192.0.2.10", "example.com A 192.0.2.11", "amy.example.com A 192.0.2.65",
                   "bob.example.com A 192.0.2.66", "mail-a.example.com A 192.0.2.129",
                   "mail-b.example.com A 192.0.2.130", "www.example.com CNAME example.com",
                   "example.org MX 10 mail-c.example.org", "mail-c.example.org A 192.0.2.140",
                   "10.2.0.192.in-addr.arpa PTR example.com", "11.2.0.192.in-addr.arpa PTR example.com",
                   "65.2.0.192.in-addr.arpa PTR amy.example.com", "66.2.0.192.in-addr.arpa PTR bob.example.com",
                   "129.2.0.192.in-addr.arpa PTR mail-a.example.com", "130.2.0.192.in-addr.arpa PTR mail-b.example.com",
                   "140.2.0.192.in-addr.arpa PTR mail-c.example.org", "22.0.0.10.in-addr.arpa PTR mta1.example.com"});
    z.add_txt("example.com", {record});
    return z;
}
std::set<std::string> passing(const char* record) {
    const Zone z = appendix_a(record);
    std::set<std::string> out;
    for (const char* ip : {"192.0.2.10", "192.0.2.11", "192.0.2.65", "192.0.2.66", "192.0.2.128", "192.0.2.129",
                           "192.0.2.130", "192.0.2.131", "192.0.2.132", "192.0.2.140", "192.0.2.141", "192.0.2.143",
                           "192.0.2.144", "10.0.0.22", "203.0.113.9"}) {
        const auto r = check(z, ip, "user@example.com");
        if (r.result == SpfResult::pass) out.insert(ip);
        else CHECK_MESSAGE(r.result == SpfResult::fail, record << " " << ip << " " << name_of(r.result));
    }
    return out;
}
}  // namespace

TEST_CASE("Appendix A.1 examples: who passes") {
    using S = std::set<std::string>;
    CHECK(passing("v=spf1 +all").size() == 15);
    CHECK(passing("v=spf1 a -all") == S{"192.0.2.10", "192.0.2.11"});
    CHECK(passing("v=spf1 a:example.org -all").empty());
    CHECK(passing("v=spf1 mx -all") == S{"192.0.2.129", "192.0.2.130"});
    CHECK(passing("v=spf1 mx:example.org -all") == S{"192.0.2.140"});
    CHECK(passing("v=spf1 mx mx:example.org -all") == S{"192.0.2.129", "192.0.2.130", "192.0.2.140"});
    CHECK(passing("v=spf1 mx/30 mx:example.org/30 -all") ==
          S{"192.0.2.128", "192.0.2.129", "192.0.2.130", "192.0.2.131", "192.0.2.140", "192.0.2.141", "192.0.2.143"});
    CHECK(passing("v=spf1 ptr -all") == S{"192.0.2.10", "192.0.2.11", "192.0.2.65", "192.0.2.66", "192.0.2.129",
                                          "192.0.2.130"});  // not mail-c.example.org, and mta1 does not validate
    CHECK(passing("v=spf1 ip4:192.0.2.128/28 -all") ==
          S{"192.0.2.128", "192.0.2.129", "192.0.2.130", "192.0.2.131", "192.0.2.132", "192.0.2.140", "192.0.2.141",
            "192.0.2.143"});
    // www is a CNAME: a:www.example.com follows it
    CHECK(passing("v=spf1 a:www.example.com -all") == S{"192.0.2.10", "192.0.2.11"});
}

TEST_CASE("Appendix A.3/A.4: DNSBL style and multiple requirements (-include)") {
    Zone z = zone({"example.com TXT v=spf1 mx -exists:%{ir}.bl.example.org +all", "example.com MX 10 mx.example.com",
                   "mx.example.com A 192.0.2.1", "9.113.0.203.bl.example.org A 127.0.0.2"});
    CHECK(result(z, "192.0.2.1", "u@example.com") == "pass");
    CHECK(result(z, "203.0.113.9", "u@example.com") == "fail");
    CHECK(result(z, "203.0.113.10", "u@example.com") == "pass");

    Zone m = zone({"example.com TXT v=spf1 -include:ip4._spf.%{d} -include:ptr._spf.%{d} +all",
                   "ip4._spf.example.com TXT v=spf1 -ip4:192.0.2.0/24 +all", "ptr._spf.example.com TXT v=spf1 -ptr:example.com +all",
                   "1.2.0.192.in-addr.arpa PTR h.example.com", "h.example.com A 192.0.2.1",
                   "2.2.0.192.in-addr.arpa PTR h.other.example", "h.other.example A 192.0.2.2"});
    CHECK(result(m, "192.0.2.1", "u@example.com") == "pass");   // in the /24 and reverse-maps into example.com
    CHECK(result(m, "192.0.2.2", "u@example.com") == "fail");   // in the /24 but its name is elsewhere
    CHECK(result(m, "198.51.100.1", "u@example.com") == "fail");
}

// ---------------------------------------------------------------------------------------------
// 2, 4.3: identities and initial processing
// ---------------------------------------------------------------------------------------------

TEST_CASE("4.3: malformed or single-label domains give none; 63-octet labels are fine") {
    Zone z = zone({"example.com TXT v=spf1 -all"});
    const std::string l63(63, 'a'), l64(64, 'a');
    z.add_txt(l63 + ".example.com", {"v=spf1 -all"});
    CHECK(result(z, "1.2.3.4", ("u@" + l63 + ".example.com").c_str()) == "fail");
    CHECK(result(z, "1.2.3.4", ("u@" + l64 + ".example.com").c_str()) == "none");
    CHECK(result(z, "1.2.3.4", "u@a...example.com") == "none");
    CHECK(result(z, "1.2.3.4", "u@com") == "none");               // not multi-label
    CHECK(result(z, "1.2.3.4", "u@[1.2.3.4]") == "none");         // an address literal
    CHECK(result(z, "1.2.3.4", "u@1.2.3.4") == "none");           // numeric top label
    CHECK(result(z, "1.2.3.4", "u@nowhere.example.com") == "none");  // NXDOMAIN
    CHECK(result(z, "1.2.3.4", "u@example.com.") == "fail");      // a trailing dot is fine
    CHECK(check(z, "1.2.3.4", "u@com").problem == "'com' is not a multi-label domain name");
    const std::string at253 = l63 + "." + l63 + "." + l63 + "." + std::string(61, 'e');  // 253 octets
    z.add_txt(at253, {"v=spf1 -all"});
    CHECK(result(z, "1.2.3.4", ("u@" + at253).c_str()) == "fail");
    const std::string at254 = l63 + "." + l63 + "." + l63 + "." + std::string(62, 'e');
    CHECK(result(z, "1.2.3.4", ("u@" + at254).c_str()) == "none");
    CHECK(check(z, "1.2.3.4", ("u@" + at254).c_str()).problem == "'" + at254 + "' is longer than 253 characters");
}

TEST_CASE("2.3/2.4/4.3: HELO identity for an empty MAIL FROM, postmaster for a missing local part") {
    Zone z = zone({"mail.example.com TXT v=spf1 a -all", "mail.example.com A 192.0.2.1",
                   "example.net TXT v=spf1 -all exp=why.example.net", "why.example.net TXT local part %{l}, sender %{s}"});
    CHECK(result(z, "192.0.2.1", "") == "pass");  // helo mail.example.com
    CHECK(result(z, "192.0.2.2", "") == "fail");
    CHECK(result(z, "192.0.2.1", "", "OEMCOMPUTER") == "none");
    CHECK(result(z, "192.0.2.1", "", "[192.0.2.1]") == "none");
    CHECK(result(z, "192.0.2.1", "", "") == "none");
    // A domain given explicitly wins over the HELO name.
    CHECK(name_of(check_host(z, "192.0.2.1", "example.net", "", "mail.example.com").result) == "fail");
    const auto r = check(z, "192.0.2.1", "@example.net");
    CHECK(r.result == SpfResult::fail);
    CHECK(r.explanation == "local part postmaster, sender postmaster@example.net");
    CHECK(check(z, "192.0.2.1", "example.net").explanation == "local part postmaster, sender postmaster@example.net");
    // The identity for an empty MAIL FROM is postmaster@<helo>.
    Zone h = zone({"mail.example.com TXT v=spf1 -all exp=e.example.com", "e.example.com TXT %{s} via %{h}"});
    CHECK(check(h, "192.0.2.1", "").explanation == "postmaster@mail.example.com via mail.example.com");
}

TEST_CASE("5: an IPv4-mapped IPv6 client is an IPv4 client") {
    Zone z = zone({"example.com TXT v=spf1 -ip4:1.2.3.4 ip6:::ffff:1.2.3.4", "v6.example.com TXT v=spf1 ip6:::/0 -all",
                   "a.example.com TXT v=spf1 a//0 -all", "a.example.com AAAA 1234::1"});
    CHECK(result(z, "::FFFF:1.2.3.4", "u@example.com") == "fail");
    CHECK(result(z, "::ffff:1.2.3.4", "u@v6.example.com") == "fail");    // ip6 never matches it
    CHECK(result(z, "::ffff:1.2.3.4", "u@a.example.com") == "fail");     // a looks up A, not AAAA
    CHECK(result(z, "1234::5", "u@a.example.com") == "pass");
}

// ---------------------------------------------------------------------------------------------
// 4.4, 4.5: record lookup and selection
// ---------------------------------------------------------------------------------------------

TEST_CASE("4.4: a timeout or SERVFAIL on the TXT lookup is temperror; type SPF is never used") {
    Zone z = zone({"slow.example.com TXT v=spf1 +all", "broken.example.com TXT v=spf1 +all",
                   "spfonly.example.com SPF v=spf1 +all", "both.example.com TXT v=spf1 -all",
                   "both.example.com SPF v=spf1 +all", "spfslow.example.com TXT v=spf1 -all"});
    z.add_timeout("slow.example.com", dns::RType::TXT);
    z.add_servfail("broken.example.com");
    z.add_timeout("spfslow.example.com", dns::RType::SPF);
    const auto slow = check(z, "1.2.3.4", "u@slow.example.com");
    CHECK(slow.result == SpfResult::temperror);
    CHECK(slow.problem == "DNS timeout for TXT slow.example.com");
    CHECK(check(z, "1.2.3.4", "u@broken.example.com").problem == "DNS SERVFAIL for TXT broken.example.com");
    CHECK(result(z, "1.2.3.4", "u@broken.example.com") == "temperror");
    CHECK(result(z, "1.2.3.4", "u@spfonly.example.com") == "none");
    CHECK(result(z, "1.2.3.4", "u@both.example.com") == "fail");
    CHECK(result(z, "1.2.3.4", "u@spfslow.example.com") == "fail");
}

TEST_CASE("4.5: selecting the v=spf1 record") {
    Zone z = zone({"split.example.com TXT v=spf1 |ip4:1.2.3.4| -all",  // strings joined without spaces
                   "nospace.example.com TXT v=spf1|mx",                   // joined: "v=spf1mx", not SPF
                   "spf10.example.com TXT v=spf10", "spf10.example.com TXT v=spf1 +all",
                   "case.example.com TXT V=SpF1 ~all", "empty.example.com TXT v=spf1",
                   "two.example.com TXT v=spf1 -all", "two.example.com TXT v=spf1 +all",
                   "twosame.example.com TXT v=spf1 -all", "twosame.example.com TXT v=spf1 -all",
                   "other.example.com TXT google-site-verification=abc", "other.example.com TXT v=spf1 -all",
                   "nonascii.example.com TXT \xc3\xa9t\xc3\xa9", "nonascii.example.com TXT v=spf1 -all",
                   "notspf.example.com TXT hello", "trailing.example.com TXT v=spf1 -all   "});
    CHECK(result(z, "1.2.3.4", "u@split.example.com") == "pass");
    CHECK(result(z, "1.2.3.5", "u@split.example.com") == "fail");
    CHECK(result(z, "1.2.3.4", "u@nospace.example.com") == "none");
    CHECK(result(z, "1.2.3.4", "u@spf10.example.com") == "pass");
    CHECK(result(z, "1.2.3.4", "u@case.example.com") == "softfail");
    CHECK(result(z, "1.2.3.4", "u@empty.example.com") == "neutral");
    CHECK(result(z, "1.2.3.4", "u@two.example.com") == "permerror");
    CHECK(check(z, "1.2.3.4", "u@two.example.com").problem == "two.example.com publishes more than one v=spf1 record");
    CHECK(result(z, "1.2.3.4", "u@twosame.example.com") == "permerror");
    CHECK(result(z, "1.2.3.4", "u@other.example.com") == "fail");
    CHECK(result(z, "1.2.3.4", "u@nonascii.example.com") == "fail");  // non-SPF TXT records are not our business
    CHECK(result(z, "1.2.3.4", "u@notspf.example.com") == "none");
    CHECK(check(z, "1.2.3.4", "u@notspf.example.com").problem == "notspf.example.com has no v=spf1 record");
    CHECK(result(z, "1.2.3.4", "u@trailing.example.com") == "fail");
}

TEST_CASE("4.5: a TXT record with no string, or one empty string, is a non-SPF TXT") {
    Zone z;
    z.add_txt("blank.example.com", {""});
    z.add_txt("blank.example.com", {});
    z.add_txt("mixed.example.com", {""});
    z.add_txt("mixed.example.com", {});
    z.add_txt("mixed.example.com", {"v=spf1 ip4:1.2.3.4 -all"});
    CHECK(result(z, "1.2.3.4", "u@blank.example.com") == "none");
    CHECK(check(z, "1.2.3.4", "u@blank.example.com").problem == "blank.example.com has no v=spf1 record");
    CHECK(result(z, "1.2.3.4", "u@mixed.example.com") == "pass");
    CHECK(result(z, "1.2.3.5", "u@mixed.example.com") == "fail");
}

// ---------------------------------------------------------------------------------------------
// 4.6: record syntax. Any syntax error anywhere is permerror, before any evaluation.
// ---------------------------------------------------------------------------------------------

TEST_CASE("4.6: syntax errors anywhere in the record are permerror") {
    for (const char* bad : {
             "v=spf1 ip4:192.0.2.1 -all moo",            // unknown mechanism after a match
             "v=spf1 moo.cow/far_out=man:dog/cat -all",  // '/' in a modifier name: not a modifier
             "v=spf1 moo.cow:far_out=man:dog/cat -all",
             "v=spf1 =all",                              // empty modifier name
             "v=spf1 1up=foo",                           // a modifier name starts with a letter
             "v=spf1 -all:foobar", "v=spf1 -all.", "v=spf1 -all/8", "v=spf1 all/0",
             "v=spf1 ip4:192.0.2.1 redirect:example.net",  // redirect is a modifier
             "v=spf1 +-all", "v=spf1 !all", "v=spf1 a:foo-bar -all",  // no top label
             "v=spf1 a:museum", "v=spf1 a:museum.", "v=spf1 a:abc.123", "v=spf1 a:111.222.33.44",
             "v=spf1 a:example.-com", "v=spf1 mx:example.com:8080", "v=spf1 a:", "v=spf1 mx: -all",
             "v=spf1 include: -all", "v=spf1 include", "v=spf1 include:ip5.example.com/24", "v=spf1 exists",
             "v=spf1 exists:", "v=spf1 exists:mail.example.com/24", "v=spf1 ptr/0 -all", "v=spf1 ptr:",
             "v=spf1 ip4", "v=spf1 ip4:1.2.3", "v=spf1 ip4:1.2.3.4:8080", "v=spf1 ip4:1.2.3.4//32",
             "v=spf1 ip4:1.2.3.4/33", "v=spf1 ip4:1.2.3.4/032", "v=spf1 ip4:01.2.3.4", "v=spf1 ip4:1.2.3.4/",
             "v=spf1 -all ip6", "v=spf1 ip6::CAFE::BABE", "v=spf1 ip6:::1.1.1.1/129", "v=spf1 ip6:::1.1.1.1//33",
             "v=spf1 ip6:1.2.3.4", "v=spf1 a//129 -all", "v=spf1 a/33 -all", "v=spf1 a/24/64 -all",
             "v=spf1 mx//129", "v=spf1 mx/33", "v=spf1 a/00", "v=spf1 a//0128",
             "v=spf1 redirect=a.example.com -all redirect=b.example.com",  // duplicate modifiers
             "v=spf1 exp=a.example.com -all exp=b.example.com", "v=spf1 exp= -all", "v=spf1 redirect=",
             "v=spf1 exp=-all", "v=spf1 redirect=-all ?all", "v=spf1 Redirect=a.example.com REDIRECT=b.example.com",
             "v=spf1 -all foo=%abc", "v=spf1 -all foo=%", "v=spf1 a:%{a}.example.com -all",  // unknown macro letter
             "v=spf1 exists:%(ir).sbl.example.com", "v=spf1 exists:foo%.sbl.example.com",
             "v=spf1 exists:%{d0}.example.com",
             "v=spf1 exists:%{d",  "v=spf1 -exists:%{ir .example.com",
             "v=spf1 -all exp=%{r}.example.com",   // c, r, t only in explanation text
             "v=spf1 exists:%{c}.example.com", "v=spf1 a:%{t}.example.com",
             "v=spf1 \xc3\xa9 -all", "v=spf1 a:\xef\xbb\xbfgarbage.example.net -all",  // non-ASCII
             "v=spf1 -all\tip4:1.2.3.4",                                               // tabs are not spaces
         }) {
        CAPTURE(bad);
        CHECK(record_result(bad) == "permerror");
    }
    // The problem names the term and the rule.
    CHECK(record_problem("v=spf1 -all moo") == "example.com: 'moo': unknown mechanism 'moo'");
    CHECK(record_problem("v=spf1 ip4:1.2.3.4/33") == "example.com: 'ip4:1.2.3.4/33': invalid IPv4 CIDR length");
    CHECK(record_problem("v=spf1 a:museum") ==
          "example.com: 'a:museum': domain-spec 'museum' does not end in a valid top label or a macro");
    CHECK(record_problem("v=spf1 exp=a.example exp=b.example") == "example.com: 'exp' appears more than once");
    CHECK(record_problem("v=spf1 x=%q") == "example.com: modifier 'x=%q': '%q' is not a macro (write %% for a percent sign)");
    CHECK(record_problem("v=spf1 -all\xc3\xa9") == "example.com: the record contains a non-ASCII character");
    CHECK(record_result("v=spf1\t-all") == "none");  // "v=spf1" must end at a space: not an SPF record
    // A NUL inside a domain-spec.
    Zone z;
    z.add_txt("example.com", {std::string("v=spf1 a:foo.example.com\0 -all", 31)});
    CHECK(result(z, "1.2.3.4", "u@example.com") == "permerror");
}

TEST_CASE("4.6: valid oddities") {
    CHECK(record_result("v=spf1 moo.cow-far_out=man:dog/cat ip4:192.0.2.1 -all") == "pass");  // unknown modifier
    CHECK(record_result("v=spf1 default=pass") == "neutral");        // an obsolete modifier is unknown: ignored
    CHECK(record_result("v=spf1 default=+ foo=1 foo=2") == "neutral");  // unknown modifiers may repeat
    CHECK(record_result("v=spf1 x=%{c}%{r}%{t} -all") == "fail");      // never expanded: any letter
    CHECK(record_result("v=spf1 IP4:192.0.2.1 -ALL") == "pass");       // case-insensitive
    CHECK(record_result("v=spf1 all -all") == "pass");
    CHECK(record_result("v=spf1   ip4:192.0.2.1    -all  ") == "pass");  // several spaces
    CHECK(record_result("v=spf1 ip4:192.0.2.1/0 -all", "10.0.0.1") == "pass");
    CHECK(record_result("v=spf1 ip4:192.0.2.1/32 -all") == "pass");
    CHECK(record_result("v=spf1 ip4:192.0.2.1/32 -all", "192.0.2.2") == "fail");
    CHECK(record_result("v=spf1 ip4:192.0.2.1") == "pass");
    CHECK(record_result("v=spf1 ip4:192.0.2.9", "192.0.2.1") == "neutral");  // nothing matched: neutral
    CHECK(record_result("v=spf1 ip6:CAFE:BABE:8000::/33", "CAFE:BABE:8000::") == "pass");
    CHECK(record_result("v=spf1 ip6:CAFE:BABE:8000::/33", "CAFE:BABE::") == "neutral");
    CHECK(record_result("v=spf1 ip6:::1.1.1.1/0", "DEAF:BABE::CAB:FEE") == "pass");
    CHECK(record_result("v=spf1 ip6:::1.1.1.1/0", "1.2.3.4") == "neutral");  // an IPv4 client never matches ip6
    CHECK(record_result("v=spf1 ip6:CAFE:BABE:8000::/33", "1.2.3.4") == "neutral");
    CHECK(record_result("v=spf1 a:xn--zckzah.example.xn--zckzah -all") == "fail");  // hyphenated top label
}

TEST_CASE("4.6.2/5: qualifiers give pass, fail, softfail, neutral; the default is neutral") {
    CHECK(record_result("v=spf1 +all") == "pass");
    CHECK(record_result("v=spf1 all") == "pass");
    CHECK(record_result("v=spf1 -all") == "fail");
    CHECK(record_result("v=spf1 ~all") == "softfail");
    CHECK(record_result("v=spf1 ?all") == "neutral");
    CHECK(record_result("v=spf1 ip4:10.0.0.0/8") == "neutral");
    Zone z = zone({"example.com TXT v=spf1 ?ip4:192.0.2.1 ~ip4:192.0.2.2 -ip4:192.0.2.3 +ip4:192.0.2.4"});
    const auto r = check(z, "192.0.2.3", "u@example.com");
    CHECK(r.result == SpfResult::fail);
    CHECK(r.mechanism == "-ip4:192.0.2.3");
    CHECK(r.domain == "example.com");
    CHECK(check(z, "192.0.2.9", "u@example.com").mechanism == "default");
    CHECK(result(z, "192.0.2.1", "u@example.com") == "neutral");
    CHECK(result(z, "192.0.2.2", "u@example.com") == "softfail");
    CHECK(result(z, "192.0.2.4", "u@example.com") == "pass");
}

// ---------------------------------------------------------------------------------------------
// 5: mechanisms
// ---------------------------------------------------------------------------------------------

TEST_CASE("5.2: include: pass matches; fail, softfail, neutral do not; errors and none propagate") {
    Zone z = zone({"ip5.example.com TXT v=spf1 ip4:1.2.3.5 -all", "ip6.example.com TXT v=spf1 ip4:1.2.3.6 ~all",
                   "ip7.example.com TXT v=spf1 ip4:1.2.3.7 ?all", "e1.example.com TXT v=spf1 include:ip5.example.com ~all",
                   "e2.example.com TXT v=spf1 include:ip6.example.com all",
                   "e3.example.com TXT v=spf1 include:ip7.example.com -all",
                   "e4.example.com TXT v=spf1 include:slow.example.com -all",
                   "e5.example.com TXT v=spf1 include:e6.example.com -all", "e6.example.com TXT v=spf1 include +all",
                   "e7.example.com TXT v=spf1 include:erehwon.example.com -all",
                   "erehwon.example.com TXT v=spfl am not an SPF record",
                   "e8.example.com TXT v=spf1 include:nx.example.com -all",
                   "e9.example.com TXT v=spf1 include:%{l}.example.com -all",
                   "e10.example.com TXT v=spf1 -include:ip5.example.com +all",
                   "e11.example.com TXT v=spf1 include:ip5.example.com -all exp=why.example.com",
                   "ip5x.example.com TXT v=spf1 -all exp=why5.example.com", "why5.example.com TXT wrong",
                   "e12.example.com TXT v=spf1 include:ip5x.example.com -all exp=why.example.com",
                   "why.example.com TXT right"});
    z.add_timeout("slow.example.com");
    CHECK(result(z, "1.2.3.5", "u@e1.example.com") == "pass");
    CHECK(result(z, "1.2.3.4", "u@e1.example.com") == "softfail");  // included fail: no match
    CHECK(result(z, "1.2.3.4", "u@e2.example.com") == "pass");      // included softfail: no match
    CHECK(result(z, "1.2.3.4", "u@e3.example.com") == "fail");      // included neutral: no match
    CHECK(result(z, "1.2.3.4", "u@e4.example.com") == "temperror");
    CHECK(result(z, "1.2.3.4", "u@e5.example.com") == "permerror");  // included permerror
    CHECK(result(z, "1.2.3.4", "u@e7.example.com") == "permerror");  // included none
    CHECK(check(z, "1.2.3.4", "u@e7.example.com").problem ==
          "include:erehwon.example.com: erehwon.example.com has no v=spf1 record");
    CHECK(result(z, "1.2.3.4", "u@e8.example.com") == "permerror");
    CHECK(result(z, "1.2.3.4", "a..b@e9.example.com") == "permerror");  // target not a valid name: none
    CHECK(result(z, "1.2.3.5", "ip5@e9.example.com") == "pass");
    CHECK(result(z, "1.2.3.5", "u@e10.example.com") == "fail");
    const auto r = check(z, "1.2.3.9", "u@e12.example.com");  // an included record's exp= is never used
    CHECK(r.result == SpfResult::fail);
    CHECK(r.explanation == "right");
    CHECK(check(z, "1.2.3.5", "u@e11.example.com").mechanism == "include:ip5.example.com");
}

TEST_CASE("5.3: a, with CIDR lengths and dual CIDR") {
    Zone z = zone({"e1.example.com TXT v=spf1 a/0 -all",                          // no A records at all
                   "e2.example.com TXT v=spf1 a/0 -all", "e2.example.com A 1.1.1.1", "e2.example.com AAAA 1234::2",
                   "e2a.example.com TXT v=spf1 a//0 -all", "e2a.example.com AAAA 1234::1",
                   "e2b.example.com TXT v=spf1 a//0 -all", "e2b.example.com A 1.1.1.1",
                   "e6.example.com TXT v=spf1 a//33 -all",
                   "e8.example.com TXT v=spf1 a/24//64 -all", "e8.example.com A 1.2.3.5",
                   "e8.example.com AAAA 2001:db8:1234::dead:beef", "e8a.example.com TXT v=spf1 a/24 -all",
                   "e8a.example.com A 1.2.3.5", "e8a.example.com AAAA 2001:db8:1234::dead:beef",
                   "e8b.example.com TXT v=spf1 a//64 -all", "e8b.example.com A 1.2.3.5",
                   "e8b.example.com AAAA 2001:db8:1234::dead:beef",
                   "e10.example.com TXT v=spf1 a:foo.example.com/24", "foo.example.com A 1.1.1.1",
                   "foo.example.com A 1.2.3.5", "e11.example.com TXT v=spf1 a:foo:bar/baz.example.com",
                   "foo:bar/baz.example.com A 1.2.3.4", "ipv6.example.com TXT v=spf1 a -all",
                   "ipv6.example.com AAAA 1234::1", "ipv6.example.com A 1.1.1.1",
                   "e13.example.com TXT v=spf1 a:mail.example...com -all",
                   "many.example.com TXT v=spf1 a -all"});
    for (int i = 1; i <= 12; ++i) z.add_a("many.example.com", "1.2.3." + std::to_string(i));
    CHECK(result(z, "1.2.3.4", "u@e1.example.com") == "fail");       // no addresses: no match even with /0
    CHECK(result(z, "1.2.3.4", "u@e2.example.com") == "pass");       // any A record with /0
    CHECK(result(z, "1234::1", "u@e2.example.com") == "fail");       // a/0 is the IPv4 length; /128 for IPv6
    CHECK(result(z, "1234::1", "u@e2a.example.com") == "pass");
    CHECK(result(z, "1.2.3.4", "u@e2a.example.com") == "fail");
    CHECK(result(z, "1234::1", "u@e2b.example.com") == "fail");      // no AAAA
    CHECK(result(z, "1.2.3.4", "u@e6.example.com") == "fail");
    CHECK(result(z, "1.2.3.4", "u@e8.example.com") == "pass");
    CHECK(result(z, "2001:db8:1234::cafe:babe", "u@e8.example.com") == "pass");
    CHECK(result(z, "2001:db8:1234::cafe:babe", "u@e8a.example.com") == "fail");  // IPv6 default /128
    CHECK(result(z, "1.2.3.4", "u@e8b.example.com") == "fail");                   // IPv4 default /32
    CHECK(result(z, "1.2.3.4", "u@e10.example.com") == "pass");                   // any returned address
    CHECK(result(z, "1.2.3.4", "u@e11.example.com") == "pass");  // ':' and '/' may appear in a domain-spec
    CHECK(result(z, "::FFFF:1.2.3.4", "u@e11.example.com") == "pass");
    CHECK(result(z, "1234::1", "u@ipv6.example.com") == "pass");
    CHECK(result(z, "1.1.1.1", "u@ipv6.example.com") == "pass");
    CHECK(result(z, "1.2.3.12", "u@many.example.com") == "pass");  // no limit on A records
    CHECK(result(z, "1.2.3.4", "u@e13.example.com") == "fail");    // an empty label: queried as nothing
}

TEST_CASE("5.4: mx, its CIDR lengths, the null MX, no implicit MX") {
    Zone z = zone({"e1.example.com TXT v=spf1 mx/0 -all", "e1.example.com MX 0 e1.example.com",
                   "e2.example.com TXT v=spf1 mx/0 -all", "e2.example.com A 1.1.1.1", "e2.example.com AAAA 1234::2",
                   "e2.example.com MX 0 e2.example.com", "e2a.example.com TXT v=spf1 mx//0 -all",
                   "e2a.example.com AAAA 1234::1", "e2a.example.com MX 0 e2a.example.com",
                   "e4.example.com TXT v=spf1 mx", "e4.example.com A 1.2.3.4",
                   "e10.example.com TXT v=spf1 mx:foo.example.com/24", "foo.example.com MX 0 foo1.example.com",
                   "foo1.example.com A 1.1.1.1", "foo1.example.com A 1.2.3.5",
                   "null.example.com TXT v=spf1 mx ?all", "null.example.com MX 0 .",
                   "slowmx.example.com TXT v=spf1 mx -all", "slowmx.example.com MX 10 ok.example.com",
                   "slowmx.example.com MX 20 slowhost.example.com", "ok.example.com A 1.2.3.4",
                   "broken.example.com A 1.2.3.4"});
    z.add_timeout("slowhost.example.com");
    z.add_servfail("broken.example.com", dns::RType::MX);
    z.add_txt("mxfail.example.com", {"v=spf1 mx:broken.example.com -all"});
    CHECK(result(z, "1.2.3.4", "u@e1.example.com") == "fail");  // MX host without addresses
    CHECK(result(z, "1.2.3.4", "u@e2.example.com") == "pass");
    CHECK(result(z, "1234::1", "u@e2.example.com") == "fail");
    CHECK(result(z, "1234::1", "u@e2a.example.com") == "pass");
    CHECK(result(z, "::ffff:1.2.3.4", "u@e2a.example.com") == "fail");
    CHECK(result(z, "1.2.3.4", "u@e4.example.com") == "neutral");  // no MX: the A record is not an implicit MX
    CHECK(result(z, "1.2.3.4", "u@e10.example.com") == "pass");
    CHECK(result(z, "1.2.3.4", "u@null.example.com") == "neutral");
    CHECK(result(z, "1.2.3.4", "u@slowmx.example.com") == "pass");       // matched before the slow host
    CHECK(result(z, "1.2.3.9", "u@slowmx.example.com") == "temperror");  // an address lookup timed out
    CHECK(result(z, "1.2.3.9", "u@mxfail.example.com") == "temperror");  // SERVFAIL on the MX query
}

TEST_CASE("5.4 + 4.6.4: more than 10 MX names is permerror") {
    Zone z = zone({"e4.example.com TXT v=spf1 mx", "mail.example.com A 1.2.3.4", "ten.example.com TXT v=spf1 mx -all",
                   "x.example.com A 1.2.3.5"});
    for (int i = 0; i < 10; ++i) z.add_mx("e4.example.com", i, "mail.example.com");
    for (int i = 0; i < 10; ++i) z.add_mx("ten.example.com", i, i == 9 ? "x.example.com" : "mail.example.com");
    z.add_mx("e4.example.com", 10, "x.example.com");
    CHECK(result(z, "1.2.3.5", "u@e4.example.com") == "permerror");
    CHECK(result(z, "1.2.3.4", "u@e4.example.com") == "permerror");  // whatever the order
    CHECK(check(z, "1.2.3.4", "u@e4.example.com").problem == "mx: e4.example.com has 11 MX records, more than 10");
    CHECK(result(z, "1.2.3.5", "u@ten.example.com") == "pass");
}

TEST_CASE("5.5: ptr validates names forward and matches the target or its subdomains") {
    Zone z = zone({"4.3.2.1.in-addr.arpa PTR e3.example.com", "4.3.2.1.in-addr.arpa PTR e4.example.com",
                   "4.3.2.1.in-addr.arpa PTR mail.example.com", "e2.example.com TXT v=spf1 ptr:example.com -all",
                   "e3.example.com TXT v=spf1 ptr -all", "e3.example.com A 1.2.3.4", "e3.example.com AAAA CAFE:BABE::1",
                   "mail.example.com A 1.2.3.4", "e4.example.com TXT v=spf1 ptr -all",
                   "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.e.b.a.b.e.f.a.c.ip6.arpa PTR e3.example.com",
                   "e5.example.com TXT v=spf1 ptr:other.example -all", "slow.example.com TXT v=spf1 ptr -all",
                   "9.9.9.9.in-addr.arpa PTR a.slow.example.com", "9.9.9.9.in-addr.arpa PTR b.slow.example.com",
                   "b.slow.example.com A 9.9.9.9", "a.slow.example.com A 9.9.9.9"});
    z.add_timeout("a.slow.example.com");
    CHECK(result(z, "1.2.3.4", "u@e2.example.com") == "pass");
    CHECK(result(z, "1.2.3.4", "u@e3.example.com") == "pass");
    CHECK(result(z, "CAFE:BABE::1", "u@e3.example.com") == "pass");
    CHECK(result(z, "1.2.3.4", "u@e4.example.com") == "fail");  // e4 has no A record: not validated
    CHECK(result(z, "1.2.3.4", "u@e5.example.com") == "fail");
    CHECK(result(z, "9.9.9.9", "u@slow.example.com") == "pass");  // a DNS error skips one name
    z.add_timeout("9.9.9.9.in-addr.arpa");
    CHECK(result(z, "9.9.9.9", "u@slow.example.com") == "fail");  // a PTR lookup error: no match
}

TEST_CASE("5.5 + 4.6.4: only the first 10 PTR names count") {
    Zone z = zone({"e5.example.com TXT v=spf1 ptr", "e5.example.com A 1.2.3.5", "e1.example.com A 1.2.3.5"});
    for (int i = 6; i <= 15; ++i) z.add_ptr("5.3.2.1.in-addr.arpa", "h" + std::to_string(i) + ".example.net");
    z.add_ptr("5.3.2.1.in-addr.arpa", "e5.example.com");
    CHECK(result(z, "1.2.3.5", "u@e5.example.com") == "neutral");
    Zone y = zone({"e5.example.com TXT v=spf1 ptr", "e5.example.com A 1.2.3.5"});
    for (int i = 6; i <= 14; ++i) y.add_ptr("5.3.2.1.in-addr.arpa", "h" + std::to_string(i) + ".example.net");
    y.add_ptr("5.3.2.1.in-addr.arpa", "e5.example.com");
    CHECK(result(y, "1.2.3.5", "u@e5.example.com") == "pass");
}

TEST_CASE("5.7: exists looks up A records, for IPv6 clients too") {
    Zone z = zone({"mail.example.com A 1.2.3.4", "mail6.example.com AAAA CAFE:BABE::4",
                   "e4.example.com TXT v=spf1 exists:mail.example.com", "e5.example.com TXT v=spf1 exists:mail6.example.com -all",
                   "e6.example.com TXT v=spf1 exists:err.example.com -all",
                   "e7.example.com TXT v=spf1 exists:%{l}.users.example.com -all", "alice.users.example.com A 127.0.0.2"});
    z.add_timeout("err.example.com");
    CHECK(result(z, "1.2.3.4", "u@e4.example.com") == "pass");
    CHECK(result(z, "CAFE:BABE::3", "u@e4.example.com") == "pass");
    CHECK(result(z, "CAFE:BABE::3", "u@e5.example.com") == "fail");
    CHECK(result(z, "CAFE:BABE::3", "u@e6.example.com") == "temperror");
    CHECK(result(z, "1.2.3.4", "alice@e7.example.com") == "pass");
    CHECK(result(z, "1.2.3.4", "bob@e7.example.com") == "fail");
    CHECK(check(z, "1.2.3.4", "bob@e7.example.com").used.sender);
    CHECK_FALSE(check(z, "1.2.3.4", "u@e4.example.com").used.sender);
}

TEST_CASE("5: DNS errors in a, mx, exists are temperror; NXDOMAIN is no match") {
    Zone z = zone({"a.example.com TXT v=spf1 a:slow.example.com -all", "m.example.com TXT v=spf1 mx:slow.example.com -all",
                   "n.example.com TXT v=spf1 a:nx.example.com ?all"});
    z.add_servfail("slow.example.com");
    CHECK(result(z, "1.2.3.4", "u@a.example.com") == "temperror");
    CHECK(check(z, "1.2.3.4", "u@a.example.com").problem == "a:slow.example.com: DNS SERVFAIL for A slow.example.com");
    CHECK(result(z, "1.2.3.4", "u@m.example.com") == "temperror");
    CHECK(result(z, "1.2.3.4", "u@n.example.com") == "neutral");
}

// ---------------------------------------------------------------------------------------------
// 6: modifiers
// ---------------------------------------------------------------------------------------------

TEST_CASE("6.1: redirect") {
    Zone z = zone({"t5.example.com TXT v=spf1 redirect=t5.example.com ~all",  // ignored: there is an all
                   "t6.example.com TXT v=spf1 ip4:1.2.3.4 redirect=t2.example.com",
                   "t2.example.com TXT v=spf1 ip4:1.2.3.7 -all", "e10.example.com TXT v=spf1 redirect=erehwon.example.com",
                   "e11.example.com TXT v=spf1 redirect=%{l}.example.com",
                   "e12.example.com TXT v=spf1 redirect=slow.example.com",
                   "e13.example.com TXT v=spf1 redirect=t2.example.com ip4:1.2.3.5",  // position does not matter
                   "example.com TXT v=spf1 redirect=%{d}.d.spf.example.com.",
                   "example.com.d.spf.example.com TXT v=spf1 redirect=a.spf.example.com",
                   "a.spf.example.com TXT v=spf1 include:o.spf.example.com. ~all",
                   "o.spf.example.com TXT v=spf1 ip4:192.168.218.40"});
    z.add_timeout("slow.example.com");
    CHECK(result(z, "1.2.3.4", "u@t5.example.com") == "softfail");
    CHECK(result(z, "1.2.3.4", "u@t6.example.com") == "pass");
    CHECK(result(z, "1.2.3.5", "u@t6.example.com") == "fail");
    CHECK(result(z, "1.2.3.7", "u@t6.example.com") == "pass");
    const auto r = check(z, "1.2.3.5", "u@t6.example.com");
    CHECK(r.domain == "t2.example.com");
    CHECK(r.mechanism == "-all");
    CHECK(result(z, "1.2.3.4", "u@e10.example.com") == "permerror");  // a target without SPF: permerror, not none
    CHECK(result(z, "1.2.3.4", "..@e11.example.com") == "permerror"); // a malformed target: permerror
    CHECK(result(z, "1.2.3.4", "u@e12.example.com") == "temperror");
    CHECK(result(z, "1.2.3.5", "u@e13.example.com") == "pass");
    CHECK(result(z, "1.2.3.6", "u@e13.example.com") == "fail");
    CHECK(result(z, "192.168.218.40", "u@example.com") == "pass");  // trailing dots ignored in targets
    CHECK(result(z, "192.168.218.41", "u@example.com") == "softfail");
}

TEST_CASE("6.2: exp, and what makes it fall back to the default explanation") {
    Zone z = zone({"e1.example.com TXT v=spf1 exp=exp1.example.com redirect=e2.example.com",
                   "e2.example.com TXT v=spf1 -all", "e3.example.com TXT v=spf1 exp=exp1.example.com redirect=e4.example.com",
                   "e4.example.com TXT v=spf1 -all exp=exp2.example.com", "exp1.example.com TXT No-see-um",
                   "exp2.example.com TXT See me.", "e13.example.com TXT v=spf1 exp=e13msg.example.com -all",
                   "e13msg.example.com TXT The %{x}-files.", "e11.example.com TXT v=spf1 -all exp=e11msg.example.com",
                   "e11msg.example.com TXT Answer a fool according to his folly.",
                   "e11msg.example.com TXT Do not answer a fool according to his folly.",
                   "e21.example.com TXT v=spf1 exp=e21msg.example.com -all",
                   "e22.example.com TXT v=spf1 exp=mail.example.com -all", "mail.example.com A 1.2.3.4",
                   "e23.example.com TXT v=spf1 a:erehwon.example.com a:foobar.com exp=nxdomain.com -all",
                   "nonascii.example.com TXT v=spf1 exp=badexp.example.com -all",
                   "badexp.example.com TXT \xef\xbb\xbf" "Explanation",
                   "split.example.com TXT v=spf1 -all exp=splitmsg.example.com",
                   "splitmsg.example.com TXT one |two", "softexp.example.com TXT v=spf1 ~all exp=exp2.example.com",
                   "exp.example.com TXT v=spf1 exp=msg.example.com. -all", "msg.example.com TXT This is a test."});
    z.add_timeout("e21msg.example.com");
    CHECK(check(z, "1.2.3.4", "u@e1.example.com").explanation == "e2.example.com does not designate 1.2.3.4 as a permitted sender");
    CHECK(check(z, "1.2.3.4", "u@e3.example.com").explanation == "See me.");
    CHECK(check(z, "1.2.3.4", "u@e13.example.com").explanation ==
          "e13.example.com does not designate 1.2.3.4 as a permitted sender");  // syntax error in the text
    CHECK(check(z, "1.2.3.4", "u@e11.example.com").explanation.find("does not designate") != std::string::npos);
    CHECK(check(z, "1.2.3.4", "u@e21.example.com").explanation.find("does not designate") != std::string::npos);
    CHECK(check(z, "1.2.3.4", "u@e22.example.com").explanation.find("does not designate") != std::string::npos);
    const auto v = check(z, "1.2.3.4", "u@e23.example.com");
    CHECK(v.result == SpfResult::fail);  // exp= is not a void lookup, so the two voids stay under the limit
    CHECK(v.void_lookups == 2);
    CHECK(check(z, "1.2.3.4", "u@nonascii.example.com").explanation.find("does not designate") != std::string::npos);
    CHECK(check(z, "1.2.3.4", "u@split.example.com").explanation == "one two");
    CHECK(check(z, "1.2.3.4", "u@softexp.example.com").explanation.empty());  // only a fail has one
    CHECK(check(z, "1.2.3.4", "u@exp.example.com").explanation == "This is a test.");
    // The default explanation is an option; "" switches it off.
    SpfOptions quiet;
    quiet.default_explanation = "";
    CHECK(check_host(z, "1.2.3.4", "", "u@e2.example.com", "h.example", quiet).explanation.empty());
}

// ---------------------------------------------------------------------------------------------
// 7: macros
// ---------------------------------------------------------------------------------------------

TEST_CASE("7.4: the RFC's macro examples") {
    CHECK(expand("%{s}") == "strong-bad@email.example.com");
    CHECK(expand("%{o}") == "email.example.com");
    CHECK(expand("%{d}") == "email.example.com");
    CHECK(expand("%{d4}") == "email.example.com");
    CHECK(expand("%{d3}") == "email.example.com");
    CHECK(expand("%{d2}") == "example.com");
    CHECK(expand("%{d1}") == "com");
    CHECK(expand("%{dr}") == "com.example.email");
    CHECK(expand("%{d2r}") == "example.email");
    CHECK(expand("%{l}") == "strong-bad");
    CHECK(expand("%{l-}") == "strong.bad");
    CHECK(expand("%{lr}") == "strong-bad");
    CHECK(expand("%{lr-}") == "bad.strong");
    CHECK(expand("%{l1r-}") == "strong");
    CHECK(expand("%{ir}.%{v}._spf.%{d2}") == "3.2.0.192.in-addr._spf.example.com");
    CHECK(expand("%{lr-}.lp._spf.%{d2}") == "bad.strong.lp._spf.example.com");
    CHECK(expand("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}") == "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
    CHECK(expand("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}") == "3.2.0.192.in-addr.strong.lp._spf.example.com");
    CHECK(expand("%{d2}.trusted-domains.example.net") == "example.com.trusted-domains.example.net");
    CHECK(expand("%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01") ==
          "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
}

TEST_CASE("7: every letter, escapes, uppercase URL escaping, transformers, delimiters") {
    CHECK(expand("%{p}") == "mx.example.org");
    CHECK(expand("%{h}") == "mx.example.org");
    CHECK(expand("%{v}", "::1") == "ip6");
    CHECK(expand("%{i}", "::ffff:192.0.2.3") == "192.0.2.3");  // an IPv4-mapped address is IPv4
    CHECK(expand("%{c}", "192.0.2.3", MacroText::explain_string) == "192.0.2.3");
    CHECK(expand("%{c}", "2001:DB8::CB01", MacroText::explain_string) == "2001:db8::cb01");
    CHECK(expand("%{r}", "192.0.2.3", MacroText::explain_string) == "receiver.example.net");
    CHECK(expand("%{t}", "192.0.2.3", MacroText::explain_string) == "1234567890");
    CHECK(expand("%% %_ %-", "192.0.2.3", MacroText::explain_string) == "%   %20");
    CHECK(expand("a%%b%_c%-d") == "a%b c%20d");
    CHECK(expand("%{S}") == "strong-bad%40email.example.com");
    CHECK(expand("%{L}") == "strong-bad");
    CHECK(expand("%{d99999999999999999999}") == "email.example.com");  // more parts than there are
    CHECK(expand("%{d02}") == "example.com");
    CHECK(expand("%{l+-}") == "strong.bad");
    CHECK(macro_problem("%{s@}", MacroText::domain_spec) == "malformed macro '%{s@'");  // '@' is no delimiter
    CHECK(expand("%{s=,/_+-.}") == "strong.bad@email.example.com");
    CHECK(expand("%{o1R}") == "email");
    CHECK(url_escape("jack&jill=up") == "jack%26jill%3Dup");
    CHECK(url_escape("a b~c") == "a%20b~c");
    // The RFC's upper-case example in an exp text.
    Zone z = zone({"e8.example.com TXT v=spf1 -all exp=msg8.%{D2}", "msg8.example.com TXT http://example.com/why.html?l=%{L}"});
    CHECK(check(z, "192.168.218.42", "jack&jill=up@e8.example.com").explanation == "http://example.com/why.html?l=jack%26jill%3Dup");
    CHECK(macro_problem("%{a}", MacroText::explain_string) == "unknown macro letter 'a'");
    CHECK(macro_problem("%{d0}", MacroText::domain_spec) == "a macro transformer must not keep zero parts");
    CHECK(macro_problem("%{c}", MacroText::domain_spec) == "macro letter 'c' is allowed only in explanation text");
    CHECK(macro_problem("50%", MacroText::explain_string) == "'%' at the end (write %% for a percent sign)");
    CHECK(macro_problem("%x", MacroText::explain_string) == "'%x' is not a macro (write %% for a percent sign)");
    CHECK(macro_problem("a b", MacroText::domain_spec) == "space");
    CHECK(macro_problem("a b", MacroText::explain_string).empty());
}

TEST_CASE("7: macros in records, with the RFC test-world names") {
    Zone z = zone({"e1a.example.com TXT v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all",
                   "e9.example.com TXT v=spf1 a:%{H} -all", "msgbas2x.cos.example.com A 192.168.218.40",
                   "e10.example.com TXT v=spf1 -include:_spfh.%{d2} ip4:1.2.3.0/24 -all",
                   "_spfh.example.com TXT v=spf1 -a:%{h} +all",
                   "e11.example.com TXT v=spf1 exists:%{i}.%{l2r-}.user.%{d2}",
                   "1.2.3.4.gladstone.philip.user.example.com A 127.0.0.2",
                   "e12.example.com TXT v=spf1 exists:%{l2r+-}.user.%{d2}", "bar.foo.user.example.com A 127.0.0.2",
                   "e4.example.com TXT v=spf1 -all exp=e4msg.example.com",
                   "e4msg.example.com TXT %{c} is queried as %{ir}.%{v}.arpa",
                   "e3.example.com TXT v=spf1 -all exp=%{ir}.example.com",
                   "40.218.168.192.example.com TXT Connections from %{c} not authorized.",
                   "e6.example.com TXT v=spf1 -all exp=e6msg.example.com", "e6msg.example.com TXT connect from %{p}",
                   "40.218.168.192.in-addr.arpa PTR mx.example.com", "41.218.168.192.in-addr.arpa PTR mx.example.com",
                   "42.218.168.192.in-addr.arpa PTR mx.example.com", "42.218.168.192.in-addr.arpa PTR mx.e7.example.com",
                   "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.e.b.a.b.e.f.a.c.ip6.arpa PTR mx.example.com",
                   "3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.e.b.a.b.e.f.a.c.ip6.arpa PTR mx.example.com",
                   "mx.example.com A 192.168.218.41", "mx.example.com A 192.168.218.42",
                   "mx.example.com AAAA CAFE:BABE::2", "mx.example.com AAAA CAFE:BABE::3",
                   "mx.e7.example.com A 192.168.218.42",
                   "e7.example.com TXT v=spf1 exists:%{p}.should.example.com ~exists:%{p}.ok.example.com",
                   "mx.e7.example.com.should.example.com A 127.0.0.2", "mx.example.com.ok.example.com A 127.0.0.2",
                   "somewhat.long.exp.example.com TXT v=spf1 -all exp=foobar.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.example.com"});
    z.add_a("macro%percent  space%20url-space.example.com", "1.2.3.4");  // spaces: not in the line format
    z.add_txt("somewhat.long.exp.example.com.somewhat.long.exp.example.com.somewhat.long.exp.example.com."
              "somewhat.long.exp.example.com.somewhat.long.exp.example.com.somewhat.long.exp.example.com."
              "somewhat.long.exp.example.com.somewhat.long.exp.example.com.example.com",
              {"Congratulations!  That was tricky."});
    CHECK(result(z, "1.2.3.4", "test@e1a.example.com") == "pass");
    CHECK(result(z, "192.168.218.40", "test@e9.example.com", "msgbas2x.cos.example.com") == "pass");
    CHECK(result(z, "192.168.218.40", "test@e9.example.com", "[192.168.218.40]") == "fail");
    CHECK(result(z, "192.168.218.40", "test@e9.example.com", "JUMPIN' JUPITER") == "fail");
    CHECK(check(z, "192.168.218.40", "test@e9.example.com").used.helo);
    CHECK(result(z, "1.2.3.4", "test@e10.example.com", "OEMCOMPUTER") == "fail");
    CHECK(result(z, "1.2.3.4", "philip-gladstone-test@e11.example.com") == "pass");
    CHECK(result(z, "1.2.3.4", "foo-bar+zip+quux@e12.example.com") == "pass");
    CHECK(check(z, "192.168.218.40", "test@e4.example.com").explanation ==
          "192.168.218.40 is queried as 40.218.168.192.in-addr.arpa");
    CHECK(check(z, "CAFE:BABE::1", "test@e4.example.com").explanation ==
          "cafe:babe::1 is queried as 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.e.b.a.b.e.f.a.c.ip6.arpa");
    CHECK(check(z, "192.168.218.40", "test@e3.example.com").explanation == "Connections from 192.168.218.40 not authorized.");
    CHECK(check(z, "192.168.218.41", "test@e6.example.com").explanation == "connect from mx.example.com");
    CHECK(check(z, "192.168.218.40", "test@e6.example.com").explanation == "connect from unknown");  // does not validate
    CHECK(check(z, "CAFE:BABE::3", "test@e6.example.com").explanation == "connect from mx.example.com");
    CHECK(check(z, "CAFE:BABE::1", "test@e6.example.com").explanation == "connect from unknown");
    const auto p = check(z, "192.168.218.42", "test@e7.example.com");  // prefers a subdomain of <domain>
    CHECK(p.result == SpfResult::pass);
    CHECK(p.used.ptr);
    CHECK(check(z, "192.168.218.40", "test@somewhat.long.exp.example.com").explanation ==
          "Congratulations!  That was tricky.");  // truncated to 253 octets from the left
}

// ---------------------------------------------------------------------------------------------
// 4.6.4: limits
// ---------------------------------------------------------------------------------------------

TEST_CASE("4.6.4: 10 DNS-querying terms; includes and redirect loops stop there") {
    Zone z = zone({"e6.example.com TXT v=spf1 a mx a mx a mx a mx a ptr ip4:1.2.3.4 -all", "e6.example.com A 1.2.3.8",
                   "e6.example.com MX 10 e6.example.com",
                   "e7.example.com TXT v=spf1 a mx a mx a mx a mx a ptr a ip4:1.2.3.4 -all", "e7.example.com A 1.2.3.20",
                   "e7.example.com MX 10 e7.example.com",
                   "e8.example.com TXT v=spf1 a include:inc.example.com ip4:1.2.3.4 mx -all", "e8.example.com A 1.2.3.4",
                   "e9.example.com TXT v=spf1 a include:inc.example.com a ip4:1.2.3.4 -all", "e9.example.com A 1.2.3.21",
                   "inc.example.com TXT v=spf1 a a a a a a a a", "inc.example.com A 1.2.3.10",
                   "e1.example.com TXT v=spf1 ip4:1.1.1.1 redirect=e1.example.com",
                   "e2.example.com TXT v=spf1 include:e3.example.com", "e3.example.com TXT v=spf1 include:e2.example.com",
                   "lots.example.com TXT v=spf1 ip4:1.2.3.4 " "ip4:1.2.3.5 ip4:1.2.3.6 ip4:1.2.3.7 ip4:1.2.3.8 ip4:1.2.3.9 "
                   "ip4:1.2.3.10 ip4:1.2.3.11 ip4:1.2.3.12 ip4:1.2.3.13 ip4:1.2.3.14 all"});
    const auto at = check(z, "1.2.3.4", "foo@e6.example.com");
    CHECK(at.result == SpfResult::pass);
    CHECK(at.dns_terms == 10);
    const auto over = check(z, "1.2.3.4", "foo@e7.example.com");
    CHECK(over.result == SpfResult::permerror);
    CHECK(over.problem == "more than 10 DNS-querying terms (at 'a')");
    CHECK(result(z, "1.2.3.4", "foo@e8.example.com") == "pass");
    CHECK(result(z, "1.2.3.4", "foo@e9.example.com") == "permerror");
    CHECK(result(z, "1.2.3.4", "foo@e1.example.com") == "permerror");
    CHECK(result(z, "1.2.3.4", "foo@e2.example.com") == "permerror");
    CHECK(result(z, "1.2.3.99", "foo@lots.example.com") == "pass");  // ip4 and all do not count
    SpfOptions strict;
    strict.max_dns_terms = 2;
    CHECK(check_host(z, "1.2.3.4", "", "foo@e6.example.com", "", strict).result == SpfResult::permerror);
}

TEST_CASE("4.6.4: at most two void lookups") {
    Zone z = zone({"e11.example.com TXT v=spf1 a:err.example.com a:err1.example.com a:err2.example.com ?all",
                   "e12.example.com TXT v=spf1 a:err.example.com a:err1.example.com ?all",
                   "e13.example.com TXT v=spf1 mx:nomx.example.com exists:nx.example.com ptr include:nx2.example.com ?all",
                   "nomx.example.com A 1.2.3.4", "e14.example.com TXT v=spf1 mx -all",
                   "e14.example.com MX 1 nx1.example.com", "e14.example.com MX 2 nx2.example.com",
                   "e14.example.com MX 3 nx3.example.com"});
    const auto over = check(z, "1.2.3.4", "foo@e11.example.com");
    CHECK(over.result == SpfResult::permerror);
    CHECK(over.problem == "more than 2 void DNS lookups (at a:err2.example.com)");
    const auto at = check(z, "1.2.3.4", "foo@e12.example.com");
    CHECK(at.result == SpfResult::neutral);
    CHECK(at.void_lookups == 2);
    const auto mixed = check(z, "1.2.3.4", "foo@e13.example.com");  // MX NODATA, A NXDOMAIN, PTR NXDOMAIN
    CHECK(mixed.result == SpfResult::permerror);
    CHECK(mixed.problem == "more than 2 void DNS lookups (at ptr)");
    CHECK(result(z, "1.2.3.4", "foo@e14.example.com") == "fail");  // MX names without addresses are not counted
}

// ---------------------------------------------------------------------------------------------
// Results: every code, and every temperror and permerror path in one place.
// ---------------------------------------------------------------------------------------------

TEST_CASE("every result code, every temperror and permerror path") {
    Zone z = zone({"pass.example.com TXT v=spf1 +all", "fail.example.com TXT v=spf1 -all",
                   "softfail.example.com TXT v=spf1 ~all", "neutral.example.com TXT v=spf1 ?all",
                   "implicit.example.com TXT v=spf1", "none.example.com TXT not spf",
                   // temperror paths
                   "t1.example.com TXT v=spf1 +all", "t2.example.com TXT v=spf1 a:slow.example.com",
                   "t3.example.com TXT v=spf1 mx:slow.example.com", "t4.example.com TXT v=spf1 mx:m.example.com",
                   "m.example.com MX 1 slow.example.com", "t5.example.com TXT v=spf1 exists:slow.example.com",
                   "t6.example.com TXT v=spf1 include:slow.example.com", "t7.example.com TXT v=spf1 redirect=slow.example.com",
                   "t8.example.com TXT v=spf1 include:t2.example.com", "t9.example.com TXT v=spf1 a:sf.example.com",
                   // permerror paths
                   "p1.example.com TXT v=spf1 bogus", "p2.example.com TXT v=spf1 -all",
                   "p2.example.com TXT v=spf1 +all", "p3.example.com TXT v=spf1 include:none.example.com",
                   "p4.example.com TXT v=spf1 redirect=none.example.com", "p5.example.com TXT v=spf1 include:p1.example.com",
                   "p6.example.com TXT v=spf1 redirect=p5.example.com", "p7.example.com TXT v=spf1 mx",
                   "p8.example.com TXT v=spf1 a:nx1.example.com a:nx2.example.com a:nx3.example.com",
                   "p9.example.com TXT v=spf1 include:p9.example.com",
                   "p10.example.com TXT v=spf1 exp=a.example.com exp=b.example.com"});
    for (int i = 0; i < 11; ++i) z.add_mx("p7.example.com", i, "mx.example.com");
    z.add_timeout("t1.example.com", dns::RType::TXT);
    z.add_timeout("slow.example.com");
    z.add_servfail("sf.example.com", dns::RType::A);
    const std::vector<std::pair<const char*, const char*>> expect{
        {"pass", "pass"}, {"fail", "fail"}, {"softfail", "softfail"}, {"neutral", "neutral"}, {"implicit", "neutral"},
        {"none", "none"}, {"nothing", "none"},
        {"t1", "temperror"}, {"t2", "temperror"}, {"t3", "temperror"}, {"t4", "temperror"}, {"t5", "temperror"},
        {"t6", "temperror"}, {"t7", "temperror"}, {"t8", "temperror"}, {"t9", "temperror"},
        {"p1", "permerror"}, {"p2", "permerror"}, {"p3", "permerror"}, {"p4", "permerror"}, {"p5", "permerror"},
        {"p6", "permerror"}, {"p7", "permerror"}, {"p8", "permerror"}, {"p9", "permerror"}, {"p10", "permerror"}};
    std::set<std::string> seen;
    for (const auto& [who, want] : expect) {
        const std::string sender = std::string("u@") + who + ".example.com";
        const auto r = check(z, "192.0.2.1", sender.c_str());
        CAPTURE(sender);
        CHECK(name_of(r.result) == want);
        if (r.result == SpfResult::temperror || r.result == SpfResult::permerror || r.result == SpfResult::none)
            CHECK_FALSE(r.problem.empty());
        seen.insert(std::string(name_of(r.result)));
    }
    CHECK(seen.size() == spf_result_count);
    for (std::size_t i = 0; i < spf_result_count; ++i)
        CHECK(parse_spf_result(spf_result_names[i]) == static_cast<SpfResult>(i));
    CHECK_FALSE(parse_spf_result("Pass"));
    CHECK_THROWS_WITH_AS(check_host(z, "1.2.3", "example.com", "u@example.com"),
                         "'1.2.3' is not an IPv4 or IPv6 address", std::invalid_argument);
}

TEST_CASE("random timeouts: drawn per query, and an exact cache criterion") {
    Zone z = zone({"example.com TXT v=spf1 a mx include:_spf.example.net -all", "example.com A 192.0.2.1",
                   "example.com MX 10 mx.example.com", "mx.example.com A 192.0.2.2",
                   "_spf.example.net TXT v=spf1 ip4:198.51.100.0/24 -all"});
    const auto base = check_host(z, "198.51.100.7", "", "u@example.com");
    CHECK(base.result == SpfResult::pass);
    CHECK(base.queries == 5);  // TXT, A, MX, A (mx host), TXT (include)
    z.set_timeout_probability(0.5);
    // Draws above the probability for every query of the deterministic run: the same result.
    const auto high = [](std::uint32_t) { return 0.9; };
    const auto same = check_host(z, "198.51.100.7", "", "u@example.com", "", {}, high);
    CHECK(same.result == base.result);
    CHECK(same.queries == base.queries);
    CHECK_FALSE(same.random_timeout);
    for (std::uint32_t k = 0; k < base.queries; ++k) {  // a timeout at any query gives temperror here
        const auto one = [k](std::uint32_t q) { return q == k ? 0.1 : 0.9; };
        const auto r = check_host(z, "198.51.100.7", "", "u@example.com", "", {}, one);
        CAPTURE(k);
        CHECK(r.result == SpfResult::temperror);
        CHECK(r.random_timeout);
    }
    // Without a draw the probability is not applied: deterministic.
    CHECK(check_host(z, "198.51.100.7", "", "u@example.com").result == SpfResult::pass);
}

TEST_CASE("determinism: the same inputs always give the same check") {
    Zone z = zone({"example.com TXT v=spf1 ptr mx:%{d} exists:%{ir}.%{l}.x.example.com ~all",
                   "example.com MX 10 mx.example.com", "mx.example.com A 192.0.2.2",
                   "1.2.0.192.in-addr.arpa PTR mx.example.com"});
    SpfOptions o;
    o.trace = true;
    const auto a = check_host(z, "192.0.2.1", "", "u@example.com", "h.example", o);
    const auto b = check_host(z, "192.0.2.1", "", "u@example.com", "h.example", o);
    CHECK(a.result == b.result);
    CHECK(a.trace == b.trace);
    CHECK(a.queries == b.queries);
    CHECK(a.result == SpfResult::softfail);
    CHECK(a.trace.size() > 3);
}

TEST_CASE("fuzz: random record text never escapes the seven results") {
    // Records assembled from SPF-ish fragments and random bytes; check_host must always end
    // in one of the seven results, with a problem text for errors.
    std::mt19937_64 rng(20240611);
    const std::vector<std::string> pieces{
        "v=spf1", " ", "  ", "+", "-", "~", "?", "all", "a", "mx", "ptr", "ip4:", "ip6:", "include:", "exists:",
        "redirect=", "exp=", ":", "/", "//", "24", "0", "33", "128", "129", "1.2.3.4", "::1", "cafe::", "example.com",
        "t.example.com", "a.example.com", "%{d}", "%{i}", "%{ir}", "%{l}", "%{p}", "%{c}", "%{d2r-}", "%%", "%_", "%-",
        "%", "{", "}", ".", "..", "=", "x=", "\t", "\xff", "-all", "~all", "foo", "%{h}", "%{o}", "%{v}", "%{s}"};
    Zone z = zone({"a.example.com A 1.2.3.4", "a.example.com AAAA ::1", "a.example.com MX 5 a.example.com",
                   "4.3.2.1.in-addr.arpa PTR a.example.com"});
    z.add_timeout("slow.example.com");
    std::set<SpfResult> seen;
    for (int i = 0; i < 3000; ++i) {
        std::string rec = i % 4 == 0 ? "" : "v=spf1 ";
        const int n = static_cast<int>(rng() % 12);
        for (int k = 0; k < n; ++k) {
            if (rng() % 10 == 0) rec += static_cast<char>(rng() % 256);
            else rec += pieces[rng() % pieces.size()];
        }
        Zone world = z;
        dns::Txt strings;
        for (std::size_t at = 0; at < rec.size(); at += 255) strings.push_back(rec.substr(at, 255));
        if (strings.empty()) strings.push_back("");
        world.add_txt("t.example.com", strings);
        if (rng() % 3 == 0) world.add_txt("t.example.com", {"v=spf1 include:t.example.com"});
        for (const char* ip : {"1.2.3.4", "::1"}) {
            const auto r = check_host(world, ip, "", "x@t.example.com", "a.example.com");
            REQUIRE(static_cast<std::size_t>(r.result) < spf_result_count);
            if (r.result == SpfResult::permerror || r.result == SpfResult::temperror) CHECK_FALSE(r.problem.empty());
            seen.insert(r.result);
        }
    }
    CHECK(seen.count(SpfResult::permerror));
    CHECK(seen.count(SpfResult::pass));
    CHECK(seen.count(SpfResult::none));
}
