#!/usr/bin/env python3
"""Writes a docker-archive shaped like a Go service image on a Debian base,
for the SBOM benchmark:

  layer 1: /etc/os-release and a dpkg status database (DPKG_STATUS, e.g. this
           machine's /var/lib/dpkg/status: hundreds of real packages);
  layer 2: every file of GO_TOOLS (Go binaries with full build info, e.g. a
           Go toolchain's pkg/tool/linux_amd64) under /usr/local/go/tool/;
  layer 3: each SERVICE binary under /usr/local/bin/.

    gen_sbom_image.py OUT.tar DPKG_STATUS GO_TOOLS SERVICE...

Deterministic: the same inputs give the same archive.
"""
import hashlib
import io
import json
import os
import sys
import tarfile

OS_RELEASE = b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nID=debian\n'


def layer(files):
    """An uncompressed layer tar of (path, bytes, mode)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = set()
        for path, _, _ in files:
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                dirs.add("/".join(parts[:i]))
        for d in sorted(dirs):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)
        for path, data, mode in files:
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = mode
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def main():
    out, status, tools, services = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    layers = [
        layer([
            ("etc/os-release", OS_RELEASE, 0o644),
            ("var/lib/dpkg/status", open(status, "rb").read(), 0o644),
        ]),
        layer([
            (f"usr/local/go/tool/{name}", open(os.path.join(tools, name), "rb").read(), 0o755)
            for name in sorted(os.listdir(tools))
            if os.path.isfile(os.path.join(tools, name))
        ]),
        layer([
            (f"usr/local/bin/{os.path.basename(s)}", open(s, "rb").read(), 0o755)
            for s in services
        ]),
    ]
    diff_ids = ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]
    config = json.dumps({
        "architecture": "amd64",
        "os": "linux",
        "created": "2026-01-01T00:00:00Z",
        "config": {"User": "65532:65532", "Entrypoint": ["/usr/local/bin/" + os.path.basename(services[0])]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": f"layer {i}"} for i in range(len(layers))],
    }, sort_keys=True).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    names = [f"{d[7:]}/layer.tar" for d in diff_ids]
    manifest = json.dumps([{"Config": config_name, "RepoTags": ["bench/sbom:latest"], "Layers": names}]).encode()
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
        add(config_name, config)
        for n, l in zip(names, layers):
            add(n, l)
        add("manifest.json", manifest)


if __name__ == "__main__":
    main()
