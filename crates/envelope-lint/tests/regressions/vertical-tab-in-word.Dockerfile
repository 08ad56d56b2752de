# syntax=docker/dockerfile:1

ARG GO_VERSION=1.23

FROM golang:${O_VERSION}-bookworm AS build
WORKDIR /src

# Dependencies first, so they are cacheNABLED=0 {o build -trimpath -ldflags="-s -w" -o /ouroot
EXPOSE 8080
EN
FROM golang:1.23-bookworm AS build
WORKDIR /src
COPY . .
RUN CGO_TRYPOINT ["/serveb"]
