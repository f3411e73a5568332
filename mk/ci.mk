# CI/CD: the workflows' own checks and the local equivalent of the pull-request checks.
WORKFLOWS := $(wildcard .github/workflows/*.yml)
CI_SCRIPTS := $(wildcard .github/scripts/*.sh)

.PHONY: workflows-check bootstrap-test ci

workflows-check: venv ## zizmor (offline, nothing above low), GitHub workflow/dependabot schemas, shellcheck
	$(VENV)/bin/zizmor --offline --min-severity medium .github/
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOWS)
	$(VENV)/bin/check-jsonschema --builtin-schema custom.github-workflows-require-timeout $(WORKFLOWS)
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
	shellcheck $(CI_SCRIPTS)

bootstrap-test: venv ## the bootstrap program's tests (Pulumi mocks)
	$(PY) -m pytest bootstrap/tests

ci: lint typecheck test observability-check hadolint workflows-check plan-json contract-check checkov ## every pull-request check that needs no AWS or Docker engine, as CI runs it
