use crate::kubernetes::{as_int, items, KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags a `containerPort` that the container's image does not declare,
    /// when the image declares ports at all (its config's `ExposedPorts`,
    /// from `EXPOSE` or `envelope build --port`); the protocol counts
    /// (`8080/tcp` is not `8080/udp`). Runs only when images are looked up
    /// (`--image-dir` or `--images registry`) and the image was found.
    ///
    /// ## Why
    /// A port the image does not serve is a Service that answers nothing, a
    /// probe that fails, or a manifest written for another version of the
    /// image. An image's declared ports are documentation, not a
    /// guarantee, so this is information to check, not an error.
    ///
    /// ## Example
    /// ```yaml
    /// ports:
    /// - containerPort: 80     # the image exposes 8080/tcp
    /// ```
    ///
    /// ## Fix
    /// Use the port the image serves, or declare it when building the image.
    pub struct PortNotExposed {
        code: "K8S028",
        name: "port-not-exposed-by-image",
        severity: Info,
        fixable: false,
        enabled: true,
    }
}

impl KubeRule for PortNotExposed {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        cx.each_image(|w, c, facts| {
                let Some(exposed) = facts
                    .runtime()
                    .and_then(|r| r.get("ExposedPorts"))
                    .and_then(|p| p.as_object())
                else {
                    return;
                };
                let declared: Vec<String> = exposed
                    .keys()
                    .map(|k| {
                        let k = k.to_ascii_lowercase();
                        if k.contains('/') {
                            k
                        } else {
                            format!("{k}/tcp")
                        }
                    })
                    .collect();
                for (i, p) in items(c.get(&["ports"])).iter().enumerate() {
                    let Some(port) = p.get("containerPort").and_then(as_int) else {
                        continue;
                    };
                    let protocol = p
                        .get("protocol")
                        .and_then(|v| v.as_str())
                        .unwrap_or("TCP")
                        .to_ascii_lowercase();
                    let key = format!("{port}/{protocol}");
                    if declared.contains(&key) {
                        continue;
                    }
                    let index = format!("[{i}]");
                    let base = crate::kubernetes::join(&c.path, &format!("ports{index}"));
                    out.push(cx.diag_at(
                        &Self::INFO,
                        w.object.document,
                        p,
                        &base,
                        &["containerPort"],
                        format!(
                            "{} of {} lists port {key}, which the image {} does not expose (it exposes {})",
                            c.describe(),
                            w.object.describe(),
                            facts.reference,
                            if declared.is_empty() { "none".to_string() } else { declared.join(", ") }
                        ),
                    ));
                }
        });
    }
}
