# The commands (see README):
#   make run       simulate the embedded default scenario (R1) and print its summary (builds only the CLI)
#   make notebook  Jupyter Notebook on 127.0.0.1 with the venv's kernel, serving notebooks/
#   make check     the fast tier (< 3 min): C++ unit tests, then pytest -m "not slow and not mta"
#   make test      every test: C++ unit tests and the installed-package example (ctest), then pytest, sanitizers
#   make docs      the Sphinx API reference in build/docs/html (warnings are errors)
# All install what they need first (Debian packages, the build, a virtualenv).

BUILD  ?= build
VENV   ?= .venv
PYTHON ?= /usr/bin/python3
JOBS   ?= $(shell nproc)
MESSAGES ?= 1000000
NOTEBOOK_PORT ?= 8888

.PHONY: run test check notebook docs deps build cli venv bench clean sanitize

deps:
	@scripts/bootstrap.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Only the command-line program: what `make run` runs (not the tests or benchmarks).
cli: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) --target delivsim_cli -j $(JOBS)

# The Python package, installed into a venv that sees Debian's numpy/pandas/pytest, with a
# Jupyter kernelspec "python3" inside the venv (--sys-prefix): Jupyter run from the venv's
# python then starts kernels of the venv (which has delivsim), not Debian's /usr/bin/python3.
venv: deps
	test -x $(VENV)/bin/python || $(PYTHON) -m venv --system-site-packages $(VENV)
	$(VENV)/bin/pip install --no-build-isolation --no-deps --quiet .
	$(VENV)/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (delivsim)" > /dev/null

run: cli
	$(BUILD)/delivsim run --messages $(MESSAGES)

# Jupyter refuses to run as root unless told (a container's root user).
notebook: venv
	$(VENV)/bin/python -m notebook --ip=127.0.0.1 --port=$(NOTEBOOK_PORT) --no-browser --notebook-dir=notebooks \
	  $(if $(filter 0,$(shell id -u)),--allow-root)

check: deps $(BUILD)/CMakeCache.txt venv
	cmake --build $(BUILD) --target delivsim_tests delivsim_cli -j $(JOBS)
	$(BUILD)/tests/delivsim_tests
	DELIVSIM_CLI=$(abspath $(BUILD))/delivsim $(VENV)/bin/python -m pytest tests/python -q -m "not slow and not mta"

test: build venv
	cd $(BUILD) && ctest --output-on-failure
	DELIVSIM_CLI=$(abspath $(BUILD))/delivsim $(VENV)/bin/python -m pytest tests/python -q
	scripts/sanitize_and_fuzz.sh

# The validation harness against real Postfix, postgrey and rspamd on loopback (root; about
# 8 minutes); rewrites validation/report.md. The quick subset runs in `make test`.
.PHONY: validate
validate: venv
	$(VENV)/bin/python validation/run.py

docs: venv
	$(VENV)/bin/python -m sphinx -W --keep-going -q -b html docs/api $(BUILD)/docs/html
	@echo "API reference: $(BUILD)/docs/html/index.html"

# Only the sanitizer and fuzz runs (FUZZ_SECONDS=60 per target by default).
sanitize: deps
	scripts/sanitize_and_fuzz.sh

bench: build
	$(BUILD)/benchmarks/delivsim_bench

clean:
	rm -rf $(BUILD) $(VENV)
