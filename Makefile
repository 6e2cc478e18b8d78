# The project's entry points. `make test` is what CI runs (.ci/run and .github/workflows/ci.yml).
GO ?= go

.PHONY: all generate check-generated fmt-check vet test bench fuzz lint api-check api-update

all: test

# Rebuild gen/ from api/ with the generator version pinned in go.mod (see generate.go, tools.go).
generate:
	$(GO) generate ./...

# Fail, naming the files, when gen/ is not exactly what api/ generates, or when go.mod/go.sum are
# not tidy. It regenerates into a temporary copy of the tree, so the working tree is never touched;
# generated files that no spec produces any more count as drift too.
check-generated:
	@set -eu; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	tar --exclude=./.git -cf - . | tar -xf - -C "$$tmp"; \
	find "$$tmp/gen" -name '*.gen.go' -delete; \
	(cd "$$tmp" && $(GO) generate ./...); \
	if ! diff -rq gen "$$tmp/gen" >"$$tmp/drift.txt"; then \
		echo "check-generated: gen/ is not what api/ generates:"; \
		sed -e "s|^Files \([^ ]*\) and .* differ$$|  \1: stale|" \
		    -e "s|^Only in $$tmp/\(.*\): \(.*\)$$|  \1/\2: missing|" \
		    -e "s|^Only in \(gen.*\): \(.*\)$$|  \1/\2: not generated from any spec|" "$$tmp/drift.txt"; \
		echo "Run 'make generate' and commit api/ and gen/ together."; \
		exit 1; \
	fi; \
	if ! $(GO) mod tidy -diff >"$$tmp/tidy.txt" 2>&1; then \
		echo "check-generated: go.mod/go.sum are not tidy (run 'go mod tidy'):"; \
		sed 's/^/  /' "$$tmp/tidy.txt"; \
		exit 1; \
	fi; \
	echo "check-generated: gen/ matches api/, go.mod and go.sum are tidy"

fmt-check:
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi

vet:
	$(GO) vet ./...

test: fmt-check vet
	$(GO) test -race ./...
	@$(MAKE) --no-print-directory check-generated
	@$(MAKE) --no-print-directory api-check

# The SDK beside its hand-written net/http baselines (BENCHMARKS.md): BENCH_ROUNDS interleaved
# rounds, so both sides run under the same machine load, then the SDK/baseline ratios from a
# pinned benchstat (fetched through the module proxy; not a dependency in go.mod).
BENCH_ROUNDS ?= 10
BENCHSTAT ?= $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
bench:
	@set -e; : > bench.txt; for i in $$(seq $(BENCH_ROUNDS)); do \
		$(GO) test -run '^$$' -bench . -benchmem -count 1 ./dintero ./cyberflex >> bench.txt; done
	$(BENCHSTAT) -col '/impl@(baseline sdk)' bench.txt

# Every fuzzer of the module, one after another, FUZZTIME each (CI runs them briefly; for a long
# session: make fuzz FUZZTIME=10m). `go test` alone already replays the committed seed corpora.
FUZZTIME ?= 5s
fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) scripts/fuzz.sh

# golangci-lint with the linters and exclusions of .golangci.yml, at a pinned version built through
# the module proxy (not a dependency in go.mod; the first run builds it, later runs hit the cache).
GOLANGCI_LINT ?= $(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
lint:
	$(GOLANGCI_LINT) run ./...

# The exported API of the public packages, one line per name, field and method, is recorded in
# API_SURFACE (see internal/cmd/apidump). api-check fails, listing every REMOVED (incompatible)
# and added line, when the code no longer matches it; api-update rewrites it after a deliberate
# change.
API_SURFACE = api-surface.txt
api-check:
	@$(GO) run ./internal/cmd/apidump check $(API_SURFACE)

api-update:
	$(GO) run ./internal/cmd/apidump update $(API_SURFACE)
