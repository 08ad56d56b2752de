FROM golang:1.21-alpine as build
WORKDIR /app
COPY go.* ./
RUN go mod download
COPY . ./
RUN go build -v -o chat-server

FROM alpine:3.18
RUN apk add --no-cache tini ca-certificates

WORKDIR /app
COPY --from=build /app/chat-server /app/chat-server
COPY --from=build /app/static /app/static

ENV PORT=3000 \
    LOG_LEVEL=info
EXPOSE 3000

ENTRYPOINT ["/sbin/tini", "--"]
# Shell form so $PORT is expanded.
CMD /app/chat-server -port $PORT -log-level $LOG_LEVEL
