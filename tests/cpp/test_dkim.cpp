// DKIM, modelled: key records read from the zone, hops that break signatures, key length policy.
#include <delivsim/auth/dkim.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace delivsim;
using namespace delivsim::auth;

namespace {

const std::string key = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQ";

dns::Zone with_key(const std::string& record, const std::string& selector = "s1") {
    dns::Zone z;
    z.add_txt(selector + "._domainkey.example.com", {record});
    return z;
}
std::string result(const dns::Zone& z, const DkimSignature& sig, const DkimVerifier& v = {}) {
    return std::string(name_of(verify(z, sig, v).result));
}

}  // namespace

TEST_CASE("tag lists (RFC 6376 section 3.2)") {
    auto t = parse_tag_list(" v = DKIM1 ;\tk=rsa;  p=MIGf MA0G ;");
    REQUIRE(t.ok());
    CHECK(t.tags.size() == 3);
    CHECK(*t.find("v") == "DKIM1");
    CHECK(*t.find("p") == "MIGf MA0G");  // inner whitespace kept
    CHECK(t.find("P") == nullptr);       // tag names are case-sensitive
    t = parse_tag_list("v=DKIM1; p=");
    REQUIRE(t.ok());
    CHECK(t.find("p")->empty());
    CHECK(parse_tag_list("a=1; a=2").problem == "tag 'a' appears more than once");
    CHECK(parse_tag_list("a=1;; b=2").problem == "empty tag");
    CHECK(parse_tag_list("a=1; b").problem == "tag 'b' has no '='");
    CHECK(parse_tag_list("1a=1").problem == "a tag name must start with a letter");
    CHECK(parse_tag_list("a=caf\xc3\xa9").problem == "tag 'a' has an invalid character in its value");
    CHECK(parse_tag_list("").problem == "empty tag list");
    CHECK(parse_tag_list("a_1=x=y").ok());  // '=' is a valid value character
}

TEST_CASE("a signature passes with its published key, through plain relays") {
    const auto z = with_key(dkim_key_record(key));
    DkimSignature sig = sign("example.com", "s1");
    CHECK(result(z, sig) == "pass");
    pass_through(sig, hops::relay);
    pass_through(sig, hops::forwarder);
    const auto r = verify(z, sig);
    CHECK(r.result == DkimResult::pass);
    CHECK(r.domain == "example.com");
    CHECK(r.selector == "s1");
    CHECK(r.problem.empty());
    CHECK(r.queries == 1);
    CHECK(result(z, sign("EXAMPLE.com", "S1", 2048, DkimAlgorithm::rsa_sha256, key)) == "pass");  // case-insensitive DNS
    CHECK(result(z, DkimSignature::unsigned_message()) == "none");
}

TEST_CASE("the key record: missing gives permerror, revoked gives fail, malformed gives permerror") {
    const DkimSignature sig = sign("example.com", "s1");
    dns::Zone none;
    CHECK(result(none, sig) == "permerror");
    CHECK(verify(none, sig).problem == "no key for signature (s1._domainkey.example.com has no TXT record)");
    dns::Zone nodata;
    nodata.add_a("s1._domainkey.example.com", "192.0.2.1");
    CHECK(result(nodata, sig) == "permerror");
    CHECK(result(with_key("v=DKIM1; k=rsa; p="), sig) == "fail");
    CHECK(verify(with_key("v=DKIM1; p= "), sig).problem == "key revoked (empty p=)");
    for (const char* bad : {"v=DKIM1; p=abc; p=def", "v=DKIM1 k=rsa p=abc", "k=rsa; v=DKIM1; p=abc",
                            "v=DKIM2; p=abc", "v=DKIM1; k=dsa; p=abc", "v=DKIM1; p=ab$c", "v=DKIM1; p=a=bc",
                            "v=DKIM1; h=sha1; p=abc", "v=DKIM1; s=tlsrpt; p=abc", "v=DKIM1;; p=abc", "v=DKIM1; k=rsa",
                            "v=DKIM1; k=ed25519; p=abc", "garbage", ""}) {
        CAPTURE(bad);
        CHECK(result(with_key(bad), sig) == "permerror");
        CHECK_FALSE(verify(with_key(bad), sig).problem.empty());
    }
    for (const char* ok : {"p=abc", "v=DKIM1; p=abc;", "v=DKIM1; h=sha1:sha256; p=abc", "v=DKIM1; s=email:tlsrpt; p=abc",
                           "v=DKIM1; s=*; p=abc", "v=DKIM1; n=a note; x=unknown tags are ignored; p=ab c=",
                           "v=DKIM1;k=rsa;p=abc"}) {
        CAPTURE(ok);
        CHECK(result(with_key(ok), sig) == "pass");
    }
    CHECK(verify(with_key("v=DKIM1; k=dsa; p=abc"), sig).problem == "unknown key type k=dsa");
    // Two TXT records at the selector: undefined in the RFC, permerror here.
    dns::Zone two = with_key("v=DKIM1; p=abc");
    two.add_txt("s1._domainkey.example.com", {"v=DKIM1; p=def"});
    CHECK(verify(two, sig).problem == "s1._domainkey.example.com has more than one TXT record");
    // Strings of one TXT record are joined.
    dns::Zone split;
    split.add_txt("s1._domainkey.example.com", {"v=DKIM1; k=rsa; p=MIGfMA0GCSqG", "SIb3DQEBAQUAA4GNADCBiQKBgQ"});
    CHECK(result(split, sign("example.com", "s1", 2048, DkimAlgorithm::rsa_sha256, key)) == "pass");
}

TEST_CASE("DNS errors on the key are temperror; a CNAME to the provider's key is followed") {
    dns::Zone z = with_key("v=DKIM1; p=abc");
    z.add_timeout("s1._domainkey.example.com", dns::RType::TXT);
    CHECK(result(z, sign("example.com", "s1")) == "temperror");
    CHECK(verify(z, sign("example.com", "s1")).problem == "DNS timeout for TXT s1._domainkey.example.com");
    z.add_servfail("s2._domainkey.example.com");
    CHECK(result(z, sign("example.com", "s2")) == "temperror");

    dns::Zone esp;
    esp.add_cname("esp1._domainkey.example.com", "example-com.dkim.esp.example");
    esp.add_txt("example-com.dkim.esp.example", {dkim_key_record(key)});
    CHECK(result(esp, sign("example.com", "esp1")) == "pass");

    dns::Zone random = with_key("v=DKIM1; p=abc");
    random.set_timeout_probability(0.5);
    CHECK(result(random, sign("example.com", "s1")) == "pass");  // no draw: deterministic
    CHECK(verify(random, sign("example.com", "s1"), {}, [](std::uint32_t) { return 0.1; }).result ==
          DkimResult::temperror);
}

TEST_CASE("a published key that is not the signer's fails (key rotation gone wrong)") {
    const auto z = with_key("v=DKIM1; k=rsa; p=NEWKEY");
    CHECK(result(z, sign("example.com", "s1", 2048, DkimAlgorithm::rsa_sha256, "OLDKEY")) == "fail");
    CHECK(result(z, sign("example.com", "s1", 2048, DkimAlgorithm::rsa_sha256, "NEWKEY")) == "pass");
    CHECK(result(with_key("v=DKIM1; p=NEW KEY"), sign("example.com", "s1", 2048, DkimAlgorithm::rsa_sha256, "NEWKEY")) ==
          "pass");  // whitespace in p= does not count
    CHECK(result(z, sign("example.com", "s2")) == "permerror");  // the wrong selector: no key there
}

TEST_CASE("key length and algorithm are the receiver's policy") {
    const auto z = with_key("v=DKIM1; k=rsa; p=abc");
    CHECK(result(z, sign("example.com", "s1", 1024)) == "pass");
    const auto r = verify(z, sign("example.com", "s1", 512));
    CHECK(r.result == DkimResult::policy);
    CHECK(r.problem == "RSA key of 512 bits; this receiver requires 1024");
    DkimVerifier strict;
    strict.min_rsa_bits = 2048;
    CHECK(result(z, sign("example.com", "s1", 1024), strict) == "policy");
    CHECK(result(z, sign("example.com", "s1", 4096), strict) == "pass");
    CHECK(result(z, sign("example.com", "s1", 2048, DkimAlgorithm::rsa_sha1)) == "policy");
    DkimVerifier old;
    old.accept_rsa_sha1 = true;
    CHECK(result(z, sign("example.com", "s1", 2048, DkimAlgorithm::rsa_sha1), old) == "pass");
    CHECK(result(with_key("v=DKIM1; h=sha256; p=abc"), sign("example.com", "s1", 2048, DkimAlgorithm::rsa_sha1), old) ==
          "permerror");
    const auto ed = with_key("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    CHECK(result(ed, sign("example.com", "s1", 256, DkimAlgorithm::ed25519_sha256), strict) == "pass");  // no RSA minimum
    CHECK(result(ed, sign("example.com", "s1")) == "permerror");  // an RSA signature against an Ed25519 key
    CHECK(parse_dkim_algorithm("ed25519-sha256") == DkimAlgorithm::ed25519_sha256);
    CHECK_FALSE(parse_dkim_algorithm("rsa-md5"));
}

TEST_CASE("hops: lists and gateway footers break the signature, l= survives a footer only") {
    const auto z = with_key("v=DKIM1; p=abc");
    DkimSignature list = sign("example.com", "s1");
    pass_through(list, hops::mailing_list);
    CHECK(result(z, list) == "fail");
    CHECK(verify(z, list).problem == "body hash did not verify (the body was modified in transit)");

    DkimSignature footer = sign("example.com", "s1");
    pass_through(footer, hops::gateway_footer);
    CHECK(result(z, footer) == "fail");

    DkimSignature limited = sign("example.com", "s1");
    limited.body_length_limit = true;
    pass_through(limited, hops::gateway_footer);
    CHECK(result(z, limited) == "pass");
    pass_through(limited, hops::mailing_list);  // the subject tag still breaks it
    CHECK(result(z, limited) == "fail");
    CHECK(verify(z, limited).problem == "signature did not verify (signed header fields were modified)");

    DkimSignature rewritten = sign("example.com", "s1");
    rewritten.body_length_limit = true;
    pass_through(rewritten, hops::content_rewrite);
    CHECK(result(z, rewritten) == "fail");

    // A broken signature whose key is also gone reports the key problem first.
    dns::Zone empty;
    CHECK(result(empty, list) == "permerror");
}

TEST_CASE("malformed signatures and the testing flag") {
    const auto z = with_key("v=DKIM1; t=y; p=abc");
    CHECK(result(z, sign("com", "s1")) == "permerror");
    CHECK(result(z, sign("example..com", "s1")) == "permerror");
    CHECK(result(z, sign("example.com", "")) == "permerror");
    CHECK(result(z, sign("example.com", std::string(250, 's'))) == "permerror");
    const auto r = verify(z, sign("example.com", "s1"));
    CHECK(r.result == DkimResult::pass);
    CHECK(r.testing);
    CHECK_FALSE(verify(with_key("v=DKIM1; t=s; p=abc"), sign("example.com", "s1")).testing);
    dns::Zone sub;
    sub.add_txt("2024.jan._domainkey.example.com", {"p=abc"});
    CHECK(result(sub, sign("example.com", "2024.jan")) == "pass");  // selectors may have dots
    CHECK(key_record_name("s1", "example.com") == "s1._domainkey.example.com");
    CHECK(dkim_key_record("abc", "rsa", true) == "v=DKIM1; k=rsa; p=abc; t=y");
}
