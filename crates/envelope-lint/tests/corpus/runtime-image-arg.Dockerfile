# Base images are chosen by the CI pipeline.
ARG BUILDER_IMAGE=golang:1.23-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian11:nonroot

FROM ${BUILDER_IMAGE} AS builder
WORKDIR /build
COPY go.mod go.mod
COPY go.sum go.sum
RUN go mod download

COPY cmd/ cmd/
COPY api/ api/
COPY internal/ internal/

ARG TARGETOS=linux
ARG TARGETARCH=amd64
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -a -o manager cmd/main.go

FROM ${RUNTIME_IMAGE}
WORKDIR /
COPY --from=builder /build/manager .
USER 65532:65532

ENTRYPOINT ["/manager"]
