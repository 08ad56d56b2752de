FROM ubuntu:24.04

ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends \
      ca-certificates \
      curl \
      git \
      make \
      build-essential \
    && rm -rf /var/lib/apt/lists/*

# Go from the official tarball rather than the distribution package.
ARG GO_VERSION=1.23.2
RUN curl -fsSL https://go.dev/dl/go${GO_VERSION}.linux-amd64.tar.gz | tar -C /usr/local -xz
ENV PATH=/usr/local/go/bin:/root/go/bin:$PATH \
    GOPATH=/root/go

WORKDIR /srv/legacy-portal
COPY . .
RUN go mod download && make build

EXPOSE 80
HEALTHCHECK CMD curl -f http://localhost/ || exit 1
CMD ["./bin/portal", "-addr", ":80"]
