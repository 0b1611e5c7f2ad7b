"""examples/calibration_2019.py: runs (few messages), fits the published 2019 figures, cites
its source; and on its scenario, calibration recovers known values within their stated
uncertainty."""
import importlib.util
import pathlib

import pytest

import delivsim

pytestmark = pytest.mark.slow  # least-squares fits of many simulations

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "calibration_2019.py"


def load_example():
    spec = importlib.util.spec_from_file_location("calibration_2019", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_fits_the_2019_figures(capsys, tmp_path):
    example = load_example()
    assert "Validity" in example.__doc__ and "2020 Email Deliverability Benchmark" in example.__doc__
    assert example.TARGETS == {"inbox": 0.83, "spam_folder": 0.07, "missing": 0.10}
    fit = example.main(["--messages", "50000", "--plot", str(tmp_path / "fit.png")])
    for target, rate in fit.fitted_rates.items():
        assert abs(rate - example.TARGETS[target]) < 0.003, (target, rate)
    for p, se in fit.stderr.items():
        assert 0 < se < 0.1 * abs(fit.values[p]), (p, se)
    out = capsys.readouterr().out
    assert "inbox 83%" in out and "ip_listed" in out and (tmp_path / "fit.png").stat().st_size > 0


def test_recovers_known_values_on_the_2019_scenario():
    example = load_example()
    s = delivsim.load_scenario(example.SCENARIO)
    truth = {"sender_classes.promotional.content_score.mean": 2.8, "sender_classes.promotional.ip_listed": 0.09}
    observed = delivsim.run(s.with_values(truth), messages=100_000, seed=77)
    o = observed.outcomes
    n = observed.messages
    targets = {"inbox": o["inbox"] / n, "spam_folder": o["spam_folder"] / n,
               "missing": 1 - (o["inbox"] + o["spam_folder"]) / n}
    fit = delivsim.calibrate(s, list(truth), targets, messages=100_000, seed=5, bounds=example.PARAMS,
                             target_messages=n)
    for p, value in truth.items():
        assert abs(fit.values[p] - value) < 3 * fit.stderr[p], (p, fit.values[p], fit.stderr[p])
        assert fit.stderr[p] < 0.1 * value
