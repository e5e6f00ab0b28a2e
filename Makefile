# redis-swift: `make run` starts a server on 6379, `make cluster` the 1 + 2 + 3 Sentinel topology, `make test` runs every
# test, `make bench` compares with redis-server.
# Both install what they need on a fresh Debian machine (apt packages, Python test deps).

SWIFT ?= swift
APT_PACKAGES := redis-server redis-tools redis-sentinel liblua5.4-dev lua-cjson-dev lua-bitop-dev prometheus-redis-exporter
PYTHON ?= python3
BIN := .build/release/redis-swift
PORT ?= 6379

.PHONY: all deps build run test unit-test integration-test bench clean cluster cluster-down compose-test \
	compose-test-if-possible deploy-validate fuzz test-sanitize test-sanitize-thread test-sanitize-address \
	build-sanitize-thread build-sanitize-address test-sanitize-thread-only test-sanitize-address-only

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
	@$(PYTHON) -c "import redis, pytest, pexpect, kubernetes_validate, yamllint, check_jsonschema" 2>/dev/null || \
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

## Protocol fuzzing: FUZZ_ITERATIONS generated/mutated streams through RequestParser in-process (each parsed whole,
## split at every byte boundary when short, and in random pieces; a release build with testing enabled in its own
## scratch path), then FUZZ_E2E_ITERATIONS streams end to end against ours and redis-server (byte-equal replies or
## both close). `make test` runs short fixed-seed runs of both (the swift test default, test_fuzz_e2e.py).
FUZZ_SEED ?= 1
FUZZ_ITERATIONS ?= 5000000
FUZZ_E2E_ITERATIONS ?= 100000
fuzz: deps build
	FUZZ_SEED=$(FUZZ_SEED) FUZZ_ITERATIONS=$(FUZZ_ITERATIONS) $(SWIFT) test -c release -Xswiftc -enable-testing \
		--scratch-path .build-fuzz --filter RequestParserFuzz
	$(PYTHON) Tests/fuzz/e2e.py --ours $(CURDIR)/$(BIN) --seed $(FUZZ_SEED) --iterations $(FUZZ_E2E_ITERATIONS)

## The integration suite (SANITIZE_TESTS, default all) against sanitizer builds in their own scratch paths, so the
## release build stays warm: ThreadSanitizer with `io-threads 2`, then AddressSanitizer. The build and the test steps
## are separate targets (build-sanitize-* compiles, test-sanitize-*-only runs pytest) so a shared machine can hold a
## build lock around the compile only. Reports go to the server's log (stderr) and stop the server at the first one;
## SANITIZE_HALT=0 keeps it running and writes every report to SANITIZE_LOGS/<tool>.<pid> instead.
## Suppressions (each with its reason): Tests/sanitizers/tsan.supp. Tests too slow for a sanitized debug build read
## IT_SANITIZER (see docs/RELIABILITY.md, "Sanitizers").
SANITIZE_TESTS ?= Tests/integration
SANITIZE_HALT ?= 1
SANITIZE_LOGS ?= /tmp/redis-swift-sanitize
SANITIZE_LOG_OPT = $(if $(filter 0,$(SANITIZE_HALT)),log_path=$(SANITIZE_LOGS)/$(1),)
TSAN_SUPP := $(CURDIR)/Tests/sanitizers/tsan.supp
test-sanitize: test-sanitize-thread test-sanitize-address

build-sanitize-thread:
	$(SWIFT) build -c debug --scratch-path .build-tsan -Xswiftc -sanitize=thread --product redis-swift
	sed 's|@BINARY@|$(CURDIR)/.build-tsan/debug/redis-swift|' Tests/sanitizers/with-io-threads.sh > .build-tsan/redis-swift-io2
	chmod +x .build-tsan/redis-swift-io2
	sed 's|@BINARY@|$(shell command -v redis-server)|' Tests/sanitizers/with-io-threads.sh > .build-tsan/redis-server-io2
	chmod +x .build-tsan/redis-server-io2

build-sanitize-address:
	$(SWIFT) build -c debug --scratch-path .build-asan -Xswiftc -sanitize=address --product redis-swift

test-sanitize-thread: deps build-sanitize-thread test-sanitize-thread-only

test-sanitize-address: deps build-sanitize-address test-sanitize-address-only

test-sanitize-thread-only:
	mkdir -p $(SANITIZE_LOGS)
	TSAN_OPTIONS="halt_on_error=$(SANITIZE_HALT) suppressions=$(TSAN_SUPP) $(call SANITIZE_LOG_OPT,tsan) $${TSAN_OPTIONS:-}" \
		REDIS_SWIFT_BIN=$(CURDIR)/.build-tsan/redis-swift-io2 \
		REDIS_REAL_BIN=$(CURDIR)/.build-tsan/redis-server-io2 IT_SANITIZER=thread IT_IO_THREADS=2 IT_TEST_TIMEOUT=600 IT_SOCKET_TIMEOUT=300 IT_DEADLINE_SCALE=10 \
		$(PYTHON) -m pytest -q -o faulthandler_timeout=1800 $(SANITIZE_TESTS)

test-sanitize-address-only:
	mkdir -p $(SANITIZE_LOGS)
	ASAN_OPTIONS="detect_leaks=0 abort_on_error=1 halt_on_error=$(SANITIZE_HALT) $(call SANITIZE_LOG_OPT,asan) $${ASAN_OPTIONS:-}" \
		REDIS_SWIFT_BIN=$(CURDIR)/.build-asan/debug/redis-swift IT_SANITIZER=address IT_TEST_TIMEOUT=600 IT_SOCKET_TIMEOUT=300 IT_DEADLINE_SCALE=10 \
		$(PYTHON) -m pytest -q -o faulthandler_timeout=1800 $(SANITIZE_TESTS)

clean:
	rm -rf .build .build-fuzz .build-tsan .build-asan
