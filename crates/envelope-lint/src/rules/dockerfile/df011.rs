use envelope_dockerfile::Kind;

use super::df003::{chain, effective_user, User};
use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Flags an EXPOSE of a port below 1024 (`80`, `443/tcp`, a range
    /// starting below 1024 such as `80-90`) in the final stage (or a stage it
    /// is built FROM) when the container runs as a non-root user: a USER
    /// other than root, or a base that defaults to one (distroless
    /// `:nonroot`, Chainguard). Ports given by a variable that does not
    /// resolve are not judged; a root final stage is DF003's business. One
    /// finding per port number of an EXPOSE (`53 53/udp` is one), and none
    /// when a stage the final image takes from gives a file the capability
    /// (`setcap cap_net_bind_service=+ep /app`).
    ///
    /// ## Why
    /// Binding a port below 1024 needs root or the CAP_NET_BIND_SERVICE
    /// capability. Docker Engine 20.10 and later lift the limit inside
    /// containers, but other runtimes and many Kubernetes clusters do not:
    /// there the same image fails at start with `bind: permission denied`.
    /// The port inside the container does not matter to clients, who reach
    /// it through a mapping or a Service.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM gcr.io/distroless/static-debian12:nonroot
    /// COPY --from=build /app /app
    /// EXPOSE 80
    /// ENTRYPOINT ["/app", "--listen=:80"]
    /// ```
    ///
    /// ## Fix
    /// Listen on a port from 1024 up (`EXPOSE 8080`) and map it
    /// (`docker run -p 80:8080`, a Service `port: 80, targetPort: 8080`).
    pub struct PrivilegedPort {
        code: "DF011",
        name: "privileged-port",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl Rule for PrivilegedPort {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let Some(last) = cx.final_stage() else {
            return;
        };
        if !matches!(effective_user(cx, last.index), User::NonRoot) || grants_bind(cx) {
            return;
        }
        for st in chain(cx, last.index).into_iter().rev() {
            for (idx, ins) in cx.instructions(st) {
                if ins.kind != Kind::Expose {
                    continue;
                }
                let words = ins.words();
                let vars = if words.iter().any(|w| w.value.contains('$')) {
                    cx.vars_at(st, idx)
                } else {
                    Default::default()
                };
                // `53 53/udp` is one port to bind, whatever the protocols.
                let mut seen = Vec::new();
                for w in words {
                    let v = crate::go::expand(&w.value, &vars);
                    let Some(port) = low_port(&v) else {
                        continue;
                    };
                    if seen.contains(&port) {
                        continue;
                    }
                    seen.push(port);
                    out.push(
                        cx.diag(
                            &Self::INFO,
                            w.span,
                            format!("port {port} is privileged, and the container runs as a non-root user"),
                        )
                        .with_help("listen on a port from 1024 up (e.g. 8080) and map it to the outside port, or grant CAP_NET_BIND_SERVICE"),
                    );
                }
            }
        }
    }
}

/// Does a stage that reaches the final image give a file
/// CAP_NET_BIND_SERVICE (`setcap cap_net_bind_service=+ep /app`)? File
/// capabilities travel with the file through `COPY --from`.
fn grants_bind(cx: &Context) -> bool {
    cx.stages
        .iter()
        .filter(|s| cx.reaches_final(s.index))
        .flat_map(|s| cx.instructions(s.index))
        .filter(|(_, ins)| ins.kind == Kind::Run)
        .flat_map(|(_, ins)| ins.commands())
        .any(|c| {
            c.name() == "setcap"
                && c.args().iter().any(|w| {
                    w.value
                        .to_ascii_lowercase()
                        .contains("cap_net_bind_service")
                })
        })
}

/// The first port of `80`, `443/tcp`, `80-90/udp` when it is below 1024.
fn low_port(v: &str) -> Option<u32> {
    let port = v.split('/').next().unwrap_or(v);
    let first = port.split('-').next().unwrap_or(port);
    let n: u32 = first.parse().ok()?;
    (n > 0 && n < 1024).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        assert_eq!(low_port("80"), Some(80));
        assert_eq!(low_port("443/tcp"), Some(443));
        assert_eq!(low_port("80-90/udp"), Some(80));
        assert_eq!(low_port("8080"), None);
        assert_eq!(low_port("1024"), None);
        assert_eq!(low_port("$PORT"), None);
        assert_eq!(low_port("0"), None);
    }
}
