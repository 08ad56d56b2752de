//! Where credentials come from, and how a registry asks for them.
//!
//! Lookup order for a registry host: `$REGISTRY_AUTH_FILE`, Podman's
//! `$XDG_RUNTIME_DIR/containers/auth.json`, then Docker's
//! `$DOCKER_CONFIG/config.json` (or `~/.docker/config.json`): its
//! `credHelpers` entry for the host, its `auths` entry, then its
//! `credsStore`. Helpers are `docker-credential-NAME get`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;

use crate::{Error, Secret};

#[derive(Debug, Clone)]
pub enum Credentials {
    Basic {
        username: String,
        password: Secret,
    },
    /// An identity (refresh) token, exchanged at the token endpoint.
    IdentityToken(Secret),
}

/// Reads credentials from the usual files; caches nothing.
#[derive(Debug, Clone, Default)]
pub struct CredentialStore {
    /// Explicit files to read first (tests, `--authfile`).
    pub files: Vec<PathBuf>,
}

fn docker_config_path() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("config.json"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker/config.json"))
}

/// The keys a config file may use for a registry.
fn host_keys(host: &str) -> Vec<String> {
    let mut keys = vec![
        host.to_string(),
        format!("https://{host}"),
        format!("http://{host}"),
    ];
    if host == "docker.io" || host == "registry-1.docker.io" {
        keys.push("https://index.docker.io/v1/".to_string());
        keys.push("index.docker.io".to_string());
        keys.push("docker.io".to_string());
    }
    keys
}

impl CredentialStore {
    pub fn from_env() -> CredentialStore {
        let mut files = Vec::new();
        if let Some(f) = std::env::var_os("REGISTRY_AUTH_FILE").filter(|f| !f.is_empty()) {
            files.push(PathBuf::from(f));
        }
        if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
            files.push(PathBuf::from(d).join("containers/auth.json"));
        }
        files.extend(docker_config_path());
        CredentialStore { files }
    }

    /// Credentials for `host`, or None for anonymous access.
    pub fn lookup(&self, host: &str) -> Result<Option<Credentials>, Error> {
        for f in &self.files {
            let Ok(text) = std::fs::read(f) else { continue };
            let found = match read_config(&text, host, f)? {
                Some(ConfigEntry::Helper { name, key }) => run_helper(&name, &key)?,
                Some(ConfigEntry::Found(c)) => Some(c),
                None => None,
            };
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }
}

/// What a credentials file says about a host: the credentials, or the
/// helper to ask (and the key to ask it for).
#[doc(hidden)]
#[derive(Debug, Clone)]
pub enum ConfigEntry {
    Found(Credentials),
    Helper { name: String, key: String },
}

/// Reads a credentials file's bytes (Docker's config.json or Podman's
/// auth.json) for `host`, running no helper; `file` names it in errors.
/// Public for the fuzz target.
#[doc(hidden)]
pub fn read_config(bytes: &[u8], host: &str, file: &Path) -> Result<Option<ConfigEntry>, Error> {
    let cfg: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::Credentials(format!("{}: {e}", file.display())))?;
    from_config(&cfg, host, file)
}

fn helper(name: &str, key: &str) -> Result<Option<ConfigEntry>, Error> {
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::Credentials(format!(
            "bad credential helper name {name:?}"
        )));
    }
    Ok(Some(ConfigEntry::Helper {
        name: name.to_string(),
        key: key.to_string(),
    }))
}

fn from_config(
    cfg: &serde_json::Value,
    host: &str,
    file: &Path,
) -> Result<Option<ConfigEntry>, Error> {
    for key in host_keys(host) {
        if let Some(name) = cfg["credHelpers"][&key].as_str() {
            return helper(name, &key);
        }
    }
    for key in host_keys(host) {
        let entry = &cfg["auths"][&key];
        if let Some(tok) = entry["identitytoken"].as_str().filter(|t| !t.is_empty()) {
            return Ok(Some(ConfigEntry::Found(Credentials::IdentityToken(
                Secret::new(tok),
            ))));
        }
        if let Some(auth) = entry["auth"].as_str().filter(|a| !a.is_empty()) {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|_| {
                    Error::Credentials(format!(
                        "{}: the auth entry for {key} is not base64",
                        file.display()
                    ))
                })?;
            let text = String::from_utf8(raw).map_err(|_| {
                Error::Credentials(format!(
                    "{}: the auth entry for {key} is not UTF-8",
                    file.display()
                ))
            })?;
            let (u, p) = text.split_once(':').ok_or_else(|| {
                Error::Credentials(format!(
                    "{}: the auth entry for {key} is not user:password",
                    file.display()
                ))
            })?;
            return Ok(Some(ConfigEntry::Found(Credentials::Basic {
                username: u.to_string(),
                password: Secret::new(p),
            })));
        }
    }
    if let Some(store) = cfg["credsStore"].as_str().filter(|s| !s.is_empty()) {
        return helper(store, host);
    }
    Ok(None)
}

/// `docker-credential-NAME get`, host on stdin, JSON on stdout.
/// The name was checked by [`helper`].
fn run_helper(name: &str, host: &str) -> Result<Option<Credentials>, Error> {
    let prog = format!("docker-credential-{name}");
    let mut child = Command::new(&prog)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Credentials(format!("cannot run {prog}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(host.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Error::Credentials(format!("{prog}: {e}")))?;
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stdout);
        if msg.contains("credentials not found") {
            return Ok(None);
        }
        return Err(Error::Credentials(format!(
            "{prog} get failed ({})",
            out.status
        )));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|_| Error::Credentials(format!("{prog} printed something that is not JSON")))?;
    let user = v["Username"].as_str().unwrap_or_default();
    let secret = v["Secret"].as_str().unwrap_or_default();
    if secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(if user == "<token>" {
        Credentials::IdentityToken(Secret::new(secret))
    } else {
        Credentials::Basic {
            username: user.to_string(),
            password: Secret::new(secret),
        }
    }))
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    pub params: BTreeMap<String, String>,
}

/// Parses `Bearer realm="...",service="...",scope="..."` (and Basic).
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let mut params = BTreeMap::new();
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let key = key.trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (value, remaining) = if let Some(q) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = q.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, &q[end?..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        params.insert(key, value);
        rest = remaining.trim_start().trim_start_matches(',').trim_start();
    }
    Some(Challenge {
        scheme: scheme.to_ascii_lowercase(),
        params,
    })
}

/// `docker login`'s config.json: adds or replaces `auths[host].auth`.
pub fn write_docker_login(
    config: &Path,
    host: &str,
    username: &str,
    password: &Secret,
) -> Result<(), Error> {
    let mut cfg: serde_json::Value = match std::fs::read(config) {
        Ok(b) => serde_json::from_slice(&b)
            .map_err(|e| Error::Credentials(format!("{}: {e}", config.display())))?,
        Err(_) => serde_json::json!({}),
    };
    let auth = base64::engine::general_purpose::STANDARD
        .encode(format!("{username}:{}", password.expose()));
    if !cfg.is_object() {
        cfg = serde_json::json!({});
    }
    cfg["auths"][host] = serde_json::json!({ "auth": auth });
    write_private(config, &cfg)
}

/// Removes `auths[host]`; returns whether there was one.
pub fn remove_docker_login(config: &Path, host: &str) -> Result<bool, Error> {
    let Ok(b) = std::fs::read(config) else {
        return Ok(false);
    };
    let mut cfg: serde_json::Value = serde_json::from_slice(&b)
        .map_err(|e| Error::Credentials(format!("{}: {e}", config.display())))?;
    let removed = cfg["auths"]
        .as_object_mut()
        .and_then(|a| a.remove(host))
        .is_some();
    if removed {
        write_private(config, &cfg)?;
    }
    Ok(removed)
}

/// Replaces the config atomically, 0600 whatever its mode was: it holds
/// credentials.
fn write_private(config: &Path, cfg: &serde_json::Value) -> Result<(), Error> {
    if let Some(dir) = config.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Credentials(format!("{}: {e}", config.display())))?;
    }
    let text = serde_json::to_string_pretty(cfg).unwrap_or_default();
    let private = envelope_oci::atomic::Options::new().private();
    envelope_oci::write_atomic_with(config, private, text.as_bytes())
        .map_err(|e| Error::Credentials(e.to_string()))
}

pub fn default_docker_config() -> Option<PathBuf> {
    docker_config_path()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let c = parse_challenge(r#"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push""#).expect("parses");
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.params["realm"], "https://auth.example.com/token");
        assert_eq!(c.params["scope"], "repository:a/b:pull,push");
        let b = parse_challenge(r#"Basic realm="Registry Realm""#).expect("parses");
        assert_eq!(b.scheme, "basic");
        assert!(parse_challenge(r#"Bearer realm="unterminated"#).is_none());
    }

    #[test]
    fn login_round_trip_and_lookup() {
        let dir = tempfile::tempdir().expect("tmp");
        let cfg = dir.path().join("config.json");
        std::fs::write(
            &cfg,
            r#"{"auths":{"other.io":{"auth":"eDp5"}},"currentContext":"keep"}"#,
        )
        .expect("write");
        write_docker_login(&cfg, "127.0.0.1:5000", "user", &Secret::new("p:ss")).expect("login");
        let text = std::fs::read_to_string(&cfg).expect("read");
        assert!(
            text.contains("currentContext"),
            "other settings kept: {text}"
        );
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&cfg).expect("meta").permissions().mode() & 0o777,
            0o600
        );
        let store = CredentialStore {
            files: vec![cfg.clone()],
        };
        match store.lookup("127.0.0.1:5000").expect("lookup") {
            Some(Credentials::Basic { username, password }) => {
                assert_eq!(username, "user");
                assert_eq!(password.expose(), "p:ss");
            }
            other => panic!("{other:?}"),
        }
        assert!(store.lookup("nowhere.io").expect("lookup").is_none());
        assert!(remove_docker_login(&cfg, "127.0.0.1:5000").expect("logout"));
        assert!(store.lookup("127.0.0.1:5000").expect("lookup").is_none());
        assert!(store.lookup("other.io").expect("lookup").is_some());
    }

    #[test]
    fn config_entries_name_helpers_without_running_them() {
        let file = Path::new("config.json");
        let cfg = br#"{"credHelpers":{"ghcr.io":"gh"},"credsStore":"desktop",
            "auths":{"https://index.docker.io/v1/":{"identitytoken":"tok"}}}"#;
        match read_config(cfg, "ghcr.io", file).expect("reads") {
            Some(ConfigEntry::Helper { name, key }) => {
                assert_eq!((name.as_str(), key.as_str()), ("gh", "ghcr.io"))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            read_config(cfg, "docker.io", file).expect("reads"),
            Some(ConfigEntry::Found(Credentials::IdentityToken(_)))
        ));
        assert!(matches!(
            read_config(cfg, "quay.io", file).expect("reads"),
            Some(ConfigEntry::Helper { name, .. }) if name == "desktop"
        ));
        assert!(read_config(br#"{"credsStore":"../x"}"#, "quay.io", file).is_err());
        assert!(read_config(b"{", "quay.io", file).is_err());
    }
}
