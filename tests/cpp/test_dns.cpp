// The simulated DNS: address parsing and formatting, zone answers, failure injection, JSON.
#include <delivsim/dns/zone_file.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace delivsim;
using namespace delivsim::dns;

namespace {

std::string error_of(const std::string& text) {
    try {
        parse_zone_text(text);
    } catch (const ScenarioError& e) {
        return e.what();
    }
    return "no error";
}

std::string ip6(const char* s) {
    const auto ip = parse_ipv6(s);
    REQUIRE(ip);
    return to_string(*ip);
}

}  // namespace

TEST_CASE("a TXT record may hold no string or an empty string, and round-trips through JSON") {
    const Zone z = dns::parse_zone(json::parse(R"({"records": [{"name": "a.example", "type": "TXT", "value": []},
                                                              {"name": "a.example", "type": "TXT", "value": ""}]})"));
    const auto txt = z.txt("a.example");
    REQUIRE(txt.records.size() == 2);
    CHECK(txt.records[0].empty());
    CHECK(txt.records[1] == dns::Txt{""});
    CHECK(dns::joined(txt.records[0]).empty());
    CHECK(dns::parse_zone(z.to_json()).to_json() == z.to_json());
}

TEST_CASE("IPv4: strict dotted quads") {
    for (const char* ok : {"1.2.3.4", "0.0.0.0", "255.255.255.255", "192.0.2.10"}) {
        CAPTURE(ok);
        REQUIRE(parse_ipv4(ok));
        CHECK(to_string(*parse_ipv4(ok)) == ok);
    }
    for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.04", "1..2.3", "1.2.3.4 ",
                            " 1.2.3.4", "1.2.3.-4", "a.b.c.d", "1.2.3.4/24", "1.2.3.1000", "1.2.3."}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_ipv4(bad));
    }
}

TEST_CASE("IPv6: RFC 4291 text forms, RFC 5952 output") {
    CHECK(ip6("::") == "::");
    CHECK(ip6("::1") == "::1");
    CHECK(ip6("2001:0DB8::0001") == "2001:db8::1");
    CHECK(ip6("2001:db8:0:0:1:0:0:1") == "2001:db8::1:0:0:1");     // the longest run
    CHECK(ip6("1:0:0:2:3:0:0:4") == "1::2:3:0:0:4");               // the first of equal runs
    CHECK(ip6("2001:db8:0:1:1:1:1:1") == "2001:db8:0:1:1:1:1:1");  // one zero group stays
    CHECK(ip6("1:2:3:4:5:6:7::") == "1:2:3:4:5:6:7:0");
    CHECK(ip6("CAFE:BABE::1") == "cafe:babe::1");
    CHECK(ip6("::1.2.3.4") == "::102:304");
    CHECK(ip6("::FFFF:1.2.3.4") == "::ffff:1.2.3.4");
    CHECK(parse_ipv6("::ffff:1.2.3.4")->is_v4_mapped());
    CHECK(parse_ipv6("::ffff:1.2.3.4")->unmapped() == *parse_ipv4("1.2.3.4"));
    CHECK(parse_ipv6("::1")->unmapped() == *parse_ipv6("::1"));
    for (const char* bad : {"", ":", ":::", "1::2::3", "12345::", "g::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::",
                            ":1", "1:", "1:2:3:4:5:6:7", "::1.2.3", "::1.2.3.4:5", "1.2.3.4::", "::01.2.3.4",
                            "fe80::1%eth0", "[::1]"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_ipv6(bad));
    }
    CHECK(parse_ip("1.2.3.4")->is_v4());
    CHECK(parse_ip("::1")->is_v6());
    CHECK_FALSE(parse_ip("example.com"));
}

TEST_CASE("CIDR matching, reverse names and the dotted nibble form") {
    const auto net = *parse_ipv4("192.0.2.128");
    CHECK(in_network(*parse_ipv4("192.0.2.130"), net, 28));
    CHECK(in_network(*parse_ipv4("192.0.2.143"), net, 28));
    CHECK_FALSE(in_network(*parse_ipv4("192.0.2.144"), net, 28));
    CHECK(in_network(*parse_ipv4("10.9.8.7"), net, 0));
    CHECK(in_network(*parse_ipv4("192.0.2.131"), *parse_ipv4("192.0.2.129"), 30));
    CHECK_FALSE(in_network(*parse_ipv6("::1"), net, 0));  // families never mix
    CHECK(in_network(*parse_ipv6("cafe:babe:8000::"), *parse_ipv6("cafe:babe:8000::"), 33));
    CHECK_FALSE(in_network(*parse_ipv6("cafe:babe::"), *parse_ipv6("cafe:babe:8000::"), 33));
    CHECK(in_network(*parse_ipv6("2001:db8::1"), *parse_ipv6("::"), 0));

    CHECK(reverse_name(*parse_ipv4("192.0.2.3")) == "3.2.0.192.in-addr.arpa");
    CHECK(reverse_name(*parse_ipv6("::ffff:192.0.2.3")) == "3.2.0.192.in-addr.arpa");
    // RFC 7208 section 7.4's IPv6 example
    CHECK(reverse_name(*parse_ipv6("2001:db8::cb01")) ==
          "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    CHECK(dotted_form(*parse_ipv6("2001:db8::cb01")) ==
          "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1");
    CHECK(dotted_form(*parse_ipv4("192.0.2.3")) == "192.0.2.3");
}

TEST_CASE("zone: names are case-insensitive, trailing dots ignored, NXDOMAIN versus NODATA") {
    Zone z;
    z.add_a("Mail.Example.COM.", "192.0.2.1");
    z.add_txt("example.com", {"v=spf1 ", "-all"});
    const auto a = z.a("MAIL.example.com");
    CHECK(a.rcode == Rcode::noerror);
    REQUIRE(a.records.size() == 1);
    CHECK(to_string(a.records[0]) == "192.0.2.1");
    CHECK(joined(z.txt("example.com.").records[0]) == "v=spf1 -all");
    CHECK(z.txt("example.com").records[0].size() == 2);

    CHECK(z.aaaa("mail.example.com").rcode == Rcode::noerror);  // NODATA: the name exists
    CHECK(z.aaaa("mail.example.com").is_void());
    CHECK(z.a("com").rcode == Rcode::noerror);                  // an empty non-terminal exists too
    CHECK(z.a("nowhere.example.com").rcode == Rcode::nxdomain);
    CHECK(z.a("nowhere.example.com").is_void());
    CHECK(z.a("bad..name").rcode == Rcode::nxdomain);           // not a DNS name: nothing there
    CHECK(z.spf("example.com").records.empty());                // type SPF is separate from TXT
    CHECK(z.record_count() == 2);
}

TEST_CASE("zone: CNAMEs are followed, loops and long chains are SERVFAIL, conflicts refused") {
    Zone z;
    z.add_cname("www.example.com", "example.com");
    z.add_a("example.com", "192.0.2.10");
    CHECK(to_string(z.a("www.example.com").records[0]) == "192.0.2.10");
    CHECK(z.cname("www.example.com").records[0] == "example.com");
    CHECK(z.mx("www.example.com").rcode == Rcode::noerror);  // followed to a name with no MX
    z.add_cname("dangling.example.com", "gone.example.net");
    CHECK(z.a("dangling.example.com").rcode == Rcode::nxdomain);
    z.add_cname("loop1.example.com", "loop2.example.com");
    z.add_cname("loop2.example.com", "loop1.example.com");
    CHECK(z.a("loop1.example.com").rcode == Rcode::servfail);
    for (int i = 0; i < 9; ++i) z.add_cname("c" + std::to_string(i) + ".example.com", "c" + std::to_string(i + 1) + ".example.com");
    z.add_a("c9.example.com", "192.0.2.9");
    CHECK(z.a("c1.example.com").rcode == Rcode::noerror);   // 8 links
    CHECK(z.a("c0.example.com").rcode == Rcode::servfail);  // 9 links

    CHECK_THROWS_WITH_AS(z.add_txt("www.example.com", {"x"}), doctest::Contains("cannot share its name"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(z.add_cname("example.com", "x.example"), doctest::Contains("cannot share its name"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(z.add_cname("www.example.com", "x.example"), doctest::Contains("at most one"), std::invalid_argument);
}

TEST_CASE("zone: bad values are refused with the name and the problem") {
    Zone z;
    CHECK_THROWS_WITH_AS(z.add_a("h.example", "1.2.3"), "h.example: A value '1.2.3' is not an IPv4 address", std::invalid_argument);
    CHECK_THROWS_WITH_AS(z.add_aaaa("h.example", "1.2.3.4"), doctest::Contains("is not an IPv6 address"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(z.add_mx("example", 70000, "mx.example"), doctest::Contains("not in 0..65535"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(z.add_mx("example", -1, "mx.example"), doctest::Contains("not in 0..65535"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(z.add_mx("example", 10, "a..b"), doctest::Contains("empty label"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(z.add_txt("example", {std::string(256, 'x')}), doctest::Contains("at most 255"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(z.add_a(std::string(64, 'a') + ".example", "1.2.3.4"), doctest::Contains("longer than 63"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(z.add_a("", "1.2.3.4"), doctest::Contains("is empty"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(z.add_a("b\xc3\xbcro.example", "1.2.3.4"), doctest::Contains("A-labels"), std::invalid_argument);
    CHECK_THROWS_AS(z.set_timeout_probability(1.5), std::invalid_argument);
    CHECK(z.record_count() == 0);
    // A null MX and names with any printable character are fine.
    z.add_mx("nomail.example", 0, ".");
    CHECK(z.mx("nomail.example").records[0].host.empty());
    z.add_a("foo:bar/baz.example.com", "1.2.3.4");
    z.add_a("macro%percent  space.example.com", "1.2.3.4");
    CHECK(z.a("FOO:BAR/baz.example.com").records.size() == 1);
}

TEST_CASE("zone: injected timeouts and SERVFAIL, per name or per type, also behind a CNAME") {
    Zone z;
    z.add_txt("slow.example", {"v=spf1 -all"});
    z.add_a("slow.example", "192.0.2.1");
    z.add_timeout("slow.example", RType::TXT);
    z.add_servfail("Broken.Example");
    z.add_timeout("dead.example");
    z.add_cname("alias.example", "broken.example");
    CHECK(z.txt("slow.example").rcode == Rcode::timeout);
    CHECK(z.txt("slow.example").error());
    CHECK(z.a("slow.example").rcode == Rcode::noerror);
    CHECK(z.a("broken.example").rcode == Rcode::servfail);
    CHECK(z.mx("dead.example").rcode == Rcode::timeout);
    CHECK(z.a("alias.example").rcode == Rcode::servfail);
    CHECK(z.cname("alias.example").rcode == Rcode::noerror);
    const std::uint64_t g = z.generation();
    z.add_timeout("other.example", RType::MX);
    CHECK(z.generation() > g);
}

TEST_CASE("resolver: random timeouts come from the caller's draw, indexed by query ordinal") {
    Zone z;
    z.add_a("h.example", "192.0.2.1");
    std::vector<std::uint32_t> asked;
    const auto draw = [&asked](std::uint32_t k) {
        asked.push_back(k);
        return k == 1 ? 0.01 : 0.99;
    };
    {
        Resolver r(z, draw);  // probability 0: never drawn, never times out
        CHECK(r.a("h.example").rcode == Rcode::noerror);
        CHECK(r.a("h.example").rcode == Rcode::noerror);
        CHECK(asked.empty());
        CHECK(r.queries() == 2);
    }
    z.set_timeout_probability(0.05);
    Resolver r(z, draw);
    CHECK(r.a("h.example").rcode == Rcode::noerror);
    CHECK(r.a("h.example").rcode == Rcode::timeout);  // draw 1 is 0.01 < 0.05
    CHECK(r.txt("h.example").rcode == Rcode::noerror);
    CHECK(asked == std::vector<std::uint32_t>{0, 1, 2});
    CHECK(r.timeouts_drawn() == 1);
    Resolver none(z);  // no draw: deterministic
    CHECK(none.a("h.example").rcode == Rcode::noerror);
    z.set_timeout_probability(1.0);
    Resolver always(z, [](std::uint32_t) { return 0.999999; });
    CHECK(always.a("h.example").rcode == Rcode::timeout);
}

TEST_CASE("zone JSON: every record type, failures, probability; round trip") {
    const std::string text = R"({
      "records": [
        {"name": "example.com", "type": "TXT", "value": "v=spf1 mx -all"},
        {"name": "example.com", "type": "txt", "value": ["v=DMARC1", "; p=none"]},
        {"name": "example.com", "type": "MX", "value": [10, "mx.example.com"]},
        {"name": "example.com", "type": "SPF", "value": "v=spf1 -all"},
        {"name": "mx.example.com", "type": "A", "value": "192.0.2.1"},
        {"name": "mx.example.com", "type": "AAAA", "value": "2001:db8::1"},
        {"name": "1.2.0.192.in-addr.arpa", "type": "PTR", "value": "mx.example.com"},
        {"name": "www.example.com", "type": "CNAME", "value": "example.com"},
        {"name": "nomx.example.com", "type": "MX", "value": [0, "."]}
      ],
      "timeouts": [{"name": "slow.example.com", "type": "TXT"}, {"name": "dead.example.com"}],
      "servfail": [{"name": "broken.example.com"}],
      "timeout_probability": 0.25
    })";
    const Zone z = parse_zone_text(text);
    CHECK(z.record_count() == 9);
    CHECK(z.txt("example.com").records.size() == 2);
    CHECK(z.mx("example.com").records[0] == Mx{10, "mx.example.com"});
    CHECK(z.txt("slow.example.com").rcode == Rcode::timeout);
    CHECK(z.a("slow.example.com").rcode == Rcode::nxdomain);
    CHECK(z.a("dead.example.com").rcode == Rcode::timeout);
    CHECK(z.a("broken.example.com").rcode == Rcode::servfail);
    CHECK(z.timeout_probability() == 0.25);
    const Zone again = parse_zone(z.to_json());
    CHECK(again.to_json() == z.to_json());
    CHECK(parse_zone_text(R"({"records": []})").record_count() == 0);
}

TEST_CASE("zone JSON: errors name the JSON path") {
    CHECK(error_of("{") .find("zone: not valid JSON") == 0);
    CHECK(error_of(R"({"records": [], "record": []})") == "record: unknown key 'record'");
    CHECK(error_of(R"({})") == "records: required field is missing");
    CHECK(error_of(R"({"records": [], "records": []})") == "records: duplicate key 'records'");
    CHECK(error_of(R"({"records": [{"name": "a.example", "type": "MXX", "value": 1}]})") ==
          "records[0].type: 'MXX' is not one of: A, AAAA, MX, TXT, SPF, PTR, CNAME");
    CHECK(error_of(R"({"records": [{"name": "a.example", "type": "A", "value": "1.2.3"}]})") ==
          "records[0].value: a.example: A value '1.2.3' is not an IPv4 address");
    CHECK(error_of(R"({"records": [{"name": "a.example", "type": "MX", "value": "mx.example"}]})") ==
          "records[0].value: \"mx.example\" is not [preference, host]");
    CHECK(error_of(R"({"records": [{"name": "a.example", "type": "MX", "value": [70000, "mx.example"]}]})") ==
          "records[0].value[0]: 70000 is not in 0..65535");
    CHECK(error_of(R"({"records": [{"name": "a.example", "type": "MX", "value": [-1, "mx.example"]}]})") ==
          "records[0].value[0]: -1 is negative");
    CHECK(error_of(R"({"records": [{"name": "a.example", "type": "TXT", "value": ["ok", 5]}]})") ==
          "records[0].value[1]: 5 is not a string");
    CHECK(error_of(R"({"records": [{"name": "a.example", "type": "TXT", "value": 5}]})") ==
          "records[0].value: 5 is not a string or a list of strings");
    CHECK(error_of(R"({"records": [{"name": "a.example", "type": "TXT", "value": ")" + std::string(300, 'x') + R"("}]})") ==
          "records[0].value: a character-string is 300 octets; DNS allows at most 255 (split it into a list of strings)");
    CHECK(error_of(R"({"records": [{"name": "a..example", "type": "A", "value": "1.2.3.4"}]})") ==
          "records[0].name: 'a..example' has an empty label");
    CHECK(error_of(R"({"records": [{"name": "a.example", "type": "A", "value": "1.2.3.4", "ttl": 5}]})") ==
          "records[0].ttl: unknown key 'ttl'");
    CHECK(error_of(R"({"records": [{"name": "w.example", "type": "CNAME", "value": "x.example"},
                                   {"name": "w.example", "type": "A", "value": "1.2.3.4"}]})")
              .find("records[1].value: w.example: has a CNAME") == 0);
    CHECK(error_of(R"({"records": [], "timeouts": [{"name": "a.example", "type": "NS"}]})") ==
          "timeouts[0].type: 'NS' is not one of: A, AAAA, MX, TXT, SPF, PTR, CNAME");
    CHECK(error_of(R"({"records": [], "servfail": [{"type": "A"}]})") == "servfail[0].name: required field is missing");
    CHECK(error_of(R"({"records": [], "timeout_probability": 1.5})") == "timeout_probability: 1.5 is not a probability");
}
