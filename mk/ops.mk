# Operating a deployed stack (needs AWS credentials, the Pulumi CLI logged in to the state
# backend, the AWS CLI, the Session Manager plugin, psql and jq).

.PHONY: db-connect

db-connect: ## psql on a stack's database through the bastion: make db-connect STACK=stage (docs/operations.md)
	@test -n "$(STACK)" || { echo "make db-connect: name the stack, e.g. make db-connect STACK=stage" >&2; exit 2; }
	@scripts/db-connect.sh "$(STACK)"
