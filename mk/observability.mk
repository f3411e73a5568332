# Observability: Prometheus rules and their tests, Alertmanager routing, blackbox modules.
OBS := observability

.PHONY: observability-check observability-e2e

observability-check: venv debs ## promtool check/test rules, promtool check config, amtool check-config, blackbox config
	promtool check rules $(OBS)/prometheus/rules/*.rules.yml
	promtool test rules $(OBS)/prometheus/tests/*.test.yml
	promtool check config $(OBS)/prometheus/prometheus.yml
	amtool check-config $(OBS)/alertmanager/alertmanager.yml
	prometheus-blackbox-exporter --config.file=$(OBS)/blackbox/blackbox.yml --config.check
	$(PY) -m pytest -q tests/test_observability_files.py

observability-e2e: venv debs ## local end-to-end alert run: slow and failing queries, database and website stopped; alerts reach the webhook and resolve
	$(PY) -m pytest -q -s -m servers tests/test_observability_e2e.py
