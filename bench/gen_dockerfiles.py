#!/usr/bin/env python3
"""Writes N generated, realistic Dockerfiles for Go services, for benchmarks.

    python3 bench/gen_dockerfiles.py OUTDIR N

Each file is OUTDIR/gen-NNNN.Dockerfile: about 50 lines and 10 RUN
instructions, multi-stage (a golang builder, sometimes a tools stage, then a
scratch / distroless / alpine / debian / ubuntu runtime). File i is drawn
from random.Random(i), so the same N always gives the same files. The mix
covers what linters look at: tags, :latest, untagged and digest-pinned
images, apt-get/apk lines with and without the usual flags, go build flag
variants, cache and secret mounts, heredocs, ENV/ARG/LABEL, USER or not,
shell- and exec-form ENTRYPOINT/CMD, comments and line continuations.
Standard library only.
"""

import hashlib
import os
import random
import sys

GO_VERSIONS = ["1.21", "1.22", "1.22.8", "1.23", "1.23.2", "1.23.4"]
SERVICES = ["api", "gateway", "worker", "billing", "orders", "users", "search",
            "ledger", "notifier", "scheduler", "auth", "inventory", "relay"]
MODULE_TOOLS = [
    ("github.com/golang-migrate/migrate/v4/cmd/migrate", "v4.17.1"),
    ("github.com/swaggo/swag/cmd/swag", "v1.16.3"),
    ("github.com/sqlc-dev/sqlc/cmd/sqlc", "v1.27.0"),
    ("google.golang.org/protobuf/cmd/protoc-gen-go", "v1.34.2"),
    ("github.com/google/wire/cmd/wire", "v0.6.0"),
    ("golang.org/x/tools/cmd/stringer", "v0.26.0"),
    ("github.com/vektra/mockery/v2", "v2.43.2"),
]
APT_PKGS = ["ca-certificates", "git", "make", "curl", "tzdata", "libsqlite3-dev",
            "protobuf-compiler", "unzip", "gcc", "libc6-dev", "jq"]
APK_PKGS = ["ca-certificates", "git", "make", "curl", "tzdata", "build-base",
            "protobuf", "bash", "openssh-client", "jq"]


def digest(name):
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


def pkg_list(r, pool, lo, hi):
    return r.sample(pool, r.randint(lo, hi))


def image_ref(r, name, tag):
    """name:tag, name:tag@digest, name:latest or name (weighted to tags)."""
    x = r.random()
    if x < 0.15:
        return f"{name}:{tag}@{digest(name + tag)}"
    if x < 0.22:
        return f"{name}:latest"
    if x < 0.27:
        return name
    return f"{name}:{tag}"


def apt_install(r, pkgs):
    recommends = " --no-install-recommends" if r.random() < 0.7 else ""
    lines = ["RUN apt-get update \\",
             f"    && apt-get install -y{recommends} \\"]
    lines += [f"       {p} \\" for p in pkgs]
    if r.random() < 0.75:
        lines.append("    && rm -rf /var/lib/apt/lists/*")
    else:
        lines[-1] = lines[-1][:-2]
    return lines


def apk_install(r, pkgs):
    cache = "--no-cache " if r.random() < 0.8 else ""
    if len(pkgs) > 3 and r.random() < 0.5:
        return [f"RUN apk add {cache}\\"] + [f"      {p} \\" for p in pkgs[:-1]] + [f"      {pkgs[-1]}"]
    return [f"RUN apk add {cache}{' '.join(pkgs)}"]


def build_flags(r, svc, version_arg):
    flags = []
    if r.random() < 0.7:
        flags.append("-trimpath")
    ld = []
    if r.random() < 0.75:
        ld.append("-s -w")
    if version_arg and r.random() < 0.8:
        ld.append("-X main.version=${VERSION}")
    if r.random() < 0.2:
        ld.append("-X main.commit=${COMMIT}")
    if ld:
        flags.append(f'-ldflags="{" ".join(ld)}"')
    if r.random() < 0.15:
        flags.append('-tags "netgo osusergo"')
    return flags, f"/out/{svc}", f"./cmd/{svc}"


def generate(i):
    r = random.Random(i)
    svc = r.choice(SERVICES)
    go = r.choice(GO_VERSIONS)
    buildkit = r.random() < 0.6
    alpine_builder = r.random() < 0.45
    cross = buildkit and r.random() < 0.35
    version_arg = r.random() < 0.6
    L = []

    if buildkit:
        L.append("# syntax=docker/dockerfile:1")
    L.append(f"# {svc}: built by CI on every merge (generated #{i:04d})")
    go_arg = r.random() < 0.5
    if go_arg:
        L.append(f"ARG GO_VERSION={go}")
        tag = "${GO_VERSION}" + ("-alpine" if alpine_builder else "-bookworm")
        builder = f"golang:{tag}"
    else:
        tag = go + ("-alpine" if alpine_builder else r.choice(["-bookworm", ""]))
        builder = image_ref(r, "golang", tag)
    L.append("")
    platform = "--platform=$BUILDPLATFORM " if cross else ""
    L.append(f"FROM {platform}{builder} AS build")
    if cross:
        L.append("ARG TARGETOS")
        L.append("ARG TARGETARCH")

    # Packages for the builder.
    if alpine_builder:
        L += apk_install(r, pkg_list(r, APK_PKGS, 2, 5))
    else:
        L += apt_install(r, pkg_list(r, APT_PKGS, 2, 5))

    env = []
    if r.random() < 0.4:
        env.append("GOPRIVATE=github.com/acme/*")
    if r.random() < 0.3:
        env.append("GOPROXY=https://goproxy.acme.internal,https://proxy.golang.org,direct")
    cgo_env = r.random() < 0.5
    if cgo_env:
        env.append("CGO_ENABLED=0")
    if r.random() < 0.2:
        env.append("GOFLAGS=-mod=readonly")
    if env:
        if len(env) > 1 and r.random() < 0.5:
            L.append("ENV " + " \\\n    ".join(env))
        else:
            L += [f"ENV {e}" for e in env]
    if r.random() < 0.05:
        L.append("ENV API_TOKEN=tok_" + hashlib.sha1(str(i).encode()).hexdigest()[:20])
    if "GOPRIVATE=github.com/acme/*" in env:
        L.append("RUN git config --global url.\"https://github.com/\".insteadOf \"git@github.com:\"")

    L.append("WORKDIR /src")
    mod_cache = "--mount=type=cache,target=/go/pkg/mod " if buildkit else ""
    secret = ("--mount=type=secret,id=netrc,target=/root/.netrc "
              if buildkit and "GOPRIVATE=github.com/acme/*" in env else "")
    copy_all_first = r.random() < 0.2
    if copy_all_first:
        L.append("# TODO: split the module download out")
        L.append("COPY . .")
        L.append(f"RUN {secret}{mod_cache}go mod download")
    else:
        L.append("# Modules first: cached until go.mod or go.sum change.")
        L.append("COPY go.mod go.sum ./")
        L.append(f"RUN {secret}{mod_cache}go mod download && go mod verify")

    # Tools.
    for tool, pinned in r.sample(MODULE_TOOLS, r.randint(1, 3)):
        x = r.random()
        ver = "@latest" if x < 0.3 else ("" if x < 0.4 else "@" + pinned)
        L.append(f"RUN {mod_cache}go install {tool}{ver}")

    if not copy_all_first:
        L.append("")
        L.append("COPY . .")
    caches = ""
    if buildkit:
        caches = "--mount=type=cache,target=/go/pkg/mod \\\n    --mount=type=cache,target=/root/.cache/go-build \\\n    "
    L.append(f"RUN {caches}go generate ./...")
    L.append(f"RUN {caches}go vet ./...")
    if r.random() < 0.7:
        L.append(f"RUN {caches}go test -count=1 -short ./...")
    if version_arg:
        L.append("ARG VERSION=dev")
        L.append("ARG COMMIT=unknown")

    flags, out, pkg = build_flags(r, svc, version_arg)
    L.append(r.choice(["# Release build.", "# The service binary.", "# Build the binary."]))
    envs = []
    if not cgo_env:
        envs.append("CGO_ENABLED=0" if r.random() < 0.85 else "CGO_ENABLED=1")
    if cross:
        envs.append("GOOS=$TARGETOS GOARCH=$TARGETARCH")
    prefix = (" ".join(envs) + " ") if envs else ""
    if buildkit and r.random() < 0.2:
        L.append("RUN --mount=type=cache,target=/go/pkg/mod \\\n"
                 "    --mount=type=cache,target=/root/.cache/go-build <<EOF")
        L.append("set -eux")
        L.append(f"{prefix}go build {' '.join(flags)} -o {out} {pkg}")
        L.append(f"{out} --version || true")
        L.append("EOF")
        # hadolint 2.x fails to parse an instruction right after a heredoc's
        # terminator (hadolint/hadolint#960): keep a blank line there.
        L.append("")
    elif len(flags) > 1 and r.random() < 0.6:
        L.append(f"RUN {caches}{prefix}go build \\")
        L += [f"      {f} \\" for f in flags]
        L.append(f"      -o {out} \\")
        L.append(f"      {pkg}")
    else:
        L.append(f"RUN {caches}{prefix}{' '.join(['go build'] + flags)} -o {out} {pkg}")
    L.append(f"RUN {caches}{prefix}go build -o /out/healthcheck ./cmd/healthcheck")

    # Runtime stage.
    L.append("")
    L.append(r.choice(["# Runtime image.", "# ---- runtime ----", "# Final stage: only the binaries."]))
    final = r.choices(["scratch", "distroless-static", "distroless-base", "alpine", "debian", "ubuntu", "golang"],
                      weights=[15, 25, 8, 22, 15, 8, 7])[0]
    has_shell = final in ("alpine", "debian", "ubuntu", "golang")
    if final == "scratch":
        L.append("FROM scratch")
        L.append("COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/")
    elif final.startswith("distroless"):
        flavor = "static" if final == "distroless-static" else "base"
        name = f"gcr.io/distroless/{flavor}-debian12"
        L.append(f"FROM {image_ref(r, name, r.choice(['nonroot', 'latest-amd64', 'debug-nonroot', 'nonroot']))}")
    elif final == "alpine":
        L.append(f"FROM {image_ref(r, 'alpine', r.choice(['3.19', '3.20', '3.21']))}")
        L += apk_install(r, pkg_list(r, ["ca-certificates", "tzdata", "curl", "tini"], 1, 3))
        L.append("RUN addgroup -S app && adduser -S -G app -H app")
    elif final == "debian":
        L.append(f"FROM {image_ref(r, 'debian', 'bookworm-slim')}")
        L += apt_install(r, pkg_list(r, ["ca-certificates", "tzdata", "curl", "tini"], 1, 3))
        L.append("RUN useradd --system --uid 10001 --no-create-home app")
    elif final == "ubuntu":
        L.append(f"FROM {image_ref(r, 'ubuntu', r.choice(['22.04', '24.04']))}")
        L += apt_install(r, pkg_list(r, ["ca-certificates", "tzdata", "curl", "wget"], 1, 3))
        L.append("RUN useradd --system --uid 10001 --no-create-home app")
    else:
        L.append(f"FROM {image_ref(r, 'golang', go)}")
        L.append("RUN mkdir -p /app/data && chown -R 10001:10001 /app")

    if r.random() < 0.5:
        L.append(f'LABEL org.opencontainers.image.title="{svc}" \\')
        L.append(f'      org.opencontainers.image.source="https://github.com/acme/{svc}" \\')
        L.append('      org.opencontainers.image.licenses="Apache-2.0"')
    if version_arg and r.random() < 0.5:
        L.append("ARG VERSION=dev")
        L.append('LABEL org.opencontainers.image.version="${VERSION}"')
    L.append("WORKDIR /app")
    L.append(f"COPY --from=build {out} /usr/local/bin/{svc}")
    L.append("COPY --from=build /out/healthcheck /usr/local/bin/healthcheck")
    if r.random() < 0.1:
        L.append(f"ADD config/{svc}.yaml /etc/{svc}/config.yaml")
    port = r.choice([80, 8080, 8080, 9090, 3000])
    L.append(f"ENV PORT={port}")

    x = r.random()
    if final in ("alpine", "debian", "ubuntu") and x < 0.6:
        L.append("USER app" if x < 0.3 else "USER 10001:10001")
    elif final == "golang" and x < 0.5:
        L.append("USER 10001:10001")
    elif final.startswith("distroless") and x < 0.7:
        L.append("USER nonroot:nonroot" if x < 0.35 else "USER 65532:65532")
    elif final == "scratch" and x < 0.7:
        L.append("USER 65532:65532")
    elif x > 0.93:
        L.append("USER root")
    L.append(f"EXPOSE {port}")
    if r.random() < 0.2:
        L.append("STOPSIGNAL SIGTERM")

    h = r.random()
    if h < 0.3:
        L.append("HEALTHCHECK --interval=30s --timeout=3s \\")
        L.append(f'  CMD ["/usr/local/bin/healthcheck", "http://localhost:{port}/healthz"]')
    elif h < 0.4:
        L.append(f"HEALTHCHECK CMD curl -fsS http://localhost:{port}/healthz || exit 1")

    L.append(f"# Runs the {svc} service.")
    if r.random() < 0.8 or not has_shell and r.random() < 0.5:
        L.append(f'ENTRYPOINT ["/usr/local/bin/{svc}"]')
        if r.random() < 0.5:
            L.append(f'CMD ["--listen=:{port}"]')
    else:
        L.append(f"CMD /usr/local/bin/{svc} --listen=:$PORT")
    return "\n".join(L) + "\n"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen_dockerfiles.py OUTDIR N")
    outdir, n = sys.argv[1], int(sys.argv[2])
    os.makedirs(outdir, exist_ok=True)
    for i in range(n):
        with open(os.path.join(outdir, f"gen-{i:04d}.Dockerfile"), "w") as f:
            f.write(generate(i))


if __name__ == "__main__":
    main()
