FROM golang:1.22-bookworm AS gen

RUN apt-get update && apt-get install -y protobuf-compiler unzip \
    && rm -rf /var/lib/apt/lists/*

RUN go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.34.2 \
 && go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.4.0

WORKDIR /src
COPY proto/ proto/
RUN mkdir -p gen && protoc -I proto \
      --go_out=gen --go_opt=paths=source_relative \
      --go-grpc_out=gen --go-grpc_opt=paths=source_relative \
      proto/*.proto

FROM golang:1.22-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=gen /src/gen ./gen
RUN CGO_ENABLED=0 go build -ldflags="-s -w" -o /out/users ./cmd/users

FROM gcr.io/distroless/static-debian12
COPY --from=build /out/users /users
EXPOSE 50051
USER nonroot
ENTRYPOINT ["/users"]
