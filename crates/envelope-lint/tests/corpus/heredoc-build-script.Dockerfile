# syntax=docker/dockerfile:1.4
FROM golang:1.23-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .

RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build <<EOF
set -eux
export CGO_ENABLED=0
version=$(git describe --tags --always 2>/dev/null || echo dev)
go vet ./...
go build -trimpath -ldflags="-s -w -X main.version=${version}" -o /out/gateway ./cmd/gateway
EOF

COPY <<EOF /out/config.yaml
listen: ":8080"
upstreams:
  - http://orders:8080
  - http://users:8080
EOF

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/gateway /gateway
COPY --from=build /out/config.yaml /etc/gateway/config.yaml
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/gateway", "--config=/etc/gateway/config.yaml"]
