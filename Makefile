# roomscribe — the two commands a new user needs are `make demo` and `make test`.
# Both install what is missing first (scripts/setup.sh), idempotently.

CARGO ?= cargo
BIN := target/release/roomscribe
DEMO_OUT ?= out/demo

.PHONY: setup build demo test lint bench clean-demo

setup:
	@bash scripts/setup.sh

build: setup
	$(CARGO) build --release --locked

# The main job on the bundled default input.
demo: build
	@bash scripts/demo.sh $(BIN) $(DEMO_OUT)

# The test suite: all features that work here, then the feature-less build
# (data generation and evaluation must build without OpenCV / ONNX Runtime),
# then clippy. Incremental compilation is off: it only helps rebuilds, and its
# caches (~1.8 GB) doubled the disk a clean test run needs.
test: export CARGO_INCREMENTAL = 0
test: setup
	$(CARGO) test --locked --all-targets
	$(CARGO) build --locked --no-default-features
	$(CARGO) test --locked --no-default-features --lib
	$(CARGO) clippy --locked --all-targets -- -D warnings
	$(CARGO) clippy --locked --no-default-features --all-targets -- -D warnings

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

bench: setup
	$(CARGO) bench
