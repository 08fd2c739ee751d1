# VenueOS: `make run` serves the demo, `make test` runs every test. Nothing else
# is needed beyond Python 3.11: the venv, the packages and an embedded PostgreSQL
# are set up on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install browser run test bench capacity scaleout lint format lock clean screenshots

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

run: install
	$(BIN)/venueos run

# The browser tests drive Debian's chromium. Install it when missing and this
# is root with apt-get; otherwise say so: the browser tests then skip (or fail,
# with VENUEOS_REQUIRE_BROWSER=1 as in CI).
browser:
	@if ! command -v chromium >/dev/null 2>&1 && [ -z "$$VENUEOS_CHROMIUM" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "chromium is missing and cannot be installed here (needs root and apt-get): browser tests will be skipped"; \
	  fi; \
	fi

test: install browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# docs/img/*.png, the README's pictures: a throw-away demo site in the same browser.
screenshots: install browser
	$(BIN)/python -m venueos.testing.screenshots docs/img

bench: install
	$(BIN)/python -m bench $(if $(QUICK),--quick) $(if $(FULL),--full)

# Capacity alone (bench/capacity.py); DATA=dir keeps the data there for the next
# run, so before/after a change measure the same data.
capacity: install
	$(BIN)/python -m bench.capacity $(if $(QUICK),--quick) $(if $(DATA),--data $(DATA))

# Two servers, a worker and nginx on one PostgreSQL; the conflict storm across
# both (docs/scaling.md). Needs nginx: apt-get install -y nginx.
scaleout: install
	$(BIN)/python -m bench.scaleout $(if $(STORM),--storm $(STORM))

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-resolve the locked versions after changing pyproject.toml.
lock:
	rm -rf /tmp/venueos-lock && $(PYTHON) -m venv /tmp/venueos-lock
	/tmp/venueos-lock/bin/pip install --quiet '.[dev]'
	/tmp/venueos-lock/bin/pip freeze --exclude venueos > requirements.lock

clean:
	-$(BIN)/venueos db --stop
	rm -rf $(VENV) .venueos .pytest_cache .ruff_cache .hypothesis
