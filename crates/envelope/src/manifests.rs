//! What `manifest` and `init --kubernetes` share: an image read (user,
//! ports, what its program needs) into the [`Workload`] envelope-kube
//! renders as hardened Kubernetes manifests.

use anyhow::{bail, Result};
use envelope_cli::ManifestArgs;
use envelope_kube::{Port, Workload};
use envelope_lint::audit::ImageFacts;

use crate::images;
use crate::printer::{hinted, Printer};

/// The manifests for `args.image`, as YAML.
pub fn render(args: &ManifestArgs, printer: &Printer) -> Result<String> {
    let platform = images::platform(args.platform.as_deref())?;
    let (opened, facts) =
        images::audit_facts(&args.image, platform.as_ref(), &args.registry, false)?;
    let digest = opened.root.digest.to_string();
    let image = image_ref(args, opened.registry.as_ref().map(|r| r.name()), &digest)?;
    let name = match &args.name {
        Some(n) => n.clone(),
        None => default_name(
            &args.image,
            opened.registry.as_ref().map(|r| r.repository.as_str()),
        ),
    };
    envelope_kube::check_name(&name).map_err(|e| {
        hinted(
            e.to_string(),
            "name the objects with --name (lowercase letters, digits and `-`)",
        )
    })?;
    let (user, group, user_from) = run_as(args, &facts)?;
    let ports = ports(args, &facts)?;
    let writes_tmp = writes_tmp(&facts);
    if let Some(why) = &writes_tmp {
        printer.detail(format!("/tmp gets an emptyDir: {why}"));
    }
    let workload = Workload {
        name,
        namespace: args.namespace.clone(),
        image,
        source: format!("{} ({digest})", args.image),
        user,
        group,
        user_from,
        ports,
        replicas: args.replicas,
        writes_tmp,
        health_path: args.health_path.clone(),
        pdb: args.pdb,
        network_policy: args.network_policy,
        service_account: args.service_account,
    };
    envelope_kube::render(&workload).map_err(|e| match e {
        envelope_kube::Error::Name { .. } => hinted(e.to_string(), "pass another --namespace"),
        _ => anyhow::Error::new(e),
    })
}

/// The reference the manifests name: --image-ref (an `envelope://` or
/// `ko://` reference as given, a registry repository with the digest
/// added), else the registry image by digest.
fn image_ref(args: &ManifestArgs, registry: Option<String>, digest: &str) -> Result<String> {
    let Some(given) = &args.image_ref else {
        return match registry {
            Some(repository) => Ok(format!("{repository}@{digest}")),
            None => bail!(hinted(
                format!(
                    "{} is not in a registry: the manifests need the reference the cluster pulls",
                    args.image
                ),
                "pass --image-ref registry.example.com/team/NAME (envelope adds the digest) or --image-ref envelope://./cmd/NAME for `envelope resolve`",
            )),
        };
    };
    if given.starts_with("envelope://") || given.starts_with("ko://") {
        return Ok(given.clone());
    }
    images::parse_registry_ref(given).map_err(|e| {
        hinted(
            format!("--image-ref `{given}`: {e}"),
            "write a registry repository (registry.example.com/team/NAME), optionally with :TAG or @sha256:…",
        )
    })?;
    match given.split_once('@') {
        Some((_, named)) if named != digest => bail!(hinted(
            format!(
                "--image-ref `{given}` names {named}, but {} is {digest}",
                args.image
            ),
            "leave the digest out: envelope adds the image's",
        )),
        Some(_) => Ok(given.clone()),
        None => Ok(format!("{given}@{digest}")),
    }
}

/// The last part of the repository, or of the layout's or archive's path,
/// without its tag or extension.
fn default_name(image: &str, repository: Option<&str>) -> String {
    let base = match repository {
        Some(r) => r.to_string(),
        None => {
            let rest = image.split_once(':').map_or(image, |(_, r)| r);
            // oci:DIR:TAG, oci-archive:FILE:TAG, docker-archive:FILE:REF.
            let path = rest.split(':').next().unwrap_or(rest);
            path.trim_end_matches('/').to_string()
        }
    };
    let last = base.rsplit('/').next().unwrap_or(&base);
    let stem = last.split('.').next().unwrap_or(last);
    stem.to_ascii_lowercase().replace('_', "-")
}

/// The uid and gid to run as, and where they come from.
fn run_as(args: &ManifestArgs, facts: &ImageFacts) -> Result<(u32, u32, String)> {
    if let Some(u) = &args.user {
        let parse = |s: &str| s.parse::<u32>().ok();
        let (uid, gid) = match u.split_once(':') {
            Some((a, b)) => (parse(a), parse(b)),
            None => (parse(u), parse(u)),
        };
        return match (uid, gid) {
            (Some(uid), Some(gid)) if uid != 0 => Ok((uid, gid, "--user".to_string())),
            _ => bail!(hinted(
                format!("--user `{u}`: not a non-root UID[:GID]"),
                "write numbers, e.g. --user 65532:65532",
            )),
        };
    }
    match facts.run_as() {
        Some((0, _)) => bail!(hinted(
            format!(
                "{} runs as root, which the restricted Pod Security Standard refuses",
                args.image
            ),
            "build it with envelope (it runs as 65532), or pass --user UID[:GID] after checking the program runs as that user",
        )),
        Some((uid, gid)) => Ok((uid, gid, "the image's config".to_string())),
        None => bail!(hinted(
            format!(
                "{}: its user is a name that neither /etc/passwd nor /etc/group of the image has",
                args.image
            ),
            "pass --user UID[:GID]",
        )),
    }
}

/// --port, else the ports the image declares.
fn ports(args: &ManifestArgs, facts: &ImageFacts) -> Result<Vec<Port>> {
    let given: Vec<String> = if args.ports.is_empty() {
        facts
            .runtime()
            .and_then(|c| c.get("ExposedPorts"))
            .and_then(|p| p.as_object())
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    } else {
        args.ports.clone()
    };
    given
        .iter()
        .map(|p| {
            Port::parse(p).map_err(|e| {
                if args.ports.is_empty() {
                    hinted(
                        format!("{}: the image declares {e}", args.image),
                        "give the ports with --port",
                    )
                } else {
                    anyhow::Error::new(e)
                }
            })
        })
        .collect()
}

/// Why the program writes under /tmp, when it does: the entrypoint's Go
/// binary (else any Go binary of the image) links a function that makes
/// temporary files.
fn writes_tmp(facts: &ImageFacts) -> Option<String> {
    let entrypoint = facts
        .runtime()
        .and_then(|c| c.get("Entrypoint").or_else(|| c.get("Cmd")))
        .and_then(|e| e.as_array())
        .and_then(|a| a.first())
        .and_then(|v| v.as_str())
        .and_then(|p| facts.fs.resolve(p))
        .map(|(path, _)| path);
    let go = || facts.binaries.iter().filter(|b| b.needs.is_some());
    let binary = go()
        .find(|b| Some(&b.path) == entrypoint.as_ref())
        .or_else(|| go().next())?;
    let function = binary.needs.as_ref()?.temp_files.as_ref()?;
    Some(format!("{} calls {function}", binary.path))
}
