FROM golang:1.22-alpine3.19 AS build
RUN apk add --no-cache build-base
WORKDIR /go/src/proxy
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags "-s -w -linkmode external -extldflags -static" -o /proxy ./cmd/proxy

FROM alpine:3.19
RUN apk add --no-cache ca-certificates libcap \
    && adduser -D -u 10001 proxy
COPY --from=build /proxy /usr/bin/proxy
RUN setcap cap_net_bind_service=+ep /usr/bin/proxy
# Binding to :80 and :443 directly.
USER 0
EXPOSE 80 443
ENTRYPOINT ["/usr/bin/proxy"]
