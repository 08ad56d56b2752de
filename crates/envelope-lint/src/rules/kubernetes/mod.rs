//! Kubernetes manifest rules (`K8S`): the Pod Security Standards checks,
//! baseline (K8S001-K8S010) and restricted (K8S011-K8S016), under their
//! upstream names, then what matters for running a Go service.

pub mod k8s000;
pub mod k8s001;
pub mod k8s002;
pub mod k8s003;
pub mod k8s004;
pub mod k8s005;
pub mod k8s006;
pub mod k8s007;
pub mod k8s008;
pub mod k8s009;
pub mod k8s010;
pub mod k8s011;
pub mod k8s012;
pub mod k8s013;
pub mod k8s014;
pub mod k8s015;
pub mod k8s016;
pub mod k8s017;
pub mod k8s018;
pub mod k8s019;
pub mod k8s020;
pub mod k8s021;
pub mod k8s022;
pub mod k8s023;
pub mod k8s024;
pub mod k8s025;
pub mod k8s026;
pub mod k8s027;
pub mod k8s028;
pub mod k8s029;

use envelope_yaml::Node;

use crate::audit::ImageFacts;
use crate::image::ImageName;
use crate::kubernetes::{items, join, Container, RunsIn, Workload};

/// The capabilities the baseline profile lets a container add.
pub(crate) const BASELINE: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// A container's `securityContext.capabilities.add` items: each node, its
/// path and the name as written.
pub(crate) fn added_capabilities<'a>(c: &Container<'a>) -> Vec<(&'a Node, String, &'a str)> {
    items(c.get(&["securityContext", "capabilities", "add"]))
        .iter()
        .enumerate()
        .map(|(i, n)| {
            (
                n,
                join(&c.path, &format!("securityContext.capabilities.add[{i}]")),
                n.as_str().unwrap_or_default(),
            )
        })
        .collect()
}

/// The containers whose image is named by a tag or by nothing (not by a
/// digest), with the image as written and as parsed.
pub(crate) fn images_without_digest<'w, 'a>(
    w: &'w Workload<'a>,
) -> impl Iterator<Item = (&'w Container<'a>, &'a str, ImageName)> + 'w {
    w.containers.iter().filter_map(|c| {
        let image = c.get(&["image"])?.as_str()?;
        let name = ImageName::parse(image);
        name.digest.is_none().then_some((c, image, name))
    })
}

/// A command whose program the image lacks: the keys below the
/// container, what it is (`command`, `liveness probe`), the program.
pub(crate) type MissingProgram<'a> = (&'static [&'static str], &'static str, &'a str);

/// The commands of `c` ([`exec_commands`]) whose program (the first
/// word) the image `facts` does not have where the runtime would look
/// ([`RunsIn`]): each with its keys, what it is and the program, and where
/// the container looks. A bare name is not judged when the container's
/// `PATH` cannot be known.
pub(crate) fn missing_programs<'a>(
    c: &Container<'a>,
    facts: &ImageFacts,
) -> (RunsIn<'a>, Vec<MissingProgram<'a>>) {
    let runs = RunsIn::of(c);
    let missing = exec_commands(c, facts)
        .into_iter()
        .map(|(keys, what, words)| (keys, what, words[0]))
        .filter(|(_, _, program)| {
            !program.is_empty()
                && (program.contains('/') || runs.path_known())
                && facts.find_program_in(program, &runs).is_none()
        })
        .collect();
    (runs, missing)
}

/// Where a container runs a command itself: its `command` (or its `args`
/// when there is none and `facts`, its image, has no entrypoint: they
/// replace the image's `Cmd` and are run), its exec probes and its exec
/// lifecycle hooks. Each with the keys below the container, what it is,
/// and its words.
pub(crate) fn exec_commands<'a>(
    c: &Container<'a>,
    facts: &ImageFacts,
) -> Vec<(&'static [&'static str], &'static str, Vec<&'a str>)> {
    const PLACES: [(&[&str], &str); 6] = [
        (&["command"], "command"),
        (&["livenessProbe", "exec", "command"], "liveness probe"),
        (&["readinessProbe", "exec", "command"], "readiness probe"),
        (&["startupProbe", "exec", "command"], "startup probe"),
        (
            &["lifecycle", "postStart", "exec", "command"],
            "postStart hook",
        ),
        (&["lifecycle", "preStop", "exec", "command"], "preStop hook"),
    ];
    let no_entrypoint = facts
        .runtime()
        .and_then(|r| r.get("Entrypoint"))
        .and_then(|e| e.as_array())
        .is_none_or(|e| e.is_empty());
    let args: (&[&str], &str) = (&["args"], "args (the image has no entrypoint)");
    let args = (c.get(&["command"]).is_none() && no_entrypoint).then_some(args);
    PLACES
        .iter()
        .copied()
        .chain(args)
        .filter_map(|(keys, what)| {
            let words = crate::kubernetes::words(c.get(keys));
            (!words.is_empty()).then_some((keys, what, words))
        })
        .collect()
}
