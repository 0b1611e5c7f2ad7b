# The two commands (see README):
#   make run    simulate the embedded default scenario (R1) and print its summary
#   make test   every test: C++ unit tests and the installed-package example (ctest), then pytest
# Both install what they need first (Debian packages, the build, a virtualenv).

BUILD  ?= build
VENV   ?= .venv
PYTHON ?= /usr/bin/python3
JOBS   ?= $(shell nproc)
MESSAGES ?= 1000000

.PHONY: run test deps build venv bench clean sanitize

deps:
	@scripts/bootstrap.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The Python package, installed into a venv that sees Debian's numpy/pandas/pytest.
venv: deps
	test -x $(VENV)/bin/python || $(PYTHON) -m venv --system-site-packages $(VENV)
	$(VENV)/bin/pip install --no-build-isolation --no-deps --quiet .

run: build
	$(BUILD)/delivsim run --messages $(MESSAGES)

test: build venv
	cd $(BUILD) && ctest --output-on-failure
	DELIVSIM_CLI=$(abspath $(BUILD))/delivsim $(VENV)/bin/python -m pytest tests/python -q
	scripts/sanitize_and_fuzz.sh

# The validation harness against real Postfix, postgrey and rspamd on loopback (root; about
# 8 minutes); rewrites validation/report.md. The quick subset runs in `make test`.
.PHONY: validate
validate: venv
	$(VENV)/bin/python validation/run.py

# Only the sanitizer and fuzz runs (FUZZ_SECONDS=60 per target by default).
sanitize: deps
	scripts/sanitize_and_fuzz.sh

bench: build
	$(BUILD)/benchmarks/delivsim_bench

clean:
	rm -rf $(BUILD) $(VENV)
