//! Platforms (`OS/ARCH[/VARIANT]`) and the one rule every command uses to
//! match them: OS and architecture equal ignoring case, and the variant
//! too when the wanted platform names one, a missing variant being the
//! architecture's default (`arm64` is `arm64/v8`, `arm` is `arm/v7`,
//! `amd64` is `amd64/v1`). Image indexes, registry pulls and base images
//! all choose their manifest through [`Platform::matches`] and
//! [`Platform::choose`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    pub architecture: String,
    pub os: String,
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_version: Option<String>,
    #[serde(
        rename = "os.features",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_features: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// The variant an architecture has when none is written.
pub fn default_variant(arch: &str) -> Option<&'static str> {
    match arch.to_ascii_lowercase().as_str() {
        "arm64" => Some("v8"),
        "arm" => Some("v7"),
        "amd64" => Some("v1"),
        _ => None,
    }
}

impl Platform {
    /// `OS/ARCH` with no variant.
    pub fn new(os: &str, architecture: &str) -> Platform {
        Platform {
            architecture: architecture.to_string(),
            os: os.to_string(),
            os_version: None,
            os_features: None,
            variant: None,
        }
    }

    /// linux/amd64, the platform chosen when none is asked for and an
    /// image has several.
    pub fn linux_amd64() -> Platform {
        Platform::new("linux", "amd64")
    }

    /// The variant, or the architecture's default, lower-cased.
    pub fn effective_variant(&self) -> Option<String> {
        self.variant
            .as_deref()
            .or_else(|| default_variant(&self.architecture))
            .map(str::to_ascii_lowercase)
    }

    /// `have` is this platform: OS and architecture equal (ignoring case),
    /// and the variant too when this one names it, a missing variant being
    /// the architecture's default (`arm64` ⇒ `v8`).
    pub fn matches(&self, have: &Platform) -> bool {
        self.os.eq_ignore_ascii_case(&have.os)
            && self.architecture.eq_ignore_ascii_case(&have.architecture)
            && (self.variant.is_none() || self.effective_variant() == have.effective_variant())
    }

    /// The index of the item whose platform best matches this one: among
    /// those that match, the one with the architecture's default variant
    /// when this platform names none, else the first.
    pub fn choose<T>(
        &self,
        items: &[T],
        platform: impl Fn(&T) -> Option<&Platform>,
    ) -> Option<usize> {
        let matching: Vec<usize> = (0..items.len())
            .filter(|&i| platform(&items[i]).is_some_and(|p| self.matches(p)))
            .collect();
        if self.variant.is_none() {
            let default = default_variant(&self.architecture).map(str::to_string);
            if let Some(&i) = matching
                .iter()
                .find(|&&i| platform(&items[i]).and_then(Platform::effective_variant) == default)
            {
                return Some(i);
            }
        }
        matching.first().copied()
    }
}

impl FromStr for Platform {
    type Err = Error;

    fn from_str(s: &str) -> Result<Platform, Error> {
        let err = || Error::InvalidPlatform {
            value: s.to_string(),
        };
        let parts: Vec<&str> = s.split('/').collect();
        let ok = |p: &str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        };
        if !(2..=3).contains(&parts.len()) || !parts.iter().all(|p| ok(p)) {
            return Err(err());
        }
        Ok(Platform {
            os: parts[0].to_ascii_lowercase(),
            architecture: parts[1].to_ascii_lowercase(),
            os_version: None,
            os_features: None,
            variant: parts.get(2).map(|v| v.to_ascii_lowercase()),
        })
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_and_prints() {
        let x = p("linux/arm/v7");
        assert_eq!(
            (x.os.as_str(), x.architecture.as_str(), x.variant.as_deref()),
            ("linux", "arm", Some("v7"))
        );
        assert_eq!(x.to_string(), "linux/arm/v7");
        for bad in [
            "linux",
            "linux/",
            "/amd64",
            "linux/amd64/v8/x",
            "linux/am d64",
            "",
        ] {
            let e = bad.parse::<Platform>().expect_err(bad).to_string();
            assert!(e.contains("OS/ARCH"), "{e}");
        }
    }

    #[test]
    fn default_variants_match() {
        assert!(p("linux/arm64/v8").matches(&p("linux/arm64")));
        assert!(p("linux/arm64").matches(&p("linux/arm64/v8")));
        assert!(p("linux/ARM64").matches(&p("Linux/arm64")));
        assert!(!p("linux/arm64/v9").matches(&p("linux/arm64")));
        assert!(p("linux/arm/v7").matches(&p("linux/arm")));
        assert!(!p("linux/arm/v6").matches(&p("linux/arm")));
        assert!(p("linux/arm").matches(&p("linux/arm/v6")));
        assert!(!p("linux/amd64").matches(&p("linux/arm64")));
        assert!(!p("windows/amd64").matches(&p("linux/amd64")));
    }

    #[test]
    fn choose_prefers_the_default_variant() {
        let items = [
            Some(p("linux/arm/v6")),
            Some(p("linux/arm/v7")),
            None,
            Some(p("linux/arm64")),
        ];
        fn get(x: &Option<Platform>) -> Option<&Platform> {
            x.as_ref()
        }
        assert_eq!(p("linux/arm").choose(&items, get), Some(1));
        assert_eq!(p("linux/arm/v6").choose(&items, get), Some(0));
        assert_eq!(p("linux/arm64/v8").choose(&items, get), Some(3));
        assert_eq!(p("linux/s390x").choose(&items, get), None);
    }
}
