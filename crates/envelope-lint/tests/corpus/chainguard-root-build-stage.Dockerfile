FROM cgr.dev/chainguard/go:latest AS build

# The Chainguard Go image runs as nonroot; packages need root.
USER root
RUN apk add --no-cache make git

WORKDIR /build
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN make release GOFLAGS="-trimpath" LDFLAGS="-s -w"

# chainguard/static runs as nonroot (65532) by default.
FROM cgr.dev/chainguard/static:latest
COPY --from=build /build/dist/quota /usr/bin/quota
EXPOSE 8080
ENTRYPOINT ["/usr/bin/quota"]
