use crate::kubernetes::RunsIn;
use envelope_layer::fs::{Node, NodeKind};

use crate::audit::ImageFacts;
use crate::kubernetes::{as_int, items, Container, KubeContext, KubeRule, Workload};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags a container whose user or group, as set in its own or the pod's
    /// `securityContext` (`runAsUser`, `runAsGroup`), differs from the
    /// image's (its config's `User`, names read from the image's /etc/passwd
    /// and /etc/group) and:
    /// - is root (`runAsUser: 0`) while the image is made to run as another
    ///   user, or
    /// - cannot read and execute the program the container runs (its
    ///   `command`, else the image's entrypoint), by that file's owner, group
    ///   and mode in the image (`supplementalGroups` and `fsGroup` count as
    ///   groups).
    ///
    /// Runs only when images are looked up (`--image-dir` or
    /// `--images registry`) and the image was found.
    ///
    /// ## Why
    /// An image built to run as an unprivileged user (65532 in distroless
    /// and envelope images) and run as root loses what its build chose,
    /// often by a copied `runAsUser: 0` meant for a debugging session. A
    /// user that cannot execute the entrypoint fails at start with
    /// `permission denied`, far from the YAML that caused it.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 0        # the image runs as 65532
    /// ```
    ///
    /// ## Fix
    /// Leave `runAsUser`/`runAsGroup` to the image, or set them to its user
    /// (`envelope manifest IMAGE` writes them from the image config).
    pub struct UserMismatch {
        code: "K8S026",
        name: "user-disagrees-with-image",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

/// The uid and gid the container runs as, and the extra groups, with the
/// image's user where the manifest sets none.
fn runs_as(
    w: &Workload<'_>,
    c: &Container<'_>,
    facts: &ImageFacts,
    image: (u32, u32),
) -> (u32, u32, Vec<u32>) {
    let id = |keys: &[&'static str]| {
        w.effective(c, keys)
            .and_then(|s| as_int(s.value))
            .and_then(|n| u32::try_from(n).ok())
    };
    let uid = id(&["runAsUser"]);
    let gid = id(&["runAsGroup"]);
    let uid_ = uid.unwrap_or(image.0);
    let gid_ = match gid {
        Some(g) => g,
        None if uid_ == image.0 => image.1,
        // The runtime takes the user's group from the image's /etc/passwd,
        // else 0.
        None => facts
            .files
            .get("/etc/passwd")
            .and_then(|b| {
                String::from_utf8_lossy(b).lines().find_map(|l| {
                    let f: Vec<&str> = l.split(':').collect();
                    (f.len() >= 4 && f[2] == uid_.to_string()).then(|| f[3].parse().ok())?
                })
            })
            .unwrap_or(0),
    };
    let mut groups: Vec<u32> = items(w.pod_get(&["securityContext", "supplementalGroups"]))
        .iter()
        .filter_map(as_int)
        .filter_map(|n| u32::try_from(n).ok())
        .collect();
    if let Some(g) = w
        .pod_get(&["securityContext", "fsGroup"])
        .and_then(as_int)
        .and_then(|n| u32::try_from(n).ok())
    {
        groups.push(g);
    }
    (uid_, gid_, groups)
}

/// Can `uid` (in `gid` and `groups`) read and execute the file `node`?
pub(crate) fn can_run(node: &Node, uid: u32, gid: u32, groups: &[u32]) -> bool {
    if uid == 0 {
        return node.mode & 0o111 != 0;
    }
    let bits = if node.uid == uid {
        node.mode >> 6
    } else if node.gid == gid || groups.contains(&node.gid) {
        node.mode >> 3
    } else {
        node.mode
    };
    bits & 0o5 == 0o5
}

impl KubeRule for UserMismatch {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        cx.each_image(|w, c, facts| {
                let Some(image) = facts.run_as() else {
                    return;
                };
                let (uid, gid, groups) = runs_as(w, c, facts, image);
                if (uid, gid) == image {
                    return;
                }
                let user_set = w.effective(c, &["runAsUser"]);
                let group_set = w.effective(c, &["runAsGroup"]);
                let at = user_set.clone().or(group_set);
                let Some(at) = at else {
                    return;
                };
                let who = format!("{} of {}", c.describe(), w.object.describe());
                if uid == 0 && image.0 != 0 && user_set.is_some() {
                    out.push(
                        cx.diag_setting(
                            &Self::INFO,
                            w.object.document,
                            &at,
                            format!(
                                "{who} runs as root (runAsUser: 0), but the image {} is made to run as user {}",
                                facts.reference, image.0
                            ),
                        )
                        .with_help("remove runAsUser to run as the image's user, or set it to that user"),
                    );
                    return;
                }
                let command = crate::kubernetes::words(c.get(&["command"]));
                let program = match command.first() {
                    Some(p) => (*p).to_string(),
                    None => match facts.entrypoint() {
                        Some(p) => p,
                        None => return,
                    },
                };
                let Some((real, mut node)) = facts.find_program_in(&program, &RunsIn::of(c)) else {
                    return;
                };
                if let (NodeKind::Hardlink, Some(t)) = (&node.kind, &node.link) {
                    if let Some(n) = facts.fs.get(t) {
                        node = n;
                    }
                }
                if can_run(&node, uid, gid, &groups) {
                    return;
                }
                out.push(
                    cx.diag_setting(
                        &Self::INFO,
                        w.object.document,
                        &at,
                        format!(
                            "{who} runs as {uid}:{gid}, which cannot read and execute `{real}` (owner {}:{}, mode {:04o}) in the image {}, made to run as {}:{}",
                            node.uid, node.gid, node.mode & 0o7777, facts.reference, image.0, image.1
                        ),
                    )
                    .with_help("run as the image's user (remove runAsUser/runAsGroup), or rebuild the image with the program readable by this user"),
                );
        });
    }
}
