# Policy pack: the same rules run by `pulumi preview --policy-pack policy`, offline here.
.PHONY: policy-check policy-test policy-preview checkov checkov-venv

CHECKOV_VENV := build/checkov-venv
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

policy-check: venv ## run the policy pack over stage and prod rendered offline; fails on a mandatory finding
	$(PY) -m policy.check --all

policy-test: venv ## the policy pack's tests only
	$(PY) -m pytest -q $(wildcard tests/test_policy_*.py) tests/test_checkov.py

policy-preview: venv ## pulumi preview with the policy pack (needs the Pulumi CLI, AWS credentials and STACK=stage|prod)
	pulumi preview --stack $(or $(STACK),stage) --policy-pack policy

# checkov pins packages pulumi cannot share (packaging<24), so it gets a virtualenv of its own.
$(CHECKOV_STAMP): policy/requirements-checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q -r policy/requirements-checkov.txt
	@touch $@

checkov-venv: $(CHECKOV_STAMP) ## install checkov in build/checkov-venv

checkov: venv checkov-venv ## checkov (offline) over a Terraform-plan JSON of stage and prod; fails on a finding neither fixed nor excepted by id
	CHECKOV=$(CHECKOV_VENV)/bin/checkov $(PY) -m policy.checkov_plan
