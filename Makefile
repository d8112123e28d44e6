# kubegrant — build, demo, tests, lint, benchmarks.
SHELL       := /bin/bash
GO          ?= go
BIN         := bin/kubegrant
BENCH_DATA  ?= /tmp/bench-data
GEN         := ../shared/bench/gen.py
GOLANGCI    := $(shell $(GO) env GOPATH)/bin/golangci-lint
GOLANGCI_VERSION := v2.6.2

.PHONY: all build static image image-test demo test test-short lint fmt vet golangci fuzz bench bench-data accuracy generate check-generated clean kas e2e bootstrap-rbac apis

all: build

# The first build says what it is doing and downloads the modules quietly
# (go build would print a "go: downloading" line per module).
build:
	@test -x $(BIN) || echo "kubegrant: first build: downloading Go modules (~400 MB) and compiling them; up to ~20 min on a busy 2-core machine, seconds afterwards (README: 'How long the first run takes')" >&2
	@$(GO) mod download
	$(GO) build -o $(BIN) ./cmd/kubegrant

## demo: build and scan the embedded demo cluster and audit log; prints the text report.
demo: build
	./$(BIN) scan testdata/demo/manifests --audit-log testdata/demo/audit/audit.log --fail-on none

## test: vet, then every test (unit, golden, policy (opa test), CLI, corpus, accuracy on gen.py small data).
test: vet
	$(GO) test -race -count=1 ./...

## kas: build kube-apiserver and etcd from Go modules into $(KAS_DIR) for the e2e tests (skipped when present).
KAS_DIR ?= $(if $(KUBEGRANT_KAS_DIR),$(KUBEGRANT_KAS_DIR),$(HOME)/.cache/kubegrant/k8s-v1.34.4)
kas:
	KUBEGRANT_KAS_DIR=$(KAS_DIR) GO=$(GO) e2e/kas/build.sh

## bootstrap-rbac: regenerate scanner/builtin/kubernetes-v1.34.4.yaml, Kubernetes' built-in RBAC, from
## k8s.io/kubernetes' bootstrappolicy (tools/bootstrap-rbac is a Go module of its own; ~3 min on a cold cache).
bootstrap-rbac:
	cd tools/bootstrap-rbac && GOWORK=off $(GO) run . -o ../../scanner/builtin/kubernetes-v1.34.4.yaml

## e2e: kubegrant against a real kube-apiserver (internal/kastest; cmd/kubegrant/e2e_test.go).
e2e: kas
	KUBEGRANT_KAS_DIR=$(KAS_DIR) $(GO) test -count=1 -v -run 'TestE2E' ./cmd/kubegrant

## test-short: the day-to-day run: every test without -race, slow ones skipped (-short); `make test` is the full run.
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
	@for pkg in ./scanner ./detect ./detect/audit ./reports; do \
	  for f in $$($(GO) test -list 'Fuzz.*' $$pkg | grep ^Fuzz); do \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 20s $$pkg || exit 1; \
	  done; \
	done

bench-data:
	@test -f $(BENCH_DATA)/small/truth/ground-truth.json || python3 $(GEN) --scale small --out $(BENCH_DATA)/small
	@test -f $(BENCH_DATA)/medium/truth/ground-truth.json || python3 $(GEN) --scale medium --out $(BENCH_DATA)/medium
	@test -f $(BENCH_DATA)/large/truth/ground-truth.json || python3 $(GEN) --scale large --no-audit --out $(BENCH_DATA)/large

# TIMED prints wall time and peak RSS (GNU time) when available.
TIMED := $(shell test -x /usr/bin/time && echo '/usr/bin/time -f "  wall %es  peak RSS %MkB"')

## bench: generate gen.py data (small, medium, large --no-audit) and print scan and replay figures and accuracy.
bench: build bench-data
	KUBEGRANT_BENCH_DATA=$(BENCH_DATA) $(GO) test -run '^$$' -bench . -skip BenchmarkReplayVsFloor -benchmem -benchtime 1x ./...
	@echo "== replay (dynamic pass alone) vs the decode floor (goccy/go-json into the wire event, 2 workers), same run, same file"
	@KUBEGRANT_BENCH_DATA=$(BENCH_DATA) $(GO) test -run '^$$' -bench '^BenchmarkReplayVsFloor$$' -benchtime 1x ./cmd/kubegrant | \
	  awk '/^BenchmarkReplayVsFloor/ { for (i = 3; i < NF; i += 2) printf "  %-14s %s\n", $$(i+1), $$i } /^(ok|FAIL)/'
	@for s in small medium large; do \
	  echo "== static scan with attack paths, $$s ($$(grep -c '^kind: .*Binding$$' $(BENCH_DATA)/$$s/manifests/all.yaml) bindings; target for large: <= 15 s wall, <= 2 GiB peak RSS)"; \
	  $(TIMED) ./$(BIN) scan $(BENCH_DATA)/$$s/manifests/all.yaml --format json -o /tmp/kubegrant-$$s.json --fail-on none 2>&1 | grep -v '^warning:'; \
	  echo "  summary: $$(grep -m1 -oE '"paths": [0-9]+' /tmp/kubegrant-$$s.json), $$(grep -m1 -oE '"findings": [0-9]+' /tmp/kubegrant-$$s.json)"; \
	done
	@echo "== CPU profile of the static scan of large (a second, profiled run; top 15)"
	@KUBEGRANT_CPUPROFILE=/tmp/kubegrant-large.cpu ./$(BIN) scan $(BENCH_DATA)/large/manifests/all.yaml --format json -o /dev/null --fail-on none >/dev/null 2>&1
	@$(GO) tool pprof -top -nodecount=15 ./$(BIN) /tmp/kubegrant-large.cpu 2>/dev/null | tail -16
	@for s in small medium; do \
	  echo "== static + dynamic pass, $$s ($$(du -h $(BENCH_DATA)/$$s/audit/audit.log | cut -f1) audit log): peak RSS must not grow with the log"; \
	  $(TIMED) ./$(BIN) scan $(BENCH_DATA)/$$s/manifests/all.yaml --audit-log $(BENCH_DATA)/$$s/audit/audit.log --format json -o /tmp/kubegrant-$$s-audit.json --fail-on none; \
	done
	@echo "== accuracy against gen.py ground truth"
	@KUBEGRANT_BENCH_DATA=$(BENCH_DATA) $(GO) test -count=1 -run TestAccuracyGenerated -v ./cmd/kubegrant | grep -E 'static:|dynamic:|^(ok|FAIL|---)'

## accuracy: compare with gen.py's ground truth on small and medium (precision and recall must be 1.0).
accuracy: bench-data
	KUBEGRANT_BENCH_DATA=$(BENCH_DATA) $(GO) test -count=1 -run TestAccuracyGenerated -v ./cmd/kubegrant

## generate: regenerate docs/rules.md from the policies' metadata.
generate: build
	./$(BIN) rules --format markdown > docs/rules.md

check-generated: generate
	git diff --exit-code docs/rules.md

## apis: regenerate scanner/apis.json, the built-in API resources rule names are checked against, from the
## api/discovery documents of these Kubernetes releases (fetched as Go modules, read, never imported).
APIS_RELEASES := v1.34.4 v1.37.2
apis:
	@dirs=""; for v in $(APIS_RELEASES); do \
	  dir=$$($(GO) mod download -json k8s.io/kubernetes@$$v | sed -n 's/^.*"Dir": "\(.*\)",$$/\1/p'); \
	  test -n "$$dir" || exit 1; dirs="$$dirs $$dir/api/discovery"; \
	done; $(GO) run ./internal/apigen -o scanner/apis.json $$dirs

## static: the static binary the container image holds (CGO off), checked to need no shared library.
static:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o bin/kubegrant-static ./cmd/kubegrant
	@if ldd bin/kubegrant-static >/dev/null 2>&1; then echo "bin/kubegrant-static is dynamically linked"; exit 1; fi
	./bin/kubegrant-static version

## image: build the container image (Dockerfile; needs a docker engine).
IMAGE ?= kubegrant:dev
image:
	docker build -t $(IMAGE) --build-arg VERSION=$$(git describe --tags --always 2>/dev/null || echo dev) .

## image-test: build the image, then run it with a read-only root as the non-root user on deploy/.
image-test: image
	docker run --rm --read-only $(IMAGE) version
	docker run --rm --read-only -v $(CURDIR)/deploy:/deploy:ro $(IMAGE) scan /deploy --fail-on high
	test "$$(docker image inspect -f '{{.Config.User}}' $(IMAGE))" = "65532:65532"

clean:
	rm -rf bin
