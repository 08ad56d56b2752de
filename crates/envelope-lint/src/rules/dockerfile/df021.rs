use crate::image::ImageName;
use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Flags a FROM image whose tag names a channel or only a major
    /// version, so it moves to new releases: a tag with no version number
    /// (`golang:alpine`, `node:lts`, `debian:stable`, `debian:bookworm-slim`,
    /// `ubuntu:jammy`) or a bare major (`alpine:3`, `node:20`,
    /// `golang:1-alpine`). A member of DF001's family: DF001 asks for a
    /// digest on every tag; this rule says which tags say nothing about
    /// the version either.
    ///
    /// Not flagged: tags with at least `major.minor` (`golang:1.23`,
    /// `ubuntu:22.04`, `golang:1.23.4-alpine3.20`; a minor line receives
    /// only fixes), date or build-number tags (`ltsc2022`, `20240101`),
    /// `latest` and no tag (DF002), digest-pinned images, images named
    /// through variables, stage names, `scratch`, and distroless and
    /// Chainguard images (also from a mirror whose path names them), which
    /// publish only channel tags (`nonroot`, `latest`): pin those by digest
    /// (DF001).
    ///
    /// ## Why
    /// Severity info: the build does not break today, but a channel tag
    /// follows new major releases: `golang:alpine` moves to the next Go
    /// release and the next Alpine release, `node:lts` to the next LTS
    /// line, `debian:stable` to the next Debian. The same Dockerfile then
    /// builds with a different compiler, C library or OS, and a reader
    /// cannot tell which one a build used.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:alpine AS build
    /// FROM alpine:3
    /// ```
    ///
    /// ## Fix
    /// Name the release: `golang:1.23-alpine3.20`, `alpine:3.20`, then pin
    /// the digest with `envelope pin Dockerfile`.
    pub struct MovingBaseTag {
        code: "DF021",
        name: "moving-base-tag",
        severity: Info,
        fixable: false,
        enabled: true,
    }
}

impl Rule for MovingBaseTag {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for stage in &cx.stages {
            if stage.parent.is_some() || stage.is_scratch() || stage.image.contains('$') {
                continue;
            }
            let Some(word) = &stage.image_word else {
                continue;
            };
            let name = ImageName::parse(&stage.image);
            if name.digest.is_some() || channel_only_publisher(&name) {
                continue;
            }
            let Some(tag) = name.tag.as_deref() else {
                continue;
            };
            if let Some(why) = moving(tag) {
                out.push(
                    cx.diag(
                        &Self::INFO,
                        word.span,
                        format!("`{}`: the tag `{tag}` {why}", stage.image),
                    )
                    .with_help("name a release (`1.23.4-alpine3.20`, `3.20`), then pin its digest: `envelope pin Dockerfile`"),
                );
            }
        }
    }
}

/// Images published only with channel tags: distroless and Chainguard,
/// also through a mirror (`registry.acme.internal/mirror/distroless/static`).
fn channel_only_publisher(name: &ImageName) -> bool {
    name.registry == "cgr.dev"
        || name
            .repository
            .split('/')
            .any(|part| part == "distroless" || part == "chainguard")
}

/// Why a tag moves to new releases, if it does.
fn moving(tag: &str) -> Option<&'static str> {
    let lower = tag.to_ascii_lowercase();
    if lower == "latest" {
        return None; // DF002
    }
    if !lower.chars().any(|c| c.is_ascii_digit()) {
        return Some("names a channel, not a version");
    }
    // The version is the tag's first part: `1-alpine` → `1`, `20-slim` → `20`.
    let version = lower.split(['-', '_']).next().unwrap_or(&lower);
    let version = version.strip_prefix('v').unwrap_or(version);
    let major_only =
        !version.is_empty() && version.len() <= 3 && version.chars().all(|c| c.is_ascii_digit());
    major_only.then_some("names only a major version")
}

#[cfg(test)]
mod tests {
    use super::moving;

    #[test]
    fn tags() {
        for t in [
            "alpine",
            "lts",
            "stable",
            "bookworm-slim",
            "3",
            "20",
            "1-alpine",
            "v2",
            "lts-alpine",
        ] {
            assert!(moving(t).is_some(), "{t}");
        }
        for t in [
            "1.23",
            "22.04",
            "1.23.4-alpine3.20",
            "3.20",
            "latest",
            "ltsc2022",
            "20240101",
            "1.23-bookworm",
            "bookworm-20240110",
        ] {
            assert!(moving(t).is_none(), "{t}");
        }
    }
}
