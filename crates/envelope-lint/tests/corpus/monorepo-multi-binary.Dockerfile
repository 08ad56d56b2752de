# syntax=docker/dockerfile:1
ARG GO_VERSION=1.23

FROM golang:${GO_VERSION}-bookworm AS base
WORKDIR /src
ENV CGO_ENABLED=0 \
    GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .

FROM base AS build-api
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -ldflags="-s -w" -o /out/api ./services/api

FROM base AS build-worker
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -ldflags="-s -w" -o /out/worker ./services/worker

FROM base AS build-cli
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -ldflags="-s -w" -o /out/acmectl ./cmd/acmectl

FROM gcr.io/distroless/static-debian12:nonroot AS worker
COPY --from=build-worker /out/worker /worker
USER nonroot:nonroot
ENTRYPOINT ["/worker"]

# The default target comes last: the API with the CLI beside it.
FROM gcr.io/distroless/static-debian12:nonroot AS api
COPY --from=build-api /out/api /api
COPY --from=build-cli /out/acmectl /usr/local/bin/acmectl
USER nonroot:nonroot
EXPOSE 8080 9090
ENTRYPOINT ["/api"]
