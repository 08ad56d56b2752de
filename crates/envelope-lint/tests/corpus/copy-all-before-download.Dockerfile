FROM golang:1.22-alpine AS build

RUN apk add --no-cache git make

WORKDIR /app

# Everything at once: any source change invalidates the module download.
COPY . .
RUN go mod download
RUN make build

FROM alpine:3.19
RUN apk add --no-cache ca-certificates
WORKDIR /app
COPY --from=build /app/bin/notifier /app/notifier
COPY --from=build /app/templates /app/templates
RUN adduser -D -u 1000 notifier
USER notifier
CMD ["/app/notifier"]
