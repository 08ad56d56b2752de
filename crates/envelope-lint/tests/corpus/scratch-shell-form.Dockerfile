FROM golang:1.23-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/relay ./cmd/relay

FROM scratch
LABEL org.opencontainers.image.source="https://github.com/acme/relay"
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/relay /relay
USER 65532:65532
EXPOSE 7000
# Shell form: needs /bin/sh, which scratch does not have.
ENTRYPOINT /relay --listen :7000
