use crate::image::ImageName;
use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Flags a FROM image with no tag or with the `latest` tag (and no
    /// digest). Stage names and `scratch` are not images and are never
    /// flagged.
    ///
    /// ## Why
    /// `latest` is whatever was pushed last: the same Dockerfile builds a
    /// different image tomorrow, a major version can arrive unannounced, and
    /// nobody can tell later which version a build used.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang AS build
    /// FROM alpine:latest
    /// ```
    ///
    /// ## Fix
    /// Name a version (`golang:1.23`, `alpine:3.20`), and better, pin its
    /// digest with `envelope pin Dockerfile`.
    pub struct LatestOrNoTag {
        code: "DF002",
        name: "image-latest-or-untagged",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl Rule for LatestOrNoTag {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for stage in &cx.stages {
            if stage.parent.is_some() || stage.is_scratch() {
                continue;
            }
            let Some(word) = &stage.image_word else {
                continue;
            };
            // An image still holding a variable is decided at build time.
            if stage.image.contains('$') {
                continue;
            }
            let name = ImageName::parse(&stage.image);
            if name.digest.is_some() {
                continue;
            }
            let message = match name.tag.as_deref() {
                None => format!("`{}` has no tag, so it means `latest`", stage.image),
                Some("latest") => format!("`{}` uses the mutable `latest` tag", stage.image),
                Some(_) => continue,
            };
            out.push(
                cx.diag(&Self::INFO, word.span, message)
                    .with_help("name a version, then pin it: `envelope pin Dockerfile`"),
            );
        }
    }
}
