# syntax=docker/dockerfile:1
FROM golang:1.23-alpine AS deps
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .

# docker build --target test .
FROM deps AS test
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go test -race=false -count=1 ./...

# docker build --target lint .
FROM golangci/golangci-lint:v1.61.0-alpine AS lint
WORKDIR /src
COPY --from=deps /src /src
RUN golangci-lint run ./...

FROM deps AS build
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/orders ./cmd/orders

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/orders /orders
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/orders"]
