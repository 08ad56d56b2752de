//! The tar reader against sparse files as GNU tar writes them.

#![cfg(feature = "external-tools")]

use std::io::Read;
use std::process::Command;

use envelope_oci::tar::read::{Reader, Seekable, TarError};

/// A file of `size` bytes with `data` written at each offset, the rest
/// holes.
fn holey(path: &std::path::Path, size: u64, data: &[(u64, &[u8])]) -> Vec<u8> {
    let f = std::fs::File::create(path).expect("create");
    f.set_len(size).expect("truncate");
    drop(f);
    let mut want = vec![0u8; usize::try_from(size).expect("small")];
    for &(at, bytes) in data {
        let status = Command::new("dd")
            .arg(format!("of={}", path.display()))
            .arg("bs=1")
            .arg(format!("seek={at}"))
            .arg("conv=notrunc")
            .arg("status=none")
            .stdin(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().expect("stdin").write_all(bytes)?;
                c.wait()
            })
            .expect("dd is required");
        assert!(status.success());
        let at = usize::try_from(at).expect("small");
        want[at..at + bytes.len()].copy_from_slice(bytes);
    }
    assert_eq!(std::fs::read(path).expect("read"), want);
    want
}

/// An entry's name, size, whether it was expanded, and its data.
type ReadEntry = (String, u64, bool, Vec<u8>);

/// Every entry of `tar`, with the bytes its data reads as.
fn read_all(tar: &[u8]) -> Result<Vec<ReadEntry>, TarError> {
    let mut r = Reader::new(Seekable::new(std::io::Cursor::new(tar)), 1 << 20);
    let mut out = Vec::new();
    while let Some(e) = r.next_entry()? {
        let mut data = Vec::new();
        r.data().read_to_end(&mut data).expect("data");
        let name = String::from_utf8(e.name).expect("utf-8");
        out.push((name, e.size, e.expanded, data));
    }
    Ok(out)
}

#[test]
fn gnu_tar_sparse_files_read_as_their_real_name_and_bytes() {
    let dir = tempfile::tempdir().expect("tmp");
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("usr/local/bin")).expect("mkdir");
    let app = holey(
        &src.join("usr/local/bin/app"),
        3 << 20,
        &[
            (0, b"\x7fELF-go-binary"),
            (1 << 20, b"in the middle"),
            ((3 << 20) - 3, b"end"),
        ],
    );
    // A hole at the end too.
    let tail = holey(&src.join("tail"), 200_000, &[(70_000, b"x")]);
    std::fs::write(src.join("plain"), b"plain").expect("write");
    for version in ["1.0", "0.1", "0.0"] {
        let tar = dir.path().join(format!("{version}.tar"));
        let status = Command::new("tar")
            .arg("--sparse")
            .arg("--format=posix")
            .arg(format!("--sparse-version={version}"))
            .arg("-cf")
            .arg(&tar)
            .arg("-C")
            .arg(&src)
            .args(["usr/local/bin/app", "tail", "plain"])
            .status()
            .expect("GNU tar is required");
        assert!(status.success(), "{version}");
        let bytes = std::fs::read(&tar).expect("read");
        // Stored sparse: far smaller than the files.
        assert!(bytes.len() < 1 << 20, "{version}: {}", bytes.len());
        let got = read_all(&bytes).expect("reads");
        let names: Vec<_> = got.iter().map(|g| g.0.as_str()).collect();
        assert_eq!(names, ["usr/local/bin/app", "tail", "plain"], "{version}");
        assert_eq!(got[0].1, 3 << 20, "{version}");
        assert!(got[0].2, "{version}");
        assert!(got[0].3 == app, "{version}: the expanded bytes differ");
        assert_eq!(got[1].1, 200_000, "{version}");
        assert!(got[1].3 == tail, "{version}: the tail differs");
        assert!(!got[2].2);
        assert_eq!(got[2].3, b"plain");

        // Cut or flipped anywhere: an error or entries, never a panic.
        for n in (0..bytes.len()).step_by(61) {
            let _ = read_all(&bytes[..n]);
        }
        for i in (0..bytes.len().min(8192)).step_by(7) {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x5a;
            let _ = read_all(&flipped);
        }
    }
}
