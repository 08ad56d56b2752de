//! Package URL construction (<https://github.com/package-url/purl-spec>).
//!
//! Every component (namespace segment, name, version, qualifier value) is
//! percent-encoded: only ASCII letters, digits and `.-_~` stay literal. `/`
//! separates namespace segments and is never encoded between segments, but an
//! empty segment is dropped. Qualifiers are emitted sorted by key.

use crate::{Ecosystem, OsPackage};

/// Percent-encodes one PURL component.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Builds a PURL from its parts. `path` is `namespace/.../name`; each `/`
/// separated segment is encoded on its own. Qualifiers with empty values are
/// dropped; the rest are sorted by key.
pub fn build(ty: &str, path: &str, version: Option<&str>, qualifiers: &[(&str, &str)]) -> String {
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(encode_component)
        .collect();
    let mut out = format!("pkg:{ty}/{}", segments.join("/"));
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        out.push('@');
        out.push_str(&encode_component(v));
    }
    let mut qs: Vec<(&str, &str)> = qualifiers
        .iter()
        .copied()
        .filter(|(_, v)| !v.is_empty())
        .collect();
    qs.sort();
    for (i, (k, v)) in qs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(&k.to_ascii_lowercase());
        out.push('=');
        out.push_str(&encode_component(v));
    }
    out
}

/// `pkg:golang/<module path>@<version>`; a `(devel)` or empty version is left out.
pub fn golang(module_path: &str, version: Option<&str>) -> String {
    let version = version.filter(|v| !v.is_empty() && *v != "(devel)");
    build("golang", module_path, version, &[])
}

/// `pkg:golang/stdlib@<version>` from a Go toolchain version such as
/// `go1.23.4` or `go1.23.4 X:boringcrypto` (→ `1.23.4`).
pub fn golang_stdlib(go_version: &str) -> Option<String> {
    let v = stdlib_version(go_version)?;
    Some(build("golang", "stdlib", Some(&v), &[]))
}

/// The toolchain version as the binary reports it, without experiments:
/// `go1.23.4 X:boringcrypto` → `go1.23.4`; a development toolchain's
/// `devel go1.24-abcdef Tue Jul 2 ...` → `go1.24-abcdef`. This is the
/// version of the `stdlib` package (syft's convention).
pub fn go_toolchain_version(go_version: &str) -> Option<String> {
    let mut words = go_version.split_whitespace();
    let first = match words.next()? {
        "devel" => words.next()?,
        w => w,
    };
    Some(first.to_string())
}

/// The Go version without the `go` prefix and any experiment suffix
/// (`go1.23.4 X:boringcrypto` → `1.23.4`): the PURL version of `stdlib`.
pub fn stdlib_version(go_version: &str) -> Option<String> {
    let v = go_toolchain_version(go_version)?;
    let v = v.strip_prefix("go").unwrap_or(&v);
    if v.is_empty() {
        None
    } else {
        Some(v.to_string())
    }
}

/// The distribution name of a distro id such as `debian-12` (→ `debian`).
pub fn distro_name(distro: Option<&str>, default: &str) -> String {
    distro
        .and_then(|d| d.split('-').next())
        .filter(|d| !d.is_empty())
        .map_or_else(|| default.to_string(), str::to_ascii_lowercase)
}

/// `pkg:deb/<distro-name>/<name>@<version>?arch=<arch>&distro=<distro>` or
/// `pkg:apk/<distro-name, default alpine>/<name>@<version>?arch=<arch>&distro=<distro>`.
pub fn os_package(p: &OsPackage) -> String {
    let (ty, default_ns) = match p.ecosystem {
        Ecosystem::Deb => ("deb", "debian"),
        Ecosystem::Apk => ("apk", "alpine"),
    };
    let ns = distro_name(p.distro.as_deref(), default_ns);
    let path = format!("{}/{}", encode_component(&ns), encode_component(&p.name));
    // Segments are already encoded; build() would double-encode '%', so assemble here.
    let mut out = format!("pkg:{ty}/{path}");
    if !p.version.is_empty() {
        out.push('@');
        out.push_str(&encode_component(&p.version));
    }
    let quals = build(
        "x",
        "x",
        None,
        &[
            ("arch", p.arch.as_deref().unwrap_or("")),
            ("distro", p.distro.as_deref().unwrap_or("")),
        ],
    );
    if let Some(idx) = quals.find('?') {
        out.push_str(&quals[idx..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(encode_component("a@b c+d:e/f"), "a%40b%20c%2Bd%3Ae%2Ff");
        assert_eq!(encode_component("v1.2.3-rc.1_x~y"), "v1.2.3-rc.1_x~y");
        assert_eq!(encode_component("ü"), "%C3%BC");
    }

    #[test]
    fn golang_keeps_path_segments() {
        assert_eq!(
            golang("github.com/spf13/cobra", Some("v1.8.0")),
            "pkg:golang/github.com/spf13/cobra@v1.8.0"
        );
        assert_eq!(
            golang("github.com/a/b", Some("v2.0.0+incompatible")),
            "pkg:golang/github.com/a/b@v2.0.0%2Bincompatible"
        );
        assert_eq!(
            golang("example.com/we@ird/mod", Some("v0.0.0-2024")),
            "pkg:golang/example.com/we%40ird/mod@v0.0.0-2024"
        );
    }

    #[test]
    fn devel_has_no_version() {
        assert_eq!(
            golang("example.com/svc", Some("(devel)")),
            "pkg:golang/example.com/svc"
        );
        assert_eq!(
            golang("example.com/svc", None),
            "pkg:golang/example.com/svc"
        );
    }

    #[test]
    fn stdlib() {
        assert_eq!(
            golang_stdlib("go1.23.4").as_deref(),
            Some("pkg:golang/stdlib@1.23.4")
        );
        assert_eq!(
            golang_stdlib("go1.22.1 X:boringcrypto").as_deref(),
            Some("pkg:golang/stdlib@1.22.1")
        );
        assert_eq!(golang_stdlib(""), None);
        assert_eq!(golang_stdlib("go"), None);
        assert_eq!(
            golang_stdlib("devel go1.24-2b8b7b8 Tue Jul 2 10:00:00 2024 +0000").as_deref(),
            Some("pkg:golang/stdlib@1.24-2b8b7b8")
        );
    }

    #[test]
    fn toolchain_version() {
        assert_eq!(
            go_toolchain_version("go1.23.4").as_deref(),
            Some("go1.23.4")
        );
        assert_eq!(
            go_toolchain_version("go1.22.1 X:boringcrypto").as_deref(),
            Some("go1.22.1")
        );
        assert_eq!(
            go_toolchain_version("devel go1.24-2b8b7b8 Tue Jul 2").as_deref(),
            Some("go1.24-2b8b7b8")
        );
        assert_eq!(go_toolchain_version("  "), None);
        assert_eq!(go_toolchain_version("devel"), None);
    }

    #[test]
    fn deb_and_apk() {
        let deb = OsPackage {
            name: "libc6".into(),
            version: "2.36-9+deb12u4".into(),
            arch: Some("amd64".into()),
            ecosystem: Ecosystem::Deb,
            distro: Some("debian-12".into()),
        };
        assert_eq!(
            os_package(&deb),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"
        );
        let epoch = OsPackage {
            name: "tzdata".into(),
            version: "1:2024a-0".into(),
            arch: None,
            ecosystem: Ecosystem::Deb,
            distro: None,
        };
        assert_eq!(os_package(&epoch), "pkg:deb/debian/tzdata@1%3A2024a-0");
        let apk = OsPackage {
            name: "musl".into(),
            version: "1.2.5-r0".into(),
            arch: Some("x86_64".into()),
            ecosystem: Ecosystem::Apk,
            distro: None,
        };
        assert_eq!(os_package(&apk), "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64");
    }
}
