FROM golang:1.22-alpine AS build
WORKDIR /src
ENV GOPRIVATE=github.com/acme/*
ARG GITHUB_TOKEN
RUN apk add --no-cache git \
    && git config --global url."https://${GITHUB_TOKEN}@github.com/".insteadOf "https://github.com/"
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -ldflags="-s -w" -o /bin/syncer ./cmd/syncer

FROM alpine:3.20
RUN apk add --no-cache ca-certificates
COPY --from=build /bin/syncer /usr/local/bin/syncer

# TODO: move these to the deployment's secret store
ENV API_TOKEN=sk_live_4f9a2c7e1b8d3f6a0e5c
ENV DATABASE_PASSWORD=hunter2
ENV API_BASE_URL=https://api.acme.example

USER nobody
CMD ["syncer", "--interval=5m"]
