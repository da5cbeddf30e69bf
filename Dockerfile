# syntax=docker/dockerfile:1
# rollgate's container image: one static binary on distroless, non-root.
#
#   make image                                  # rollgate:<git describe>, the default target below
#   docker build --target ci -t rollgate:ci .   # adds a busybox shell, for GitLab CI's `image:`
#   docker buildx build --platform linux/amd64,linux/arm64 -t REGISTRY/rollgate:TAG --push .
#
# Needs BuildKit (Docker's default builder since 23.0) for the cache mounts and
# the cross-compiling build stage.
#
# BINARY says where the binary comes from: "source" (the default) compiles it
# in the build stage; "prebuilt" copies ./rollgate from the build context, which
# is how goreleaser (.goreleaser.yaml) builds the release images from the
# binary it already built. BuildKit skips the stage that is not used.
ARG BINARY=source

# The build runs on the builder's own platform and cross-compiles: no emulation.
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS=linux
ARG TARGETARCH
ARG VERSION=dev
ARG COMMIT=unknown
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X github.com/rollgate/rollgate/cmd/rollgate/app.version=${VERSION} -X github.com/rollgate/rollgate/cmd/rollgate/app.commit=${COMMIT}" \
    -o /out/rollgate ./cmd/rollgate

FROM scratch AS binary-prebuilt
COPY rollgate /out/rollgate

FROM build AS binary-source

FROM binary-${BINARY} AS binary

# For CI jobs that run a script in the image (GitLab's `image:` needs a shell):
# distroless's debug variant adds busybox at /busybox/sh, still non-root.
# Use it with `entrypoint: [""]`; see examples/gitlab-ci.yml.
FROM gcr.io/distroless/static-debian12:debug-nonroot AS ci
ARG VERSION=dev
ARG COMMIT=unknown
LABEL org.opencontainers.image.title="rollgate (CI, with a shell)" \
      org.opencontainers.image.source="https://github.com/rollgate/rollgate" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}"
COPY --from=binary /out/rollgate /usr/local/bin/rollgate
# Numeric, so Kubernetes' runAsNonRoot can verify it (it cannot resolve "nonroot").
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/rollgate"]

# The default image: CA certificates, tzdata and a nonroot user, nothing else.
# For in-cluster Jobs and `docker run`.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG COMMIT=unknown
LABEL org.opencontainers.image.title="rollgate" \
      org.opencontainers.image.source="https://github.com/rollgate/rollgate" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}"
COPY --from=binary /out/rollgate /usr/local/bin/rollgate
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/rollgate"]
