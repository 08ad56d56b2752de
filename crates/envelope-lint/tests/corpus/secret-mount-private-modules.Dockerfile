# syntax=docker/dockerfile:1
FROM golang:1.23-bookworm AS build

ENV GOPRIVATE=github.com/acme/*
ENV GONOSUMDB=github.com/acme/*

RUN git config --global url."https://github.com/".insteadOf "git@github.com:"

WORKDIR /src
COPY go.mod go.sum ./
# The token never lands in a layer: it is mounted for this RUN only.
RUN --mount=type=secret,id=netrc,target=/root/.netrc \
    --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ledger ./cmd/ledger

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ledger /ledger
USER nonroot:nonroot
ENTRYPOINT ["/ledger"]
