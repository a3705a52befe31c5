# Pitrix — the two commands a new user needs are `make run` and `make test`.
GO        ?= go
BIN       ?= bin/pitrix
DATA_DIR  ?= .pitrix/data
LISTEN    ?= 127.0.0.1:9080
GOFLAGS_BUILD = -trimpath -ldflags="-s -w"
# Packages whose tests start several protoactor cluster members: the library races on its own,
# so they run without -race (their files carry `//go:build !race`).
MULTI_PKGS = ./cluster/... ./actors/relay/ ./actors/localroute/ ./actors/store/replica/ ./bench/raftbench/

# What `make test-deps` (scripts/test-deps.sh) found: `export PITRIX_KUBECONFIG=...` for the tests.
# test-race and test-multi source it when it exists, so they also run alone (your own
# PITRIX_KUBECONFIG wins). PITRIX_TEST_DEPS=skip makes test-deps do nothing.
TEST_ENV  = .pitrix/test-env
LOAD_TEST_ENV = if [ -f $(TEST_ENV) ]; then . ./$(TEST_ENV); fi;

.PHONY: all build run test test-deps test-race test-multi bench lint proto clean

all: build

build:
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o $(BIN) ./cmd/pitrix

# A single-node control plane with embedded Pebble, the local runtime and the demo repo.
run: build
	$(BIN) server --data-dir $(DATA_DIR) --listen $(LISTEN) --demo-src demo/packages --allow-fetch 127.0.0.0/8

# Installs and starts what the tests need first (redis-server, chromium, the test Kubernetes).
test: test-deps
	$(MAKE) --no-print-directory lint test-race test-multi

test-deps:
	bash scripts/test-deps.sh up >/dev/null

test-race:
	$(LOAD_TEST_ENV) $(GO) test -race -count=1 -timeout 20m ./...

test-multi:
	$(LOAD_TEST_ENV) $(GO) test -count=1 -timeout 10m $(MULTI_PKGS)

bench: build
	$(GO) test -run='^$$' -bench=. -benchtime=2s ./actors/store/ ./http/rest/ ./bench/...
	$(GO) run ./bench/apibench
	$(GO) run ./bench/indexbench
	$(GO) run ./bench/raftbench      # replicated store vs single-node pebble, join, failover
	$(GO) run ./bench/actorbench     # heap per idle activated actor at 100k
	$(GO) run ./bench/clustersim     # a model of 1M app clusters over N nodes
	$(GO) run ./bench/floodbench -bin $(BIN)
	$(GO) run ./bench/helmbench -bin $(BIN)   # needs a Kubernetes: ../shared/scripts/k8s-up.sh
	$(GO) run ./bench/vmbench -bin $(BIN)     # the Redis row needs redis-server

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

proto:
	protoc --plugin=protoc-gen-go=$$($(GO) env GOPATH)/bin/protoc-gen-go --go_out=. --go_opt=paths=source_relative actors/actorpb/actor.proto
	protoc --plugin=protoc-gen-go=$$($(GO) env GOPATH)/bin/protoc-gen-go --go_out=. --go_opt=paths=source_relative edge/edgepb/edge.proto

clean:
	rm -rf bin .pitrix
