FROM golang:1.23 AS tools
# Development tooling baked into the build image.
RUN go install github.com/golang-migrate/migrate/v4/cmd/migrate@latest
RUN go install github.com/swaggo/swag/cmd/swag@v1.16.3
RUN go install github.com/sqlc-dev/sqlc/cmd/sqlc@latest

FROM golang:1.23 AS build
WORKDIR /src
COPY --from=tools /go/bin/ /go/bin/
COPY go.mod go.sum ./
RUN go mod download
# go install without a version: resolved from go.mod
RUN go install github.com/google/wire/cmd/wire
COPY . .
RUN swag init -g cmd/api/main.go -o docs \
    && wire ./internal/di \
    && sqlc generate
RUN CGO_ENABLED=0 go build -o /out/api ./cmd/api

FROM gcr.io/distroless/static-debian12
COPY --from=tools /go/bin/migrate /usr/local/bin/migrate
COPY --from=build /out/api /api
COPY migrations /migrations
EXPOSE 8080
ENTRYPOINT ["/api"]
