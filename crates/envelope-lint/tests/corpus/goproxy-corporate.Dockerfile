ARG GO_VERSION=1.23.2
ARG REGISTRY=registry.acme.internal

FROM ${REGISTRY}/mirror/golang:${GO_VERSION}-alpine3.20 AS build

# Everything goes through the company's module proxy.
ENV GOPROXY=https://goproxy.acme.internal,direct \
    GONOSUMDB=github.com/acme/* \
    GOPRIVATE=github.com/acme/* \
    GOFLAGS=-mod=readonly \
    CGO_ENABLED=0

WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download -x
COPY . .
RUN go build -trimpath -ldflags="-s -w" -o /out/audit ./cmd/audit

FROM ${REGISTRY}/mirror/distroless/static-debian12:nonroot
COPY --from=build /out/audit /audit
USER nonroot:nonroot
ENTRYPOINT ["/audit"]
