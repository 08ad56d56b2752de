use crate::kubernetes::RunsIn;
use crate::kubernetes::{as_bool, entries, items, KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags a container with `readOnlyRootFilesystem: true` and no writable
    /// volume mounted at its temporary directory (`$TMPDIR` from the
    /// container's `env`, else the image's, else `/tmp`) or a parent of it,
    /// while the Go program of its
    /// image writes temporary files: its binary calls `os.CreateTemp`,
    /// `os.MkdirTemp` or another function that writes under the temporary
    /// directory (envelope reads the binary's function table). The program is
    /// the container's `command` when it names a Go binary of the image,
    /// else any Go binary of the image. A mount with `readOnly: true`, and
    /// `configMap`, `secret`, `downwardAPI` and `projected` volumes, are
    /// not writable. Runs only when images are looked up (`--image-dir` or
    /// `--images registry`) and the image was found.
    ///
    /// ## Why
    /// A read-only root is the right default, but a program that writes a
    /// temporary file then fails with `read-only file system` on the path
    /// that needs it (an upload, a cache, a TLS reload), often long after
    /// it started.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   readOnlyRootFilesystem: true
    /// # no volume at /tmp
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    ///   volumeMounts:
    ///   - name: tmp
    ///     mountPath: /tmp
    /// volumes:
    /// - name: tmp
    ///   emptyDir: {}
    /// ```
    pub struct ReadOnlyTmp {
        code: "K8S027",
        name: "read-only-root-without-tmp",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

/// Volume types that are always mounted read-only.
const READ_ONLY_VOLUMES: [&str; 4] = ["configMap", "secret", "downwardAPI", "projected"];

/// The function through which `b` writes temporary files, if it does.
fn temp_files(b: &crate::audit::Binary) -> Option<&str> {
    b.needs.as_ref()?.temp_files.as_deref()
}

impl KubeRule for ReadOnlyTmp {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        cx.each_image(|w, c, facts| {
                let Some(set) = w.container_setting(c, &["readOnlyRootFilesystem"]) else {
                    return;
                };
                if as_bool(set.value) != Some(true) {
                    return;
                }
                let command = crate::kubernetes::words(c.get(&["command"]));
                let program = command
                    .first()
                    .and_then(|p| facts.find_program_in(p, &RunsIn::of(c)))
                    .map(|(real, _)| real);
                // The program the command names, when it is a binary of
                // the image; else any Go binary of the image.
                let named = facts
                    .binaries
                    .iter()
                    .find(|b| program.as_deref() == Some(b.path.as_str()));
                let writer = match named {
                    Some(b) => Some(b).filter(|b| temp_files(b).is_some()),
                    None => facts.binaries.iter().find(|b| temp_files(b).is_some()),
                };
                let Some((binary, function)) = writer.and_then(|b| Some((b, temp_files(b)?)))
                else {
                    return;
                };
                // Go's os.TempDir: $TMPDIR (the container's, else the
                // image's), else /tmp.
                let own = items(c.get(&["env"])).iter().find_map(|e| {
                    (e.get("name").and_then(|n| n.as_str()) == Some("TMPDIR"))
                        .then(|| e.get("value").and_then(|v| v.as_str()).map(str::to_string))?
                });
                let tmpdir = own
                    .or_else(|| {
                        facts
                            .env()
                            .into_iter()
                            .find_map(|(k, v)| (k == "TMPDIR").then_some(v))
                    })
                    .filter(|d| d.starts_with('/'))
                    .unwrap_or_else(|| "/tmp".to_string());
                let tmpdir = tmpdir.trim_end_matches('/');
                let volumes = items(w.pod_get(&["volumes"]));
                let writable = items(c.get(&["volumeMounts"])).iter().any(|m| {
                    let path = m
                        .get("mountPath")
                        .and_then(|p| p.as_str())
                        .unwrap_or_default()
                        .trim_end_matches('/');
                    let covers = path == tmpdir
                        || tmpdir
                            .strip_prefix(path)
                            .is_some_and(|rest| rest.starts_with('/'));
                    if !covers {
                        return false;
                    }
                    if m.get("readOnly").and_then(as_bool) == Some(true) {
                        return false;
                    }
                    let name = m.get("name").and_then(|n| n.as_str());
                    let volume = volumes
                        .iter()
                        .find(|v| v.get("name").and_then(|n| n.as_str()) == name);
                    !volume.is_some_and(|v| {
                        entries(Some(v)).iter().any(|(k, _)| {
                            k.as_str().is_some_and(|k| READ_ONLY_VOLUMES.contains(&k))
                        })
                    })
                });
                if writable {
                    return;
                }
                out.push(
                    cx.diag_setting(
                        &Self::INFO,
                        w.object.document,
                        &set,
                        format!(
                            "{} of {} has a read-only root and no writable volume at {tmpdir}, but `{}` in the image {} writes temporary files (it calls {function})",
                            c.describe(),
                            w.object.describe(),
                            binary.path,
                            facts.reference
                        ),
                    )
                    .with_help(format!("mount an emptyDir volume at {tmpdir}")),
                );
        });
    }
}
