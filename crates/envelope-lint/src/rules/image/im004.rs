use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};
use envelope_layer::fs::NodeKind;

declare_rule! {
    /// ## What it does
    /// Flags regular files with the setuid or setgid bit.
    ///
    /// ## Why
    /// A setuid root binary is the classic way from an unprivileged process to
    /// root. A Go service runs none; whatever setuid programs the base brings
    /// (`su`, `passwd`, `mount`) are escalation paths, and `no-new-privileges`
    /// is not always set.
    ///
    /// ## Example
    /// `/usr/bin/su` in a Debian-based image, or `chmod u+s` on the service.
    ///
    /// ## Fix
    /// Use a base without them (scratch, distroless), or clear the bits in the
    /// build: `RUN chmod a-s /usr/bin/*`.
    pub struct Setuid {
        code: "IM004",
        name: "setuid-file",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl ImageRule for Setuid {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        for (path, node) in cx.facts.fs.iter() {
            if node.kind != NodeKind::File || node.mode & 0o6000 == 0 {
                continue;
            }
            let bits = match (node.mode & 0o4000 != 0, node.mode & 0o2000 != 0) {
                (true, true) => "setuid and setgid",
                (true, false) => "setuid",
                _ => "setgid",
            };
            out.push(
                cx.diag(
                    &Self::INFO,
                    format!(
                        "{path} is {bits} (mode {:04o}, owner {}:{})",
                        node.mode, node.uid, node.gid
                    ),
                )
                .with_help(
                    "remove the file or clear the bits (`chmod a-s`); a Go service needs neither",
                ),
            );
        }
    }
}
