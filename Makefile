# tenantd — the two commands a newcomer needs:
#   make run    install what is missing, build, start a demo server on :8080
#   make test   install what is missing, build with sanitizers, run every test
#               on SQLite and on a throwaway PostgreSQL 15
.PHONY: all build configure run test bench clean deps format

BUILD ?= build/release
TEST_BUILD ?= build/test
LISTEN ?= 127.0.0.1:8080
DATA ?= ./data

all: build

deps:
	@scripts/install-deps build

# The server alone: no test dependency is needed to configure or build it
# (tests/cli/build_test.sh configures this way with cmocka hidden).
configure:
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTD_TESTS=OFF >/dev/null

build: deps configure
	@ninja -C $(BUILD) tenantd

# `run` also installs curl and jq, which the README's walkthrough uses.
run:
	@scripts/install-deps run
	@$(MAKE) --no-print-directory build
	$(BUILD)/tenantd serve --demo --listen $(LISTEN) --data $(DATA)

test:
	@scripts/install-deps test
	@scripts/test

bench:
	@scripts/install-deps bench
	@bench/run

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c')

clean:
	rm -rf build
