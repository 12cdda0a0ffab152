# nomad-pledge-driver build, test and benchmark entry points.
GO      ?= go
export CGO_ENABLED := 0
VERSION ?= 0.1.0
LDFLAGS := -s -w -X main.version=$(VERSION)
VM      := ../shared/vm/go-test-in-vm.sh

.PHONY: all build demo test test-unit test-vm bench proto proto-check docs docs-check lint fuzz run clean

all: build

# The plugin embeds the per-task helper (init and shim), built first;
# grpcnotrace keeps golang.org/x/net/trace (and its package init) out of the
# plugin.
TASKHELPER := cmd/nomad-pledge-driver/taskhelper.bin

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/pledge ./cmd/pledge
	$(GO) build -trimpath -ldflags '-s -w' -o $(TASKHELPER) ./cmd/nomad-pledge-driver/taskhelper
	$(GO) build -trimpath -tags grpcnotrace,embedhelper -ldflags '$(LDFLAGS)' -o bin/nomad-pledge-driver ./cmd/nomad-pledge-driver

demo: build
	./scripts/demo.sh

# The README's test command: static checks, every package's tests (fuzz seed
# corpora replay as ordinary tests), then the cgroup/namespace suites in VMs.
test: proto-check docs-check lint test-unit test-vm

test-unit: build
	$(GO) test -count=1 -timeout 20m ./...

test-vm: build
	./scripts/test-vm.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null; then staticcheck ./...; else echo "staticcheck not installed; skipped"; fi

bench: build
	./scripts/bench.sh

proto:
	./scripts/proto.sh

proto-check:
	./scripts/proto.sh --check

docs:
	./scripts/gen-docs.sh

docs-check:
	./scripts/gen-docs.sh --check

fuzz:
	./scripts/fuzz.sh

run: build
	./scripts/run-agent.sh

clean:
	rm -rf bin $(TASKHELPER)
