//! What a terminating signal's handler does before the process exits:
//! every temporary being written is removed, and no new one is started.
//! Alone in its test binary, since it ends all writing in the process.

use std::io::Write;

use envelope_oci::atomic::{self, AtomicFile, Options};

fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read dir") {
        let e = e.expect("entry");
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out.sort();
    out
}

#[test]
fn removing_the_temporaries_removes_every_live_one_and_refuses_new_ones() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let layout =
        envelope_oci::OciLayout::open_or_create(&tmp.path().join("layout")).expect("layout");
    let mut beside =
        AtomicFile::create(&tmp.path().join("image.tar"), Options::new()).expect("file");
    beside.write_all(&[1u8; 100_000]).expect("write");
    let mut staged = AtomicFile::staged(layout.root(), Options::new()).expect("staged");
    staged.write_all(&[2u8; 100_000]).expect("write");
    // A file already committed is not a temporary any more.
    envelope_oci::write_atomic(&tmp.path().join("done"), b"kept").expect("write");
    let before = files_under(tmp.path());
    assert_eq!(before.len(), 4, "{before:?}");

    assert_eq!(atomic::remove_temporaries(), 2);
    let after = files_under(tmp.path());
    let layout_marker = layout.root().join("oci-layout").display().to_string();
    let done = tmp.path().join("done").display().to_string();
    assert_eq!(after, [done, layout_marker], "{before:?}");

    // The writers find their files gone; new ones are refused.
    assert!(beside.commit().is_err());
    assert!(!tmp.path().join("image.tar").exists());
    let e = AtomicFile::create(&tmp.path().join("later"), Options::new()).expect_err("exiting");
    assert!(e.to_string().contains("exiting"), "{e}");
    assert!(!tmp.path().join("later").exists());
    drop(staged);
    assert_eq!(atomic::remove_temporaries(), 0);
}
