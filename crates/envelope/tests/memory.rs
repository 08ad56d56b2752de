//! Bounded memory on hostile images, with the real binary under an
//! address-space limit (`prlimit --as`): a gzip bomb copied to a
//! docker-archive fails early and writes nothing, a layer of half a
//! million empty files is audited, and `audit --verify` checks every
//! layer against the config's rootfs.diff_ids.

#![cfg(feature = "external-tools")]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use envelope_oci::tar::{self, EntryType, Header};
use envelope_oci::{BlobData, Descriptor, Digest, ImageBlobs, Sha256Writer};

/// The address space the binary may use: well above what these images
/// need now, far below what holding a layer (or 672 bytes per entry, the
/// index's former cost) took.
const ADDRESS_SPACE: &str = "400000000";

fn described(media_type: &str, digest: &Digest, size: u64) -> Descriptor {
    serde_json::from_value(serde_json::json!({
        "mediaType": media_type,
        "digest": digest,
        "size": size,
    }))
    .expect("a descriptor")
}

/// Writes an OCI layout at `dir` tagged `tag`: one image of the layer
/// blob at `layer` (its digest and size given), whose config claims
/// `diff_id`.
fn layout(dir: &Path, tag: &str, layer: (&Path, &str, &Digest, u64), diff_id: &Digest) {
    let (file, media_type, digest, size) = layer;
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"User": "65532"},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }))
    .expect("config");
    let config_desc = described(
        "application/vnd.oci.image.config.v1+json",
        &Digest::sha256(&config),
        config.len() as u64,
    );
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config_desc,
        "layers": [described(media_type, digest, size)],
    }))
    .expect("manifest");
    let root = described(
        "application/vnd.oci.image.manifest.v1+json",
        &Digest::sha256(&manifest),
        manifest.len() as u64,
    );
    let mut image = ImageBlobs::new(root.clone());
    image.insert(root.digest, BlobData::Bytes(Arc::new(manifest)));
    image.insert(config_desc.digest, BlobData::Bytes(Arc::new(config)));
    image.insert(digest.clone(), BlobData::File(file.to_path_buf()));
    envelope_oci::write_oci_layout(dir, &image, Some(tag)).expect("layout");
}

/// Streams `write` into `path`, giving the digest and size of what it wrote.
fn blob_file(path: &Path, write: impl FnOnce(&mut dyn Write)) -> (Digest, u64) {
    let f = std::fs::File::create(path).expect("create");
    let mut w = Sha256Writer::new(std::io::BufWriter::new(f));
    write(&mut w);
    let (inner, digest, size) = w.finish();
    inner.into_inner().expect("flush");
    (digest, size)
}

/// A tar of `count` empty files in directories of 1,000, streamed.
fn empty_files(mut w: &mut dyn Write, count: usize) {
    let mut entry = |path: &str, entry: EntryType<'_>| {
        let h = Header {
            path,
            entry,
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 0,
        };
        tar::write_header(&mut w, &h).expect("header");
    };
    for i in 0..count {
        if i % 1000 == 0 {
            entry(&format!("data/d{:04}/", i / 1000), EntryType::Dir);
        }
        entry(
            &format!("data/d{:04}/file{i:07}", i / 1000),
            EntryType::File { size: 0 },
        );
    }
    tar::write_end(&mut w).expect("end");
}

fn limited(cwd: &Path) -> Command {
    require("prlimit");
    let probe = envelope(cwd, &cwd.join("cache"));
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--as={ADDRESS_SPACE}"))
        .arg(probe.get_program())
        .current_dir(cwd);
    for (k, v) in probe.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd
}

/// An audit that ran to its end: exit 0, or 1 for findings.
fn assert_audited(out: &std::process::Output) {
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .expect("ls")
        .map(|e| e.expect("entry").path())
        .collect()
}

#[test]
fn a_gzip_bomb_copied_to_a_docker_archive_stops_early_and_leaves_nothing() {
    let tmp = tempdir();
    // 1 MiB of zeros gzipped as tightly as gzip can (about 1,000 to 1),
    // written over and over: a 46 MB multi-member gzip that expands to
    // about 46 GiB.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![0u8; 1 << 20]).expect("gzip");
    let member = gz.finish().expect("gzip");
    let bomb = tmp.path().join("bomb.gz");
    let n = 46_000_000 / member.len() + 1;
    let (digest, size) = blob_file(&bomb, |w| {
        for _ in 0..n {
            w.write_all(&member).expect("write");
        }
    });
    assert!(size >= 46_000_000, "{size}");
    let dir = tmp.path().join("layout");
    let gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    layout(
        &dir,
        "bomb",
        (&bomb, gzip, &digest, size),
        &Digest::sha256(b"unknown"),
    );
    let out_dir = tmp.path().join("out");
    std::fs::create_dir(&out_dir).expect("mkdir");
    let started = Instant::now();
    let out = run(limited(tmp.path())
        .args(["copy", "-q"])
        .arg(format!("oci:{}:bomb", dir.display()))
        .arg(format!(
            "docker-archive:{}",
            out_dir.join("bomb.tar").display()
        )));
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("decompression bomb"), "{stderr}");
    assert!(stderr.contains(&digest.to_string()), "{stderr}");
    assert!(elapsed < Duration::from_secs(120), "{elapsed:?}");
    assert_eq!(files_in(&out_dir), Vec::<PathBuf>::new());

    // A real image goes through the same limit.
    let (layer, digest, size, diff_id) = small_layer(tmp.path());
    layout(
        &dir,
        "ok",
        (
            &layer,
            "application/vnd.oci.image.layer.v1.tar",
            &digest,
            size,
        ),
        &diff_id,
    );
    let archive = out_dir.join("ok.tar");
    let out = run(limited(tmp.path())
        .args(["copy", "-q"])
        .arg(format!("oci:{}:ok", dir.display()))
        .arg(format!("docker-archive:{}", archive.display())));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let back = run(limited(tmp.path())
        .args(["audit", "--isolated", "--verify", "--format", "json"])
        .arg(format!("docker-archive:{}", archive.display())));
    assert_audited(&back);
}

/// A small uncompressed layer: (file, digest, size, diff_id).
fn small_layer(dir: &Path) -> (PathBuf, Digest, u64, Digest) {
    let path = dir.join("small.tar");
    let (digest, size) = blob_file(&path, |w| empty_files(w, 10));
    (path, digest.clone(), size, digest)
}

#[test]
fn half_a_million_entries_are_audited_in_bounded_memory() {
    let tmp = tempdir();
    let count = 500_000;
    let path = tmp.path().join("layer.tar");
    let (digest, size) = blob_file(&path, |w| empty_files(w, count));
    let dir = tmp.path().join("layout");
    let media = "application/vnd.oci.image.layer.v1.tar";
    layout(&dir, "many", (&path, media, &digest, size), &digest);
    let started = Instant::now();
    let out = run(limited(tmp.path())
        .args(["inspect", "--format", "json"])
        .arg(format!("oci:{}:many", dir.display())));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report = json(&String::from_utf8_lossy(&out.stdout));
    let entries = report["layers"][0]["entries"].as_u64();
    assert_eq!(entries, Some(count as u64 + 500), "{report}");
    eprintln!("{count} entries inspected in {:?}", started.elapsed());
}

#[test]
fn verify_checks_the_config_diff_ids_of_an_oci_layout() {
    let tmp = tempdir();
    let (layer, digest, size, diff_id) = small_layer(tmp.path());
    let wrong = Digest::sha256(b"another layer");
    let dir = tmp.path().join("layout");
    let media = "application/vnd.oci.image.layer.v1.tar";
    layout(&dir, "wrong", (&layer, media, &digest, size), &wrong);
    let reference = format!("oci:{}:wrong", dir.display());
    // The blobs themselves are intact: a plain audit reads the image.
    let plain = run(envelope(tmp.path(), &tmp.path().join("cache"))
        .args(["audit", "--isolated", "--format", "json"])
        .arg(&reference));
    assert_audited(&plain);
    let out = run(envelope(tmp.path(), &tmp.path().join("cache"))
        .args(["audit", "--isolated", "--verify"])
        .arg(&reference));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("rootfs.diff_ids[0]"), "{stderr}");
    assert!(stderr.contains(&wrong.to_string()), "{stderr}");
    assert!(stderr.contains(&diff_id.to_string()), "{stderr}");
    // With the right diff_id, --verify passes.
    layout(&dir, "right", (&layer, media, &digest, size), &diff_id);
    let ok = run(envelope(tmp.path(), &tmp.path().join("cache"))
        .args(["audit", "--isolated", "--verify", "--format", "json"])
        .arg(format!("oci:{}:right", dir.display())));
    assert_audited(&ok);
}
