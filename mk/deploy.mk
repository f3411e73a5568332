# The deploy path: load balancer, blue/green service, modelled rollout times.

.PHONY: rollout-times deploy-path-test

rollout-times: venv ## modelled deployment and rollback times of every stack file
	$(PY) -m rollout

deploy-path-test: venv ## tests of the BlueGreen and EcsService components, strategies and rollout model
	$(PY) -m pytest -q tests/test_bluegreen.py tests/test_ecs_service.py \
		tests/test_deployment_settings.py tests/test_rollout.py
