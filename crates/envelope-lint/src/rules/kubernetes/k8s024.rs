use crate::kubernetes::{is_shell, KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags a container's `command`, exec probe (`livenessProbe`,
    /// `readinessProbe`, `startupProbe`) or exec lifecycle hook (`postStart`,
    /// `preStop`) that runs a shell (`sh`, `/bin/sh`, `bash`, ...) the image
    /// does not have. The image is looked at: the shell's path, or a bare
    /// name in the image's `PATH` (its config's `Env`, else the default).
    /// Runs only when images are looked up (`--image-dir` or
    /// `--images registry`) and the image was found.
    ///
    /// ## Why
    /// Images with no shell (distroless, `FROM scratch`, those envelope
    /// builds) are the hardened norm, and `sh -c '...'` is what probes and
    /// hooks are usually written as. On such an image the probe never
    /// succeeds: the pod is restarted forever or never becomes ready, and a
    /// `preStop` hook silently does nothing on shutdown.
    ///
    /// ## Example
    /// ```yaml
    /// livenessProbe:
    ///   exec:
    ///     command: ["sh", "-c", "wget -qO- localhost:8080/healthz"]
    /// ```
    ///
    /// ## Fix
    /// Probe over the network, which needs nothing in the image:
    /// ```yaml
    /// livenessProbe:
    ///   httpGet:
    ///     path: /healthz
    ///     port: 8080
    /// ```
    pub struct ShellMissing {
        code: "K8S024",
        name: "shell-not-in-image",
        severity: Error,
        fixable: false,
        enabled: true,
    }
}

impl KubeRule for ShellMissing {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        cx.each_image(|w, c, facts| {
                let (_, missing) = super::missing_programs(c, facts);
                for (keys, what, program) in missing {
                    if !is_shell(program) {
                        continue;
                    }
                    let shell = if facts.find_program("/bin/sh").is_some() {
                        String::new()
                    } else {
                        " (it has no shell at all: no /bin/sh)".to_string()
                    };
                    out.push(
                        cx.diag_at(
                            &Self::INFO,
                            w.object.document,
                            c.node,
                            &c.path,
                            keys,
                            format!(
                                "the {what} of {} ({}) runs `{program}`, which the image {} does not have{shell}",
                                c.describe(),
                                w.object.describe(),
                                facts.reference
                            ),
                        )
                        .with_help(
                            "probe with httpGet, tcpSocket or grpc; run the program itself, not through a shell",
                        ),
                    );
                }
        });
    }
}
