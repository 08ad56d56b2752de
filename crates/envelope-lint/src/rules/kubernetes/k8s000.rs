use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Reports a manifest file that cannot be read: YAML (or JSON) that does not
    /// parse, at the line and column where the parser stopped, and a template
    /// (`{{ }}` outside string values, as in a Helm chart's `templates/`) that
    /// must be rendered before it is a manifest. Documents before a syntax error
    /// are still checked.
    ///
    /// ## Why
    /// A file that does not parse is not applied by `kubectl` either, and a
    /// template's real content is only known once rendered: checking the
    /// template text would judge YAML that never reaches the cluster.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   replicas: {{ .Values.replicas }}
    /// ```
    ///
    /// ## Fix
    /// Fix the YAML at the position shown, or lint the rendered output:
    /// `helm template RELEASE CHART | envelope lint -`, `kustomize build DIR |
    /// envelope lint -`.
    pub struct Unreadable {
        code: "K8S000",
        name: "manifest-unreadable",
        severity: Error,
        fixable: false,
        enabled: true,
    }
}

impl KubeRule for Unreadable {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        // Reported while reading the file (crate::kubernetes::lint).
        let _ = (cx, out);
    }
}
