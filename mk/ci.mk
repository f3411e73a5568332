# CI/CD: the workflows' own checks and the local equivalent of the pull-request checks.
WORKFLOWS := $(wildcard .github/workflows/*.yml)
CI_SCRIPTS := $(wildcard .github/scripts/*.sh)

.PHONY: workflows-check workflows-check-online bootstrap-test ci

workflows-check: venv ## zizmor (offline, nothing above low), GitHub workflow/dependabot schemas, shellcheck
	$(VENV)/bin/zizmor --offline --min-severity medium .github/
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOWS)
	$(VENV)/bin/check-jsonschema --builtin-schema custom.github-workflows-require-timeout $(WORKFLOWS)
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
	shellcheck $(CI_SCRIPTS)

# zizmor's online audits (impostor-commit, ref-version-mismatch, known-vulnerable-actions,
# stale-action-refs) ask GitHub's API about each pinned SHA; GH_TOKEN (read-only is enough)
# must be set. The pull-request workflow runs this after workflows-check.
workflows-check-online: venv ## zizmor with its online audits (needs GH_TOKEN; CI runs it)
	@test -n "$${GH_TOKEN:-}" || { echo "error: GH_TOKEN is not set; zizmor's online audits need a GitHub token" >&2; exit 2; }
	$(VENV)/bin/zizmor --min-severity medium .github/

bootstrap-test: venv ## the bootstrap program's tests (Pulumi mocks)
	$(PY) -m pytest bootstrap/tests

ci: lint typecheck test observability-check hadolint workflows-check plan-json contract-check checkov ## every pull-request check that needs no AWS or Docker engine, as CI runs it
