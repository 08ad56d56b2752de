use crate::kubernetes::{is_shell, KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags a container whose `command` (which replaces the image's
    /// entrypoint; or `args`, when there is no `command` and the image has
    /// no entrypoint), exec probe or exec lifecycle hook runs a program the
    /// image does not have: an absolute path that is not a file in the image
    /// (symlinks followed), or a bare name found in no directory of the
    /// image's `PATH` (its config's `Env`, else
    /// `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`).
    /// Shells are K8S024's. Runs only when images are looked up
    /// (`--image-dir` or `--images registry`) and the image was found.
    ///
    /// ## Why
    /// The container fails to start (`exec: "...": no such file or
    /// directory`, `CrashLoopBackOff`), or the probe always fails. It happens
    /// when a manifest outlives a rebuild that moved the binary (`/app` to
    /// `/usr/local/bin/app`) or was written for another base image.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: example.com/app@sha256:...
    ///   command: ["/app/server"]   # the image has /usr/local/bin/server
    /// ```
    ///
    /// ## Fix
    /// Name the program where the image has it, or drop `command` and let
    /// the image's entrypoint run (`envelope audit IMAGE` shows it).
    pub struct ProgramMissing {
        code: "K8S025",
        name: "program-not-in-image",
        severity: Error,
        fixable: false,
        enabled: true,
    }
}

impl KubeRule for ProgramMissing {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        cx.each_image(|w, c, facts| {
                let (runs, missing) = super::missing_programs(c, facts);
                for (keys, what, program) in missing {
                    // Shells are K8S024's.
                    if is_shell(program) {
                        continue;
                    }
                    let mut where_ = if program.contains('/') {
                        String::new()
                    } else {
                        format!(" in its PATH ({})", facts.path_for(&runs))
                    };
                    if let Some(entry) = facts.entrypoint() {
                        where_.push_str(&format!("; it runs `{entry}`"));
                    }
                    out.push(
                        cx.diag_at(
                            &Self::INFO,
                            w.object.document,
                            c.node,
                            &c.path,
                            keys,
                            format!(
                                "the {what} of {} ({}) runs `{program}`, which the image {} does not have{where_}",
                                c.describe(),
                                w.object.describe(),
                                facts.reference
                            ),
                        )
                        .with_help("name the program where the image has it (`envelope audit IMAGE` lists its files), or drop `command` to run the image's entrypoint"),
                    );
                }
        });
    }
}
