use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};
use envelope_layer::fs::NodeKind;

declare_rule! {
    /// ## What it does
    /// Flags files and directories anyone may write, outside `/tmp`,
    /// `/var/tmp`, `/dev/shm` and `/run/lock`.
    ///
    /// ## Why
    /// Whoever runs in the container, as any user, can change a world-writable
    /// program or configuration and so what the service does next.
    ///
    /// ## Example
    /// `COPY --chmod=777 config.yaml /etc/app/`.
    ///
    /// ## Fix
    /// Give files to the user that needs them with the narrowest mode
    /// (`--chmod=644`, `--chown=65532:65532`).
    pub struct WorldWritable {
        code: "IM005",
        name: "world-writable-file",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl ImageRule for WorldWritable {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        let mut n = 0usize;
        for (path, node) in cx.facts.fs.iter() {
            if matches!(node.kind, NodeKind::Symlink | NodeKind::Hardlink) || node.mode & 0o002 == 0
            {
                continue;
            }
            if ["/tmp", "/var/tmp", "/dev/shm", "/run/lock"]
                .iter()
                .any(|t| path == *t || path.starts_with(&format!("{t}/")))
            {
                continue;
            }
            n += 1;
            if n > 50 {
                continue;
            }
            out.push(
                cx.diag(
                    &Self::INFO,
                    format!("{path} is writable by everyone (mode {:04o})", node.mode),
                )
                .with_help(
                    "give it to the user that needs it with the narrowest mode (`--chmod=644`)",
                ),
            );
        }
        if n > 50 {
            out.push(cx.diag(
                &Self::INFO,
                format!("and {} more world-writable paths", n - 50),
            ));
        }
    }
}
