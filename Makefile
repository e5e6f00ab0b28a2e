# redis-swift: `make run` starts a server on 6379, `make cluster` the 1 + 2 + 3 Sentinel topology, `make test` runs every
# test, `make bench` compares with redis-server.
# Both install what they need on a fresh Debian machine (apt packages, Python test deps).

SWIFT ?= swift
APT_PACKAGES := redis-server redis-tools redis-sentinel liblua5.4-dev lua-cjson-dev lua-bitop-dev prometheus-redis-exporter
PYTHON ?= python3
BIN := .build/release/redis-swift
PORT ?= 6379

.PHONY: all deps build run test unit-test integration-test bench clean cluster cluster-down compose-test \
	compose-test-if-possible deploy-validate

all: build

## Install the Debian packages and Python modules the tests and benchmarks use (only when missing).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi
	@# The Debian redis-server package starts a service on 6379; tests use their own ports, but `make run` needs 6379.
	@if command -v systemctl >/dev/null 2>&1; then systemctl stop redis-server redis-sentinel >/dev/null 2>&1 || true; fi
	@$(PYTHON) -c "import redis, pytest, kubernetes_validate, yamllint, check_jsonschema" 2>/dev/null || \
		$(PYTHON) -m pip install -q -r Tests/integration/requirements.txt

# Dynamic exclusivity checks cost several percent on the command path, in NIO's code too (measured with perf);
# the data has one owner at a time, so release builds turn them off everywhere.
RELEASE_FLAGS := -c release -Xswiftc -enforce-exclusivity=unchecked

build:
	$(SWIFT) build $(RELEASE_FLAGS)

## Start a server on $(PORT) with default settings.
run: deps build
	$(BIN) --port $(PORT)

unit-test:
	$(SWIFT) test

## The differential and the high-availability halves run side by side (INTEGRATION_JOBS=1 runs them in one process).
integration-test: build
	REDIS_SWIFT_BIN=$(CURDIR)/$(BIN) PYTHON=$(PYTHON) bash Tests/integration/run.sh

## Every test: Swift unit tests, then integration and differential tests against a real redis-server (they include
## the walkthrough against a local cluster and the offline validation of deploy/), then the Compose deployment with
## podman where podman can run (skipped with the reason elsewhere).
test: deps
	$(MAKE) unit-test
	$(MAKE) integration-test
	$(MAKE) compose-test-if-possible

## The reference topology on this machine: master 10007, replicas 10008/10009, Sentinels 26379-26381, password
## redis_password; data and logs in .cluster/. More: examples/local-cluster.sh status|failover|logs|stop|start.
cluster: deps build
	REDIS_SWIFT_BIN=$(CURDIR)/$(BIN) examples/local-cluster.sh up

## Stops exactly the processes `make cluster` started.
cluster-down:
	examples/local-cluster.sh down

## deploy/docker-compose.yml run for real with podman-compose (root; installs podman; see docs/DEPLOYMENT.md).
compose-test: build
	REDIS_SWIFT_BIN=$(CURDIR)/$(BIN) PYTHON=$(PYTHON) bash deploy/compose-test.sh

compose-test-if-possible: build
	REDIS_SWIFT_BIN=$(CURDIR)/$(BIN) PYTHON=$(PYTHON) bash deploy/compose-test.sh --if-possible

## Offline checks of the deployment files (kubernetes-validate --strict, yamllint, compose-spec schema).
deploy-validate: deps
	$(PYTHON) -m pytest -q Tests/integration/test_deploy_manifests.py

## Side-by-side throughput and memory against redis-server (not a test).
bench: deps build
	bash bench/bench.sh

clean:
	rm -rf .build
