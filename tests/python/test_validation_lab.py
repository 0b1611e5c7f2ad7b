"""The quick subset of the validation harness (validation/run.py --quick): real Postfix and
postgrey on loopback, started and always stopped by the harness. It checks the retry schedule
against one unreachable host, one greylisting round trip, a size limit and an unknown user
against delivsim's prediction, in about two minutes."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.mta


def _lab_processes():
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "delivsim-validate" in line or "/quick-lab/" in line]


@pytest.mark.skipif(os.geteuid() != 0, reason="Postfix needs root (CI runs as root)")
def test_quick_validation_against_real_postfix():
    for tool in ("postfix", "postgrey"):
        assert shutil.which(tool), f"{tool} is missing: run scripts/bootstrap.sh"
    # Not under pytest's tmp_path: its folders are private to root, and postgrey, rspamd and
    # Postfix's daemons run as their own users.
    base = Path(tempfile.mkdtemp(prefix="delivsim-quick-"))
    base.chmod(0o755)
    try:
        work = base / "quick-lab"
        report = base / "report-quick.md"
        r = subprocess.run([sys.executable, str(ROOT / "validation" / "run.py"), "--quick", "--work", str(work),
                            "--report", str(report)], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stdout + r.stderr
        text = report.read_text()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    assert "| unreachable | bounced 4.4.7 | 3 | 3 |" in text
    assert "| greylist_new | accepted | 3 | 3 |" in text
    assert "| too_big | bounced 5.3.4 | 2 | 2 |" in text
    assert "| unknown_user | bounced 5.1.1 | 2 | 2 |" in text
    # Every service the harness started is gone.
    assert not _lab_processes()
