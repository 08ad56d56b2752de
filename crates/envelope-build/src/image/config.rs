//! The image configuration of one platform's image: environment, user,
//! working directory and labels, on top of the base's when there is one,
//! and the root filesystem and history of the base's layers and ours.

use std::collections::BTreeMap;

use envelope_golang::BuildInfo;
use envelope_layer::Layer;
use envelope_oci::{Config, EmptyObject, History, ImageConfiguration, RootFs};

use super::{BaseImage, ImageOptions, PlatformBinary};
use crate::base::CA_BUNDLE_PATH;
use crate::BuildError;

const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const WORKDIR: &str = "/home/nonroot";
const DEFAULT_USER: &str = "65532:65532";

/// What the configuration is made from besides the options.
pub(super) struct ConfigInput<'a> {
    pub bin: &'a PlatformBinary,
    pub base: Option<&'a BaseImage>,
    pub build_info: Option<&'a BuildInfo>,
    /// The CA bundle is in the image: SSL_CERT_FILE names it.
    pub ca_included: bool,
    pub bin_path: &'a str,
    pub created: &'a str,
    pub layers: &'a [Layer],
    pub history: Vec<History>,
}

/// The configuration, and the user it runs as.
pub(super) fn config(
    opts: &ImageOptions,
    input: ConfigInput<'_>,
) -> Result<(ImageConfiguration, String), BuildError> {
    let ConfigInput {
        bin,
        base,
        build_info: bi,
        ca_included,
        bin_path,
        created,
        layers,
        history,
    } = input;
    let base_config = base
        .and_then(|b| b.config.config.clone())
        .unwrap_or_default();
    let mut env = base_config.env.clone().unwrap_or_default();
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.insert(0, DEFAULT_PATH.to_string());
    }
    if ca_included {
        env.push(format!("SSL_CERT_FILE={CA_BUNDLE_PATH}"));
    }
    for e in &opts.env {
        let key = e.split('=').next().unwrap_or_default();
        env.retain(|x| x.split('=').next() != Some(key));
        env.push(e.clone());
    }
    // The base's user when it names one (a hardened base does), else nonroot.
    let user = opts
        .user
        .clone()
        .or_else(|| base_config.user.clone().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| DEFAULT_USER.to_string());
    let labels = labels(opts, bi, created)?;
    let exposed: BTreeMap<String, EmptyObject> = opts
        .ports
        .iter()
        .map(|p| (p.clone(), EmptyObject {}))
        .collect();
    let config = ImageConfiguration {
        created: Some(created.to_string()),
        author: None,
        architecture: bin.platform.architecture.clone(),
        os: bin.platform.os.clone(),
        os_version: None,
        os_features: None,
        variant: bin.platform.variant.clone(),
        config: Some(Config {
            user: Some(user.clone()),
            exposed_ports: (!exposed.is_empty()).then_some(exposed),
            env: Some(env),
            entrypoint: Some(
                opts.entrypoint
                    .clone()
                    .unwrap_or_else(|| vec![bin_path.to_string()]),
            ),
            cmd: (!opts.args.is_empty()).then(|| opts.args.clone()),
            volumes: None,
            working_dir: Some(opts.workdir.clone().unwrap_or_else(|| {
                base_config
                    .working_dir
                    .clone()
                    .filter(|w| !w.is_empty())
                    .unwrap_or_else(|| WORKDIR.to_string())
            })),
            labels: Some(labels),
            stop_signal: base_config.stop_signal.clone(),
        }),
        rootfs: RootFs {
            r#type: "layers".to_string(),
            diff_ids: base
                .map(|b| b.config.rootfs.diff_ids.clone())
                .unwrap_or_default()
                .into_iter()
                .chain(layers.iter().map(|l| l.diff_id.clone()))
                .collect(),
        },
        history: Some(
            base.and_then(|b| b.config.history.clone())
                .unwrap_or_default()
                .into_iter()
                .chain(history)
                .collect(),
        ),
    };
    Ok((config, user))
}

/// The OCI annotations-as-labels from the build info, then the user's.
fn labels(
    opts: &ImageOptions,
    bi: Option<&BuildInfo>,
    created: &str,
) -> Result<BTreeMap<String, String>, BuildError> {
    let mut labels = BTreeMap::new();
    labels.insert(
        "org.opencontainers.image.created".to_string(),
        created.to_string(),
    );
    labels.insert(
        "org.opencontainers.image.title".to_string(),
        opts.name.clone(),
    );
    if let Some(rev) = bi.and_then(|b| b.setting("vcs.revision")) {
        labels.insert(
            "org.opencontainers.image.revision".to_string(),
            rev.to_string(),
        );
    }
    if let Some(m) = bi.and_then(|b| b.main.as_ref()) {
        if !m.version.is_empty() && m.version != "(devel)" {
            labels.insert(
                "org.opencontainers.image.version".to_string(),
                m.version.clone(),
            );
        }
        if let Some(src) = source_url(&m.path) {
            labels.insert("org.opencontainers.image.source".to_string(), src);
        }
    }
    for kv in &opts.labels {
        let (k, v) = kv.split_once('=').ok_or_else(|| BuildError::Option {
            option: "--label",
            value: kv.clone(),
            detail: "expected KEY=VALUE".into(),
        })?;
        labels.insert(k.to_string(), v.to_string());
    }
    Ok(labels)
}

/// `https://host/owner/repo` for module paths on the well-known forges.
fn source_url(module: &str) -> Option<String> {
    let parts: Vec<&str> = module.split('/').collect();
    match parts.as_slice() {
        [host @ ("github.com" | "gitlab.com" | "bitbucket.org" | "codeberg.org"), owner, repo, ..] => {
            Some(format!("https://{host}/{owner}/{repo}"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn opts() -> ImageOptions {
        ImageOptions {
            env: vec!["LANG=en_US.UTF-8".into()],
            ports: vec!["8080/tcp".into()],
            ..ImageOptions::new("svc", "test")
        }
    }

    fn bin() -> PlatformBinary {
        PlatformBinary {
            platform: "linux/arm64".parse().expect("platform"),
            data: Arc::new(Vec::new()),
            source: "test".into(),
        }
    }

    fn input<'a>(bin: &'a PlatformBinary, base: Option<&'a BaseImage>) -> ConfigInput<'a> {
        ConfigInput {
            bin,
            base,
            build_info: None,
            ca_included: true,
            bin_path: "/usr/local/bin/svc",
            created: "1970-01-01T00:00:00Z",
            layers: &[],
            history: Vec::new(),
        }
    }

    #[test]
    fn scratch_defaults() {
        let bin = bin();
        let (c, user) = config(&opts(), input(&bin, None)).expect("config");
        assert_eq!(user, DEFAULT_USER);
        assert_eq!(c.architecture, "arm64");
        let cfg = c.config.expect("config");
        assert_eq!(
            cfg.env.expect("env"),
            [
                DEFAULT_PATH.to_string(),
                format!("SSL_CERT_FILE={CA_BUNDLE_PATH}"),
                "LANG=en_US.UTF-8".to_string(),
            ]
        );
        assert_eq!(cfg.working_dir.as_deref(), Some(WORKDIR));
        assert_eq!(cfg.entrypoint.expect("entrypoint"), ["/usr/local/bin/svc"]);
        assert!(cfg.exposed_ports.expect("ports").contains_key("8080/tcp"));
        let labels = cfg.labels.expect("labels");
        assert_eq!(
            labels
                .get("org.opencontainers.image.title")
                .map(String::as_str),
            Some("svc")
        );
    }

    #[test]
    fn a_base_keeps_its_environment_user_and_directory() {
        let base_config: ImageConfiguration = serde_json::from_value(serde_json::json!({
            "architecture": "arm64",
            "os": "linux",
            "config": {
                "Env": ["PATH=/bin", "LANG=C"],
                "User": "nonroot",
                "WorkingDir": "/srv",
                "StopSignal": "SIGINT",
            },
            "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{}", "a".repeat(64))]},
            "history": [{"created_by": "base"}],
        }))
        .expect("a base config");
        let base = BaseImage {
            name: "example.com/base".into(),
            digest: envelope_oci::Digest::sha256(b"base"),
            manifest_media_type: envelope_oci::media_types::OCI_MANIFEST.into(),
            config: base_config,
            layers: Vec::new(),
        };
        let bin = bin();
        let (c, user) = config(&opts(), input(&bin, Some(&base))).expect("config");
        assert_eq!(user, "nonroot");
        let cfg = c.config.expect("config");
        assert_eq!(
            cfg.env.expect("env"),
            [
                "PATH=/bin".to_string(),
                format!("SSL_CERT_FILE={CA_BUNDLE_PATH}"),
                "LANG=en_US.UTF-8".to_string(),
            ],
            "the user's LANG replaces the base's"
        );
        assert_eq!(cfg.working_dir.as_deref(), Some("/srv"));
        assert_eq!(cfg.stop_signal.as_deref(), Some("SIGINT"));
        assert_eq!(c.rootfs.diff_ids.len(), 1);
        assert_eq!(c.history.expect("history").len(), 1);
    }

    #[test]
    fn a_label_without_a_value_is_refused() {
        let mut o = opts();
        o.labels = vec!["novalue".into()];
        let bin = bin();
        let e = config(&o, input(&bin, None)).expect_err("a bad label");
        assert!(
            matches!(
                e,
                BuildError::Option {
                    option: "--label",
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn source_url_only_for_known_forges() {
        assert_eq!(
            source_url("github.com/acme/svc/v2").as_deref(),
            Some("https://github.com/acme/svc")
        );
        assert_eq!(source_url("example.com/svc"), None);
    }
}
