# The offline plan: resources, monthly cost, policy findings, rollout times and diagram of
# each stack, from the real program under Pulumi's mock engine (no AWS account needed).
STACK ?=
PLAN_DIR ?= build/plan
PLAN_STACKS = $(if $(STACK),$(STACK),$(patsubst Pulumi.%.yaml,%,$(wildcard Pulumi.*.yaml)))

.PHONY: plan plan-diff plan-json plan-bench

plan: venv ## offline plan of every stack, or of one with STACK=stage|prod (diagrams in build/plan/)
	@scripts/ensure-debs.sh graphviz
	$(PY) -m offline_plan $(foreach s,$(PLAN_STACKS),--stack $(s)) --diagram-dir $(PLAN_DIR)

plan-diff: venv ## what differs between stage and prod: resources, settings, cost
	$(PY) -m offline_plan --stack stage --stack prod --diff --no-diagram

plan-json: venv ## build/plan/<stack>.json and <stack>.md (the pull-request summary) for each stack
	@scripts/ensure-debs.sh graphviz
	@set -e; for s in $(PLAN_STACKS); do \
	  $(PY) -m offline_plan --stack $$s --diagram-dir $(PLAN_DIR) \
	    --json $(PLAN_DIR)/$$s.json --markdown $(PLAN_DIR)/$$s.md > /dev/null; \
	  echo "wrote $(PLAN_DIR)/$$s.json $(PLAN_DIR)/$$s.md $(PLAN_DIR)/$$s.png $(PLAN_DIR)/$$s.svg"; \
	done

plan-bench: venv ## time the plan of each stack, cold (--no-cache) and from the cache (medians)
	@scripts/ensure-debs.sh graphviz
	$(PY) scripts/bench_plan.py
