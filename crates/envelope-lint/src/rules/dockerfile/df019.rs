use envelope_dockerfile::{Kind, Word};

use super::final_image_instructions;
use crate::{declare_rule, Context, Diagnostic, Rule};

/// Packages that give a remote login or a way to become root.
const PACKAGES: [(&str, &str); 6] = [
    ("sudo", "sudo"),
    ("doas", "doas"),
    ("openssh-server", "an SSH server"),
    ("openssh", "an SSH server"),
    ("dropbear", "an SSH server"),
    ("telnetd", "a telnet server"),
];

declare_rule! {
    /// ## What it does
    /// Flags, in the final image (the final stage and the stages it is
    /// built FROM), what lets people log in or become root:
    ///
    /// - installing `sudo`, `doas`, `openssh-server` (`openssh` on
    ///   Alpine and Fedora), `dropbear` or `telnetd` with apt, apk, yum,
    ///   dnf, microdnf or zypper;
    /// - `EXPOSE 22`;
    /// - an ENTRYPOINT or CMD that starts `sshd`.
    ///
    /// Not flagged: `sudo` used in a RUN (DF010 reports that), SSH
    /// clients (`openssh-client`, needed to fetch private modules in a
    /// build stage), and all of this in build stages.
    ///
    /// ## Why
    /// Severity warning. A container is not a virtual machine: people get a
    /// shell with `docker exec` or `kubectl exec`, which are authenticated
    /// and audited by the platform. An SSH server is one more network
    /// service with its own keys and passwords (often baked into the image),
    /// outside the platform's access control. `sudo` is a setuid-root
    /// program: with it, any code that runs as the unprivileged user can
    /// become root when sudoers allows it, undoing the USER instruction.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM debian:bookworm-slim
    /// RUN apt-get update && apt-get install -y --no-install-recommends openssh-server sudo
    /// EXPOSE 22
    /// CMD ["/usr/sbin/sshd", "-D"]
    /// ```
    ///
    /// ## Fix
    /// Remove the packages and the port; use `docker exec`/`kubectl exec`
    /// (or `kubectl debug` with an ephemeral container) to get in, and do
    /// root work in RUN between `USER root` and `USER app`.
    pub struct RemoteLoginInImage {
        code: "DF019",
        name: "remote-login-or-sudo",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl Rule for RemoteLoginInImage {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for ins in final_image_instructions(cx) {
            match ins.kind {
                Kind::Run => {
                    for cmd in ins.commands() {
                        for w in installed(cmd.name(), cmd.args()) {
                            let base = package_name(&w.value);
                            let what = PACKAGES
                                .iter()
                                .find(|(p, _)| *p == base)
                                .map_or("", |(_, d)| d);
                            out.push(
                                cx.diag(
                                    &Self::INFO,
                                    w.span,
                                    format!("`{base}` installs {what} in the final image"),
                                )
                                .with_help("remove it: use `docker exec`/`kubectl exec` to get in, and `USER root` ... `USER app` around RUNs that need root"),
                            );
                        }
                    }
                }
                Kind::Expose => {
                    for w in ins.words() {
                        let port = w.value.split('/').next().unwrap_or_default();
                        if port == "22" {
                            out.push(
                                cx.diag(&Self::INFO, w.span, "`EXPOSE 22`: an SSH port in the final image")
                                    .with_help("containers are entered with `docker exec`/`kubectl exec`, not SSH"),
                            );
                        }
                    }
                }
                Kind::Entrypoint | Kind::Cmd => {
                    let runs_sshd = ins
                        .commands()
                        .iter()
                        .any(|c| c.name() == "sshd" || c.name() == "dropbear");
                    if runs_sshd {
                        out.push(
                            cx.diag(
                                &Self::INFO,
                                ins.keyword_span,
                                format!("{} starts an SSH server", ins.kind.name()),
                            )
                            .with_help("run the application itself; enter the container with `docker exec`/`kubectl exec`"),
                        );
                    }
                }
                _ => {}
            }
        }
    }
}

/// The package words of an install command that are in [`PACKAGES`].
fn installed<'a>(name: &str, args: &'a [Word]) -> Vec<&'a Word> {
    let sub = match name {
        "apt-get" | "apt" | "aptitude" | "yum" | "dnf" | "microdnf" | "tdnf" | "zypper" => {
            ["install", "in"].as_slice()
        }
        "apk" => ["add"].as_slice(),
        _ => return Vec::new(),
    };
    let Some(pos) = args.iter().position(|w| sub.contains(&w.value.as_str())) else {
        return Vec::new();
    };
    args[pos + 1..]
        .iter()
        .filter(|w| PACKAGES.iter().any(|(p, _)| *p == package_name(&w.value)))
        .collect()
}

/// `sudo=1.9.13p3-1+deb12u1` (apt), `sudo~=1.9` (apk) ⇒ `sudo`.
fn package_name(word: &str) -> &str {
    word.split(['=', '~', '>', '<']).next().unwrap_or_default()
}
