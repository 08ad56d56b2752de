# Base images are pinned by digest and bumped by Renovate.
FROM golang:1.23.4-bookworm@sha256:fe008d1dbad9d1d441684aa92da2c384def9942bf52f0034796e7716b597ec8b AS build

WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .

ARG VERSION
ARG COMMIT
RUN CGO_ENABLED=0 go build -trimpath \
    -ldflags="-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
    -o /out/auth ./cmd/auth

FROM gcr.io/distroless/static-debian12:nonroot@sha256:61e4bab55ecbb8b261a6627a5c4c93a21d17d56064d73ffac42a50231dcf278f

LABEL org.opencontainers.image.source="https://github.com/acme/auth"
LABEL org.opencontainers.image.licenses="Apache-2.0"

COPY --from=build /out/auth /auth
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/auth"]
