FROM golang:1.23 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags="-s -w" -o /out/search ./cmd/search

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/search /search
USER nonroot
EXPOSE 8080

# distroless has neither curl nor a shell
HEALTHCHECK --interval=15s --timeout=2s \
    CMD curl --fail http://localhost:8080/health || exit 1

ENTRYPOINT ["/search"]
CMD ["--port", "8080"]
