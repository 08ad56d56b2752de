use crate::image::ImageName;
use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Flags a FROM image from a registry that is not in
    /// `trusted-registries` (the `[lint]` table of envelope.toml). An image
    /// with no registry written comes from `docker.io`. An entry may be a
    /// registry (`gcr.io`, `docker.io`), a registry with a path prefix
    /// (`ghcr.io/acme`), or a wildcard for subdomains
    /// (`*.dkr.ecr.eu-west-1.amazonaws.com`). Stage names, `scratch` and
    /// images still holding a variable are not judged.
    ///
    /// With no `trusted-registries` configured (the default) the rule
    /// reports nothing.
    ///
    /// ## Why
    /// Where base images come from is a supply-chain decision: an
    /// organization that mirrors and scans images in its own registry wants
    /// every build to use the mirror, and a typo-squatted or personal
    /// Docker Hub image should not slip into a build unnoticed.
    ///
    /// ## Example
    /// With `trusted-registries = ["gcr.io", "registry.acme.internal"]`:
    ///
    /// ```dockerfile
    /// FROM golang:1.23 AS build
    /// FROM quay.io/someone/runtime:1.0
    /// ```
    ///
    /// ## Fix
    /// Use the image from a trusted registry (mirror it there), or add its
    /// registry to `trusted-registries` if it is trusted.
    pub struct UntrustedRegistry {
        code: "DF013",
        name: "untrusted-registry",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl Rule for UntrustedRegistry {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let trusted = &cx.settings.trusted_registries;
        if trusted.is_empty() {
            return;
        }
        for stage in &cx.stages {
            if stage.parent.is_some() || stage.is_scratch() || stage.image.contains('$') {
                continue;
            }
            let Some(word) = &stage.image_word else {
                continue;
            };
            if stage.image.is_empty() {
                continue;
            }
            let name = ImageName::parse(&stage.image.to_ascii_lowercase());
            if trusted.iter().any(|t| is_trusted(t, &name)) {
                continue;
            }
            out.push(
                cx.diag(
                    &Self::INFO,
                    word.span,
                    format!(
                        "`{}` comes from `{}`, which is not a trusted registry",
                        stage.image, name.registry
                    ),
                )
                .with_help(format!(
                    "use an image from {} (lint.trusted-registries), or add the registry there",
                    trusted
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
    }
}

/// Docker Hub's other names.
fn canonical(registry: &str) -> &str {
    match registry {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => "docker.io",
        r => r,
    }
}

/// Does the trusted entry (`gcr.io`, `ghcr.io/acme`, `*.example.com`) cover
/// the image?
fn is_trusted(entry: &str, image: &ImageName) -> bool {
    let entry = entry.trim().trim_end_matches('/').to_ascii_lowercase();
    let entry = entry
        .strip_prefix("https://")
        .or_else(|| entry.strip_prefix("http://"))
        .unwrap_or(&entry);
    let (host, prefix) = match entry.split_once('/') {
        Some((h, p)) => (h, Some(p)),
        None => (entry, None),
    };
    let registry = canonical(&image.registry);
    let host_ok = match host.strip_prefix("*.") {
        Some(suffix) => registry
            .strip_suffix(suffix)
            .is_some_and(|r| r.ends_with('.')),
        None => canonical(host) == registry,
    };
    if !host_ok {
        return false;
    }
    let Some(prefix) = prefix else {
        return true;
    };
    // Docker Hub official images live under `library/`.
    let repo = if registry == "docker.io" && !image.repository.contains('/') {
        format!("library/{}", image.repository)
    } else {
        image.repository.clone()
    };
    repo == prefix || repo.starts_with(&format!("{prefix}/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(entry: &str, image: &str) -> bool {
        is_trusted(entry, &ImageName::parse(image))
    }

    #[test]
    fn entries() {
        assert!(t("docker.io", "golang:1.23"));
        assert!(t("index.docker.io", "alpine"));
        assert!(t("gcr.io", "gcr.io/distroless/static"));
        assert!(!t("gcr.io", "us.gcr.io/x/y"));
        assert!(t("*.gcr.io", "us.gcr.io/x/y"));
        assert!(!t("*.gcr.io", "gcr.io/x/y"));
        assert!(t("ghcr.io/acme", "ghcr.io/acme/base:1"));
        assert!(!t("ghcr.io/acme", "ghcr.io/acmecorp/base:1"));
        assert!(t("docker.io/library", "golang:1.23"));
        assert!(!t("docker.io/library", "someone/golang:1.23"));
        assert!(t("localhost:5000", "localhost:5000/app"));
    }
}
