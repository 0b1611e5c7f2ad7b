#pragma once
// A sender class: who sends, how well configured, what content. It draws the per-message
// facts (address error, IP listing, size, DMARC result, content score, attachment) that
// the receiving side's policies then judge.
#include <delivsim/core/message.hpp>
#include <delivsim/core/rng.hpp>
#include <delivsim/core/json.hpp>
#include <delivsim/recipient/folders.hpp>
#include <delivsim/sender/authentication.hpp>
#include <delivsim/sender/facts.hpp>
#include <delivsim/sender/features.hpp>
#include <delivsim/sender/mixture.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace delivsim {

struct SizeOption {
    std::uint64_t bytes = 0;
    double weight = 1;
};

struct SenderClass {
    std::string name;
    std::string description;
    double weight = 0;
    bool legit = true;

    // Recipient address errors (per message): probability, then which kind.
    double address_error = 0;
    std::array<double, 3> address_error_cdf{1, 1, 1};  // nxdomain, unknown_user, typosquat

    double ip_listed = 0;  // sending IP on a DNS blocklist (per message)
    IpListing ip_listing = IpListing::reputation;
    std::vector<SizeOption> sizes;
    std::vector<double> size_cdf;
    std::array<double, dmarc_result_count> dmarc_cdf{1, 1, 1, 1};
    int dmarc_certain = 0;
    // Zone-based authentication (sender/authentication.hpp), instead of dmarc_cdf when set.
    std::shared_ptr<const Authentication> authentication;
    // Drawn authentication results (sender/facts.hpp), instead of dmarc_cdf when set.
    std::shared_ptr<const DrawnAuthentication> auth_results;
    // Transport facts (sender/facts.hpp); without them, the defaults and no draws.
    std::shared_ptr<const TransportModel> transport;
    // The domains the message facts name by index (AuthResults::spf_domain, DkimFact::domain).
    std::vector<std::string> domains;
    double score_mean = 0, score_sd = 0;
    // Attachment: carried with `attachment_probability` by messages of at least that size.
    std::uint64_t attachment_min_bytes = 0;
    double attachment_probability = 0;
    // Content features (sender/features.hpp); without them, the defaults and no draws.
    std::shared_ptr<const FeatureModel> features;
    // What this class's recipients do (recipient/folders.hpp): safe senders, spam rescue.
    RecipientHabits recipients;

    // The class's forwarded share (sender/forwarding.hpp), or null; `forwarding_for_load` gives
    // the loader a copy to complete (the profile it goes to, the receivers that trust its seal).
    const Forwarding* forwarding() const noexcept {
        if (authentication && authentication->forwarding.given()) return &authentication->forwarding;
        if (auth_results && auth_results->forwarding.given()) return &auth_results->forwarding;
        return nullptr;
    }
    Forwarding* forwarding_for_load() {
        if (authentication && authentication->forwarding.given()) {
            auto a = std::make_shared<Authentication>(*authentication);
            authentication = a;
            return &a->forwarding;
        }
        if (auth_results && auth_results->forwarding.given()) {
            auto a = std::make_shared<DrawnAuthentication>(*auth_results);
            auth_results = a;
            return &a->forwarding;
        }
        return nullptr;
    }

    // Inlined into draw_message() (engine/deliver.hpp) in every program.
    [[gnu::always_inline]] void draw(Message& m, MessageRng& rng) const noexcept {
        m.legit = legit;
        if (address_error > 0 && rng.bernoulli(Stream::message, draw_address_error, address_error))
            m.address_error = static_cast<AddressError>(
                1 + pick(address_error_cdf, rng.uniform(Stream::message, draw_address_error_kind)));
        // Draws that cannot change anything are skipped; skipping never shifts another draw.
        m.ip_listed = ip_listed > 0 && rng.bernoulli(Stream::message, draw_ip_listed, ip_listed);
        m.ip_listing = ip_listing;
        m.size_bytes = sizes.size() == 1 ? sizes[0].bytes
                                         : sizes[pick(size_cdf, rng.uniform(Stream::message, draw_size))].bytes;
        if (authentication) {
            authentication->draw(m, rng);
        } else if (auth_results) {
            auth_results->draw(m, rng);
        } else {
            m.dmarc = static_cast<DmarcResult>(dmarc_certain >= 0 ? static_cast<std::uint32_t>(dmarc_certain)
                                                                  : pick(dmarc_cdf, rng.uniform(Stream::message, draw_dmarc)));
            m.auth = legacy_auth_results[static_cast<std::size_t>(m.dmarc)];
        }
        if (transport) transport->draw(m, rng);
        m.content_score = score_sd > 0
                              ? score_mean + score_sd * rng.normal(Stream::message, draw_content_score)
                              : score_mean;
        m.has_attachment = m.size_bytes >= attachment_min_bytes && attachment_probability > 0 &&
                           rng.bernoulli(Stream::message, draw_attachment, attachment_probability);
        if (features) features->draw(m, rng);
        else if (m.has_attachment) m.features.attachment = AttachmentType::other;
        m.safe_sender = recipients.safe_sender > 0 && rng.bernoulli(Stream::recipient, draw_safe_sender, recipients.safe_sender);
    }

    // `zone`: the scenario's top-level "dns" zone, if it has one ("authentication" needs it).
    static SenderClass parse(const Field& f, const std::shared_ptr<const dns::Zone>& zone = nullptr) {
        f.allow_keys({"name", "description", "weight", "legit", "address_error", "ip_listed", "ip_listing", "size_bytes",
                      "dmarc", "authentication", "auth_results", "transport", "content_score", "attachment", "features",
                      "recipients"});
        SenderClass c;
        c.name = f["name"].name();
        if (f.has("description")) c.description = f["description"].string();
        c.weight = f["weight"].non_negative();
        c.legit = f["legit"].boolean();

        const Field ae = f["address_error"];
        ae.allow_keys({"probability", "kinds"});
        c.address_error = ae["probability"].probability();
        const Field kinds = ae["kinds"];
        kinds.allow_keys({"nxdomain", "unknown_user", "typosquat"});
        {
            std::vector<std::pair<Field, double>> w;
            for (auto k : {"nxdomain", "unknown_user", "typosquat"})
                w.emplace_back(kinds[k], kinds[k].probability());
            const auto cdf = mixture_cdf(kinds, w);
            std::copy(cdf.begin(), cdf.end(), c.address_error_cdf.begin());
        }

        c.ip_listed = f["ip_listed"].probability();
        if (f.has("ip_listing")) c.ip_listing = static_cast<IpListing>(f["ip_listing"].choice(ip_listing_names));

        std::vector<std::pair<Field, double>> sw;
        for (const Field& opt : f["size_bytes"].items()) {
            opt.allow_keys({"bytes", "weight"});
            c.sizes.push_back({opt["bytes"].count(), opt["weight"].number()});
            sw.emplace_back(opt["weight"], c.sizes.back().weight);
        }
        c.size_cdf = mixture_cdf(f["size_bytes"], sw);

        const int ways = f.has("dmarc") + f.has("authentication") + f.has("auth_results");
        if (ways == 0) f.child("dmarc").fail("required field is missing (or give \"authentication\" or \"auth_results\")");
        if (ways > 1)
            f.child(f.has("auth_results") ? "auth_results" : "authentication")
                .fail("a class gives one of \"dmarc\" (result probabilities), \"authentication\" (its DNS setup) and "
                      "\"auth_results\" (drawn check results), not several");
        if (f.has("authentication")) {
            c.authentication = Authentication::parse(f["authentication"], zone);
            c.dmarc_certain = -1;
            c.domains = c.authentication->domains;
        }
        if (f.has("auth_results")) {
            c.auth_results = std::make_shared<const DrawnAuthentication>(DrawnAuthentication::parse(f["auth_results"], c.domains));
            c.dmarc_certain = -1;
        }
        if (f.has("transport"))
            c.transport = std::make_shared<const TransportModel>(TransportModel::parse(f["transport"], c.authentication != nullptr));
        if (f.has("dmarc")) {
            const Field dm = f["dmarc"];
            dm.allow_keys({"pass", "none", "fail_reject", "fail_quarantine"});
            std::vector<std::pair<Field, double>> dw;
            for (auto k : dmarc_result_names) {
                const Field x = dm.has(k) ? dm[k] : dm.child(k);
                dw.emplace_back(x, dm.has(k) ? x.probability() : 0.0);
            }
            const auto dcdf = mixture_cdf(dm, dw);
            std::copy(dcdf.begin(), dcdf.end(), c.dmarc_cdf.begin());
            c.dmarc_certain = certain_component(c.dmarc_cdf);
        }

        const Field cs = f["content_score"];
        cs.allow_keys({"mean", "sd"});
        c.score_mean = cs["mean"].number();
        c.score_sd = cs["sd"].non_negative();

        if (f.has("attachment")) {
            const Field at = f["attachment"];
            at.allow_keys({"min_size_bytes", "probability"});
            c.attachment_min_bytes = at["min_size_bytes"].count();
            c.attachment_probability = at["probability"].probability();
        }
        if (f.has("features")) c.features = std::make_shared<const FeatureModel>(FeatureModel::parse(f["features"]));
        if (f.has("recipients")) c.recipients = RecipientHabits::parse(f["recipients"]);
        return c;
    }
};

}  // namespace delivsim
