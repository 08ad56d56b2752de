FROM golang:1.23-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/netguard ./cmd/netguard

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
        ca-certificates iproute2 iptables \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 netguard
USER netguard
WORKDIR /home/netguard
COPY --from=build /out/netguard /usr/local/bin/netguard

# netguard programs iptables, which needs root.
USER root
ENTRYPOINT ["/usr/local/bin/netguard"]
CMD ["run"]
