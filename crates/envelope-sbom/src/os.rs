//! Parsers for the package databases of Linux distributions, and for
//! `os-release`.
//!
//! All of them are pure functions of the file's text. They never panic and
//! work in one pass over the lines with memory proportional to the result;
//! at most [`MAX_PACKAGES`] packages are returned. Malformed input is not an
//! error: a stanza that lacks a package name or version, or that has a line
//! which is neither a field, a continuation nor a comment, is skipped and the
//! rest of the file is still read. Lines may end in `\n` or `\r\n`.

use crate::{Ecosystem, OsPackage};

/// At most this many packages are returned from one database file (real
/// systems have a few thousand).
pub const MAX_PACKAGES: usize = 200_000;

/// The lines of `text`, without their `\n` or `\r\n`.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l))
}

/// A token-like field value: trimmed, non-empty, without whitespace or
/// control characters.
fn token(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty() && !v.chars().any(|c| c.is_whitespace() || c.is_control()))
        .then(|| v.to_string())
}

/// The fields of one dpkg stanza this module reads.
#[derive(Default)]
struct DebStanza {
    package: Option<String>,
    version: Option<String>,
    architecture: Option<String>,
    status: Option<String>,
    /// Has a line that is neither field, continuation nor comment.
    malformed: bool,
    /// Has at least one line.
    any: bool,
}

impl DebStanza {
    fn line(&mut self, line: &str) {
        self.any = true;
        if line.starts_with([' ', '\t']) || line.starts_with('#') {
            // Continuation of a multi-line field (Description, Conffiles,
            // ...) or a comment: nothing this module reads.
            return;
        }
        let Some((name, value)) = line.split_once(':') else {
            self.malformed = true;
            return;
        };
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            self.malformed = true;
            return;
        }
        let slot = if name.eq_ignore_ascii_case("Package") {
            &mut self.package
        } else if name.eq_ignore_ascii_case("Version") {
            &mut self.version
        } else if name.eq_ignore_ascii_case("Architecture") {
            &mut self.architecture
        } else if name.eq_ignore_ascii_case("Status") {
            &mut self.status
        } else {
            return;
        };
        // The first occurrence of a field wins.
        if slot.is_none() {
            *slot = Some(value.trim().to_string());
        }
    }

    /// The package, if the stanza is well-formed and the package installed.
    /// A stanza without `Status` counts as installed when `status_optional`.
    fn finish(self, status_optional: bool, distro: Option<&str>) -> Option<OsPackage> {
        if self.malformed {
            return None;
        }
        let installed = match &self.status {
            Some(s) => s.ends_with(" installed"),
            None => status_optional,
        };
        if !installed {
            return None;
        }
        Some(OsPackage {
            name: token(self.package.as_deref()?)?,
            version: token(self.version.as_deref()?)?,
            arch: self.architecture.as_deref().and_then(token),
            ecosystem: Ecosystem::Deb,
            distro: distro.map(str::to_string),
        })
    }
}

fn parse_deb822(text: &str, status_optional: bool, distro: Option<&str>) -> Vec<OsPackage> {
    let mut out = Vec::new();
    let mut stanza = DebStanza::default();
    for line in lines(text) {
        if out.len() >= MAX_PACKAGES {
            return out;
        }
        if line.trim().is_empty() {
            let done = std::mem::take(&mut stanza);
            if done.any {
                out.extend(done.finish(status_optional, distro));
            }
        } else {
            stanza.line(line);
        }
    }
    if stanza.any && out.len() < MAX_PACKAGES {
        out.extend(stanza.finish(status_optional, distro));
    }
    out
}

/// The installed packages of a dpkg `status` file (`/var/lib/dpkg/status`).
///
/// Stanzas are separated by blank lines; a line starting with a space or tab
/// continues the previous field. Only stanzas whose `Status` ends in
/// ` installed` count (so `deinstall ok config-files` and
/// `install ok half-installed` do not); `Package`, `Version` and
/// `Architecture` are read, field names case-insensitively. `distro` (such
/// as `debian-12`, see [`distro_id`]) goes into every package.
pub fn parse_dpkg_status(text: &str, distro: Option<&str>) -> Vec<OsPackage> {
    parse_deb822(text, false, distro)
}

/// The packages of one distroless-style `/var/lib/dpkg/status.d/<name>` file:
/// one or more stanzas as in [`parse_dpkg_status`], but a stanza without a
/// `Status` field counts as installed.
pub fn parse_dpkg_status_d(text: &str, distro: Option<&str>) -> Vec<OsPackage> {
    parse_deb822(text, true, distro)
}

/// The fields of one apk stanza this module reads.
#[derive(Default)]
struct ApkStanza {
    name: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    malformed: bool,
    any: bool,
}

impl ApkStanza {
    fn line(&mut self, line: &str) {
        self.any = true;
        let b = line.as_bytes();
        // `K:value` with a one-character ASCII key (byte 1 being ':' means
        // byte 0 is a whole character).
        if b.len() < 2 || b[1] != b':' || !b[0].is_ascii_alphanumeric() {
            self.malformed = true;
            return;
        }
        let value = &line[2..];
        let slot = match b[0] {
            b'P' => &mut self.name,
            b'V' => &mut self.version,
            b'A' => &mut self.arch,
            _ => return,
        };
        if slot.is_none() {
            *slot = Some(value.to_string());
        }
    }

    fn finish(self, distro: Option<&str>) -> Option<OsPackage> {
        if self.malformed {
            return None;
        }
        Some(OsPackage {
            name: token(self.name.as_deref()?)?,
            version: token(self.version.as_deref()?)?,
            arch: self.arch.as_deref().and_then(token),
            ecosystem: Ecosystem::Apk,
            distro: distro.map(str::to_string),
        })
    }
}

/// The packages of an apk database (`/lib/apk/db/installed`): stanzas
/// separated by blank lines, each line `K:value` with a one-letter key;
/// `P` (name), `V` (version) and `A` (architecture) are read. `distro`
/// (such as `alpine-3.20`, see [`distro_id`]) goes into every package.
pub fn parse_apk_installed(text: &str, distro: Option<&str>) -> Vec<OsPackage> {
    let mut out = Vec::new();
    let mut stanza = ApkStanza::default();
    for line in lines(text) {
        if out.len() >= MAX_PACKAGES {
            return out;
        }
        if line.trim().is_empty() {
            let done = std::mem::take(&mut stanza);
            if done.any {
                out.extend(done.finish(distro));
            }
        } else {
            stanza.line(line);
        }
    }
    if stanza.any && out.len() < MAX_PACKAGES {
        out.extend(stanza.finish(distro));
    }
    out
}

/// The value of an os-release assignment: quotes removed (`"..."` with
/// `\"`, `\\`, `` \` `` and `\$` escapes, or `'...'`), else trimmed.
fn unquote(v: &str) -> String {
    let v = v.trim();
    if let Some(inner) = v.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return inner.to_string();
    }
    let Some(inner) = v.strip_prefix('"').and_then(|r| r.strip_suffix('"')) else {
        return v.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(e @ ('"' | '\\' | '`' | '$')) => out.push(e),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The `KEY=value` assignments of an `os-release` file, values unquoted,
/// in file order (a later assignment of a key overrides an earlier one for
/// [`distro_id`]). Blank lines, comments and lines that are not an
/// assignment are left out.
pub fn parse_os_release(text: &str) -> Vec<(String, String)> {
    lines(text)
        .filter_map(|line| {
            let line = line.trim();
            if line.starts_with('#') {
                return None;
            }
            let (k, v) = line.split_once('=')?;
            let k = k.trim();
            if k.is_empty() || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return None;
            }
            Some((k.to_string(), unquote(v)))
        })
        .collect()
}

/// The distribution id of an `os-release` file: `ID` (lowercased), then `-`
/// and `VERSION_ID` cut to its first two dot-separated parts when present,
/// e.g. `debian-12`, `ubuntu-24.04`, `alpine-3.20` (from `3.20.3`). None
/// without a usable `ID` (letters, digits, `.`, `_`, `-`); a `VERSION_ID`
/// with other characters is ignored.
pub fn distro_id(os_release: &str) -> Option<String> {
    let fields = parse_os_release(os_release);
    let last = |key: &str| {
        fields
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
    };
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    };
    let id = last("ID").filter(|id| ok(id))?.to_ascii_lowercase();
    let version = last("VERSION_ID").filter(|v| ok(v)).map(|v| {
        let mut parts = v.splitn(3, '.');
        let major = parts.next().unwrap_or_default();
        match parts.next() {
            Some(minor) => format!("{major}.{minor}"),
            None => major.to_string(),
        }
    });
    Some(match version {
        Some(v) => format!("{id}-{v}"),
        None => id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DPKG_STATUS: &str = "\
Package: base-files
Essential: yes
Status: install ok installed
Priority: required
Section: admin
Installed-Size: 341
Maintainer: Santiago Vila <sanvila@debian.org>
Architecture: amd64
Multi-Arch: foreign
Version: 12.4+deb12u5
Replaces: base, dpkg (<= 1.15.0), miscutils
Provides: base
Conffiles:
 /etc/debian_version 3bd0a5a6c6bbc2d0c5c9e1b6b8d2a1f4
 /etc/dpkg/origins/debian c47b6815f67ad1aeccb0d4529bd0b990
Description: Debian base system miscellaneous files
 This package contains the basic filesystem hierarchy of a Debian system, and
 several important miscellaneous files, such as /etc/debian_version,
 /etc/host.conf, /etc/issue, /etc/motd, /etc/profile, and others,
 .
 Package: not-a-package
 Version: 0.0
Homepage: https://tracker.debian.org/pkg/base-files

Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12986
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u7
Depends: libgcc-s1
Description: GNU C Library: Shared libraries
\tContains the standard libraries that are used by nearly all programs on
\tthe system.

Package: libc6
Status: install ok installed
Architecture: i386
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u7
Description: GNU C Library: Shared libraries

Package: old-config-only
Status: deinstall ok config-files
Priority: optional
Architecture: all
Version: 1.0-1
Description: removed, only its conffiles remain

Package: half
Status: install reinstreq half-installed
Architecture: amd64
Version: 3.1
Description: interrupted installation

Package: tzdata
Status: hold ok installed
Architecture: all
Version: 2024a-0+deb12u1
Description: time zone and daylight-saving time data
";

    fn names(pkgs: &[OsPackage]) -> Vec<(&str, &str, Option<&str>)> {
        pkgs.iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.arch.as_deref()))
            .collect()
    }

    #[test]
    fn dpkg_status_installed_only() {
        let pkgs = parse_dpkg_status(DPKG_STATUS, Some("debian-12"));
        assert_eq!(
            names(&pkgs),
            [
                ("base-files", "12.4+deb12u5", Some("amd64")),
                ("libc6", "2.36-9+deb12u7", Some("amd64")),
                ("libc6", "2.36-9+deb12u7", Some("i386")),
                ("tzdata", "2024a-0+deb12u1", Some("all")),
            ]
        );
        assert!(pkgs
            .iter()
            .all(|p| p.ecosystem == Ecosystem::Deb && p.distro.as_deref() == Some("debian-12")));
    }

    #[test]
    fn dpkg_status_crlf_and_no_distro() {
        let crlf = DPKG_STATUS.replace('\n', "\r\n");
        let pkgs = parse_dpkg_status(&crlf, None);
        assert_eq!(names(&pkgs), names(&parse_dpkg_status(DPKG_STATUS, None)));
        assert!(pkgs.iter().all(|p| p.distro.is_none()));
    }

    #[test]
    fn dpkg_status_requires_status() {
        let text = "Package: a\nVersion: 1\nArchitecture: amd64\n";
        assert!(parse_dpkg_status(text, None).is_empty());
        assert_eq!(parse_dpkg_status_d(text, None).len(), 1);
    }

    #[test]
    fn dpkg_field_names_case_and_whitespace() {
        let text =
            "package:  zlib1g \nVERSION:\t1:1.2.13.dfsg-1\nstatus: install ok installed\n\n\n\n";
        let pkgs = parse_dpkg_status(text, None);
        assert_eq!(names(&pkgs), [("zlib1g", "1:1.2.13.dfsg-1", None)]);
    }

    #[test]
    fn dpkg_malformed_stanzas_are_skipped() {
        let text = "\
Package: good
Status: install ok installed
Version: 1.0

Package: no-version
Status: install ok installed

Status: install ok installed
Version: 2.0

Package: garbage-line
Status: install ok installed
Version: 1.0
this line has no colon

Package: two words
Status: install ok installed
Version: 1.0

Package: also-good
Status: install ok installed
Version: 2.0
";
        assert_eq!(
            names(&parse_dpkg_status(text, None)),
            [("good", "1.0", None), ("also-good", "2.0", None)]
        );
    }

    #[test]
    fn whitespace_only_lines_separate_stanzas() {
        let text = "Package: a\nVersion: 1\n  \t\nPackage: b\nVersion: 2\n";
        assert_eq!(
            names(&parse_dpkg_status_d(text, None)),
            [("a", "1", None), ("b", "2", None)]
        );
    }

    #[test]
    fn distroless_status_d() {
        // As in gcr.io/distroless/base-debian12: /var/lib/dpkg/status.d/libssl3
        let text = "\
Package: libssl3
Source: openssl
Version: 3.0.15-1~deb12u1
Architecture: amd64
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>
Installed-Size: 6343
Depends: libc6 (>= 2.34)
Section: libs
Priority: optional
Multi-Arch: same
Homepage: https://www.openssl.org/
Description: Secure Sockets Layer toolkit - shared libraries
 This package is part of the OpenSSL project's implementation of the SSL
 and TLS cryptographic protocols for secure communication over the
 Internet.
 .
 It provides the libssl and libcrypto shared libraries.
";
        let pkgs = parse_dpkg_status_d(text, Some("debian-12"));
        assert_eq!(
            names(&pkgs),
            [("libssl3", "3.0.15-1~deb12u1", Some("amd64"))]
        );
        assert_eq!(pkgs[0].distro.as_deref(), Some("debian-12"));

        // Several stanzas in one file; one with a Status that says removed.
        let multi = "Package: a\nVersion: 1\n\nPackage: b\nVersion: 2\nStatus: deinstall ok config-files\n\nPackage: c\nVersion: 3\nStatus: install ok installed\n";
        assert_eq!(
            names(&parse_dpkg_status_d(multi, None)),
            [("a", "1", None), ("c", "3", None)]
        );
    }

    const APK_INSTALLED: &str = "\
C:Q1p78yvTLG094tHE1+dToJGbmYzQE=
P:alpine-baselayout-data
V:3.6.5-r0
A:x86_64
S:11235
I:77824
T:Alpine base dir structure and init scripts
U:https://git.alpinelinux.org/cgit/aports/tree/main/alpine-baselayout
L:GPL-2.0-only
o:alpine-baselayout
m:Natanael Copa <ncopa@alpinelinux.org>
t:1714981135
c:66187892e05b03a41d08e9acabd19b7576a1c875
r:alpine-baselayout
q:1000
F:etc
R:fstab
Z:Q11Q7hNe8QpDS531guqCdrXBzoA/o=
R:group
Z:Q12Otk4M39fP2Zjkobu0nC9FvlRI0=

C:Q1FxNwJ6DRKTlPyyhxUHd4Zq9EH6o=
P:musl
V:1.2.5-r0
A:x86_64
S:411323
I:667648
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1712682880
c:a5d6b4d8d1a3e2b4e8a6f1c1b7d4e1f2a3b4c5d6
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1gGyDZpAbkhQCdBKwCBRBfGk0g8s=
R:libc.musl-x86_64.so.1

C:Q1xyz
P:no-version
A:x86_64

C:Q1abc
P:busybox
V:1.36.1-r29
A:x86_64
D:so:libc.musl-x86_64.so.1
";

    #[test]
    fn apk_installed() {
        let pkgs = parse_apk_installed(APK_INSTALLED, Some("alpine-3.20"));
        assert_eq!(
            names(&pkgs),
            [
                ("alpine-baselayout-data", "3.6.5-r0", Some("x86_64")),
                ("musl", "1.2.5-r0", Some("x86_64")),
                ("busybox", "1.36.1-r29", Some("x86_64")),
            ]
        );
        assert!(pkgs
            .iter()
            .all(|p| p.ecosystem == Ecosystem::Apk && p.distro.as_deref() == Some("alpine-3.20")));
        let crlf = APK_INSTALLED.replace('\n', "\r\n");
        assert_eq!(parse_apk_installed(&crlf, Some("alpine-3.20")), pkgs);
    }

    #[test]
    fn apk_provides_is_not_the_name_and_bad_lines_skip() {
        let text = "p:cmd:sh=1\nP:busybox-binsh\nV:1.36.1-r29\n\nP:broken\nV:1\nthis is not a field\n\nÜ:x\nP:u\nV:1\n";
        assert_eq!(
            names(&parse_apk_installed(text, None)),
            [("busybox-binsh", "1.36.1-r29", None)]
        );
    }

    #[test]
    fn os_release() {
        let debian = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL=\"https://www.debian.org/\"\n";
        assert_eq!(distro_id(debian).as_deref(), Some("debian-12"));
        let alpine = "NAME=\"Alpine Linux\"\r\nID=alpine\r\nVERSION_ID=3.20.3\r\nPRETTY_NAME=\"Alpine Linux v3.20\"\r\n";
        assert_eq!(distro_id(alpine).as_deref(), Some("alpine-3.20"));
        let ubuntu = "# comment\nID='ubuntu'\nID_LIKE=debian\nVERSION_ID=\"24.04\"\n";
        assert_eq!(distro_id(ubuntu).as_deref(), Some("ubuntu-24.04"));
        assert_eq!(distro_id("ID=Debian\n").as_deref(), Some("debian"));
        assert_eq!(
            distro_id("ID=debian\nVERSION_ID=\"1 2\"\n").as_deref(),
            Some("debian")
        );
        assert_eq!(distro_id("VERSION_ID=12\n"), None);
        assert_eq!(distro_id("ID=\"\"\n"), None);
        assert_eq!(distro_id("ID=\"deb ian\"\n"), None);
        assert_eq!(distro_id(""), None);
        assert_eq!(
            parse_os_release("A=\"x \\\"y\\\" \\$z \\n\"\nnot an assignment\n=v\nB = 'q' \n"),
            [
                ("A".to_string(), "x \"y\" $z \\n".to_string()),
                ("B".to_string(), "q".to_string()),
            ]
        );
    }

    #[test]
    fn garbage_does_not_panic() {
        let inputs = [
            "",
            "\n\n\n",
            ":",
            "P:",
            "P",
            "\r",
            " continuation first\nPackage: x\nVersion: 1\n",
            "Package:\nVersion:\n",
            "\u{0}\u{1}\u{2}:\u{3}",
            "Package: é\nVersion: ü\n\n",
            "ID=\"unterminated\nVERSION_ID='\n",
        ];
        for t in inputs {
            let _ = parse_dpkg_status(t, None);
            let _ = parse_dpkg_status_d(t, Some("x"));
            let _ = parse_apk_installed(t, None);
            let _ = distro_id(t);
        }
        // A leading continuation line is tolerated (nothing to continue).
        assert_eq!(
            names(&parse_dpkg_status_d(inputs[6], None)),
            [("x", "1", None)]
        );
        // A non-ASCII name is kept as is (it is a token).
        assert_eq!(parse_dpkg_status_d(inputs[9], None).len(), 1);
    }

    #[test]
    fn bounded() {
        let mut text = String::new();
        for i in 0..(MAX_PACKAGES + 10) {
            text.push_str(&format!("P:p{i}\nV:1\n\n"));
        }
        assert_eq!(parse_apk_installed(&text, None).len(), MAX_PACKAGES);
    }

    fn check(pkgs: &[OsPackage]) {
        for p in pkgs {
            assert!(!p.name.is_empty() && !p.version.is_empty());
            for s in [Some(&p.name), Some(&p.version), p.arch.as_ref()]
                .into_iter()
                .flatten()
            {
                assert!(
                    !s.chars().any(|c| c.is_whitespace() || c.is_control()),
                    "{s:?}"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let text = String::from_utf8_lossy(&bytes);
            let line_count = text.split('\n').count();
            for pkgs in [
                parse_dpkg_status(&text, None),
                parse_dpkg_status_d(&text, Some("debian-12")),
                parse_apk_installed(&text, None),
            ] {
                check(&pkgs);
                prop_assert!(pkgs.len() <= line_count);
            }
            let _ = distro_id(&text);
        }

        #[test]
        fn line_soup_never_panics(lines in proptest::collection::vec(
            prop_oneof![
                Just(String::new()),
                Just("Status: install ok installed".to_string()),
                Just("Status: deinstall ok config-files".to_string()),
                "Package: [a-z0-9+.-]{0,8}",
                "Version: [0-9a-z:.~+-]{0,8}",
                "[PVA]:[ -~]{0,8}",
                "[ \\t][ -~]{0,10}",
                "[ -~]{0,12}",
                "(ID|VERSION_ID)=[\"']?[ -~]{0,8}",
            ],
            0..40,
        ), crlf in any::<bool>()) {
            let text = lines.join(if crlf { "\r\n" } else { "\n" });
            check(&parse_dpkg_status(&text, None));
            check(&parse_dpkg_status_d(&text, None));
            check(&parse_apk_installed(&text, None));
            let _ = distro_id(&text);
        }

        #[test]
        fn rendered_packages_round_trip(pkgs in proptest::collection::vec(
            ("[a-z0-9][a-z0-9+.-]{0,12}", "[0-9][0-9a-z:.~+-]{0,10}", proptest::option::of("(amd64|arm64|all|i386)")),
            0..20,
        )) {
            let mut dpkg = String::new();
            let mut apk = String::new();
            for (name, version, arch) in &pkgs {
                dpkg.push_str(&format!("Package: {name}\nStatus: install ok installed\nVersion: {version}\n"));
                apk.push_str(&format!("C:Q1abc=\nP:{name}\nV:{version}\n"));
                if let Some(a) = arch {
                    dpkg.push_str(&format!("Architecture: {a}\n"));
                    apk.push_str(&format!("A:{a}\n"));
                }
                dpkg.push_str("Description: some package\n more text\n .\n\n");
                apk.push('\n');
            }
            let want: Vec<(&str, &str, Option<&str>)> = pkgs
                .iter()
                .map(|(n, v, a)| (n.as_str(), v.as_str(), a.as_deref()))
                .collect();
            let from_dpkg = parse_dpkg_status(&dpkg, None);
            let from_apk = parse_apk_installed(&apk, None);
            prop_assert_eq!(names(&from_dpkg), want.clone());
            prop_assert_eq!(names(&from_apk), want);
        }
    }
}
