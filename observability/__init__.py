"""Prometheus rules, Alertmanager routing, blackbox modules and Grafana dashboards.

The YAML and JSON files under this directory are the source; the modules here load and
render them for AWS (components/observability.py) and for the local end-to-end run.
"""
