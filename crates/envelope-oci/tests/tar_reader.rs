//! The tar reader against archives GNU tar writes, and against garbage.

#![cfg(feature = "external-tools")]

use std::process::Command;

use envelope_oci::tar::{list_members, read_member};

#[test]
fn reads_what_gnu_tar_writes_in_every_format() {
    let dir = tempfile::tempdir().expect("tmp");
    let src = dir.path().join("src");
    let long_dir = "d".repeat(120);
    std::fs::create_dir_all(src.join(&long_dir)).expect("mkdir");
    let long_file = format!("{long_dir}/{}", "f".repeat(90));
    std::fs::write(src.join(&long_file), b"long").expect("write");
    std::fs::write(src.join("small"), vec![7u8; 1500]).expect("write");
    for format in ["gnu", "pax", "ustar"] {
        let tar = dir.path().join(format!("{format}.tar"));
        let mut cmd = Command::new("tar");
        cmd.arg(format!("--format={format}"))
            .arg("-cf")
            .arg(&tar)
            .arg("-C")
            .arg(&src)
            .arg("small");
        if format != "ustar" {
            cmd.arg(&long_file);
        }
        assert!(cmd.status().expect("GNU tar is required").success());
        let mut f = std::fs::File::open(&tar).expect("open");
        let members = list_members(&mut f, 100).expect("lists");
        assert_eq!(members["small"].size, 1500, "{format}");
        assert_eq!(
            read_member(&mut f, &members["small"], 1 << 20).expect("read"),
            vec![7u8; 1500]
        );
        if format != "ustar" {
            let m = members
                .get(&long_file)
                .unwrap_or_else(|| panic!("{format}: {members:?}"));
            assert_eq!(read_member(&mut f, m, 1 << 20).expect("read"), b"long");
        }
        // Cut anywhere: an error, never a panic.
        let bytes = std::fs::read(&tar).expect("read");
        for n in (0..bytes.len()).step_by(97) {
            let _ = list_members(&mut std::io::Cursor::new(&bytes[..n]), 100);
        }
        let mut flipped = bytes.clone();
        for i in (0..flipped.len()).step_by(13) {
            flipped[i] ^= 0x5a;
        }
        let _ = list_members(&mut std::io::Cursor::new(&flipped[..]), 100);
    }
}
