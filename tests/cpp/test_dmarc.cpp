// DMARC (RFC 7489): organizational domains, discovery, alignment, policy, pct, receiver choice.
#include <delivsim/auth/dmarc.hpp>

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

using namespace delivsim;
using namespace delivsim::auth;

namespace {

dns::Zone zone_with(std::initializer_list<std::pair<const char*, const char*>> txt) {
    dns::Zone z;
    for (const auto& [name, text] : txt) z.add_txt(name, {text});
    return z;
}

DmarcEvaluation eval(const dns::Zone& z, const char* from, const char* spf_domain, SpfResult spf,
                     std::initializer_list<std::string> dkim, double sample = 0.0, DmarcReceiver receiver = {}) {
    return evaluate_dmarc(z, from, spf_domain, spf, dkim, sample, receiver);
}

}  // namespace

TEST_CASE("organizational domains from the public suffix list (libpsl)") {
    CHECK(organizational_domain("example.com") == "example.com");
    CHECK(organizational_domain("Mail.Example.COM.") == "example.com");
    CHECK(organizational_domain("a.b.c.news.example.com") == "example.com");
    CHECK(organizational_domain("example.co.uk") == "example.co.uk");
    CHECK(organizational_domain("mail.example.co.uk") == "example.co.uk");
    CHECK(organizational_domain("co.uk") == "co.uk");  // a public suffix is its own
    CHECK(organizational_domain("example.unlisted-tld") == "example.unlisted-tld");  // the implicit "*" rule
    CHECK(organizational_domain("a.b.example.unlisted-tld") == "example.unlisted-tld");
    CHECK(organizational_domain("com") == "com");
    CHECK(organizational_domain("alice.github.io") == "alice.github.io");  // private section
    CHECK(organizational_domain("www.alice.github.io") == "alice.github.io");
    // wildcards and exceptions
    CHECK(public_suffix("foo.ck") == "foo.ck");
    CHECK(organizational_domain("a.b.foo.ck") == "b.foo.ck");
    CHECK(public_suffix("www.ck") == "ck");
    CHECK(organizational_domain("mail.www.ck") == "www.ck");
    CHECK(organizational_domain("a.city.kawasaki.jp") == "city.kawasaki.jp");
    CHECK(organizational_domain("a.b.other.kawasaki.jp") == "b.other.kawasaki.jp");
    CHECK(organizational_domain("x.kawasaki.jp") == "x.kawasaki.jp");
    CHECK(public_suffix("mail.example.com") == "com");
    CHECK(public_suffix("a.example.co.jp") == "co.jp");
    // suffixes the old embedded subset lacked: the full list keeps registrants apart
    CHECK(organizational_domain("mail.example.pvt.k12.ma.us") == "example.pvt.k12.ma.us");
    CHECK(organizational_domain("mail.shop.co.ve") == "shop.co.ve");
    CHECK(public_suffix("www.example.gov.br") == "gov.br");
    CHECK(public_suffix_labels("mail.example.pvt.k12.ma.us") == 4);
    CHECK(public_suffix_labels("") == 0);
    CHECK(organizational_domain("") == "");
}

TEST_CASE("is_dmarc_record and the record's tags") {
    CHECK(is_dmarc_record("v=DMARC1; p=none"));
    CHECK(is_dmarc_record("v = DMARC1 ; p=none"));
    CHECK(is_dmarc_record("v=DMARC1"));
    CHECK_FALSE(is_dmarc_record("v=dmarc1; p=none"));  // the value must match exactly
    CHECK_FALSE(is_dmarc_record("v=DMARC10; p=none"));
    CHECK_FALSE(is_dmarc_record("p=none; v=DMARC1"));  // v= must come first
    CHECK_FALSE(is_dmarc_record("v=spf1 -all"));
    const auto r = parse_dmarc_record("v=DMARC1; p=Reject; sp=quarantine; adkim=s; aspf=S; pct=20; "
                                      "rua=mailto:a@example.com,mailto:b@example.net!10m; ruf=bogus; fo=1; x=y");
    REQUIRE(r.record);
    CHECK(r.record->p == DmarcPolicy::reject);
    CHECK(r.record->sp == DmarcPolicy::quarantine);
    CHECK(r.record->adkim == Alignment::strict);
    CHECK(r.record->aspf == Alignment::strict);
    CHECK(r.record->pct == 20);
    CHECK(r.record->rua == std::vector<std::string>{"mailto:a@example.com", "mailto:b@example.net!10m"});
    CHECK(r.record->ruf.empty());
    CHECK(r.record->notes.empty());
    const auto odd = parse_dmarc_record("v=DMARC1; p=none; adkim=x; pct=150");
    REQUIRE(odd.record);
    CHECK(odd.record->adkim == Alignment::relaxed);
    CHECK(odd.record->pct == 100);
    CHECK(odd.record->notes == std::vector<std::string>{"adkim=x is not r or s: r applies",
                                                        "pct=150 is not an integer 0-100: 100 applies"});
    CHECK(parse_dmarc_record("v=DMARC1; p=none; p=reject").problem == "record syntax: tag 'p' appears more than once");
}

TEST_CASE("RFC 7489 3.1: relaxed and strict alignment, for DKIM and SPF") {
    const auto relaxed = zone_with({{"_dmarc.example.com", "v=DMARC1; p=reject"}});
    // DKIM d=example.com, From news.example.com: relaxed aligns, strict does not.
    auto e = eval(relaxed, "news.example.com", "other.example", SpfResult::fail, {"example.com"});
    CHECK(e.result == DmarcStatus::pass);
    CHECK(e.dkim_aligned);
    CHECK_FALSE(e.spf_aligned);
    const auto strict = zone_with({{"_dmarc.example.com", "v=DMARC1; p=reject; adkim=s; aspf=s"}});
    e = eval(strict, "news.example.com", "other.example", SpfResult::fail, {"example.com"});
    CHECK(e.result == DmarcStatus::fail);
    CHECK(e.adkim == Alignment::strict);
    CHECK(e.disposition == DmarcPolicy::reject);
    // SPF: MAIL FROM domain example.com, From news.example.com.
    e = eval(relaxed, "news.example.com", "example.com", SpfResult::pass, {});
    CHECK(e.spf_aligned);
    CHECK(e.result == DmarcStatus::pass);
    e = eval(strict, "news.example.com", "example.com", SpfResult::pass, {});
    CHECK_FALSE(e.spf_aligned);
    e = eval(strict, "example.com", "EXAMPLE.COM.", SpfResult::pass, {});
    CHECK(e.spf_aligned);
    // Only an SPF pass counts; any one aligned DKIM domain is enough.
    for (const SpfResult r : {SpfResult::none, SpfResult::neutral, SpfResult::fail, SpfResult::softfail,
                              SpfResult::temperror, SpfResult::permerror})
        CHECK_FALSE(eval(relaxed, "example.com", "example.com", r, {}).spf_aligned);
    e = eval(relaxed, "example.com", "", SpfResult::none, {"esp.example", "mail.example.com"});
    CHECK(e.dkim_aligned);
    CHECK(e.result == DmarcStatus::pass);
    CHECK(e.disposition == DmarcPolicy::none);
    // Different organizations never align, even relaxed; nor do public suffixes.
    CHECK_FALSE(aligned("example.co.uk", "other.co.uk", Alignment::relaxed));
    CHECK(aligned("mail.example.co.uk", "example.co.uk", Alignment::relaxed));
    CHECK_FALSE(aligned("", "example.com", Alignment::relaxed));
}

TEST_CASE("RFC 7489 6.6.3: discovery at the From domain, then the organizational domain") {
    auto z = zone_with({{"_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine"},
                        {"_dmarc.sub.example.com", "v=DMARC1; p=none"},
                        {"_dmarc.nosp.example.net", "v=DMARC1; p=quarantine"},
                        {"_dmarc.example.net", "v=DMARC1; p=reject"}});
    auto e = eval(z, "example.com", "x.example", SpfResult::fail, {});
    CHECK(e.record_domain == "example.com");
    CHECK(e.policy == DmarcPolicy::reject);
    CHECK(e.policy_tag == "p");
    CHECK(e.disposition == DmarcPolicy::reject);
    CHECK(e.queries == 1);
    e = eval(z, "news.example.com", "x.example", SpfResult::fail, {});  // falls back: sp applies
    CHECK(e.record_domain == "example.com");
    CHECK(e.organizational_domain == "example.com");
    CHECK(e.policy == DmarcPolicy::quarantine);
    CHECK(e.policy_tag == "sp");
    CHECK(e.queries == 2);
    e = eval(z, "sub.example.com", "x.example", SpfResult::fail, {});  // its own record wins
    CHECK(e.record_domain == "sub.example.com");
    CHECK(e.policy == DmarcPolicy::none);
    CHECK(e.result == DmarcStatus::fail);
    CHECK(e.disposition == DmarcPolicy::none);
    e = eval(z, "a.example.net", "x.example", SpfResult::fail, {});  // no sp: p applies to subdomains
    CHECK(e.policy == DmarcPolicy::reject);
    CHECK(e.policy_tag == "p");
    e = eval(z, "a.nosp.example.net", "x.example", SpfResult::fail, {});  // the org domain, not the parent
    CHECK(e.record_domain == "example.net");
    e = eval(z, "example.org", "example.org", SpfResult::pass, {});
    CHECK(e.result == DmarcStatus::none);
    CHECK(e.problem == "no DMARC record at _dmarc.example.org");
    CHECK(e.record_domain.empty());
    e = eval(z, "a.example.org", "", SpfResult::none, {});
    CHECK(e.problem == "no DMARC record at _dmarc.a.example.org or _dmarc.example.org");
}

TEST_CASE("RFC 7489 6.6.3: non-DMARC records are discarded; several records or bad syntax stop processing") {
    dns::Zone z;
    z.add_txt("_dmarc.example.com", {"v=spf1 -all"});
    z.add_txt("_dmarc.example.com", {"some verification token"});
    z.add_txt("_dmarc.two.example.net", {"v=DMARC1; p=reject"});
    z.add_txt("_dmarc.two.example.net", {"v=DMARC1; p=none"});
    z.add_txt("_dmarc.example.net", {"v=DMARC1; p=reject"});
    z.add_txt("_dmarc.bad.example.org", {"v=DMARC1; p=reject;; pct=5"});
    z.add_txt("_dmarc.split.example.org", {"v=DMARC1; ", "p=quarantine"});
    auto e = eval(z, "example.com", "", SpfResult::none, {});
    CHECK(e.result == DmarcStatus::none);  // only non-DMARC records: as if none
    e = eval(z, "two.example.net", "", SpfResult::none, {});
    CHECK(e.result == DmarcStatus::permerror);  // no fallback to the organizational domain
    CHECK(e.problem == "_dmarc.two.example.net has more than one DMARC record");
    CHECK(e.disposition == DmarcPolicy::none);
    CHECK(e.action == DmarcAction::none);
    e = eval(z, "bad.example.org", "", SpfResult::none, {});
    CHECK(e.result == DmarcStatus::permerror);
    CHECK(e.problem == "_dmarc.bad.example.org: record syntax: empty tag");
    e = eval(z, "split.example.org", "", SpfResult::none, {});
    CHECK(e.result == DmarcStatus::fail);
    CHECK(e.disposition == DmarcPolicy::quarantine);
}

TEST_CASE("RFC 7489 6.6.3 step 6: an invalid p= or sp= is p=none with a valid rua=, else no processing") {
    auto z = zone_with({{"_dmarc.a.example", "v=DMARC1; p=block; rua=mailto:d@a.example"},
                        {"_dmarc.b.example", "v=DMARC1; p=block"},
                        {"_dmarc.c.example", "v=DMARC1; rua=mailto:d@c.example"},
                        {"_dmarc.d.example", "v=DMARC1; p=reject; sp=drop"},
                        {"_dmarc.e.example", "v=DMARC1; p=reject; sp=drop; rua=notauri"}});
    auto e = eval(z, "a.example", "", SpfResult::none, {});
    CHECK(e.result == DmarcStatus::fail);
    CHECK(e.policy == DmarcPolicy::none);
    CHECK(e.disposition == DmarcPolicy::none);
    CHECK(e.notes.back() == "read as p=none: the policy is invalid but rua= is valid (section 6.6.3)");
    e = eval(z, "b.example", "", SpfResult::none, {});
    CHECK(e.result == DmarcStatus::permerror);
    CHECK(e.problem == "_dmarc.b.example: no valid policy (p=block is not none, quarantine or reject) and no valid rua=");
    CHECK(eval(z, "c.example", "", SpfResult::none, {}).policy == DmarcPolicy::none);
    CHECK(eval(z, "d.example", "", SpfResult::none, {}).result == DmarcStatus::permerror);
    CHECK(eval(z, "e.example", "", SpfResult::none, {}).result == DmarcStatus::permerror);
}

TEST_CASE("DNS errors during discovery are temperror; the receiver decides what that means") {
    auto z = zone_with({{"_dmarc.example.com", "v=DMARC1; p=reject"}});
    z.add_timeout("_dmarc.slow.example.com");
    z.add_servfail("_dmarc.example.net");
    auto e = eval(z, "slow.example.com", "", SpfResult::none, {});  // no fallback after an error
    CHECK(e.result == DmarcStatus::temperror);
    CHECK(e.problem == "DNS timeout for TXT _dmarc.slow.example.com");
    CHECK(e.action == DmarcAction::none);  // fail open by default
    DmarcReceiver careful;
    careful.tempfail_on_dns_error = true;
    CHECK(eval(z, "slow.example.com", "", SpfResult::none, {}, 0.0, careful).action == DmarcAction::tempfail);
    CHECK(eval(z, "mail.example.net", "", SpfResult::none, {}).result == DmarcStatus::temperror);  // at the org domain
    // Random timeouts through the caller's draw.
    z.set_timeout_probability(0.2);
    const std::vector<std::string> none;
    CHECK(evaluate_dmarc(z, "example.com", "", SpfResult::none, none, 0.0, {}, [](std::uint32_t) { return 0.1; }).result ==
          DmarcStatus::temperror);
    CHECK(evaluate_dmarc(z, "example.com", "", SpfResult::none, none, 0.0, {}, [](std::uint32_t) { return 0.3; }).result ==
          DmarcStatus::fail);
    // A From domain that is not a domain name: nothing to look up.
    e = eval(z, "not a domain", "", SpfResult::pass, {});
    CHECK(e.result == DmarcStatus::none);
    CHECK(e.queries == 0);
    CHECK(eval(z, "localhost", "", SpfResult::pass, {}).result == DmarcStatus::none);
}

TEST_CASE("RFC 7489 6.6.4: pct samples; messages not sampled fall back one step") {
    auto z = zone_with({{"_dmarc.r.example", "v=DMARC1; p=reject; pct=5"}, {"_dmarc.q.example", "v=DMARC1; p=quarantine; pct=50"},
                        {"_dmarc.z.example", "v=DMARC1; p=reject; pct=0"}, {"_dmarc.h.example", "v=DMARC1; p=reject"}});
    auto e = eval(z, "r.example", "", SpfResult::none, {}, 0.04);
    CHECK(e.sampled);
    CHECK(e.disposition == DmarcPolicy::reject);
    e = eval(z, "r.example", "", SpfResult::none, {}, 0.05);
    CHECK_FALSE(e.sampled);
    CHECK(e.disposition == DmarcPolicy::quarantine);
    CHECK(e.policy == DmarcPolicy::reject);  // the published policy stays visible
    CHECK(eval(z, "q.example", "", SpfResult::none, {}, 0.49).disposition == DmarcPolicy::quarantine);
    CHECK(eval(z, "q.example", "", SpfResult::none, {}, 0.5).disposition == DmarcPolicy::none);
    CHECK(eval(z, "z.example", "", SpfResult::none, {}, 0.0).disposition == DmarcPolicy::quarantine);
    CHECK(eval(z, "h.example", "", SpfResult::none, {}, 0.999999).disposition == DmarcPolicy::reject);
    CHECK(eval(z, "h.example", "", SpfResult::none, {}, 1.0).disposition == DmarcPolicy::reject);
    CHECK_THROWS_AS(eval(z, "h.example", "", SpfResult::none, {}, 1.5), std::invalid_argument);
    CHECK_THROWS_AS(eval(z, "h.example", "", SpfResult::none, {}, -0.1), std::invalid_argument);
    // Over many uniform samples, pct=5 rejects about 5%.
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    int rejected = 0;
    DmarcEvaluation base = eval(z, "r.example", "", SpfResult::none, {});
    for (int i = 0; i < 20000; ++i) {
        DmarcEvaluation m = base;  // a cache of the evaluation, disposed per message
        dispose(m, u(rng));
        rejected += m.disposition == DmarcPolicy::reject;
        CHECK(m.disposition != DmarcPolicy::none);
    }
    CHECK(rejected > 800);
    CHECK(rejected < 1200);
}

TEST_CASE("the receiver's choice to enforce, and the engine's per-message result") {
    auto z = zone_with({{"_dmarc.example.com", "v=DMARC1; p=reject"}, {"_dmarc.example.net", "v=DMARC1; p=quarantine"},
                        {"_dmarc.example.org", "v=DMARC1; p=none"}});
    auto e = eval(z, "example.com", "", SpfResult::fail, {});
    CHECK(e.action == DmarcAction::reject);
    CHECK(e.message_result() == DmarcResult::fail_reject);
    DmarcReceiver lenient;
    lenient.enforce = false;
    e = eval(z, "example.com", "", SpfResult::fail, {}, 0.0, lenient);
    CHECK(e.disposition == DmarcPolicy::reject);
    CHECK(e.action == DmarcAction::none);
    CHECK(e.message_result() == DmarcResult::fail_reject);  // the domain's request; the receiver's policy decides
    CHECK(eval(z, "example.net", "", SpfResult::fail, {}).message_result() == DmarcResult::fail_quarantine);
    CHECK(eval(z, "example.net", "", SpfResult::fail, {}).action == DmarcAction::quarantine);
    CHECK(eval(z, "example.org", "", SpfResult::fail, {}).message_result() == DmarcResult::none);
    CHECK(eval(z, "example.com", "example.com", SpfResult::pass, {}).message_result() == DmarcResult::pass);
    CHECK(eval(z, "example.info", "", SpfResult::pass, {}).message_result() == DmarcResult::none);
    CHECK(name_of(DmarcStatus::temperror) == "temperror");
    CHECK(name_of(DmarcPolicy::quarantine) == "quarantine");
    CHECK(name_of(DmarcAction::tempfail) == "tempfail");
}
