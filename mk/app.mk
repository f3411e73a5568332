# The website (app/): run it locally, benchmark it, lint its Dockerfile, test it.
APP_PORT ?= 8080

.PHONY: app-run app-bench app-test hadolint

app-run: venv debs ## run the website on 127.0.0.1:$(APP_PORT) against a throwaway PostgreSQL
	$(PY) -m app.tools.run_local --port $(APP_PORT)

app-bench: venv debs ## benchmark the website with wrk: req/s, p50/p99, writes, overload shedding, memory
	$(PY) -m app.tools.bench

app-test: venv debs ## run the website's tests only
	$(PY) -m pytest app/tests

hadolint: venv ## lint app/Dockerfile with hadolint
	$(VENV)/bin/hadolint app/Dockerfile
