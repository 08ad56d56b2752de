FROM golang:1.23-bookworm AS build

RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .

# mattn/go-sqlite3 needs cgo, so the binary links against glibc.
ENV CGO_ENABLED=1
RUN go build -trimpath -ldflags="-s -w" -tags "sqlite_omit_load_extension" -o /out/metrics-store ./cmd/metrics-store

FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /out/metrics-store /usr/local/bin/metrics-store
VOLUME ["/data"]
USER nonroot:nonroot
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/metrics-store", "--data-dir=/data"]
