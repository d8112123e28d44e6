# kubegrant — build, demo, tests, lint, benchmarks.
GO          ?= go
BIN         := bin/kubegrant
BENCH_DATA  ?= /tmp/bench-data
GEN         := ../shared/bench/gen.py
GOLANGCI    := $(shell $(GO) env GOPATH)/bin/golangci-lint
GOLANGCI_VERSION := v2.6.2

.PHONY: all build demo test test-short lint fmt vet golangci fuzz bench bench-data generate check-generated clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/kubegrant

## demo: build and scan the embedded demo cluster and audit log; prints the text report.
demo: build
	./$(BIN) scan testdata/demo/manifests --audit-log testdata/demo/audit/audit.log --fail-on none

## test: vet, then every test (unit, golden, policy (opa test), CLI, corpus, accuracy on gen.py small data).
test: vet
	$(GO) test -race -count=1 ./...

test-short:
	$(GO) test -short ./...

vet:
	$(GO) vet ./...

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

$(GOLANGCI):
	$(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

golangci: $(GOLANGCI)
	$(GOLANGCI) run ./...

## lint: gofmt, go vet, golangci-lint (installed from the Go module proxy).
lint: fmt vet golangci

## fuzz: a short run of every fuzz target.
fuzz:
	@for pkg in ./scanner ./detect; do \
	  for f in $$($(GO) test -list 'Fuzz.*' $$pkg | grep ^Fuzz); do \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 20s $$pkg || exit 1; \
	  done; \
	done

bench-data:
	@test -f $(BENCH_DATA)/small/truth/ground-truth.json || python3 $(GEN) --scale small --out $(BENCH_DATA)/small
	@test -f $(BENCH_DATA)/medium/audit/audit.log || python3 $(GEN) --scale medium --out $(BENCH_DATA)/medium
	@test -f $(BENCH_DATA)/large/manifests/all.yaml || python3 $(GEN) --scale large --no-audit --out $(BENCH_DATA)/large

## bench: generate gen.py data (small, medium, large --no-audit) and print scan and replay figures.
bench: build bench-data
	KUBEGRANT_BENCH_DATA=$(BENCH_DATA) $(GO) test -run '^$$' -bench . -benchmem -benchtime 1x ./...
	@for s in medium large; do \
	  echo "== static scan, $$s"; \
	  /usr/bin/time -f "wall %es  maxrss %MkB" ./$(BIN) scan $(BENCH_DATA)/$$s/manifests/all.yaml --format json -o /tmp/kubegrant-$$s.json --fail-on none; \
	done
	@echo "== dynamic pass, medium (1M audit lines)"
	@/usr/bin/time -f "wall %es  maxrss %MkB" ./$(BIN) scan $(BENCH_DATA)/medium/manifests/all.yaml --audit-log $(BENCH_DATA)/medium/audit/audit.log --format json -o /tmp/kubegrant-medium-audit.json --fail-on none

## generate: regenerate docs/rules.md from the policies' metadata.
generate: build
	./$(BIN) rules --format markdown > docs/rules.md

check-generated: generate
	git diff --exit-code docs/rules.md

clean:
	rm -rf bin
