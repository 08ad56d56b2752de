//! Streaming image reading (`open_*`, `ImageSource::open_blob`,
//! `VerifyingReader`) against images the crate's own writers make, against
//! skopeo's docker-archive, and against damaged and hostile archives.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
#[cfg(feature = "external-tools")]
use std::process::Command;
use std::sync::Arc;

use envelope_oci::tar::{self, EntryType, Header};
use envelope_oci::{
    media_types, open_docker_archive, open_oci_archive, open_oci_layout, to_json,
    write_docker_archive, write_oci_archive, write_oci_layout, BlobData, Descriptor, Digest,
    ImageBlobs, ImageIndex, ImageSource, ImageStore, Platform, VerifyingReader,
};

// ---------------------------------------------------------------------------
// Building images.

fn tar_bytes(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (path, data) in members {
        tar::write_header(
            &mut out,
            &Header {
                path,
                entry: EntryType::File {
                    size: data.len() as u64,
                },
                mode: 0o644,
                uid: 0,
                gid: 0,
                mtime: 0,
            },
        )
        .expect("header");
        out.extend_from_slice(data);
        out.extend(std::iter::repeat_n(0u8, tar::padding(data.len() as u64)));
    }
    tar::write_end(&mut out).expect("end");
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

fn desc(media_type: &str, bytes: &[u8]) -> Descriptor {
    Descriptor {
        media_type: media_type.into(),
        digest: Digest::sha256(bytes),
        size: bytes.len() as u64,
        urls: None,
        annotations: None,
        platform: None,
        artifact_type: None,
    }
}

#[derive(Clone)]
struct Layer {
    desc: Descriptor,
    blob: Vec<u8>,
    /// The uncompressed tar (what a docker-archive holds).
    tar: Vec<u8>,
}

#[derive(Clone)]
struct Built {
    /// The manifest's descriptor, with its platform.
    manifest: Descriptor,
    config: Descriptor,
    layers: Vec<Layer>,
}

fn platform(s: &str) -> Platform {
    s.parse().expect("platform")
}

/// A manifest for `platform` with a gzip layer and an uncompressed one,
/// its blobs added to `blobs`.
fn build(platform_name: &str, seed: &str, blobs: &mut BTreeMap<Digest, BlobData>) -> Built {
    let p = platform(platform_name);
    let mut layers = Vec::new();
    for (i, compress) in [true, false].into_iter().enumerate() {
        let tar = tar_bytes(&[
            (
                format!("etc/layer{i}"),
                format!("{platform_name} {seed} layer {i}\n").into_bytes(),
            ),
            (format!("usr/bin/app{i}"), vec![i as u8 + 1; 3000 + i * 700]),
        ]);
        let (mt, blob) = if compress {
            (media_types::OCI_LAYER_TAR_GZIP, gzip(&tar))
        } else {
            (media_types::OCI_LAYER_TAR, tar.clone())
        };
        layers.push(Layer {
            desc: desc(mt, &blob),
            blob,
            tar,
        });
    }
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| Digest::sha256(&l.tar).to_string())
        .collect();
    let mut config = serde_json::json!({
        "architecture": p.architecture,
        "os": p.os,
        "config": {"Entrypoint": ["/usr/bin/app0"], "Labels": {"seed": seed}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    });
    if let Some(v) = &p.variant {
        config["variant"] = serde_json::json!(v);
    }
    let config_bytes = serde_json::to_vec(&config).expect("json");
    let config = desc(media_types::OCI_CONFIG, &config_bytes);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media_types::OCI_MANIFEST,
        "config": config,
        "layers": layers.iter().map(|l| &l.desc).collect::<Vec<_>>(),
    });
    let manifest_bytes = serde_json::to_vec(&manifest).expect("json");
    let mut manifest = desc(media_types::OCI_MANIFEST, &manifest_bytes);
    manifest.platform = Some(p);
    blobs.insert(
        manifest.digest.clone(),
        BlobData::Bytes(Arc::new(manifest_bytes)),
    );
    blobs.insert(
        config.digest.clone(),
        BlobData::Bytes(Arc::new(config_bytes)),
    );
    for l in &layers {
        blobs.insert(
            l.desc.digest.clone(),
            BlobData::Bytes(Arc::new(l.blob.clone())),
        );
    }
    Built {
        manifest,
        config,
        layers,
    }
}

/// An attestation manifest as buildx writes one (platform unknown/unknown,
/// an in-toto layer), for the image `of`.
fn attestation(of: &Digest, blobs: &mut BTreeMap<Digest, BlobData>) -> Descriptor {
    let intoto = br#"{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document"}"#;
    let layer = desc("application/vnd.in-toto+json", intoto);
    let config_bytes = serde_json::to_vec(&serde_json::json!({
        "architecture": "unknown",
        "os": "unknown",
        "rootfs": {"type": "layers", "diff_ids": [layer.digest]},
    }))
    .expect("json");
    let config = desc(media_types::OCI_CONFIG, &config_bytes);
    let manifest_bytes = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media_types::OCI_MANIFEST,
        "config": config,
        "layers": [layer],
    }))
    .expect("json");
    let mut d = desc(media_types::OCI_MANIFEST, &manifest_bytes);
    d.platform = Some(platform("unknown/unknown"));
    d.annotations = Some(
        [
            (
                "vnd.docker.reference.type".to_string(),
                "attestation-manifest".to_string(),
            ),
            ("vnd.docker.reference.digest".to_string(), of.to_string()),
        ]
        .into_iter()
        .collect(),
    );
    blobs.insert(d.digest.clone(), BlobData::Bytes(Arc::new(manifest_bytes)));
    blobs.insert(
        config.digest.clone(),
        BlobData::Bytes(Arc::new(config_bytes)),
    );
    blobs.insert(
        layer.digest.clone(),
        BlobData::Bytes(Arc::new(intoto.to_vec())),
    );
    d
}

fn single(platform_name: &str) -> (ImageBlobs, Built) {
    let mut blobs = BTreeMap::new();
    let b = build(platform_name, "single", &mut blobs);
    let mut root = b.manifest.clone();
    root.platform = None;
    let mut image = ImageBlobs::new(root);
    image.blobs = blobs;
    (image, b)
}

fn index_of(manifests: Vec<Descriptor>, blobs: &mut BTreeMap<Digest, BlobData>) -> Descriptor {
    let mut idx = ImageIndex::empty();
    idx.manifests = manifests;
    let bytes = to_json(&idx);
    let d = desc(media_types::OCI_INDEX, &bytes);
    blobs.insert(d.digest.clone(), BlobData::Bytes(Arc::new(bytes)));
    d
}

/// An index of one manifest per platform, plus an attestation for the
/// first.
fn multi(platforms: &[&str]) -> (ImageBlobs, Vec<Built>) {
    let mut blobs = BTreeMap::new();
    let built: Vec<Built> = platforms
        .iter()
        .map(|p| build(p, "multi", &mut blobs))
        .collect();
    let mut manifests: Vec<Descriptor> = built.iter().map(|b| b.manifest.clone()).collect();
    manifests.push(attestation(&built[0].manifest.digest, &mut blobs));
    let root = index_of(manifests, &mut blobs);
    let mut image = ImageBlobs::new(root);
    image.blobs = blobs;
    (image, built)
}

// ---------------------------------------------------------------------------
// Reading back.

fn stream(src: &ImageSource, d: &Descriptor) -> std::io::Result<Vec<u8>> {
    let mut r = src.open_blob(d).expect("open_blob");
    let mut out = Vec::new();
    r.read_to_end(&mut out)?;
    Ok(out)
}

/// Every layer streams back as `expected` (blob bytes) and the config is
/// the one built.
fn check_layers(src: &ImageSource, expected: &[Vec<u8>]) {
    assert_eq!(src.layers().len(), expected.len());
    for (l, want) in src.layers().iter().zip(expected) {
        let got = stream(src, l).expect("layer streams and verifies");
        assert_eq!(&got, want, "layer {}", l.digest);
        assert_eq!(Digest::sha256(&got), l.digest);
    }
    assert_eq!(Digest::sha256(&src.config_bytes), src.config_digest);
    assert_eq!(src.manifest.config.digest, src.config_digest);
    let config = stream(src, &src.manifest.config).expect("config streams");
    assert_eq!(config, src.config_bytes);
}

/// The manifest digest the index `image.root` lists for `p`.
fn digest_in_index(image: &ImageBlobs, p: &str) -> Digest {
    let idx: ImageIndex =
        serde_json::from_slice(&image.read(&image.root.digest).expect("index")).expect("index");
    idx.manifests
        .iter()
        .find(|d| d.platform.as_ref().map(|x| x.to_string()).as_deref() == Some(p))
        .unwrap_or_else(|| panic!("no {p} in {idx:?}"))
        .digest
        .clone()
}

fn blobs_of(b: &Built) -> Vec<Vec<u8>> {
    b.layers.iter().map(|l| l.blob.clone()).collect()
}

fn tars_of(b: &Built) -> Vec<Vec<u8>> {
    b.layers.iter().map(|l| l.tar.clone()).collect()
}

/// The regular files of a tar archive.
fn members_of(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut f = std::fs::File::open(path).expect("open");
    let members = tar::list_members(&mut f, 1000).expect("list");
    members
        .iter()
        .map(|(n, m)| {
            (
                n.clone(),
                tar::read_member(&mut f, m, 1 << 30).expect("member"),
            )
        })
        .collect()
}

fn write_tar(path: &Path, members: &[(String, Vec<u8>)]) {
    std::fs::write(path, tar_bytes(members)).expect("write tar");
}

/// The archive at `src` rewritten to `dst` by `f` (None drops a member).
fn rewrite(src: &Path, dst: &Path, f: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>) {
    let members: Vec<(String, Vec<u8>)> = members_of(src)
        .into_iter()
        .filter_map(|(n, b)| f(&n, b).map(|b| (n, b)))
        .collect();
    write_tar(dst, &members);
}

fn err_text<T: std::fmt::Debug>(r: Result<T, envelope_oci::Error>) -> String {
    r.expect_err("an error").to_string()
}

fn layer_blob_path(dir: &Path, d: &Digest) -> PathBuf {
    dir.join("blobs/sha256").join(d.hex())
}

// ---------------------------------------------------------------------------
// Agreement between the streaming image and the whole image a copy reads.

/// Every blob of the image in a layout, as `copy` reads it.
fn whole_layout(dir: &Path, tag: Option<&str>) -> Result<ImageBlobs, envelope_oci::Error> {
    ImageStore::oci_layout(dir, tag)?.blobs(None)
}

fn whole_oci_archive(file: &Path, tag: Option<&str>) -> Result<ImageBlobs, envelope_oci::Error> {
    ImageStore::oci_archive(file, tag)?.blobs(None)
}

fn whole_docker_archive(
    file: &Path,
    reference: Option<&str>,
) -> Result<ImageBlobs, envelope_oci::Error> {
    ImageStore::docker_archive(file, reference)?.blobs(None)
}

#[test]
fn oci_layout_opens_and_streams_like_whole_layout() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("layout");
    let (image, b) = single("linux/amd64");
    write_oci_layout(&dir, &image, Some("1.0")).expect("write");
    let read = whole_layout(&dir, Some("1.0")).expect("read");
    let src = open_oci_layout(&dir, Some("1.0"), None).expect("open");
    fn shareable<T: Send + Sync>(_: &T) {}
    shareable(&src);
    assert_eq!(src.transport, "oci");
    assert_eq!(src.manifest_digest, read.root.digest);
    assert_eq!(src.manifest_digest, b.manifest.digest);
    assert_eq!(src.config_digest, b.config.digest);
    assert_eq!(
        src.config
            .config
            .as_ref()
            .and_then(|c| c.entrypoint.clone()),
        Some(vec!["/usr/bin/app0".to_string()])
    );
    assert_eq!(src.platform, Some(platform("linux/amd64")));
    check_layers(&src, &blobs_of(&b));
    // The platform of a single-manifest image is checked too.
    let e = err_text(open_oci_layout(&dir, None, Some(&platform("linux/arm64"))));
    assert!(
        e.contains("image is for linux/amd64, not for linux/arm64"),
        "{e}"
    );
    assert!(open_oci_layout(&dir, None, Some(&platform("linux/amd64"))).is_ok());
    let e = err_text(open_oci_layout(&dir, Some("2.0"), None));
    assert!(e.contains("no image tagged \"2.0\""), "{e}");
}

#[test]
fn oci_archive_opens_and_streams_like_whole_oci_archive() {
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("image.tar");
    let (image, b) = single("linux/arm64");
    write_oci_archive(&file, &image, Some("v1")).expect("write");
    let read = whole_oci_archive(&file, Some("v1")).expect("read");
    let src = open_oci_archive(&file, Some("v1"), None).expect("open");
    assert_eq!(src.transport, "oci-archive");
    assert_eq!(src.manifest_digest, read.root.digest);
    assert_eq!(src.manifest_digest, b.manifest.digest);
    assert_eq!(
        src.config_bytes,
        read.read(&b.config.digest).expect("config")
    );
    assert_eq!(src.platform, Some(platform("linux/arm64")));
    check_layers(&src, &blobs_of(&b));
    let e = err_text(open_oci_archive(&file, Some("v2"), None));
    assert!(e.contains("holds no image tagged \"v2\""), "{e}");
}

#[test]
fn docker_archive_with_an_index_agrees_with_whole_docker_archive() {
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("docker.tar");
    let (image, b) = single("linux/amd64");
    write_docker_archive(&file, &image, Some("example.com/app:1.0")).expect("write");
    for reference in [None, Some("example.com/app:1.0"), Some("1.0")] {
        let read = whole_docker_archive(&file, reference).expect("read");
        let src = open_docker_archive(&file, reference, None).expect("open");
        assert_eq!(src.transport, "docker-archive");
        assert_eq!(src.manifest_digest, read.root.digest, "{reference:?}");
        assert_eq!(src.config_digest, b.config.digest);
        // docker-archive layers are the uncompressed tars.
        check_layers(&src, &tars_of(&b));
        for l in src.layers() {
            assert_eq!(l.media_type, media_types::OCI_LAYER_TAR);
        }
    }
}

#[test]
fn legacy_docker_archive_synthesizes_the_manifest_the_whole_copy_does() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (image, b) = single("linux/amd64");
    let modern = tmp.path().join("modern.tar");
    write_docker_archive(&modern, &image, Some("example.com/app:1.0")).expect("write");
    // Without index.json the manifest.json path is taken.
    let legacy = tmp.path().join("legacy.tar");
    rewrite(&modern, &legacy, |n, b| (n != "index.json").then_some(b));
    let read = whole_docker_archive(&legacy, None).expect("read");
    let src = open_docker_archive(&legacy, None, None).expect("open");
    assert_eq!(src.manifest_digest, read.root.digest);
    // envelope's docker-archive carries in its index.json the manifest the
    // legacy path synthesizes: the digest is the same either way.
    assert_eq!(
        src.manifest_digest,
        open_docker_archive(&modern, None, None)
            .expect("open")
            .manifest_digest
    );
    check_layers(&src, &tars_of(&b));

    // As `docker save` wrote them before Docker 25: names by image id,
    // "./" prefixes, two images told apart by RepoTags.
    let (image2, b2) = single("linux/arm64");
    let _ = image2;
    let cfg = |b: &Built, image: &ImageBlobs| image.read(&b.config.digest).expect("config");
    let mut members = vec![
        ("a1/layer.tar".to_string(), b.layers[0].tar.clone()),
        ("a2/layer.tar".to_string(), b.layers[1].tar.clone()),
        ("a.json".to_string(), cfg(&b, &image)),
        ("b1/layer.tar".to_string(), b2.layers[0].tar.clone()),
        ("b.json".to_string(), cfg(&b2, &image2)),
        ("b2/layer.tar".to_string(), b2.layers[1].tar.clone()),
    ];
    members.push((
        "manifest.json".to_string(),
        serde_json::to_vec(&serde_json::json!([
            {"Config": "./a.json", "RepoTags": ["example.com/a:1"], "Layers": ["a1/layer.tar", "./a2/layer.tar"]},
            {"Config": "b.json", "RepoTags": ["b:latest"], "Layers": ["b1/layer.tar", "b2/layer.tar"]},
        ]))
        .expect("json"),
    ));
    let old = tmp.path().join("old.tar");
    write_tar(&old, &members);
    let e = err_text(open_docker_archive(&old, None, None));
    assert!(e.contains("several images"), "{e}");
    // Compare the whole image with the streamed one on b.
    let src = open_docker_archive(&old, Some("docker.io/library/b:latest"), None).expect("b");
    let read = whole_docker_archive(&old, Some("b:latest")).expect("read b");
    assert_eq!(src.manifest_digest, read.root.digest);
    assert_eq!(src.platform, Some(platform("linux/arm64")));
    assert_eq!(src.layers().len(), 2);
    assert_eq!(
        stream(&src, &src.layers()[0]).expect("l0"),
        b2.layers[0].tar
    );
    assert_eq!(
        stream(&src, &src.layers()[1]).expect("l1"),
        b2.layers[1].tar
    );
    let a = open_docker_archive(&old, Some("example.com/a:1"), None).expect("a");
    check_layers(&a, &tars_of(&b));
    assert_eq!(a.manifest_digest, src_digest_without_dot(&old, tmp.path()));
}

/// The whole image's digest of image "a" in `old` once "./" prefixes
/// are gone from its manifest.json.
fn src_digest_without_dot(old: &Path, tmp: &Path) -> Digest {
    let fixed = tmp.join("fixed.tar");
    rewrite(old, &fixed, |n, b| {
        Some(if n == "manifest.json" {
            String::from_utf8(b)
                .expect("utf8")
                .replace("\"./", "\"")
                .into_bytes()
        } else {
            b
        })
    });
    whole_docker_archive(&fixed, Some("example.com/a:1"))
        .expect("read a")
        .root
        .digest
}

// ---------------------------------------------------------------------------
// Verification.

#[test]
fn flipped_byte_is_an_error_at_eof_naming_both_digests() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (image, b) = single("linux/amd64");
    let layer = &b.layers[1];
    let mut flipped = layer.blob.clone();
    flipped[700] ^= 0x01;
    let actual = Digest::sha256(&flipped);

    // In a layout.
    let dir = tmp.path().join("layout");
    write_oci_layout(&dir, &image, None).expect("write");
    std::fs::write(layer_blob_path(&dir, &layer.desc.digest), &flipped).expect("corrupt");
    let src = open_oci_layout(&dir, None, None).expect("sizes are right: opens");
    let mut r = src.open_blob(&layer.desc).expect("open_blob");
    let mut first = vec![0u8; 512];
    r.read_exact(&mut first)
        .expect("bytes before the end are served");
    let e = std::io::copy(&mut r, &mut std::io::sink()).expect_err("mismatch at EOF");
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    let msg = e.to_string();
    assert!(msg.contains(&layer.desc.digest.to_string()), "{msg}");
    assert!(msg.contains(&actual.to_string()), "{msg}");
    assert!(
        msg.contains(&layer.desc.digest.hex()[..12]),
        "names the file: {msg}"
    );
    // And it stays failed.
    assert!(r.read(&mut first).is_err());
    // The other layer is fine.
    assert_eq!(
        stream(&src, &b.layers[0].desc).expect("ok"),
        b.layers[0].blob
    );

    // In an archive.
    let file = tmp.path().join("oci.tar");
    write_oci_archive(&file, &image, None).expect("write");
    let mut f = std::fs::File::open(&file).expect("open");
    let member = format!("blobs/sha256/{}", layer.desc.digest.hex());
    let m = tar::list_members(&mut f, 100).expect("list")[&member].clone();
    let mut bytes = std::fs::read(&file).expect("read");
    bytes[m.offset as usize + 700] ^= 0x01;
    std::fs::write(&file, &bytes).expect("corrupt");
    let src = open_oci_archive(&file, None, None).expect("opens");
    let e = stream(&src, &layer.desc).expect_err("mismatch");
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    let msg = e.to_string();
    assert!(msg.contains(&layer.desc.digest.to_string()), "{msg}");
    assert!(msg.contains(&actual.to_string()), "{msg}");
    assert!(msg.contains(&member), "names the member: {msg}");
    assert!(msg.contains("oci.tar"), "names the archive: {msg}");
}

#[test]
fn verifying_reader_checks_size_and_digest() {
    let data = b"some layer bytes".repeat(1000);
    let d = desc(media_types::OCI_LAYER_TAR, &data);
    // Right bytes, read in small pieces.
    let mut r = VerifyingReader::new(&data[..], &d);
    let mut out = Vec::new();
    let mut buf = [0u8; 7];
    loop {
        let n = r.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    assert_eq!(out, data);
    assert!(r.is_verified());
    assert_eq!(r.bytes_read(), data.len() as u64);
    assert_eq!(r.read(&mut buf).expect("after the end"), 0);

    // Too short: size and both digests in the message.
    let short = &data[..data.len() - 1];
    let mut r = VerifyingReader::with_label(short, &d, "the test blob");
    let e = r.read_to_end(&mut Vec::new()).expect_err("short");
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    let msg = e.to_string();
    assert!(msg.contains("the test blob"), "{msg}");
    assert!(msg.contains(&d.digest.to_string()), "{msg}");
    assert!(msg.contains(&Digest::sha256(short).to_string()), "{msg}");
    assert!(
        msg.contains(&format!("expected {} bytes", data.len())),
        "{msg}"
    );
    assert!(!r.is_verified());

    // Too long: an error as soon as the extra byte arrives, before EOF.
    let mut long = data.clone();
    long.extend_from_slice(b"!extra");
    let mut r = VerifyingReader::new(&long[..], &d);
    let mut got = vec![0u8; data.len()];
    r.read_exact(&mut got).expect("the first size bytes");
    let e = r.read(&mut [0u8; 1]).expect_err("one byte too many");
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    assert!(
        e.to_string()
            .contains(&format!("more than the {} bytes", data.len())),
        "{e}"
    );

    // Same size, other bytes.
    let mut other = data.clone();
    other[5] = b'X';
    let e = VerifyingReader::new(&other[..], &d)
        .finish()
        .expect_err("digest");
    assert!(e.to_string().contains("digest mismatch"), "{e}");
    assert!(
        e.to_string().contains(&Digest::sha256(&other).to_string()),
        "{e}"
    );
    // finish() drains and verifies.
    assert!(VerifyingReader::new(&data[..], &d).finish().is_ok());

    // sha512 descriptors are verified with sha512.
    use sha2::Digest as _;
    let hex512 = hex::encode(sha2::Sha512::digest(&data));
    let d512 = Descriptor {
        digest: format!("sha512:{hex512}").parse().expect("sha512"),
        ..d.clone()
    };
    assert!(VerifyingReader::new(&data[..], &d512).finish().is_ok());
    assert!(VerifyingReader::new(&other[..], &d512).finish().is_err());
}

// ---------------------------------------------------------------------------
// Platforms.

#[test]
fn multi_platform_index_picks_the_requested_platform() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (image, built) = multi(&["linux/amd64", "linux/arm64"]);
    let dir = tmp.path().join("layout");
    write_oci_layout(&dir, &image, None).expect("write");
    let arm = open_oci_layout(&dir, None, Some(&platform("linux/arm64"))).expect("arm64");
    assert_eq!(arm.manifest_digest, built[1].manifest.digest);
    assert_eq!(arm.config.architecture, "arm64");
    assert_eq!(arm.platform, Some(platform("linux/arm64")));
    check_layers(&arm, &blobs_of(&built[1]));
    // A variant given is the default one of arm64.
    let v8 = open_oci_layout(&dir, None, Some(&platform("linux/arm64/v8"))).expect("v8");
    assert_eq!(v8.manifest_digest, built[1].manifest.digest);
    // Without --platform, linux/amd64 when present.
    let amd = open_oci_layout(&dir, None, None).expect("default");
    assert_eq!(amd.manifest_digest, built[0].manifest.digest);
    check_layers(&amd, &blobs_of(&built[0]));
    // A platform it lacks: the error lists those it has, not attestations.
    let e = err_text(open_oci_layout(&dir, None, Some(&platform("linux/s390x"))));
    assert!(
        e.contains("image has no linux/s390x platform; it has linux/amd64, linux/arm64"),
        "{e}"
    );
    assert!(e.contains("--platform"), "{e}");
    assert!(!e.contains("unknown"), "{e}");

    // The same image in each archive picks the same manifests as the
    // index the whole image lists.
    let oci = tmp.path().join("oci.tar");
    write_oci_archive(&oci, &image, None).expect("write");
    let read = whole_oci_archive(&oci, None).expect("read");
    let src = open_oci_archive(&oci, None, Some(&platform("linux/arm64"))).expect("open");
    assert_eq!(src.manifest_digest, digest_in_index(&read, "linux/arm64"));
    check_layers(&src, &blobs_of(&built[1]));

    let docker = tmp.path().join("docker.tar");
    write_docker_archive(&docker, &image, Some("example.com/multi:2")).expect("write");
    let read = whole_docker_archive(&docker, None).expect("read");
    for (p, b) in [("linux/amd64", &built[0]), ("linux/arm64", &built[1])] {
        let src = open_docker_archive(&docker, None, Some(&platform(p))).expect("open");
        assert_eq!(src.manifest_digest, digest_in_index(&read, p), "{p}");
        check_layers(&src, &tars_of(b));
    }
    // Not in the index: an error, not a fall back to manifest.json's image.
    let e = err_text(open_docker_archive(
        &docker,
        None,
        Some(&platform("linux/ppc64le")),
    ));
    assert!(e.contains("no linux/ppc64le platform"), "{e}");
}

#[test]
fn several_platforms_without_amd64_need_a_choice() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (image, built) = multi(&["linux/arm64", "linux/arm/v7"]);
    let dir = tmp.path().join("layout");
    write_oci_layout(&dir, &image, Some("t")).expect("write");
    let e = err_text(open_oci_layout(&dir, Some("t"), None));
    assert!(
        e.contains(
            "image has several platforms (linux/arm64, linux/arm/v7): choose one with --platform"
        ),
        "{e}"
    );
    assert!(e.contains(&dir.display().to_string()), "says where: {e}");
    // linux/arm means arm/v7, the default variant.
    let src = open_oci_layout(&dir, Some("t"), Some(&platform("linux/arm"))).expect("arm");
    assert_eq!(src.manifest_digest, built[1].manifest.digest);
    assert_eq!(src.platform, Some(platform("linux/arm/v7")));
    let e = err_text(open_oci_layout(
        &dir,
        Some("t"),
        Some(&platform("linux/arm/v6")),
    ));
    assert!(e.contains("no linux/arm/v6 platform"), "{e}");
}

#[test]
fn attestations_are_skipped_and_nested_indexes_followed() {
    let tmp = tempfile::tempdir().expect("tmp");
    // One platform and its attestation: the platform, without asking.
    let (image, built) = multi(&["linux/arm64"]);
    let dir = tmp.path().join("one");
    write_oci_layout(&dir, &image, None).expect("write");
    let src = open_oci_layout(&dir, None, None).expect("open");
    assert_eq!(src.manifest_digest, built[0].manifest.digest);
    let e = err_text(open_oci_layout(
        &dir,
        None,
        Some(&platform("unknown/unknown")),
    ));
    assert!(e.contains("has linux/arm64"), "{e}");

    // An index in an index, entries without a platform field: the
    // platform comes from each config.
    let mut blobs = BTreeMap::new();
    let amd = build("linux/amd64", "nested", &mut blobs);
    let arm = build("linux/arm64", "nested", &mut blobs);
    let strip = |b: &Built| Descriptor {
        platform: None,
        ..b.manifest.clone()
    };
    let att = attestation(&amd.manifest.digest, &mut blobs);
    let inner = index_of(vec![strip(&amd), strip(&arm), att], &mut blobs);
    let root = index_of(vec![inner], &mut blobs);
    let mut image = ImageBlobs::new(root);
    image.blobs = blobs;
    let dir = tmp.path().join("nested");
    write_oci_layout(&dir, &image, None).expect("write");
    let src = open_oci_layout(&dir, None, Some(&platform("linux/arm64"))).expect("arm64");
    assert_eq!(src.manifest_digest, arm.manifest.digest);
    assert_eq!(src.platform, Some(platform("linux/arm64")));
    check_layers(&src, &blobs_of(&arm));
    let src = open_oci_layout(&dir, None, None).expect("default");
    assert_eq!(src.manifest_digest, amd.manifest.digest);
}

// ---------------------------------------------------------------------------
// Damaged and hostile input.

#[test]
fn truncated_archives_are_errors() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (image, _) = single("linux/amd64");
    let oci = tmp.path().join("oci.tar");
    write_oci_archive(&oci, &image, None).expect("write");
    let docker = tmp.path().join("docker.tar");
    write_docker_archive(&docker, &image, None).expect("write");
    let legacy = tmp.path().join("legacy.tar");
    rewrite(&docker, &legacy, |n, b| (n != "index.json").then_some(b));
    let cut = tmp.path().join("cut.tar");
    for (name, file) in [("oci", &oci), ("docker", &docker), ("legacy", &legacy)] {
        let bytes = std::fs::read(file).expect("read");
        let open = |p: &Path| {
            if name == "oci" {
                open_oci_archive(p, None, None)
            } else {
                open_docker_archive(p, None, None)
            }
        };
        assert!(open(file).is_ok(), "{name} whole");
        // Every cut before the end-of-archive marker loses content.
        for n in (0..bytes.len() - 512)
            .step_by(211)
            .chain([bytes.len() - 513])
        {
            std::fs::write(&cut, &bytes[..n]).expect("write");
            let e = err_text(open(&cut));
            assert!(e.contains("cut.tar"), "{name} cut at {n}: {e}");
        }
    }
    let bytes = std::fs::read(&oci).expect("read");
    std::fs::write(&cut, &bytes[..1000]).expect("write");
    let e = err_text(open_oci_archive(&cut, None, None));
    assert!(
        e.contains("not a readable tar archive") && e.contains("truncated"),
        "{e}"
    );
}

#[test]
fn missing_blobs_and_members_are_errors() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (image, b) = single("linux/amd64");
    let layer_hex = b.layers[0].desc.digest.hex().to_string();

    let dir = tmp.path().join("layout");
    write_oci_layout(&dir, &image, None).expect("write");
    std::fs::remove_file(layer_blob_path(&dir, &b.layers[0].desc.digest)).expect("rm");
    let e = err_text(open_oci_layout(&dir, None, None));
    assert!(
        e.contains(&format!("has no blob sha256:{layer_hex}")),
        "{e}"
    );
    assert!(e.contains("incomplete"), "{e}");

    let oci = tmp.path().join("oci.tar");
    write_oci_archive(&oci, &image, None).expect("write");
    for missing in [
        format!("blobs/sha256/{layer_hex}"),
        format!("blobs/sha256/{}", b.config.digest.hex()),
        format!("blobs/sha256/{}", b.manifest.digest.hex()),
        "index.json".to_string(),
    ] {
        let damaged = tmp.path().join("damaged.tar");
        rewrite(&oci, &damaged, |n, b| (n != missing).then_some(b));
        let e = err_text(open_oci_archive(&damaged, None, None));
        assert!(e.contains(&missing), "{missing}: {e}");
    }

    let docker = tmp.path().join("docker.tar");
    write_docker_archive(&docker, &image, None).expect("write");
    let legacy = tmp.path().join("legacy.tar");
    let tar_hex = Digest::sha256(&b.layers[0].tar).hex().to_string();
    rewrite(&docker, &legacy, |n, b| {
        (n != "index.json" && !n.contains(&tar_hex)).then_some(b)
    });
    let e = err_text(open_docker_archive(&legacy, None, None));
    assert!(
        e.contains(&format!("has no member blobs/sha256/{tar_hex}")),
        "{e}"
    );
    rewrite(&docker, &legacy, |n, b| {
        (n != "index.json" && n != "manifest.json").then_some(b)
    });
    let e = err_text(open_docker_archive(&legacy, None, None));
    assert!(e.contains("has no manifest.json"), "{e}");

    // A descriptor of no blob of the image.
    let src = open_oci_archive(&oci, None, None).expect("open");
    let stranger = desc(media_types::OCI_LAYER_TAR, b"not in the image");
    let e = err_text(src.open_blob(&stranger).map(|_| ()));
    assert!(e.contains(&stranger.digest.hex()[..16]), "{e}");
}

#[test]
fn wrong_sizes_are_errors() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (image, b) = single("linux/amd64");
    let dir = tmp.path().join("layout");
    write_oci_layout(&dir, &image, None).expect("write");
    let path = layer_blob_path(&dir, &b.layers[1].desc.digest);
    let mut longer = b.layers[1].blob.clone();
    longer.extend_from_slice(b"tail");
    std::fs::write(&path, &longer).expect("write");
    let e = err_text(open_oci_layout(&dir, None, None));
    assert!(
        e.contains(&format!(
            "is {} bytes, but the descriptor of {} says {}",
            longer.len(),
            b.layers[1].desc.digest,
            b.layers[1].blob.len()
        )),
        "{e}"
    );
    // Truncated after opening: an error at the end of the stream.
    std::fs::write(&path, &b.layers[1].blob).expect("write");
    let src = open_oci_layout(&dir, None, None).expect("open");
    let mut r = src.open_blob(&b.layers[1].desc).expect("open_blob");
    std::fs::write(&path, &b.layers[1].blob[..1000]).expect("write");
    let e = std::io::copy(&mut r, &mut std::io::sink()).expect_err("shorter");
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    assert!(
        e.to_string().contains(&format!(
            "expected {} bytes with digest {}, got 1000 bytes with digest {}",
            b.layers[1].blob.len(),
            b.layers[1].desc.digest,
            Digest::sha256(&b.layers[1].blob[..1000])
        )),
        "{e}"
    );

    // A member whose size is not its descriptor's.
    let oci = tmp.path().join("oci.tar");
    write_oci_archive(&oci, &image, None).expect("write");
    let member = format!("blobs/sha256/{}", b.layers[0].desc.digest.hex());
    let damaged = tmp.path().join("damaged.tar");
    rewrite(&oci, &damaged, |n, mut b| {
        if n == member {
            b.truncate(b.len() - 10);
        }
        Some(b)
    });
    let e = err_text(open_oci_archive(&damaged, None, None));
    assert!(e.contains(&format!("member {member} is")), "{e}");
}

/// A legacy docker-archive of `b` whose manifest.json and members `edit`
/// may change.
fn legacy_with(
    dir: &Path,
    name: &str,
    b: &Built,
    config: &[u8],
    edit: impl FnOnce(&mut serde_json::Value, &mut Vec<(String, Vec<u8>)>),
) -> PathBuf {
    let mut manifest = serde_json::json!([{
        "Config": "config.json",
        "RepoTags": ["app:1"],
        "Layers": ["l0/layer.tar", "l1/layer.tar"],
    }]);
    let mut members = vec![
        ("config.json".to_string(), config.to_vec()),
        ("l0/layer.tar".to_string(), b.layers[0].tar.clone()),
        ("l1/layer.tar".to_string(), b.layers[1].tar.clone()),
    ];
    edit(&mut manifest, &mut members);
    if !members.iter().any(|(n, _)| n == "manifest.json") {
        members.push((
            "manifest.json".to_string(),
            serde_json::to_vec(&manifest).expect("json"),
        ));
    }
    let path = dir.join(format!("hostile-{name}.tar"));
    write_tar(&path, &members);
    path
}

#[test]
fn hostile_docker_archives_are_errors_not_panics() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (image, b) = single("linux/amd64");
    let config = image.read(&b.config.digest).expect("config");
    let t = tmp.path();

    // The baseline opens, and agrees with the copy path.
    let ok = legacy_with(t, "ok", &b, &config, |_, _| {});
    let src = open_docker_archive(&ok, Some("app:1"), None).expect("baseline");
    assert_eq!(
        src.manifest_digest,
        whole_docker_archive(&ok, Some("app:1"))
            .expect("read")
            .root
            .digest
    );
    check_layers(&src, &tars_of(&b));

    let cases: Vec<(&str, PathBuf, &str)> = vec![
        (
            "not an array",
            legacy_with(t, "not-an-array", &b, &config, |m, _| {
                *m = serde_json::json!({"Config": "x"})
            }),
            "malformed manifest.json",
        ),
        (
            "no Config",
            legacy_with(t, "no-Config", &b, &config, |m, _| {
                m[0].as_object_mut().expect("object").remove("Config");
            }),
            "without Config",
        ),
        (
            "layer name not a string",
            legacy_with(t, "layer-name-not-a-string", &b, &config, |m, _| {
                m[0]["Layers"] = serde_json::json!([7])
            }),
            "not a string",
        ),
        (
            "dot-dot",
            legacy_with(t, "dot-dot", &b, &config, |m, ms| {
                m[0]["Layers"] = serde_json::json!(["l0/../../etc/passwd"]);
                ms.push(("../etc/passwd".into(), b"root:x:0:0".to_vec()));
            }),
            "not a relative path inside the archive",
        ),
        (
            "absolute",
            legacy_with(t, "absolute", &b, &config, |m, _| {
                m[0]["Config"] = serde_json::json!("/etc/passwd")
            }),
            "not a relative path inside the archive",
        ),
        (
            "huge manifest.json",
            legacy_with(t, "huge-manifest-json", &b, &config, |_, ms| {
                let mut huge = b"[".to_vec();
                huge.extend(std::iter::repeat_n(b' ', 9 << 20));
                huge.push(b']');
                ms.push(("manifest.json".into(), huge));
            }),
            "more than the 8388608",
        ),
        (
            "huge config",
            legacy_with(t, "huge-config", &b, &vec![b' '; 9 << 20], |_, _| {}),
            "member config.json (image config) is 9437184 bytes",
        ),
        (
            "config of the wrong shape",
            legacy_with(
                t,
                "config-of-the-wrong-shape",
                &b,
                br#"{"architecture": 5}"#,
                |_, _| {},
            ),
            "malformed image config config.json",
        ),
        (
            "missing layer",
            legacy_with(t, "missing-layer", &b, &config, |_, ms| {
                ms.remove(2);
            }),
            "has no member l1/layer.tar",
        ),
        (
            "no such reference",
            legacy_with(t, "no-such-reference", &b, &config, |m, _| {
                m[0]["RepoTags"] = serde_json::json!(["x:1"])
            }),
            "holds no image named app:1",
        ),
    ];
    for (what, path, want) in cases {
        let e = err_text(open_docker_archive(&path, Some("app:1"), None));
        assert!(e.contains(want), "{what}: {e}");
        assert!(e.contains("hostile-"), "{what}: says where: {e}");
    }

    // A layer that is not its diff_id: opening trusts the config (it reads
    // no layer); streaming the layer verified finds the mismatch.
    let path = legacy_with(t, "layer-not-its-diff_id", &b, &config, |_, ms| {
        ms[1].1[600] ^= 1
    });
    let src = open_docker_archive(&path, Some("app:1"), None).expect("opens");
    let mut r = src.open_blob(&src.layers()[0]).expect("blob");
    let e = std::io::copy(&mut r, &mut std::io::sink()).expect_err("mismatch");
    assert!(
        e.to_string()
            .contains(&src.config.rootfs.diff_ids[0].to_string()),
        "{e}"
    );

    // A broken index.json beside a good manifest.json: the fallback, as
    // the copy path does.
    let path = legacy_with(t, "bad-index", &b, &config, |_, ms| {
        ms.push(("index.json".into(), b"{not json".to_vec()));
    });
    let src = open_docker_archive(&path, None, None).expect("falls back");
    assert_eq!(
        src.manifest_digest,
        whole_docker_archive(&path, None).expect("read").root.digest
    );

    // A huge index.json in a layout.
    let dir = t.join("layout");
    write_oci_layout(&dir, &image, None).expect("write");
    std::fs::write(dir.join("index.json"), vec![b' '; 9 << 20]).expect("write");
    let e = err_text(open_oci_layout(&dir, None, None));
    assert!(
        e.contains("index.json") && e.contains("more than the"),
        "{e}"
    );

    // Garbage is an error at any length.
    let garbage: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let g = t.join("garbage.tar");
    for n in (0..garbage.len()).step_by(1999) {
        std::fs::write(&g, &garbage[..n]).expect("write");
        assert!(open_docker_archive(&g, None, None).is_err());
        assert!(open_oci_archive(&g, None, None).is_err());
    }
}

// ---------------------------------------------------------------------------
// skopeo.

#[cfg(feature = "external-tools")]
fn skopeo(args: &[&str]) -> Vec<u8> {
    let out = Command::new("skopeo")
        .args(args)
        .output()
        .expect("skopeo is required for this test (it is on PATH on the dev machines)");
    assert!(
        out.status.success(),
        "skopeo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[cfg(feature = "external-tools")]
#[test]
fn reads_the_docker_archive_skopeo_writes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (image, b) = single("linux/amd64");
    let dir = tmp.path().join("layout");
    write_oci_layout(&dir, &image, Some("1.0")).expect("write");
    let file = tmp.path().join("skopeo.tar");
    let src_ref = format!("oci:{}:1.0", dir.display());
    let dst_ref = format!("docker-archive:{}:example.com/app:1.0", file.display());
    skopeo(&["--insecure-policy", "copy", "-q", &src_ref, &dst_ref]);
    let members: Vec<String> = members_of(&file).into_iter().map(|(n, _)| n).collect();
    assert!(
        members.contains(&"manifest.json".to_string()),
        "{members:?}"
    );
    assert!(
        !members.contains(&"index.json".to_string()),
        "legacy format: {members:?}"
    );

    let src = open_docker_archive(&file, Some("example.com/app:1.0"), None).expect("open");
    let raw: serde_json::Value = serde_json::from_slice(&skopeo(&[
        "inspect",
        "--raw",
        &format!("docker-archive:{}", file.display()),
    ]))
    .expect("skopeo's manifest");
    let skopeo_layers: Vec<String> = raw["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["digest"].as_str().expect("digest").to_string())
        .collect();
    let ours: Vec<String> = src.layers().iter().map(|l| l.digest.to_string()).collect();
    assert_eq!(ours, skopeo_layers);
    assert_eq!(
        raw["config"]["digest"].as_str(),
        Some(src.config_digest.to_string().as_str())
    );
    let diff_ids: Vec<String> = src
        .config
        .rootfs
        .diff_ids
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(ours, diff_ids);
    assert_eq!(src.config_digest, b.config.digest);
    check_layers(&src, &tars_of(&b));
    assert_eq!(
        src.manifest_digest,
        whole_docker_archive(&file, Some("example.com/app:1.0"))
            .expect("read")
            .root
            .digest
    );
    for l in src.layers() {
        assert_eq!(l.media_type, media_types::OCI_LAYER_TAR);
    }
}

// ---------------------------------------------------------------------------
// Memory.

fn vm_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("no {field}"));
    line.split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a number of kB")
}

#[test]
fn a_large_layer_streams_in_bounded_memory() {
    use sha2::Digest as _;
    const SIZE: u64 = 64 << 20;
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("big.tar");
    let base: Vec<u8> = (0..65_536u64)
        .map(|j| ((j * 2_654_435_761) >> 13) as u8)
        .collect();
    // Every 64 KiB chunk differs: its number is in its first bytes.
    let chunk = |i: u64| -> Vec<u8> {
        let mut c = base.clone();
        c[..8].copy_from_slice(&i.to_le_bytes());
        c
    };
    // A legacy docker-archive, written streaming: the layer first, then the
    // config that names its diff_id.
    let mut w = std::io::BufWriter::new(std::fs::File::create(&file).expect("create"));
    tar::write_header(
        &mut w,
        &Header {
            path: "big/layer.tar",
            entry: EntryType::File { size: SIZE },
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 0,
        },
    )
    .expect("header");
    let mut h = sha2::Sha256::new();
    for i in 0..SIZE / 65_536 {
        let c = chunk(i);
        h.update(&c);
        w.write_all(&c).expect("write");
    }
    let diff_id = format!("sha256:{}", hex::encode(h.finalize()));
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }))
    .expect("json");
    let manifest = serde_json::to_vec(&serde_json::json!([
        {"Config": "config.json", "RepoTags": [], "Layers": ["big/layer.tar"]}
    ]))
    .expect("json");
    for (name, data) in [("config.json", &config), ("manifest.json", &manifest)] {
        tar::write_header(
            &mut w,
            &Header {
                path: name,
                entry: EntryType::File {
                    size: data.len() as u64,
                },
                mode: 0o644,
                uid: 0,
                gid: 0,
                mtime: 0,
            },
        )
        .expect("header");
        w.write_all(data).expect("write");
        w.write_all(&vec![0u8; tar::padding(data.len() as u64)])
            .expect("pad");
    }
    tar::write_end(&mut w).expect("end");
    w.flush().expect("flush");
    drop(w);

    // Reset the peak resident set to what is resident now.
    std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM");
    let before = vm_kib("VmRSS:");
    let src = open_docker_archive(&file, None, None).expect("open");
    assert_eq!(src.layers()[0].digest.to_string(), diff_id);
    assert_eq!(src.layers()[0].size, SIZE);
    let mut r = src.open_blob(&src.layers()[0]).expect("open_blob");
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    let mut first = Vec::new();
    loop {
        let n = r.read(&mut buf).expect("streams and verifies");
        if n == 0 {
            break;
        }
        if first.is_empty() {
            first = buf[..n.min(65_536)].to_vec();
        }
        total += n as u64;
    }
    assert_eq!(total, SIZE);
    assert_eq!(first, chunk(0)[..first.len()]);
    let peak = vm_kib("VmHWM:");
    let grown_mib = peak.saturating_sub(before) / 1024;
    assert!(
        grown_mib < 32,
        "opening and streaming a {} MiB layer grew the peak RSS by {grown_mib} MiB",
        SIZE >> 20
    );
}

// ---------------------------------------------------------------------------
// The copy path has the limits of the streaming one.

/// `copy` once read any nesting of indexes and trusted index.json's digest
/// of the root; it reads through ImageStore now, with the same limits as
/// every other command.
#[test]
fn whole_copies_refuse_deep_nesting_and_a_corrupt_root() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut blobs = BTreeMap::new();
    let b = build("linux/amd64", "deep", &mut blobs);
    let mut root = b.manifest.clone();
    for _ in 0..12 {
        root = index_of(vec![root], &mut blobs);
    }
    let mut image = ImageBlobs::new(root);
    image.blobs = blobs;
    let dir = tmp.path().join("deep");
    write_oci_layout(&dir, &image, Some("v1")).expect("write");
    let store = ImageStore::oci_layout(&dir, Some("v1")).expect("store");
    let e = err_text(store.blobs(None));
    assert!(e.contains("nested more than"), "{e}");
    let e = err_text(store.image(None));
    assert!(e.contains("nested more than"), "{e}");

    // A root whose bytes are not its digest: digest and copy refuse it.
    let (image, _) = single("linux/amd64");
    let dir = tmp.path().join("corrupt");
    write_oci_layout(&dir, &image, Some("v1")).expect("write");
    let path = layer_blob_path(&dir, &image.root.digest);
    let mut bytes = std::fs::read(&path).expect("root");
    bytes[0] ^= 1;
    std::fs::write(&path, bytes).expect("corrupt");
    let store = ImageStore::oci_layout(&dir, Some("v1")).expect("store");
    let e = err_text(store.root_bytes());
    assert!(e.contains("digest mismatch"), "{e}");
    assert!(store.blobs(None).is_err());

    // An index.json larger than any JSON document is read: refused before
    // it is read, as by every other command.
    let mut big = std::fs::read_to_string(dir.join("index.json")).expect("index");
    big.insert_str(1, &format!("\"pad\":\"{}\",", "x".repeat(9 << 20)));
    std::fs::write(dir.join("index.json"), big).expect("write");
    let e = err_text(ImageStore::oci_layout(&dir, Some("v1")));
    assert!(e.contains("more than the"), "{e}");
}
