use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Notes an image without the OCI labels that lead back to its source:
    /// `org.opencontainers.image.source`, `.revision` and `.version`.
    ///
    /// ## Why
    /// They tell anyone holding the image where it came from and which commit
    /// it is, for patching, provenance and incident response.
    ///
    /// ## Example
    /// An image built without `LABEL` lines or `--label` options.
    ///
    /// ## Fix
    /// Set them at build time (`envelope build --label`, or `LABEL` with values
    /// from build arguments).
    pub struct MissingLabels {
        code: "IM013",
        name: "missing-oci-labels",
        severity: Info,
        fixable: false,
        enabled: true,
    }
}

impl ImageRule for MissingLabels {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        let labels = cx.labels();
        let missing: Vec<String> = ["source", "revision", "version"]
            .iter()
            .map(|w| format!("org.opencontainers.image.{w}"))
            .filter(|k| labels.get(k).is_none_or(|v| v.trim().is_empty()))
            .collect();
        if missing.is_empty() {
            return;
        }
        out.push(
            cx.diag(
                &Self::INFO,
                format!("the image lacks the label(s) {}", missing.join(", ")),
            )
            .with_help("set them at build time so the image leads back to its source"),
        );
    }
}
