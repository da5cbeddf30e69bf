# syntax=docker/dockerfile:1
# Build: make image   (or: docker build -t rollgate .)
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/rollgate/rollgate/cmd/rollgate/app.version=${VERSION} -X github.com/rollgate/rollgate/cmd/rollgate/app.commit=${COMMIT}" \
    -o /out/rollgate ./cmd/rollgate

# distroless/static carries CA certificates and a nonroot user, nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/rollgate /usr/local/bin/rollgate
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/rollgate"]
