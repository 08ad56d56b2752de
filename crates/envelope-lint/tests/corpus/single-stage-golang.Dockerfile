FROM golang:1.22

WORKDIR /app

COPY go.mod ./
COPY go.sum ./
RUN go mod download

COPY *.go ./
COPY internal/ ./internal/

RUN go build -o /app/todo-api

ENV PORT=8080
EXPOSE 8080

# The server reads PORT from the environment.
CMD ["/app/todo-api"]
