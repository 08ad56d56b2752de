FROM golang:1.23 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/migrator ./cmd/migrator

# The :debug variant ships a busybox shell, for kubectl exec during incidents.
FROM gcr.io/distroless/static-debian12:debug-nonroot
COPY --from=build /out/migrator /migrator
COPY migrations/ /migrations/
USER nonroot:nonroot
ENV MIGRATIONS_DIR=/migrations
ENTRYPOINT ["/busybox/sh", "-c"]
CMD ["/migrator up --dir $MIGRATIONS_DIR"]
