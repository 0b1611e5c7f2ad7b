"""delivsim: why legitimate mail never reaches the inbox, by Monte Carlo simulation.

>>> import delivsim
>>> result = delivsim.run(messages=100_000, seed=1)
>>> result.outcomes["inbox"], result.to_frame()
>>> result.explain(message=42)["outcome"]

Results are bit-identical for a given scenario and seed whatever the thread count, and runs
of disjoint message ranges merge exactly: ``run(..., first_message=0, messages=k) +
run(..., first_message=k, messages=n - k) == run(..., messages=n)``.
"""
from ._core import version as __version__
from ._policy import Policy, Verdict
from ._results import Result
from ._run import DEFAULT_MESSAGES, explain, run
from ._scenario import Scenario, default_scenario, load_scenario, parse_scenario
from ._sweep import compare_scenarios, sweep
from ._tips import tips
from ._compare import Comparison, compare
from ._calibrate import Calibration, calibrate, targets_from_log
from ._design import grid, latin_hypercube
from ._sensitivity import SobolIndices, sensitivity
from . import metrics  # TREC spam-track measures, ROC, costs, paired differences
from . import dkim, dmarc, dns, spf  # authentication over a simulated DNS zone
from . import world  # simulated time and persistent receiver state


def __getattr__(name: str) -> object:
    # delivsim.plot (matplotlib) and delivsim.distributed (dask) load only when first used.
    if name in ("plot", "distributed"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Calibration",
    "Comparison",
    "DEFAULT_MESSAGES",
    "Policy",
    "Result",
    "Scenario",
    "SobolIndices",
    "Verdict",
    "__version__",
    "calibrate",
    "compare",
    "compare_scenarios",
    "default_scenario",
    "dkim",
    "dmarc",
    "dns",
    "explain",
    "grid",
    "latin_hypercube",
    "load_scenario",
    "metrics",
    "parse_scenario",
    "run",
    "sensitivity",
    "spf",
    "sweep",
    "targets_from_log",
    "tips",
    "world",
]
