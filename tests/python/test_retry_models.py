"""Named retry models from Python: the attempt times of each model (hand-computed), the run
report's attempt_times_s, the JSON Schema, editing through the scenario views."""
import json
from pathlib import Path

import jsonschema
import pytest

import delivsim

SCHEMA = Path(__file__).resolve().parents[2] / "libdelivsim" / "schema" / "scenario.schema.json"


def with_retry(retry):
    doc = delivsim.default_scenario().to_dict()
    doc["retry"] = retry
    return doc


@pytest.mark.parametrize("retry, times", [
    ({"model": "postfix", "lifetime_s": 5000}, [0, 300, 600, 1200, 2400, 4800, 9000]),
    ({"model": "postfix", "minimal_backoff_s": 4, "maximal_backoff_s": 32, "queue_run_delay_s": 1, "lifetime_s": 100},
     [0, 4, 8, 16, 32, 64, 96, 128]),
    ({"model": "exim", "rule": "F,1h,20m", "queue_run_interval_s": 600}, [0, 1200, 2400, 3600, 4200]),
    ({"model": "sendmail", "queue_interval_s": 3600, "lifetime_s": 7200}, [0, 3600, 7200]),
])
def test_attempt_times_and_report(retry, times):
    s = delivsim.parse_scenario(with_retry(retry))
    assert s.attempt_times == times
    assert delivsim.run(s, messages=200, seed=1).to_dict()["attempt_times_s"] == times


def test_r1_keeps_its_explicit_schedule():
    s = delivsim.default_scenario()
    assert "model" not in s.to_dict()["retry"]
    assert s.attempt_times[:4] == [0, 300, 900, 2100] and len(s.attempt_times) == 111


def test_schema_accepts_the_models_and_refuses_mixtures():
    schema = json.loads(SCHEMA.read_text())
    v = jsonschema.Draft202012Validator(schema)
    for retry in ({"model": "postfix"}, {"model": "exim", "rule": "F,2h,15m"}, {"model": "sendmail", "lifetime_s": 1}):
        assert not list(v.iter_errors(with_retry(retry)))
    assert list(v.iter_errors(with_retry({"model": "postfix", "backoff_factor": 2})))
    assert list(v.iter_errors(with_retry({"model": "qmail"})))


def test_views_edit_a_model():
    s = delivsim.parse_scenario(with_retry({"model": "postfix"}))
    assert s.retry.model == "postfix"
    s.retry.lifetime_s = 700
    assert s.attempt_times == [0, 300, 600, 1200]
    assert "postfix model" in repr(s)
    with pytest.raises(ValueError, match="retry.rule: '2x' has an unknown time unit"):
        delivsim.parse_scenario(with_retry({"model": "exim", "rule": "F,2x,15m"}))
