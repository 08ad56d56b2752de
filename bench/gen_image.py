#!/usr/bin/env python3
"""Writes a docker-archive (docker save's format: manifest.json, a config,
one uncompressed tar per layer) of about SIZE_MB spread over LAYERS layers,
for the audit benchmark. Later layers overwrite and delete files of earlier
ones (wasted bytes for dive and envelope to find), and one layer holds a Go
binary (any ELF file given as BINARY) so the binary checks run too.

    gen_image.py OUT.tar [SIZE_MB=1024] [LAYERS=10] [BINARY]

Content is pseudo-random from a fixed seed: the same arguments give the
same archive.
"""
import hashlib
import io
import json
import os
import random
import sys
import tarfile


def layer_files(rng, index, per_layer, files_per_layer):
    """(path, size) of one layer's regular files."""
    sizes = [per_layer // files_per_layer] * files_per_layer
    out = []
    for i, size in enumerate(sizes):
        # Every third file of a layer replaces the same path in the previous
        # layer: wasted bytes.
        if index > 0 and i % 3 == 0:
            path = f"data/layer{index - 1}/file{i:04d}.bin"
        else:
            path = f"data/layer{index}/file{i:04d}.bin"
        out.append((path, size + rng.randrange(0, 4096)))
    return out


def add_dir(tar, path):
    info = tarfile.TarInfo(path)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    info.mtime = 0
    tar.addfile(info)


def add_file(tar, path, data, mode=0o644):
    info = tarfile.TarInfo(path)
    info.size = len(data)
    info.mode = mode
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data))


def main():
    out = sys.argv[1]
    size_mb = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
    layers = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    binary = sys.argv[4] if len(sys.argv) > 4 else None
    rng = random.Random(20261123)
    per_layer = size_mb * 1024 * 1024 // layers
    files_per_layer = 200
    block = rng.randbytes(1 << 20)
    work = out + ".d"
    os.makedirs(work, exist_ok=True)
    names, diff_ids, history = [], [], []
    for index in range(layers):
        name = f"{index:02d}/layer.tar"
        os.makedirs(os.path.join(work, f"{index:02d}"), exist_ok=True)
        path = os.path.join(work, name)
        with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
            add_dir(tar, "data")
            add_dir(tar, f"data/layer{index}")
            if index == 0:
                for d in ["etc", "tmp", "usr", "usr/local", "usr/local/bin"]:
                    add_dir(tar, d)
                add_file(tar, "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
            for p, size in layer_files(rng, index, per_layer, files_per_layer):
                start = rng.randrange(0, len(block))
                data = (block[start:] + block) * (size // len(block) + 2)
                add_file(tar, p, data[:size])
            # Delete a file and a directory of the layer before.
            if index > 0:
                add_file(tar, f"data/layer{index - 1}/.wh.file0001.bin", b"")
            if index == layers // 2 and binary:
                with open(binary, "rb") as f:
                    add_file(tar, "usr/local/bin/app", f.read(), 0o755)
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        names.append(name)
        diff_ids.append("sha256:" + h.hexdigest())
        history.append({"created": "1970-01-01T00:00:00Z", "created_by": f"generated layer {index}"})
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": {"Entrypoint": ["/usr/local/bin/app"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    manifest = [{"Config": config_name, "RepoTags": ["bench/generated:latest"], "Layers": names}]
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        add_file(tar, config_name, config_bytes)
        add_file(tar, "manifest.json", json.dumps(manifest).encode())
        for name in names:
            add_dir(tar, os.path.dirname(name))
            tar.add(os.path.join(work, name), arcname=name)
    for name in names:
        os.remove(os.path.join(work, name))
        os.rmdir(os.path.join(work, os.path.dirname(name)))
    os.rmdir(work)


if __name__ == "__main__":
    main()
