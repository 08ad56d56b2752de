# syntax=docker/dockerfile:1
ARG GO_VERSION=1.23

FROM golang:${GO_VERSION}-alpine AS build
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath \
      -ldflags="-s -w -X main.version=${VERSION} -X main.revision=${REVISION}" \
      -o /out/shipper ./cmd/shipper

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG BUILD_DATE
LABEL org.opencontainers.image.title="shipper" \
      org.opencontainers.image.description="Ships logs to the archive" \
      org.opencontainers.image.vendor="Acme Corp" \
      org.opencontainers.image.source="https://github.com/acme/shipper" \
      org.opencontainers.image.url="https://github.com/acme/shipper" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${BUILD_DATE}" \
      org.opencontainers.image.licenses="MIT"
COPY --from=build /out/shipper /shipper
USER 65532:65532
ENTRYPOINT ["/shipper"]
