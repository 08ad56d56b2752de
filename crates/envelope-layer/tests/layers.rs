//! Layers are deterministic, readable by GNU tar, and their compressed
//! bytes are pinned by golden digests.

#[cfg(feature = "external-tools")]
use std::process::Command;
use std::sync::Arc;

use envelope_layer::{build_layer, compress_tar, Compression, FileData, LayerBuilder};

type Op = Box<dyn Fn(&mut LayerBuilder)>;

fn sample(reverse: bool) -> LayerBuilder {
    let mut b = LayerBuilder::new(1_700_000_000);
    let mut ops: Vec<Op> = vec![
        Box::new(|b| {
            b.file(
                "etc/passwd",
                FileData::Static(b"root:x:0:0::/root:/sbin/nologin\n"),
                0o644,
                0,
                0,
            )
            .expect("file")
        }),
        Box::new(|b| b.dir("tmp", 0o1777, 0, 0).expect("dir")),
        Box::new(|b| b.dir("/home/nonroot/", 0o700, 65532, 65532).expect("dir")),
        Box::new(|b| {
            b.file(
                "usr/local/bin/app",
                FileData::Bytes(Arc::new(vec![0x7f; 3000])),
                0o755,
                0,
                0,
            )
            .expect("file")
        }),
        Box::new(|b| {
            b.symlink("usr/bin/app", "../local/bin/app", 0, 0)
                .expect("link")
        }),
    ];
    if reverse {
        ops.reverse();
    }
    for op in ops {
        op(&mut b);
    }
    b
}

fn tar_bytes(b: &LayerBuilder) -> Vec<u8> {
    let mut v = Vec::new();
    let n = b.write_tar(&mut v).expect("tar");
    assert_eq!(n, v.len() as u64);
    v
}

#[test]
fn same_entries_in_any_order_give_the_same_bytes() {
    assert_eq!(tar_bytes(&sample(false)), tar_bytes(&sample(true)));
    assert_eq!(tar_bytes(&sample(false)).len() % 512, 0);
}

#[cfg(feature = "external-tools")]
fn gnu_tar(args: &[&str], input: &std::path::Path) -> String {
    let out = Command::new("tar")
        .args(args)
        .arg(input)
        .output()
        .expect("GNU tar is required (bash .ci/install.sh)");
    assert!(
        out.status.success(),
        "tar failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "tar warned: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[cfg(feature = "external-tools")]
#[test]
fn gnu_tar_lists_exactly_the_entries() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = dir.path().join("l.tar");
    std::fs::write(&f, tar_bytes(&sample(false))).expect("write");
    let listing = gnu_tar(&["--numeric-owner", "-tvf"], &f);
    let lines: Vec<(String, String, String)> = listing
        .lines()
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (
                cols[0].to_string(),
                cols[1].to_string(),
                cols[5..].join(" "),
            )
        })
        .collect();
    let want = [
        ("drwxr-xr-x", "0/0", "etc/"),
        ("-rw-r--r--", "0/0", "etc/passwd"),
        ("drwxr-xr-x", "0/0", "home/"),
        ("drwx------", "65532/65532", "home/nonroot/"),
        ("drwxrwxrwt", "0/0", "tmp/"),
        ("drwxr-xr-x", "0/0", "usr/"),
        ("drwxr-xr-x", "0/0", "usr/bin/"),
        ("lrwxrwxrwx", "0/0", "usr/bin/app -> ../local/bin/app"),
        ("drwxr-xr-x", "0/0", "usr/local/"),
        ("drwxr-xr-x", "0/0", "usr/local/bin/"),
        ("-rwxr-xr-x", "0/0", "usr/local/bin/app"),
    ];
    let got: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    assert_eq!(got, want, "{listing}");
    assert!(
        listing.contains("2023-11-14"),
        "mtime is SOURCE_DATE_EPOCH: {listing}"
    );
    // No user or group names: GNU tar without --numeric-owner prints ids too.
    let named = gnu_tar(&["-tvf"], &f);
    assert!(!named.contains("root/root"), "{named}");
}

#[cfg(feature = "external-tools")]
#[test]
fn long_paths_and_hard_links_extract_with_gnu_tar() {
    let mut b = LayerBuilder::new(0);
    let deep = format!(
        "{}/{}/file-with-a-long-name",
        "a".repeat(80),
        "b".repeat(90)
    );
    let very = "c".repeat(250);
    b.file(&deep, FileData::Static(b"deep"), 0o644, 0, 0)
        .expect("file");
    b.file(&very, FileData::Static(b"very"), 0o600, 1, 2)
        .expect("file");
    b.file("z/first", FileData::Static(b"same"), 0o644, 0, 0)
        .expect("file");
    b.hardlink("z/second", "z/first").expect("link");
    assert!(
        b.hardlink("a-link", "z/first").is_err(),
        "a link before its target is refused"
    );
    assert!(b.hardlink("z/third", "missing").is_err());
    let dir = tempfile::tempdir().expect("tmp");
    let f = dir.path().join("l.tar");
    std::fs::write(&f, tar_bytes(&b)).expect("write");
    let out = dir.path().join("x");
    std::fs::create_dir(&out).expect("mkdir");
    let st = Command::new("tar")
        .arg("-xf")
        .arg(&f)
        .arg("-C")
        .arg(&out)
        .status()
        .expect("tar");
    assert!(st.success());
    assert_eq!(std::fs::read(out.join(&deep)).expect("deep"), b"deep");
    assert_eq!(std::fs::read(out.join(&very)).expect("very"), b"very");
    use std::os::unix::fs::MetadataExt;
    let a = std::fs::metadata(out.join("z/first")).expect("first");
    let c = std::fs::metadata(out.join("z/second")).expect("second");
    assert_eq!(a.ino(), c.ino(), "a hard link");
}

#[test]
fn invalid_paths_are_refused() {
    let mut b = LayerBuilder::new(0);
    for p in ["", "/", "a/../b", "./a", "a//b", "a\0b"] {
        assert!(
            b.file(p, FileData::Static(b""), 0o644, 0, 0).is_err(),
            "{p:?}"
        );
    }
    b.file("f", FileData::Static(b""), 0o644, 0, 0)
        .expect("file");
    assert!(
        b.file("f/g", FileData::Static(b""), 0o644, 0, 0).is_err(),
        "under a file"
    );
    assert!(b.dir("f", 0o755, 0, 0).is_err(), "a file is not a dir");
}

/// These digests are in every image envelope makes. A change means the
/// pinned compressors (flate2/zlib-rs, zstd) or the tar writer changed
/// their bytes: every image digest changes with them. Update on purpose only.
#[test]
fn golden_digests() {
    let gz = build_layer(&sample(false), Compression::Gzip).expect("gzip");
    let zs = build_layer(&sample(false), Compression::Zstd).expect("zstd");
    let raw = build_layer(&sample(false), Compression::None).expect("none");
    assert_eq!(gz.diff_id, raw.digest);
    assert_eq!(zs.diff_id, raw.digest);
    assert_eq!(raw.digest.to_string(), GOLDEN_TAR);
    assert_eq!(gz.digest.to_string(), GOLDEN_GZIP);
    assert_eq!(zs.digest.to_string(), GOLDEN_ZSTD);
    assert_eq!(
        &gz.blob[..10],
        &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255],
        "gzip header: no mtime, OS unknown"
    );
    assert_eq!(
        gz.descriptor().media_type,
        "application/vnd.oci.image.layer.v1.tar+gzip"
    );
    assert_eq!(
        zs.descriptor().media_type,
        "application/vnd.oci.image.layer.v1.tar+zstd"
    );
}

const GOLDEN_TAR: &str = "sha256:d10e5bdf38a761db3e8dccbe79ba8192c6bbad13b76344712faa312594d1e93d";
const GOLDEN_GZIP: &str = "sha256:aedc2b07be47a62904e19b2130c2b79fb5183478b350fdce850d69a40dfaf805";
const GOLDEN_ZSTD: &str = "sha256:dfb8b5cff5671996daf3f8f42566c799774cffb20a89a0b44c74b04dabfcc5f9";

#[test]
fn compressed_layers_decompress_to_the_tar() {
    let tar = tar_bytes(&sample(false));
    for c in [Compression::Gzip, Compression::Zstd] {
        let l = compress_tar(&tar, c).expect("compress");
        let mut back = Vec::new();
        match c {
            Compression::Gzip => std::io::Read::read_to_end(
                &mut flate2::read::GzDecoder::new(&l.blob[..]),
                &mut back,
            )
            .expect("gunzip"),
            _ => std::io::Read::read_to_end(
                &mut zstd::stream::read::Decoder::new(&l.blob[..]).expect("zstd"),
                &mut back,
            )
            .expect("unzstd"),
        };
        assert_eq!(back, tar);
        assert_eq!(l.uncompressed_size, tar.len() as u64);
    }
}

#[cfg(feature = "external-tools")]
#[test]
fn a_multi_chunk_gzip_layer_is_read_by_gnu_gzip() {
    let mut data = Vec::new();
    for i in 0..200_000u32 {
        data.extend_from_slice(format!("line {i} of a large file {}\n", i % 97).as_bytes());
    }
    let mut b = LayerBuilder::new(0);
    b.file("big", FileData::Bytes(Arc::new(data.clone())), 0o644, 0, 0)
        .expect("file");
    let layer = build_layer(&b, Compression::Gzip).expect("layer");
    let dir = tempfile::tempdir().expect("tmp");
    let f = dir.path().join("l.tar.gz");
    std::fs::write(&f, &layer.blob[..]).expect("write");
    let out = Command::new("gzip")
        .arg("-t")
        .arg(&f)
        .output()
        .expect("gzip is required");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let x = dir.path().join("x");
    std::fs::create_dir(&x).expect("mkdir");
    let st = Command::new("tar")
        .arg("-xzf")
        .arg(&f)
        .arg("-C")
        .arg(&x)
        .status()
        .expect("tar");
    assert!(st.success());
    assert_eq!(std::fs::read(x.join("big")).expect("big"), data);
}
