# Policy pack: the same rules run by `pulumi preview --policy-pack policy`, offline here.
.PHONY: policy-check policy-test policy-preview

policy-check: venv ## run the policy pack over stage and prod rendered offline; fails on a mandatory finding
	$(PY) -m policy.check --all

policy-test: venv ## the policy pack's tests only
	$(PY) -m pytest -q tests/test_policy_rules.py tests/test_policy_stack_rules.py tests/test_policy_secrets.py tests/test_policy_stacks.py

policy-preview: venv ## pulumi preview with the policy pack (needs the Pulumi CLI, AWS credentials and STACK=stage|prod)
	pulumi preview --stack $(or $(STACK),stage) --policy-pack policy
