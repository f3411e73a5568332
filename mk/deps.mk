# Python dependencies: the lock files every install reads (exact versions, sha256 of every file).
#   requirements-dev.lock  .venv: the program, the website's packages and the tools (`make venv`)
#   requirements.lock      the program alone (what `pulumi up` needs)
#   app/requirements.lock  the website image (linux/arm64, Python 3.11, see app/Dockerfile)
#   scripts/requirements-awsx.lock  build/awsx-venv: pulumi-awsx for the comparison in docs/design.md
# Edit the requirements*.txt files, then run `make lock`; existing pins are kept unless a
# requirement no longer allows them (`make lock UPGRADE=--upgrade` moves everything forward).
UV_VERSION := 0.13.9
LOCK_TOOLS := build/lock-tools
UV := $(LOCK_TOOLS)/bin/uv
UPGRADE ?=
# Python 3.11.5 is the oldest 3.11 the tools accept (soupsieve needs >=3.11.5); the image runs
# 3.11 on Debian bookworm (glibc 2.36) on Graviton.
LOCK_COMPILE = $(UV) pip compile --quiet --generate-hashes --python-version 3.11.5 \
	--custom-compile-command "make lock" $(UPGRADE)

.PHONY: lock

$(UV):
	python3 -m venv $(LOCK_TOOLS)
	$(LOCK_TOOLS)/bin/pip install -q uv==$(UV_VERSION)

lock: $(UV) ## re-resolve the lock files (with hashes) after editing a requirements*.txt
	$(LOCK_COMPILE) --python-platform aarch64-manylinux_2_36 \
		app/requirements.txt -o app/requirements.lock
	$(LOCK_COMPILE) --universal -c app/requirements.lock requirements-dev.txt -o requirements-dev.lock
	$(LOCK_COMPILE) --universal -c requirements-dev.lock requirements.txt -o requirements.lock
	$(LOCK_COMPILE) --universal scripts/requirements-awsx.txt -o scripts/requirements-awsx.lock
