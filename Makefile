# Front door. `make run` and `make test` install their own dependencies.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
DEPS_STAMP := $(BUILD)/.deps-installed

.PHONY: all deps build run test bench clean

all: build

$(DEPS_STAMP): scripts/install-deps
	./scripts/install-deps
	@mkdir -p $(BUILD) && touch $@

deps: $(DEPS_STAMP)

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

# Runs a real command in the default (process) backend and prints result + score.
run: build
	$(BUILD)/tools/kavach/kavach run --preset strict -- sh -c 'echo hello from the sandbox; id; true; true'

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	./scripts/run-bench $(BUILD)

clean:
	rm -rf $(BUILD)
