#pragma once
// A sender class's distribution of the content features (core/features.hpp), the "features"
// block of a class:
//   "features": {"links": {"poisson": 4}, "promo_phrases": {"values": [{"value": 0, "weight": 0.9},
//                {"value": 3, "weight": 0.1}]}, "url_listed": 0.02,
//                "attachment_types": {"pdf": 0.7, "office_macro": 0.3},
//                "html_ratio": {"min": 0.2, "max": 0.9}, "reputation": {"mean": 50, "sd": 10}}
// Every key is optional; a missing one keeps the default of a class with no "features" at all:
// 0 links, 0 promotional phrases, no URL hits, HTML ratio 0, reputation 0, and attachment type
// "other" for a message that has an attachment.
//
// Draws come from Stream::features (core/rng.hpp), one slot per feature (FeatureDraw), never
// from the shared message slots: a class without "features" draws nothing, and adding
// features to a class changes no other draw of any message.
#include <delivsim/core/message.hpp>
#include <delivsim/core/rng.hpp>
#include <delivsim/core/json.hpp>
#include <delivsim/sender/mixture.hpp>

#include <cmath>
#include <vector>

namespace delivsim {

enum FeatureDraw : std::uint32_t {
    draw_links = 0,
    draw_promo_phrases = 1,
    draw_url_hits = 2,
    draw_attachment_type = 3,
    draw_html_ratio = 4,
    draw_reputation = 5,
};

// A distribution of a count: Poisson with a mean, or a mixture of fixed values.
struct CountDistribution {
    static constexpr double max_poisson_mean = 500;  // exp(-mean) stays a normal double; table <= ~800 entries
    double poisson_mean = 0;
    std::vector<std::uint32_t> values;  // the mixture form (empty for Poisson: the value is the index)
    std::vector<double> cdf{1.0};

    bool constant_zero() const noexcept { return values.empty() && poisson_mean == 0; }

    // Inversion with one uniform (a fixed draw budget). The Poisson CDF is tabulated at load
    // time up to where its tail is below 1e-15 (the last entry is forced to 1), so a draw is
    // a search, not a loop of dependent divisions: 4x faster for a mean of 15.
    std::uint32_t draw(double u) const noexcept {
        const std::uint32_t k = pick(cdf, u);
        return values.empty() ? k : values[k];
    }

    static std::vector<double> poisson_cdf(double mean) {
        std::vector<double> cdf;
        double p = std::exp(-mean), F = p;
        cdf.push_back(F);
        for (std::uint32_t k = 1; !(k > mean && 1 - F < 1e-15) && p > 0; ++k) {
            p *= mean / k;
            F += p;
            cdf.push_back(F);
        }
        cdf.back() = 1.0;
        return cdf;
    }

    static CountDistribution parse(const Field& f) {
        f.allow_keys({"poisson", "values"});
        if (f.has("poisson") == f.has("values"))
            f.fail("give exactly one of \"poisson\" (a mean) or \"values\" (a mixture of counts)");
        CountDistribution d;
        if (f.has("poisson")) {
            d.poisson_mean = f["poisson"].non_negative();
            if (d.poisson_mean > max_poisson_mean)
                f["poisson"].fail(f["poisson"].shown() + " is above the largest supported mean, 500");
            d.cdf = poisson_cdf(d.poisson_mean);
            return d;
        }
        std::vector<std::pair<Field, double>> w;
        for (const Field& v : f["values"].items()) {
            v.allow_keys({"value", "weight"});
            const std::uint64_t x = v["value"].count();
            if (x > 1000000) v["value"].fail(v["value"].shown() + " is above 10^6");
            d.values.push_back(static_cast<std::uint32_t>(x));
            w.emplace_back(v["weight"], v["weight"].number());
        }
        d.cdf = mixture_cdf(f["values"], w);
        return d;
    }
};

struct FeatureModel {
    CountDistribution links, promo_phrases;
    double url_listed = 0;  // each link independently on a URL blocklist
    std::array<double, attachment_type_count - 1> attachment_cdf{};  // over pdf..other (not none)
    int attachment_certain = static_cast<int>(AttachmentType::other) - 1;
    double html_min = 0, html_max = 0;
    double reputation_mean = 0, reputation_sd = 0;

    FeatureModel() {
        attachment_cdf.fill(0);
        attachment_cdf.back() = 1;
    }

    // Out of line: inlined, it grows draw_message past the point where GCC inlines the
    // normal quantile and the Philox blocks there (R1 with features lost a third of its speed).
    [[gnu::noinline]] void draw(Message& m, MessageRng& rng) const noexcept {
        Features& f = m.features;
        // All six slots at once (two blocks), without evicting the message stream's cached block.
        const auto b = rng.blocks<2>(Stream::features, 0);
        auto u = [&](std::uint32_t slot) { return MessageRng::to_uniform(b[slot / 4][slot % 4]); };
        if (!links.constant_zero()) f.links = links.draw(u(draw_links));
        if (!promo_phrases.constant_zero()) f.promo_phrases = promo_phrases.draw(u(draw_promo_phrases));
        if (url_listed > 0 && f.links > 0) f.url_hits = binomial(f.links, url_listed, u(draw_url_hits));
        if (m.has_attachment)
            f.attachment = static_cast<AttachmentType>(
                1 + (attachment_certain >= 0 ? static_cast<std::uint32_t>(attachment_certain)
                                             : pick(attachment_cdf, u(draw_attachment_type))));
        f.html_ratio = html_max > html_min ? html_min + (html_max - html_min) * u(draw_html_ratio) : html_min;
        f.reputation = reputation_sd > 0 ? reputation_mean + reputation_sd * normal_quantile(u(draw_reputation))
                                         : reputation_mean;
    }

    // Binomial(n, p) by inversion of its CDF with one uniform.
    static std::uint32_t binomial(std::uint32_t n, double p, double u) noexcept {
        if (p >= 1) return n;
        const double r = p / (1 - p);
        double pk = std::exp(static_cast<double>(n) * std::log1p(-p)), F = pk;
        std::uint32_t k = 0;
        while (u > F && k < n) {
            pk *= r * (n - k) / (k + 1);
            ++k;
            F += pk;
        }
        return k;
    }

    static FeatureModel parse(const Field& f) {
        f.allow_keys({"links", "promo_phrases", "url_listed", "attachment_types", "html_ratio", "reputation"});
        FeatureModel m;
        if (f.has("links")) m.links = CountDistribution::parse(f["links"]);
        if (f.has("promo_phrases")) m.promo_phrases = CountDistribution::parse(f["promo_phrases"]);
        if (f.has("url_listed")) m.url_listed = f["url_listed"].probability();
        if (f.has("attachment_types")) {
            const Field at = f["attachment_types"];
            at.expect_object();
            std::vector<std::pair<Field, double>> w;
            for (std::size_t i = 1; i < attachment_type_count; ++i) {
                const auto k = attachment_type_names[i];
                w.emplace_back(at.has(k) ? at[k] : at.child(k), at.has(k) ? at[k].probability() : 0.0);
            }
            for (const auto& [k, v] : at.entries())
                if (k == "none") v.fail("is not an attachment type here: these are the types of messages that have one");
            std::vector<std::string_view> allowed(attachment_type_names.begin() + 1, attachment_type_names.end());
            for (const auto& [k, v] : at.entries())
                if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
                    v.fail("unknown attachment type '" + k + "' (known: pdf, office, office_macro, executable, archive, image, other)");
            const auto cdf = mixture_cdf(at, w);
            std::copy(cdf.begin(), cdf.end(), m.attachment_cdf.begin());
            m.attachment_certain = certain_component(m.attachment_cdf);
        }
        if (f.has("html_ratio")) {
            const Field h = f["html_ratio"];
            h.allow_keys({"min", "max"});
            m.html_min = h["min"].probability();
            m.html_max = h["max"].probability();
            if (m.html_max < m.html_min) h["max"].fail(h["max"].shown() + " is below min " + h["min"].shown());
        }
        if (f.has("reputation")) {
            const Field r = f["reputation"];
            r.allow_keys({"mean", "sd"});
            m.reputation_mean = r["mean"].number();
            m.reputation_sd = r.has("sd") ? r["sd"].non_negative() : 0.0;
        }
        return m;
    }
};

}  // namespace delivsim
