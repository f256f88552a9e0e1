# OmniCRM: `make run` serves the product on a fresh machine, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
CGRATES_PORT ?= 2080
CBC_PORT ?= 8090
# Without Stripe keys `make run` starts localstripe here and points the API and the console at it (README).
LOCALSTRIPE_PORT ?= 8420
# The demo whitelists the CGRateS simulator on this host so its auto-renewal *http_post callbacks are accepted,
# with the least role that can provision (docs/architecture.md "CGRateS callbacks" explains production).
DEMO_IP_WHITELIST ?= {"127.0.0.1": {"roles": ["OCS Callback"]}}
OMNICRM_ADMIN_EMAIL ?= admin@omnicrm.local
OMNICRM_ADMIN_PASSWORD ?= Admin123!
export OMNICRM_ADMIN_EMAIL OMNICRM_ADMIN_PASSWORD

.PHONY: run test test-api test-ui e2e ui install services migrate bench migration clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: OmniCRM-API/pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e 'OmniCRM-API[test]'
	touch $@

install: $(VENV)/.installed

$(VENV)/.bench-installed: OmniCRM-API/pyproject.toml | $(VENV)/.installed
	$(BIN)/pip install --quiet -e 'OmniCRM-API[test,bench]'
	touch $@

.env:
	@echo "Creating .env with a fresh JWT secret and encryption key (edit it for your deployment)"
	@sed -e "s/^JWT_SECRET=.*/JWT_SECRET=$$($(PYTHON) -c 'import secrets; print(secrets.token_hex(32))')/" \
		-e "s/^OMNICRM_ENCRYPTION_KEY=.*/OMNICRM_ENCRYPTION_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_hex(32))')/" \
		.env.example > .env

ui:
	cd OmniCRM-UI && npm ci --no-audit --no-fund && npm run build

migrate: install .env
	$(BIN)/omnicrm migrate

run: install .env migrate ui
	$(BIN)/omnicrm create-admin
	$(BIN)/omnicrm seed-demo
	@tools/dev/start_cgrates_sim.sh $(CGRATES_PORT)
	@tools/dev/start_cbc_sim.sh $(CBC_PORT)
	@echo ""
	@echo "OmniCRM is starting on http://localhost:$(PORT)  (API docs: http://localhost:$(PORT)/crm/docs)"
	@echo "Log in as $(OMNICRM_ADMIN_EMAIL) / $(OMNICRM_ADMIN_PASSWORD)"
	@echo ""
	eval "$$(tools/dev/stripe_demo_env.sh $(LOCALSTRIPE_PORT) http://localhost:$(PORT))"; \
	CGRATES_ENDPOINT=127.0.0.1:$(CGRATES_PORT) CBC_URL=http://127.0.0.1:$(CBC_PORT) CRM_BASE_URL=http://localhost:$(PORT) \
	  OMNICRM_IP_WHITELIST='$(DEMO_IP_WHITELIST)' \
	  $(BIN)/gunicorn --workers 1 --threads 8 --bind 0.0.0.0:$(PORT) --access-logfile - 'omnicrm:create_app()'

services:
	@tools/ensure_services.sh

test: test-api test-ui e2e

test-api: install services
	$(BIN)/ruff check .
	$(BIN)/python tools/security_audit.py api
	OMNICRM_TEST_DB=sqlite $(BIN)/python -m pytest -n 2 -q
	OMNICRM_TEST_DB=mariadb $(BIN)/python -m pytest -n 2 -q

test-ui:
	cd OmniCRM-UI && npm ci --no-audit --no-fund && npm test
	$(PYTHON) tools/security_audit.py ui

# Browser tests: Debian's Chromium (installed when missing) driven by playwright-core against a real server.
e2e: install ui
	bash tests/e2e/run.sh

bench: install services $(VENV)/.bench-installed
	$(BIN)/python bench/search.py --customers 100000
	$(BIN)/python bench/provision.py
	$(BIN)/python bench/provision_bulk.py
	$(BIN)/python bench/invoice.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/load.py

# New Alembic revision from the models: make migration MSG="add x"
migration: install
	rm -f /tmp/omnicrm-migration.db
	DATABASE_URL=sqlite:////tmp/omnicrm-migration.db JWT_SECRET=$$($(PYTHON) -c 'print("x"*64)') $(BIN)/alembic upgrade head
	DATABASE_URL=sqlite:////tmp/omnicrm-migration.db JWT_SECRET=$$($(PYTHON) -c 'print("x"*64)') $(BIN)/alembic revision --autogenerate -m "$(MSG)"

clean:
	rm -rf $(VENV) OmniCRM-UI/node_modules OmniCRM-UI/dist var
