"""Progress bars for runs and sweeps: tqdm when it is installed (a widget in Jupyter when
ipywidgets speaks the widget protocol 2 of ipywidgets >= 7, otherwise text on stderr, which
Jupyter shows as well), else a plain one-line bar on stderr.

Why the protocol check: Debian bookworm's python3-ipywidgets is 6.0 (protocol 1). Jupyter's
headless runners (nbclient, ``nbconvert --execute``) only understand protocol 2 and fail with
``KeyError: 'state'`` on a notebook that opens a protocol-1 widget, so a progress bar would
break the notebook; the text bar works everywhere."""
from __future__ import annotations

import sys
import warnings
from typing import Any, Callable, Optional


def _tqdm_class() -> Any:
    """tqdm's notebook widget inside a Jupyter kernel that has ipywidgets, else its text bar;
    None if tqdm is not installed."""
    try:
        from tqdm import std
    except ImportError:
        return None
    ipython = sys.modules.get("IPython")
    if ipython is not None and not _widget_protocol_2():
        return std.tqdm
    try:
        shell = ipython.get_ipython() if ipython is not None else None  # type: ignore[attr-defined]
        if shell is not None and "IPKernelApp" in shell.config:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from tqdm import notebook
            if getattr(notebook, "IProgress", None) is not None:
                return notebook.tqdm
    except Exception:  # anything odd about the front end: the text bar always works
        pass
    return std.tqdm


def _widget_protocol_2() -> bool:
    """Whether the installed ipywidgets speaks the widget message protocol 2 (ipywidgets >= 7)."""
    try:
        import ipywidgets
    except ImportError:
        return False
    version = str(getattr(ipywidgets, "__protocol_version__", "1"))
    try:
        return int(version.split(".")[0]) >= 2
    except ValueError:
        return False


class TqdmBar:
    """A tqdm bar over ``total`` messages, called as ``bar(done, total)``."""

    def __init__(self, tqdm: Any, total: int, desc: Optional[str]) -> None:
        # k/M prefixes only for large runs, so that small ones read exactly ("1000/1000").
        self._bar = tqdm(total=total, desc=desc, unit="msg", unit_scale=total >= 100_000, mininterval=0.1,
                         dynamic_ncols=True, file=sys.stderr)

    def __call__(self, done: int, total: int) -> None:
        if done > self._bar.n:
            self._bar.update(done - self._bar.n)

    def close(self) -> None:
        self._bar.close()


def new_bar(total: int, fallback: Callable[[], Any], desc: Optional[str] = None) -> Any:
    """A bar object with ``__call__(done, total)`` and ``close()``."""
    tqdm = _tqdm_class()
    return fallback() if tqdm is None else TqdmBar(tqdm, total, desc)
