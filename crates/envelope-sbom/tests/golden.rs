//! Golden files: fixed inputs rendered in both formats must match
//! tests/golden/*.json byte for byte. `UPDATE_GOLDEN=1 cargo test -p
//! envelope-sbom --test golden` rewrites them.
//!
//! Also: the output does not depend on the order of the input lists, and
//! any change of the input but its time changes the document's identity.

mod common;

use std::path::{Path, PathBuf};

use envelope_sbom::{cyclonedx_json, spdx_json, SbomInput};

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn check_golden(name: &str, actual: &[u8]) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("golden dir");
        std::fs::write(&path, actual).expect("writing golden file");
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run UPDATE_GOLDEN=1 cargo test -p envelope-sbom --test golden",
            path.display()
        )
    });
    if expected != actual {
        let exp = String::from_utf8_lossy(&expected);
        let act = String::from_utf8_lossy(actual);
        let (line, (e, a)) = exp
            .lines()
            .zip(act.lines())
            .enumerate()
            .find(|(_, (e, a))| e != a)
            .unwrap_or((
                exp.lines().count().min(act.lines().count()),
                ("<end>", "<end>"),
            ));
        panic!(
            "{name} differs from the golden file at line {}:\n  expected: {e}\n  actual:   {a}\n\
             (if the change is intended: UPDATE_GOLDEN=1 cargo test -p envelope-sbom --test golden)",
            line + 1
        );
    }
}

#[test]
fn image_spdx() {
    check_golden(
        "image.spdx.json",
        &spdx_json(&common::image()).expect("spdx"),
    );
}

#[test]
fn image_cyclonedx() {
    check_golden(
        "image.cdx.json",
        &cyclonedx_json(&common::image()).expect("cdx"),
    );
}

#[test]
fn binary_spdx() {
    check_golden(
        "binary.spdx.json",
        &spdx_json(&common::bare_binary()).expect("spdx"),
    );
}

#[test]
fn binary_cyclonedx() {
    check_golden(
        "binary.cdx.json",
        &cyclonedx_json(&common::bare_binary()).expect("cdx"),
    );
}

/// Every list in a different order, and some entries twice.
fn shuffled(input: &SbomInput) -> SbomInput {
    let mut s = input.clone();
    s.binaries.reverse();
    for b in &mut s.binaries {
        b.deps.reverse();
        if let Some(d) = b.deps.first().cloned() {
            b.deps.push(d);
        }
        let n = b.settings.len();
        b.settings.rotate_left(n / 2);
        if let Some(kv) = b.settings.last().cloned() {
            b.settings.insert(0, kv);
        }
    }
    if let Some(b) = s.binaries.first().cloned() {
        s.binaries.push(b);
    }
    let n = s.os_packages.len();
    s.os_packages.rotate_right(2.min(n));
    s.os_packages.reverse();
    if let Some(p) = s.os_packages.get(1).cloned() {
        s.os_packages.push(p);
    }
    s
}

#[test]
fn input_order_does_not_matter() {
    for (name, input) in common::all() {
        let other = shuffled(&input);
        if name != "empty" {
            assert_ne!(input, other, "{name}: the shuffle changed nothing");
        }
        assert_eq!(
            spdx_json(&input).expect("spdx"),
            spdx_json(&other).expect("spdx"),
            "{name}: SPDX"
        );
        assert_eq!(
            cyclonedx_json(&input).expect("cdx"),
            cyclonedx_json(&other).expect("cdx"),
            "{name}: CycloneDX"
        );
        assert_eq!(input.content_hash(), other.content_hash(), "{name}");
        // Rendering twice gives the same bytes.
        assert_eq!(
            spdx_json(&input).expect("spdx"),
            spdx_json(&input).expect("spdx")
        );
    }
}

fn identity(input: &SbomInput) -> (String, String) {
    let spdx = common::spdx(input);
    let cdx = common::cdx(input);
    (
        spdx["documentNamespace"]
            .as_str()
            .expect("namespace")
            .to_string(),
        cdx["serialNumber"].as_str().expect("serial").to_string(),
    )
}

/// An edit of an input.
type Change = fn(&mut SbomInput);

#[test]
fn any_change_changes_the_identity() {
    let base = common::image();
    let (namespace, serial) = identity(&base);
    assert!(
        namespace.starts_with("https://envelope.dev/spdx/"),
        "{namespace}"
    );
    assert!(serial.starts_with("urn:uuid:"), "{serial}");

    let changes: Vec<(&str, Change)> = vec![
        ("dep version", |i| {
            i.binaries[0].deps[0].version = "v1.8.1".into()
        }),
        ("dep sum", |i| i.binaries[0].deps[0].sum = None),
        ("setting", |i| i.binaries[1].settings[0].1 = "pie".into()),
        ("go version", |i| {
            i.binaries[1].go_version = "go1.23.5".into()
        }),
        ("binary digest", |i| i.binaries[0].sha256 = None),
        ("os package", |i| {
            i.os_packages[2].version = "2.36-9+deb12u8".into()
        }),
        ("one fewer os package", |i| {
            i.os_packages.pop();
        }),
        ("subject digest", |i| i.subject.digest = None),
        ("subject name", |i| i.subject.name.push('x')),
        ("tool version", |i| i.tool_version = "0.1.1".into()),
    ];
    for (what, change) in changes {
        let mut changed = base.clone();
        change(&mut changed);
        let (n, s) = identity(&changed);
        assert_ne!(n, namespace, "{what}: documentNamespace");
        assert_ne!(s, serial, "{what}: serialNumber");
    }

    // The time is not part of the identity: the same content described at
    // another time (SOURCE_DATE_EPOCH or not) is the same document.
    let mut later = base.clone();
    later.subject.created = Some("2025-01-01T00:00:00Z".to_string());
    assert_eq!(identity(&later), (namespace.clone(), serial.clone()));
    later.subject.created = None;
    assert_eq!(identity(&later), (namespace, serial));
    assert_ne!(
        spdx_json(&later).expect("spdx"),
        spdx_json(&base).expect("spdx")
    );
}
