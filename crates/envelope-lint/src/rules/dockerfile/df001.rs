use crate::image::ImageName;
use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Flags a FROM image that is not pinned to a digest (`@sha256:...`).
    /// Stage names, `scratch`, and images still holding a variable that no
    /// global ARG default resolves are not flagged. An image that comes from
    /// a global ARG default is flagged with the value it resolves to.
    ///
    /// ## Why
    /// A tag is a pointer the publisher moves: `golang:1.23` and
    /// `alpine:3.20` are rebuilt for every patch release and security update.
    /// Without a digest the same Dockerfile builds a different image from one
    /// day to the next, a compromised or mistaken push reaches your build
    /// unnoticed, and nobody can tell later which base an image was built
    /// on. A digest names exactly one image; tools such as Renovate and
    /// Dependabot keep pinned digests up to date.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23 AS build
    /// FROM gcr.io/distroless/static-debian12:nonroot
    /// ```
    ///
    /// ## Fix
    /// Run `envelope pin Dockerfile`: it looks up the current digest of each
    /// tag and writes `image:tag@sha256:...`, keeping the tag for readers and
    /// update tools. (Not applied by `--fix`, which works offline.) It
    /// leaves lines with variables alone: for an image that comes from an
    /// ARG, put the digest in the ARG default.
    pub struct BaseNotPinned {
        code: "DF001",
        name: "base-not-pinned",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl Rule for BaseNotPinned {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for stage in &cx.stages {
            if stage.parent.is_some() || stage.is_scratch() || stage.image.is_empty() {
                continue;
            }
            let Some(word) = &stage.image_word else {
                continue;
            };
            // An image still holding a variable is decided at build time.
            if stage.image.contains('$') {
                continue;
            }
            if ImageName::parse(&stage.image).digest.is_some() {
                continue;
            }
            let from_arg = word.value.contains('$');
            let message = if from_arg {
                format!(
                    "`{}` (from `{}`) is not pinned to a digest",
                    stage.image, word.value
                )
            } else {
                format!("`{}` is not pinned to a digest", stage.image)
            };
            let help = if from_arg {
                "add `@sha256:...` to the ARG default or the FROM line (`envelope pin` leaves lines with variables alone)"
            } else {
                "`envelope pin Dockerfile` adds the current digest: `image:tag@sha256:...`"
            };
            out.push(cx.diag(&Self::INFO, word.span, message).with_help(help));
        }
    }
}
