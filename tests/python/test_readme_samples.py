"""The README's sample outputs are what the program prints now (scripts/readme_samples.py
writes them; this is its --check)."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_readme_samples_are_current(cli):
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "readme_samples.py"), "--check", "--cli", cli],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, "README samples are stale: run scripts/readme_samples.py\n" + done.stdout[-3000:] \
        + done.stderr[-2000:]
