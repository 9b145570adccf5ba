# tenantd — the two commands a newcomer needs:
#   make run    install what is missing, build, start a demo server on :8080
#   make test   install what is missing, build with sanitizers, run every test
#               on SQLite and on a throwaway PostgreSQL 15
.PHONY: all build run test bench clean deps format

BUILD ?= build/release
TEST_BUILD ?= build/test
LISTEN ?= 127.0.0.1:8080
DATA ?= ./data

all: build

deps:
	@scripts/install-deps build

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@ninja -C $(BUILD) tenantd

run: build
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
