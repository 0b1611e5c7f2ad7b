"""Calibration on observables a Postfix log gives (examples/calibration_observed.py): more
targets than parameters, a chi-square goodness of fit, a held-out check; targets_from_log on a
log the harness's real Postfix wrote."""
import importlib.util
import pathlib

import pytest

import delivsim
from delivsim import ingest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "calibration_observed.py"


def load_example():
    spec = importlib.util.spec_from_file_location("calibration_observed", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_over_identified_fit_recovers_the_truth_and_predicts_held_out_mail(capsys):
    example = load_example()
    out = example.main(["--messages", "40000", "--log-messages", "3000"])
    fit = out["fit"]
    assert len(fit.targets) == 5 and fit.dof == 3
    assert fit.p_value is not None and fit.p_value > 0.001
    for p, truth in example.TRUTH.items():
        assert abs(fit.values[p] - truth) < 4 * fit.stderr[p] + 1e-3, (p, fit.values[p], truth)
    assert all(abs(r["z"]) < 4 for r in out["held_out"])
    assert "goodness of fit: chi2" in capsys.readouterr().out


def test_a_wrong_model_fails_the_goodness_of_fit():
    # Fitting only the address-error share (the host is wrongly assumed always up) cannot
    # reproduce the deferral targets: chi-square says so.
    example = load_example()
    base = delivsim.parse_scenario(example.SCENARIO)
    truth = base.with_values(example.TRUTH)
    r = delivsim.run(truth, messages=20000, seed=5)
    o, n = r.outcomes, r.messages
    targets = {"bounce:5.1.1": r.bounces.get("5.1.1", 0) / n, "accepted_within:0": 0.0}
    hist = r.acceptance_histogram()
    targets["accepted_within:0"] = float(hist[0]) / n
    fit = delivsim.calibrate(base.with_values({'recipient_profiles.receivers.mx["mx.receiver.example"].down': 0.0}),
                             ["sender_classes.mail.address_error.probability"], targets, messages=20000,
                             bounds={"sender_classes.mail.address_error.probability": (0, 0.5)}, target_messages=n)
    assert fit.dof == 1 and fit.p_value < 1e-6
    assert o["bounced"] > 0


def test_targets_from_a_real_postfix_log():
    log = ingest.postfix_log(ROOT / "tests" / "data" / "ingest" / "sender.maillog", year=2026)
    targets, n = delivsim.targets_from_log(log, quantiles=(0.5,))
    assert n == 12
    assert targets["bounce:4.4.7"] == pytest.approx(3 / 12)
    assert targets["bounce:5.1.1"] == pytest.approx(2 / 12) and targets["bounce:5.3.4"] == pytest.approx(2 / 12)
    (within,) = [k for k in targets if k.startswith("accepted_within:")]
    assert targets[within] == pytest.approx(3 / 12)  # the median delivered message and those before it


def test_bad_target_names():
    s = delivsim.default_scenario()
    for name, msg in [("bounce:5.1", "expected bounce:<enhanced code>"), ("accepted_within:soon", "expected accepted_within"),
                      ("accepted_within:-1", "finite number of seconds")]:
        with pytest.raises(ValueError, match=msg):
            delivsim.calibrate(s, ["sender_classes.N.ip_listed"], {name: 0.1}, messages=1000)
