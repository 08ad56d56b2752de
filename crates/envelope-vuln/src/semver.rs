//! Go module versions, compared the way `golang.org/x/mod/semver` does.
//!
//! A version is `vMAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]`. The
//! shorthands `v1` and `v1.2` stand for `v1.0.0` and `v1.2.0` (and take no
//! prerelease or build suffix). Prereleases compare as in Semantic
//! Versioning 2.0; build metadata (including `+incompatible`) is ignored.
//! Every invalid string sorts below every valid version, and invalid
//! strings are all equal to each other, so [`compare`] is a total preorder
//! on all strings.
//!
//! Pseudo-versions such as `v0.0.0-20191109021931-daa7c04131f5` need no
//! special case: they are prereleases and the rules put them in the right
//! place.
//!
//! The Go vulnerability database writes versions without the `v`
//! (`"0.3.8"`, `"0"`); [`compare_osv`] and [`canonical_osv`] deal with that.
//! Go toolchain versions (`go1.21rc2`) convert with
//! [`go_toolchain_to_semver`] and back with [`semver_to_go_toolchain`].

use std::cmp::Ordering;

/// The parts of a valid version, borrowed from the string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed<'a> {
    pub major: &'a str,
    /// `"0"` when the version was the `v1` shorthand.
    pub minor: &'a str,
    /// `"0"` when the version was a `v1` or `v1.2` shorthand.
    pub patch: &'a str,
    /// Without the leading `-`; empty for a release.
    pub prerelease: &'a str,
    /// Without the leading `+`; empty when there is none.
    pub build: &'a str,
}

/// Splits a valid version into its parts; `None` when it is not valid.
pub fn parse(v: &str) -> Option<Parsed<'_>> {
    let rest = v.strip_prefix('v')?;
    let (major, rest) = take_num(rest)?;
    if rest.is_empty() {
        return Some(Parsed {
            major,
            minor: "0",
            patch: "0",
            prerelease: "",
            build: "",
        });
    }
    let (minor, rest) = take_num(rest.strip_prefix('.')?)?;
    if rest.is_empty() {
        return Some(Parsed {
            major,
            minor,
            patch: "0",
            prerelease: "",
            build: "",
        });
    }
    let (patch, mut rest) = take_num(rest.strip_prefix('.')?)?;
    let mut prerelease = "";
    if let Some(r) = rest.strip_prefix('-') {
        let end = r.find('+').unwrap_or(r.len());
        prerelease = &r[..end];
        if !valid_idents(prerelease, true) {
            return None;
        }
        rest = &r[end..];
    }
    let mut build = "";
    if let Some(r) = rest.strip_prefix('+') {
        build = r;
        if !valid_idents(build, false) {
            return None;
        }
        rest = "";
    }
    if !rest.is_empty() {
        return None;
    }
    Some(Parsed {
        major,
        minor,
        patch,
        prerelease,
        build,
    })
}

/// A decimal number without leading zeros at the start of `s`.
fn take_num(s: &str) -> Option<(&str, &str)> {
    let end = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    if end == 0 || (end > 1 && s.as_bytes()[0] == b'0') {
        return None;
    }
    Some((&s[..end], &s[end..]))
}

/// Dot-separated, non-empty identifiers of `[0-9A-Za-z-]`; in a prerelease
/// a numeric identifier may not have leading zeros.
fn valid_idents(s: &str, prerelease: bool) -> bool {
    s.split('.').all(|id| {
        !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !(prerelease && id.len() > 1 && is_num(id) && id.starts_with('0'))
    })
}

fn is_num(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Compares decimal strings without leading zeros (of any length).
fn compare_num(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn compare_prerelease(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let mut xs = a.split('.');
    let mut ys = b.split('.');
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let ord = match (is_num(x), is_num(y)) {
                    (true, true) => compare_num(x, y),
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => x.cmp(y),
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

/// Compares two parsed versions (build metadata ignored).
pub fn compare_parsed(a: &Parsed<'_>, b: &Parsed<'_>) -> Ordering {
    compare_num(a.major, b.major)
        .then_with(|| compare_num(a.minor, b.minor))
        .then_with(|| compare_num(a.patch, b.patch))
        .then_with(|| compare_prerelease(a.prerelease, b.prerelease))
}

/// Compares two versions (with the `v`). Invalid versions are equal to
/// each other and lower than every valid one.
pub fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => compare_parsed(&x, &y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => Ordering::Equal,
    }
}

/// Whether `v` is a valid version (with the `v`).
pub fn is_valid(v: &str) -> bool {
    parse(v).is_some()
}

/// The canonical form: shorthands expanded, build metadata dropped
/// (`v1.2+meta` → `v1.2.0`). `None` for an invalid version.
pub fn canonical(v: &str) -> Option<String> {
    let p = parse(v)?;
    let mut out = format!("v{}.{}.{}", p.major, p.minor, p.patch);
    if !p.prerelease.is_empty() {
        out.push('-');
        out.push_str(p.prerelease);
    }
    Some(out)
}

/// Adds the `v` the Go vulnerability database leaves off (`"0.3.8"` →
/// `"v0.3.8"`, `"0"` → `"v0"`). A version that already has a `v` is kept;
/// a `go` prefix is dropped the way govulncheck does (`go1.2` → `v1.2`).
pub fn canonical_osv(v: &str) -> String {
    if v.starts_with('v') {
        v.to_string()
    } else if let Some(rest) = v.strip_prefix("go") {
        format!("v{rest}")
    } else {
        format!("v{v}")
    }
}

/// Compares a module version (with the `v`) with a version as the Go
/// vulnerability database writes it (without the `v`).
pub fn compare_osv(module_version: &str, osv_version: &str) -> Ordering {
    compare(module_version, &canonical_osv(osv_version))
}

/// The module version of a Go toolchain version, as the vulnerability
/// database's `stdlib` and `toolchain` modules use them:
/// `go1.21rc2` → `v1.21.0-rc.2`, `go1.20` → `v1.20.0`, `go1.19beta1` →
/// `v1.19.0-beta.1`, `go1.23.5 X:boringcrypto` → `v1.23.5`. Vendor
/// suffixes after a `-` (`go1.22.0-bigcorp`) are dropped. `None` for
/// development builds (`devel go1.24-abc`) and anything else unparsable.
pub fn go_toolchain_to_semver(version: &str) -> Option<String> {
    let tag = version.split_whitespace().next()?;
    let tag = tag.strip_prefix("go")?;
    let tag = tag.split('-').next().unwrap_or(tag);
    let (major, rest) = take_num(tag)?;
    let (minor, rest) = match rest.strip_prefix('.') {
        Some(r) => take_num(r)?,
        None => ("0", rest),
    };
    let (patch, rest) = match rest.strip_prefix('.') {
        Some(r) => take_num(r)?,
        None => ("0", rest),
    };
    let mut out = format!("v{major}.{minor}.{patch}");
    if !rest.is_empty() {
        let kind_end = rest
            .bytes()
            .position(|b| !b.is_ascii_lowercase())
            .unwrap_or(rest.len());
        let (kind, num) = rest.split_at(kind_end);
        if !matches!(kind, "rc" | "beta" | "alpha") {
            return None;
        }
        let (n, tail) = take_num(num)?;
        if !tail.is_empty() {
            return None;
        }
        out.push('-');
        out.push_str(kind);
        out.push('.');
        out.push_str(n);
    }
    Some(out)
}

/// A version as people write it: Go's own (`go1.25.9`) for the standard
/// library (`stdlib`), the module version otherwise.
pub fn shown(module: &str, version: &str) -> String {
    if module == "stdlib" {
        if let Some(go) = semver_to_go_toolchain(version) {
            return go;
        }
    }
    version.to_string()
}

/// The Go toolchain version of a module version of `stdlib` or
/// `toolchain`: `v1.21.0-rc.2` → `go1.21rc2`, `v1.20.0` → `go1.20`,
/// `v1.21.0` → `go1.21.0` (from Go 1.21 on the first release keeps its
/// `.0`), `v1.23.6` → `go1.23.6`. `None` when the version is not one a Go
/// release could have.
pub fn semver_to_go_toolchain(version: &str) -> Option<String> {
    let p = parse(version)?;
    let mut out = format!("go{}.{}", p.major, p.minor);
    let new_style = p.major != "1" || compare_num(p.minor, "21") != Ordering::Less;
    if p.prerelease.is_empty() {
        if p.patch != "0" || new_style {
            out.push('.');
            out.push_str(p.patch);
        }
        if p.minor == "0" && p.patch == "0" && p.major == "1" {
            return Some("go1".to_string());
        }
        return Some(out);
    }
    let (kind, n) = p.prerelease.split_once('.')?;
    if !matches!(kind, "rc" | "beta" | "alpha") || !is_num(n) {
        return None;
    }
    if p.patch != "0" {
        out.push('.');
        out.push_str(p.patch);
    }
    out.push_str(kind);
    out.push_str(n);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_writes_the_standard_library_as_go_does() {
        assert_eq!(shown("stdlib", "v1.23.5"), "go1.23.5");
        assert_eq!(shown("stdlib", "v1.20.0"), "go1.20");
        assert_eq!(shown("stdlib", "not-a-version"), "not-a-version");
        assert_eq!(shown("example.com/m", "v1.23.5"), "v1.23.5");
    }

    #[test]
    fn parse_parts() {
        let p = parse("v1.2.3-pre.1+build.5").expect("valid");
        assert_eq!(
            (p.major, p.minor, p.patch, p.prerelease, p.build),
            ("1", "2", "3", "pre.1", "build.5")
        );
        let p = parse("v1").expect("valid");
        assert_eq!((p.major, p.minor, p.patch), ("1", "0", "0"));
        for bad in [
            "",
            "v",
            "1.2.3",
            "v1.",
            "v1.2.",
            "v01.2.3",
            "v1.02.3",
            "v1.2.03",
            "v1-pre",
            "v1.2-pre",
            "v1.2+meta",
            "v1.2.3-",
            "v1.2.3-01",
            "v1.2.3-a..b",
            "v1.2.3+",
            "v1.2.3+a_b",
            "v1.2.3.4",
            "v1.2.3 ",
            "V1.2.3",
            "v1.2.3-é",
        ] {
            assert!(parse(bad).is_none(), "{bad:?} should be invalid");
        }
        assert!(
            parse("v1.2.3+001").is_some(),
            "leading zeros allowed in build"
        );
        assert!(
            parse("v1.2.3-0a").is_some(),
            "alphanumeric may start with 0"
        );
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(canonical("v1").as_deref(), Some("v1.0.0"));
        assert_eq!(canonical("v1.2").as_deref(), Some("v1.2.0"));
        assert_eq!(canonical("v2.0.0+incompatible").as_deref(), Some("v2.0.0"));
        assert_eq!(canonical("v1.0.0-rc.1+x").as_deref(), Some("v1.0.0-rc.1"));
        assert_eq!(canonical("bad"), None);
        assert_eq!(canonical_osv("0.3.8"), "v0.3.8");
        assert_eq!(canonical_osv("v0.3.8"), "v0.3.8");
        assert_eq!(canonical_osv("go1.2"), "v1.2");
    }
}
