"""The quick start in a real browser: `make notebook`'s server (Jupyter Notebook from the venv,
on 127.0.0.1) opened by headless Chromium through Selenium; every cell is run, the outputs
hold no error and do hold a plot, and a screenshot is kept as a test artefact
(build/test-artifacts/01_quickstart.png, or $DELIVSIM_ARTIFACTS)."""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="run from the venv (make test)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """A Jupyter Notebook server over a copy of notebooks/ (the test must not save into the
    repository), with private config, data and runtime directories; stopped afterwards."""
    pytest.importorskip("notebook", reason="jupyter-notebook (scripts/bootstrap.sh installs it)")
    root = tmp_path / "notebooks"
    shutil.copytree(REPO / "notebooks", root)
    home = tmp_path / "home"
    for d in ("config", "data", "runtime", "ipython"):
        (home / d).mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), IPYTHONDIR=str(home / "ipython"), HOME=str(home))
    port, token = _free_port(), "delivsim-browser-test"
    log = open(tmp_path / "jupyter.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "notebook", "--ip=127.0.0.1", f"--port={port}", "--port-retries=0", "--no-browser",
         f"--notebook-dir={root}", f"--NotebookApp.token={token}", "--NotebookApp.password=",
         "--allow-root", "--MappingKernelManager.cull_idle_timeout=0"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    json.load(r)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("Jupyter did not start:\n" + (tmp_path / "jupyter.log").read_text()[-3000:])
                time.sleep(0.5)
        yield base, token
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # its own session: the server and its kernels
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


@pytest.fixture
def browser(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver", reason="python3-selenium (scripts/bootstrap.sh)")
    if shutil.which("chromedriver") is None or shutil.which("chromium") is None:
        pytest.skip("chromium and chromium-driver (scripts/bootstrap.sh installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1400,1800", f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"), log_output=subprocess.DEVNULL) \
        if hasattr(webdriver, "ChromeService") else None
    from selenium.webdriver.chrome.service import Service

    driver = webdriver.Chrome(service=service or Service(shutil.which("chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_quickstart_runs_in_the_browser(server, browser):
    base, token = server
    browser.set_page_load_timeout(60)
    browser.get(f"{base}/notebooks/01_quickstart.ipynb?token={token}")

    def wait(script, seconds, what):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if browser.execute_script(script):
                return
            time.sleep(0.5)
        pytest.fail(f"timed out waiting for {what}")

    wait("return typeof Jupyter !== 'undefined' && Jupyter.notebook && Jupyter.notebook.kernel "
         "&& Jupyter.notebook.kernel.is_connected()", 90, "the notebook and its kernel")
    # The kernel Jupyter started is the venv's python3 (the notebook names that kernel).
    assert browser.execute_script("return Jupyter.notebook.kernel.name") == "python3"
    browser.execute_script("Jupyter.notebook.clear_all_output(); Jupyter.notebook.execute_all_cells();")
    # Done when no cell waits for the kernel any more ("In [*]") and the kernel is idle.
    wait("return Jupyter.notebook.get_cells().every(c => c.cell_type !== 'code' || "
         "(c.input_prompt_number !== '*' && c.input_prompt_number !== undefined && c.input_prompt_number !== null)) "
         "&& Jupyter.notebook.kernel_busy === false", 300, "every cell to run")
    outputs = browser.execute_script(
        "return Jupyter.notebook.get_cells().filter(c => c.cell_type === 'code').map(c => c.output_area.outputs);")
    flat = [o for cell in outputs for o in cell]
    errors = [o for o in flat if o.get("output_type") == "error"]
    assert not errors, [f"{e.get('ename')}: {e.get('evalue')}" for e in errors]
    assert all(cell for cell in outputs), "a code cell has no output"
    assert any("image/png" in o.get("data", {}) for o in flat), "no plot among the outputs"
    images = browser.find_elements("css selector", ".output_area img")
    assert images and any(img.size["width"] > 100 for img in images), "no plot drawn on the page"

    artifacts = pathlib.Path(os.environ.get("DELIVSIM_ARTIFACTS", REPO / "build" / "test-artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "01_quickstart.png"
    browser.execute_script("window.scrollTo(0, 0)")
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
