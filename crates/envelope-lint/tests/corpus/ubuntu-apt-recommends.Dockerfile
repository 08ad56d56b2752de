FROM golang:1.21 as builder

WORKDIR /build
COPY . .
RUN go mod download
RUN go build -o reporter ./cmd/reporter

FROM ubuntu:22.04

RUN apt-get update
RUN apt-get install -y ca-certificates curl wget jq

WORKDIR /opt/reporter
COPY --from=builder /build/reporter /opt/reporter/reporter
COPY config/ /opt/reporter/config/

EXPOSE 80

ENTRYPOINT /opt/reporter/reporter --config /opt/reporter/config/prod.yaml
