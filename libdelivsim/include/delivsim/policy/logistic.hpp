#pragma once
// A logistic content model: P(spam) = 1 / (1 + exp(-(intercept + w . x))) over the feature
// vector x (core/features.hpp), with the weights in the scenario and P(spam) thresholds:
//   {"type": "logistic", "intercept": -6, "weights": {"links": 0.3, "attachment=executable": 4},
//    "actions": [{"min_probability": 0.99, "action": "reject"}, {"min_probability": 0.5, "action": "spam_folder"}]}
// Features not named have weight 0. The thresholds are turned into log-odds once, so a
// message costs one dot product and no exp(); its score (for histograms and ROC curves) is
// the log-odds. `log_odds(X)` scores a whole batch of messages with one matrix product.
#include <delivsim/core/features.hpp>
#include <delivsim/policy/filter_actions.hpp>

#include <Eigen/Core>

#include <cmath>
#include <memory>

namespace delivsim {

struct Logistic {
    static constexpr std::string_view type_name = "logistic";
    static constexpr Phase phase = Phase::data;
    static constexpr bool judges_spam = true;
    using Vector = Eigen::Matrix<double, static_cast<int>(feature_count), 1>;
    // Messages by features, one row per message (compare() fills it per chunk).
    using Batch = Eigen::Matrix<double, Eigen::Dynamic, static_cast<int>(feature_count), Eigen::RowMajor>;

    // One message at a time, the weights are read sparsely: the numeric features with a
    // weight, plus one look-up for the attachment type and one for the DMARC result (their
    // indicators are one-hot), instead of building the whole vector.
    struct Sparse {
        std::vector<std::pair<FeatureId, double>> numeric;
        std::array<double, attachment_type_count> attachment{};
        std::array<double, dmarc_result_count> dmarc{};
    };

    double intercept = 0;
    // Behind pointers: 21 doubles inline would triple the size of every chain entry (AnyPolicy).
    std::shared_ptr<const Vector> weights = std::make_shared<const Vector>(Vector::Zero());
    std::shared_ptr<const Sparse> sparse = std::make_shared<const Sparse>();
    FilterActions actions;  // min_score in log-odds

    static double logit(double p) { return std::log(p / (1 - p)); }

    // The log-odds: intercept + w . x (summed in another order than log_odds(X), so the two
    // may differ in the last bits).
    double score(const Message& m) const noexcept {
        const Sparse& w = *sparse;
        double s = intercept + w.attachment[static_cast<std::size_t>(m.features.attachment)] +
                   w.dmarc[static_cast<std::size_t>(m.dmarc)];
        for (const auto& [id, wi] : w.numeric) s += wi * feature_value(m, id);
        return s;
    }
    double probability(const Message& m) const noexcept { return 1 / (1 + std::exp(-score(m))); }

    // Log-odds of every row of X.
    Eigen::VectorXd log_odds(const Batch& X) const {
        return (X * *weights).array() + intercept;
    }

    Verdict evaluate(const Message& m, Session&, MessageRng&, const Attempt&) const noexcept {
        return actions.decide(score(m), stage_of<Logistic>);
    }

    static Logistic parse(const Field& f, const ParseContext&) {
        f.allow_keys({"type", "intercept", "weights", "actions"});
        Logistic l;
        l.intercept = f["intercept"].number();
        Vector w = Vector::Zero();
        for (const auto& [name, x] : f["weights"].entries()) {
            const auto id = feature_by_name(name);
            if (!id) x.fail("unknown feature '" + name + "' (known: " + feature_name_list() + ")");
            w[static_cast<int>(*id)] = x.number();
        }
        l.weights = std::make_shared<const Vector>(w);
        Sparse sp;
        for (std::size_t i = 0; i < feature_count; ++i) {
            if (w[static_cast<int>(i)] == 0) continue;
            if (i < first_attachment_feature) sp.numeric.emplace_back(static_cast<FeatureId>(i), w[static_cast<int>(i)]);
            else if (i < first_dmarc_feature) sp.attachment[i - first_attachment_feature] = w[static_cast<int>(i)];
            else sp.dmarc[i - first_dmarc_feature] = w[static_cast<int>(i)];
        }
        l.sparse = std::make_shared<const Sparse>(std::move(sp));
        l.actions = FilterActions::parse(f["actions"], "min_probability", [](const Field& x) {
            const double p = x.number();
            if (!(p > 0 && p < 1)) x.fail(x.shown() + " is not a probability strictly between 0 and 1");
            return logit(p);
        });
        return l;
    }
};

}  // namespace delivsim
