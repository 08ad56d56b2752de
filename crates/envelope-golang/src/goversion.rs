//! Go toolchain versions as the build info records them (`go1.23.4`,
//! `go1.24rc1`, `go1.22.0 X:boringcrypto`, `devel go1.25-abcdef ...`), and
//! whether the Go project still supports them.
//!
//! The Go project supports the two newest minor releases (security fixes
//! go to both); anything older is out of support. What "newest" means is
//! fixed at the time this table was written, see [`KNOWN_GO_MINORS`].

use std::cmp::Ordering;
use std::fmt;

use serde::Serialize;

use crate::BuildInfo;

/// A pre-release of a minor version (`go1.24rc1`, `go1.21beta2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Prerelease {
    Beta(u32),
    Rc(u32),
}

/// A released (or pre-released) Go toolchain version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct GoVersion {
    pub major: u32,
    pub minor: u32,
    /// 0 for `go1.21.0`, for pre-releases and for the `go1.20` form that
    /// releases before Go 1.21 used for their `.0`.
    pub patch: u32,
    /// `Some` for a beta or release candidate, which precede the `.0`.
    pub pre: Option<Prerelease>,
}

impl Ord for GoVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        // A pre-release comes before the release it precedes.
        let key = |v: &GoVersion| (v.major, v.minor, v.pre.is_none(), v.pre, v.patch);
        key(self).cmp(&key(other))
    }
}

impl PartialOrd for GoVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for GoVersion {
    /// Go's spelling: `go1.23.4`, `go1.24rc1`, `go1.21beta2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "go{}.{}", self.major, self.minor)?;
        match self.pre {
            Some(Prerelease::Beta(n)) => write!(f, "beta{n}"),
            Some(Prerelease::Rc(n)) => write!(f, "rc{n}"),
            None => write!(f, ".{}", self.patch),
        }
    }
}

/// Leading ASCII digits of `s` as a number, and the rest; `None` without
/// digits or on overflow.
fn number(s: &str) -> Option<(u32, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 || end > 9 {
        return None;
    }
    Some((s[..end].parse().ok()?, &s[end..]))
}

impl GoVersion {
    /// Parses a Go version string: `go1.23.4`, `go1.23` (a `.0` before Go
    /// 1.21), `go1.24rc1`, `go1.21beta2`. What follows the version after a
    /// space, `-` or `+` is ignored: GOEXPERIMENT suffixes (`go1.22.0
    /// X:boringcrypto`, `go1.22.0-X:boringcrypto`) and vendor builds
    /// (`go1.21.0-bigcorp`). Development builds (`devel +abc`, `devel
    /// go1.25-abcdef`) are not releases and give `None`, as does anything
    /// else.
    pub fn parse(s: &str) -> Option<GoVersion> {
        let s = s.trim().strip_prefix("go")?;
        let (major, rest) = number(s)?;
        let (minor, mut rest) = match rest.strip_prefix('.') {
            Some(r) => number(r)?,
            // "go1" is Go 1.0.
            None => (0, rest),
        };
        let mut patch = 0;
        let mut pre = None;
        if let Some(r) = rest.strip_prefix('.') {
            (patch, rest) = number(r)?;
        } else if let Some(r) = rest.strip_prefix("rc") {
            let (n, r) = number(r)?;
            pre = Some(Prerelease::Rc(n));
            rest = r;
        } else if let Some(r) = rest.strip_prefix("beta") {
            let (n, r) = number(r)?;
            pre = Some(Prerelease::Beta(n));
            rest = r;
        }
        if !(rest.is_empty() || rest.starts_with([' ', '-', '+'])) {
            return None;
        }
        Some(GoVersion {
            major,
            minor,
            patch,
            pre,
        })
    }
}

/// The toolchain version a binary was built with, from its build info.
pub fn go_version(bi: &BuildInfo) -> Option<GoVersion> {
    GoVersion::parse(&bi.go_version)
}

/// The minor versions of Go 1 this tool knows, oldest first: 1.0 to 1.27.
///
/// The newest, **1.27**, was released in August 2026 (its 1.27.3 patch
/// release is current as of December 2026). The supported minors are the
/// two newest: 1.27 and 1.26. When Go 1.28 is released, append 28 here
/// (the supported pair moves with it); until then a binary built with 1.28
/// is reported as newer than every release this tool knows.
pub const KNOWN_GO_MINORS: &[u32] = &[
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
    26, 27,
];

/// How many of the newest minors the Go project supports.
const SUPPORTED_MINORS: usize = 2;

/// Whether the Go project still supports a toolchain version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Support {
    /// One of the two newest minors (pre-releases of them included).
    Supported,
    /// An older minor: no more security fixes. `newest` is the newest
    /// minor this tool knows, as `1.27`.
    OutOfSupport { newest: String },
    /// A Go 1 minor newer than every one this tool knows (a pre-release of
    /// the next one, or a release after this tool's table): the table is
    /// out of date, not the binary. `newest` as in `OutOfSupport`.
    Newer { newest: String },
    /// Not a Go 1 version.
    Unknown,
}

/// Whether `v` is supported, judged against [`KNOWN_GO_MINORS`].
pub fn go_support(v: GoVersion) -> Support {
    let Some(&newest) = KNOWN_GO_MINORS.last() else {
        return Support::Unknown;
    };
    if v.major != 1 {
        return Support::Unknown;
    }
    let newest_name = format!("1.{newest}");
    if v.minor > newest {
        return Support::Newer {
            newest: newest_name,
        };
    }
    let supported = &KNOWN_GO_MINORS[KNOWN_GO_MINORS.len().saturating_sub(SUPPORTED_MINORS)..];
    if supported.contains(&v.minor) {
        Support::Supported
    } else {
        Support::OutOfSupport {
            newest: newest_name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(major: u32, minor: u32, patch: u32, pre: Option<Prerelease>) -> Option<GoVersion> {
        Some(GoVersion {
            major,
            minor,
            patch,
            pre,
        })
    }

    #[test]
    fn parses_go_spellings() {
        for (s, want) in [
            ("go1.23.4", v(1, 23, 4, None)),
            ("go1.24rc1", v(1, 24, 0, Some(Prerelease::Rc(1)))),
            ("go1.21beta2", v(1, 21, 0, Some(Prerelease::Beta(2)))),
            ("go1.22.0-X:boringcrypto", v(1, 22, 0, None)),
            ("go1.22.0 X:boringcrypto", v(1, 22, 0, None)),
            ("go1.21.0-bigcorp", v(1, 21, 0, None)),
            ("go1.20", v(1, 20, 0, None)),
            ("go1", v(1, 0, 0, None)),
            ("go1.26.1\n", v(1, 26, 1, None)),
            ("devel +abc", None),
            ("devel go1.25-abcdef Tue Jan 1 00:00:00 2025 +0000", None),
            ("", None),
            ("go", None),
            ("go1.", None),
            ("go1.x", None),
            ("go1.23.", None),
            ("go1.23rc", None),
            ("go1.23.4beta1", None),
            ("go1.23gamma1", None),
            ("go99999999999.1", None),
            ("1.23.4", None),
        ] {
            assert_eq!(GoVersion::parse(s), want, "{s:?}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in ["go1.23.4", "go1.24rc1", "go1.21beta2", "go1.26.0"] {
            assert_eq!(
                GoVersion::parse(s).map(|v| v.to_string()).as_deref(),
                Some(s)
            );
        }
    }

    #[test]
    fn ordering_puts_prereleases_first() {
        let p = |s| GoVersion::parse(s).expect(s);
        assert!(p("go1.24beta1") < p("go1.24rc1"));
        assert!(p("go1.24rc1") < p("go1.24rc2"));
        assert!(p("go1.24rc2") < p("go1.24.0"));
        assert!(p("go1.24.0") < p("go1.24.1"));
        assert!(p("go1.23.10") < p("go1.24rc1"));
    }

    #[test]
    fn random_strings_parse_consistently() {
        // Strings from Go-version-like pieces: never a panic, and whatever
        // parses prints back to something that parses the same.
        const PIECES: &[&str] = &[
            "go",
            "1",
            ".",
            "23",
            "0",
            "rc",
            "beta",
            "4294967295",
            "99999",
            "-",
            " ",
            "X:",
            "devel",
            "+",
            "é",
            "\u{0}",
            "9",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..50_000 {
            let mut s = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let n = (state % 8) as usize;
            let mut x = state;
            for _ in 0..n {
                s.push_str(PIECES[(x % PIECES.len() as u64) as usize]);
                x /= PIECES.len() as u64;
            }
            if let Some(v) = GoVersion::parse(&s) {
                assert_eq!(GoVersion::parse(&v.to_string()), Some(v), "{s:?}");
                let _ = go_support(v);
            }
        }
    }

    #[test]
    fn support_window() {
        assert_eq!(KNOWN_GO_MINORS.last(), Some(&27));
        let s = |x| go_support(GoVersion::parse(x).expect(x));
        assert_eq!(s("go1.27.3"), Support::Supported);
        assert_eq!(s("go1.27rc1"), Support::Supported);
        assert_eq!(s("go1.26.8"), Support::Supported);
        let out = Support::OutOfSupport {
            newest: "1.27".into(),
        };
        assert_eq!(s("go1.25.9"), out);
        assert_eq!(s("go1.23.5"), out);
        assert_eq!(s("go1.19.8"), out);
        let newer = Support::Newer {
            newest: "1.27".into(),
        };
        assert_eq!(s("go1.28rc1"), newer);
        assert_eq!(s("go1.28.0"), newer);
        assert_eq!(s("go1.99.1"), newer);
        assert_eq!(s("go2.0.0"), Support::Unknown);
    }
}
