FROM golang:1.23-alpine AS build
WORKDIR /go/src/app
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags "-s -w" -o /go/bin/inventory ./cmd/inventory

FROM alpine:3.20

RUN apk add --no-cache ca-certificates tzdata curl \
    && addgroup -S app \
    && adduser -S -G app -H -s /sbin/nologin app

COPY --from=build /go/bin/inventory /usr/local/bin/inventory

USER app
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://localhost:8080/healthz || exit 1

ENTRYPOINT ["inventory"]
CMD ["serve", "--addr=:8080"]
