# rollgate — see README.md. Every target works on a fresh Debian machine with Go.
SHELL := bash
GO ?= go
BIN := bin/rollgate
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X github.com/rollgate/rollgate/cmd/rollgate/app.version=$(VERSION) \
	-X github.com/rollgate/rollgate/cmd/rollgate/app.commit=$(COMMIT)
# One go test run holds the e2e suite too; its first run builds the control plane.
TEST_TIMEOUT ?= 45m

.PHONY: build deps test unit fuzz e2e bench bench-judge demo cluster-up cluster-down cluster-bins image release-snapshot clean

build: ## the rollgate binary in bin/
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/rollgate

deps: ## install the Debian packages the targets need (openssl, curl, make, prometheus), or say how
	bash hack/deps.sh

cluster-bins: ## build (or reuse) the local control plane's binaries
	bash hack/build-cluster-bins.sh

test: deps cluster-bins ## every test: unit, CLI scripts and e2e on the local control plane
	$(GO) vet ./...
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

fuzz: ## each fuzz target for FUZZTIME (default 3s): gate file loader, target parser, manifest reader, PromQL result reducer
	$(GO) test -run XXX -fuzz '^FuzzParse$$' -fuzztime $(or $(FUZZTIME),3s) ./gate/config/
	$(GO) test -run XXX -fuzz '^FuzzParseTarget$$' -fuzztime $(or $(FUZZTIME),3s) ./gate/workload/
	$(GO) test -run XXX -fuzz '^FuzzParseManifest$$' -fuzztime $(or $(FUZZTIME),3s) ./gate/workload/
	$(GO) test -run XXX -fuzz '^FuzzJudge$$' -fuzztime $(or $(FUZZTIME),3s) ./promql/

unit: ## tests that need no cluster
	ROLLGATE_E2E=0 $(GO) test -count=1 ./...

e2e: deps cluster-bins ## only the end-to-end tests
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) -v ./test/e2e/

bench: deps build cluster-bins ## seconds to verdict (kubectl rollout status vs rollgate check), to restored (status+undo vs rollgate run), and a release of 1/10/100 Deployments (N kubectl vs one rollgate run)
	GO=$(GO) bash hack/bench.sh
	$(GO) test -run '^$$' -bench . -benchtime 1x ./test/e2e/

bench-judge: ## the sequential judge vs z-test, Kayenta's Mann-Whitney and a static threshold on seeded simulated canaries (docs/judge-benchmark.md)
	$(GO) run ./hack/benchjudge -seed 1 -reps 2000

demo: deps build cluster-bins ## the main job, end to end, on the local cluster
	bash hack/demo.sh

cluster-up: deps cluster-bins ## start (or reuse) the local control plane
	bash hack/cluster.sh up

cluster-down: ## stop the local control plane and remove its state
	bash hack/cluster.sh down

image: ## the container image (needs a Docker engine)
	docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) -t rollgate:$(VERSION) .

release-snapshot: ## the release's archives, checksums, SBOMs and krew manifest in dist/ (goreleaser --snapshot; images only with a Docker engine)
	bash hack/release-snapshot.sh

clean: ## remove build output (the control-plane cache stays: hack/versions.sh)
	rm -rf bin dist
