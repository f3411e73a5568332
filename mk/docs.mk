# Documentation: the generated sections of docs/ and the measured figures in docs/figures.md.
AWSX_VENV := build/awsx-venv
AWSX_STAMP := $(AWSX_VENV)/.installed
# The settings' generator writes Pulumi.yaml's config block and docs/configuration.md.
CONFIG_DOCS := scripts/gen_pulumi_yaml.py

.PHONY: docs docs-check awsx-venv figures figures-website figures-alerts

# pulumi-awsx requires pulumi-docker<5 (and its 2.x line pulumi-aws<7), which the program's
# pulumi-docker 5 and pulumi-aws 7 rule out, so it gets a virtualenv of its own. The program
# does not use it; scripts/awsx_visibility.py runs it under mocks for docs/design.md.
$(AWSX_STAMP): scripts/requirements-awsx.lock
	@test -x $(AWSX_VENV)/bin/python || python3 -m venv $(AWSX_VENV)
	$(AWSX_VENV)/bin/python -m pip install -q --require-hashes -r scripts/requirements-awsx.lock
	@touch $@

awsx-venv: $(AWSX_STAMP) ## install pulumi-awsx in build/awsx-venv (docs/design.md shows it under mocks)

docs: venv awsx-venv ## regenerate every generated section of docs/: configuration, security tables, alerts, awsx table
	$(PY) $(CONFIG_DOCS)
	$(PY) scripts/gen_docs.py

docs-check: venv awsx-venv ## fail when a generated section of docs/ (or Pulumi.yaml's config block) is stale
	$(PY) $(CONFIG_DOCS) --check
	$(PY) scripts/gen_docs.py --check

figures: venv ## docs/figures.md: cost per stack, rollout times, plan speed (about a minute)
	$(PY) scripts/gen_figures.py cost rollout plan-speed

figures-website: venv debs ## docs/figures.md: the website benchmark (1-2 minutes)
	$(PY) scripts/gen_figures.py website

figures-alerts: venv debs ## docs/figures.md: alert timings of the local end-to-end run (1-2 minutes)
	$(PY) scripts/gen_figures.py alerts

# tests/test_docs.py compares the awsx table of docs/design.md with a fresh run.
test: awsx-venv
