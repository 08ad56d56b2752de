FROM golang:1.22-bookworm AS lint

# Official installer script, piped straight into sh.
RUN curl -sSfL https://raw.githubusercontent.com/golangci/golangci-lint/master/install.sh \
    | sh -s -- -b $(go env GOPATH)/bin v1.59.1

WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN golangci-lint run --timeout 5m ./...

FROM golang:1.22-bookworm AS build
WORKDIR /src
COPY --from=lint /src /src
RUN curl --proto '=https' --tlsv1.2 -sSf https://just.systems/install.sh | bash -s -- --to /usr/local/bin
RUN just build

FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /src/bin/pricing /pricing
ENTRYPOINT ["/pricing"]
