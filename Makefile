# redis-swift: `make run` starts a server on 6379, `make test` runs every test, `make bench` compares with redis-server.
# Both install what they need on a fresh Debian machine (apt packages, Python test deps).

SWIFT ?= swift
APT_PACKAGES := redis-server redis-tools redis-sentinel liblua5.4-dev lua-cjson-dev lua-bitop-dev prometheus-redis-exporter
PYTHON ?= python3
BIN := .build/release/redis-swift
PORT ?= 6379

.PHONY: all deps build run test unit-test integration-test bench clean

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
	@$(PYTHON) -c "import redis, pytest" 2>/dev/null || $(PYTHON) -m pip install -q -r Tests/integration/requirements.txt

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

integration-test: build
	REDIS_SWIFT_BIN=$(CURDIR)/$(BIN) $(PYTHON) -m pytest -q Tests/integration

## Every test: Swift unit tests, then integration and differential tests against a real redis-server.
test: deps
	$(MAKE) unit-test
	$(MAKE) integration-test

## Side-by-side throughput and memory against redis-server (not a test).
bench: deps build
	bash bench/bench.sh

clean:
	rm -rf .build
