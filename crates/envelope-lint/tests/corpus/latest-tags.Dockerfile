FROM golang:latest AS build

WORKDIR /go/src/github.com/acme/scheduler
COPY . .

RUN go get -d -v ./...
RUN go install -v ./...

FROM alpine:latest
RUN apk --no-cache add ca-certificates
WORKDIR /root/
COPY --from=build /go/bin/scheduler .

EXPOSE 8080
CMD ["./scheduler"]
