use envelope_dockerfile::{KeyValue, Kind};

use super::df003::chain;
use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Flags secrets written into the image or its build:
    ///
    /// - an ENV whose name ends like a secret (`..._TOKEN`, `..._SECRET`,
    ///   `..._PASSWORD`, `..._PASSWD`, `..._PASS`, `..._API_KEY`,
    ///   `..._APIKEY`, `..._PRIVATE_KEY`, `..._ACCESS_KEY`, `..._SECRET_KEY`,
    ///   `..._CREDENTIALS`, `..._AUTH`, ...) and has a value, even one taken
    ///   from an ARG (`ENV NPM_TOKEN=$NPM_TOKEN`);
    /// - an ARG with such a name, with or without a default: a build
    ///   argument is how the secret gets in, and it is recorded;
    /// - an ENV or ARG value that looks like a credential whatever its name:
    ///   GitHub (`ghp_`, `github_pat_`...), GitLab (`glpat-`), AWS (`AKIA`,
    ///   `ASIA`), Slack (`xoxb-`, `xoxp-`), Stripe (`sk_live_`) tokens, a
    ///   PEM private key, a URL with a password in it (for ENV, also one
    ///   taken from an ARG or ENV: `https://ci:${TOKEN}@host`);
    /// - a COPY or ADD into the final image (the final stage or a stage it
    ///   is built FROM) of a file that holds keys or credentials: `id_rsa`,
    ///   `id_ed25519` (and the other `id_*` keys), `ssh_host_*` keys, `.ssh`,
    ///   `*.key`, `*_key`, `*-key`, `*.pem`,
    ///   `.env`, `.npmrc`, `.netrc`, `.pypirc`, `.git-credentials`,
    ///   `.docker/config.json`, `.aws/credentials`, `credentials.json`.
    ///
    /// Not flagged: names that only mention a secret (`TOKEN_TTL`,
    /// `PASSWORD_MIN_LENGTH`, `AUTH_MODE`), a method named under an
    /// `..._AUTH` name (`REGISTRY_AUTH=htpasswd`), the Go module settings
    /// (`GOPRIVATE`, `GONOSUMDB`, `GONOPROXY`, `GOPROXY`, `GOFLAGS`,
    /// `GOSUMDB`, `GOINSECURE`, `GOAUTH`), values that are a path or a URL
    /// without a password (`DB_PASSWORD_FILE=/run/secrets/db`,
    /// `GOOGLE_APPLICATION_CREDENTIALS=/etc/gcp.json`), empty values and
    /// flags like `true`/`false`, public keys and certificates (`id_rsa.pub`,
    /// `ca.pem`, `cert.pem`, `fullchain.pem`, `Release.key`), `.env.example`,
    /// and sources with wildcards or variables. The finding names the
    /// variable or file, never the value.
    ///
    /// ## Why
    /// ENV values are stored in the image config, and build arguments in the
    /// image history and the build's provenance: anyone who can pull the
    /// image reads them with `docker history` or `docker inspect`, and
    /// removing the ENV in a later stage or layer does not remove them. A key
    /// file copied into an image stays in its layer even if a later RUN
    /// deletes it. A secret in the Dockerfile itself is also in git.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23 AS build
    /// ARG GITHUB_TOKEN
    /// ENV GITHUB_TOKEN=$GITHUB_TOKEN
    /// RUN git config --global url."https://$GITHUB_TOKEN@github.com/".insteadOf "https://github.com/"
    /// FROM alpine:3.20
    /// COPY .env /app/.env
    /// ```
    ///
    /// ## Fix
    /// Pass build-time secrets with BuildKit secret mounts, which never
    /// reach a layer or the history:
    ///
    /// ```dockerfile
    /// RUN --mount=type=secret,id=github_token,env=GITHUB_TOKEN go mod download
    /// ```
    ///
    /// built with `docker build --secret id=github_token,env=GITHUB_TOKEN .`
    /// (or `--mount=type=ssh` for SSH keys). Give run-time secrets to the
    /// container when it starts (an orchestrator secret, a mounted file),
    /// and keep key files out of the build context with `.dockerignore`.
    /// Rotate any secret that was already pushed in an image.
    pub struct Secrets {
        code: "DF004",
        name: "secret-in-env-or-file",
        severity: Error,
        fixable: false,
        enabled: true,
    }
}

const SECRET_MOUNT_HELP: &str =
    "pass it with `RUN --mount=type=secret,id=...` and `docker build --secret`: build args are recorded in the image history and provenance";

impl Rule for Secrets {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        // Every ARG name with the index of its instruction.
        let args: Vec<(usize, String)> = cx
            .df
            .instructions
            .iter()
            .enumerate()
            .filter(|(_, i)| i.kind == Kind::Arg)
            .flat_map(|(idx, i)| i.key_values().into_iter().map(move |kv| (idx, kv.key)))
            .collect();
        for (idx, ins) in cx.df.instructions.iter().enumerate() {
            if !matches!(ins.kind, Kind::Env | Kind::Arg) {
                continue;
            }
            for kv in ins.key_values() {
                if let Some(d) = self.variable(cx, ins.kind, &kv) {
                    out.push(d);
                } else if ins.kind == Kind::Env {
                    // `ENV INDEX_URL=https://ci:${TOKEN}@host`: the ARG's
                    // value is stored in the image config.
                    let value = kv.value.as_deref().unwrap_or("");
                    let known =
                        url_password_var(value).is_some_and(|v| declared(cx, &args, idx, &v));
                    if known {
                        out.push(
                            cx.diag(
                                &Self::INFO,
                                kv.key_span,
                                format!("ENV `{}` stores a URL with a password in the image config", kv.key),
                            )
                            .with_help("use the credentials only in the RUN that needs them, from `RUN --mount=type=secret`"),
                        );
                    }
                }
            }
        }
        let Some(last) = cx.final_stage() else {
            return;
        };
        for st in chain(cx, last.index) {
            for (_, ins) in cx.instructions(st) {
                if !matches!(ins.kind, Kind::Copy | Kind::Add) || !ins.heredocs.is_empty() {
                    continue;
                }
                let words = ins.words();
                let sources = &words[..words.len().saturating_sub(1)];
                // A key file may also be named by where it lands
                // (`COPY host /etc/ssh/ssh_host_ed25519_key`).
                let named_dest = words
                    .last()
                    .filter(|d| sources.len() == 1 && !d.value.ends_with('/'))
                    .filter(|_| sources.iter().all(|w| secret_file(&w.value).is_none()));
                for w in sources.iter().chain(named_dest) {
                    let Some(what) = secret_file(&w.value) else {
                        continue;
                    };
                    out.push(
                        cx.diag(
                            &Self::INFO,
                            w.span,
                            format!("`{}` ({what}) is copied into the final image", w.value),
                        )
                        .with_help("mount it only for the RUN that needs it (`--mount=type=secret` or `--mount=type=ssh`) and list it in .dockerignore"),
                    );
                }
            }
        }
    }
}

impl Secrets {
    fn variable(&self, cx: &Context, kind: Kind, kv: &KeyValue) -> Option<Diagnostic> {
        let name = kv.key.as_str();
        let value = kv.value.as_deref().unwrap_or("").trim();
        let kw = kind.name();
        if let Some(what) = secret_value(value) {
            return Some(
                cx.diag(
                    &Self::INFO,
                    kv.key_span,
                    format!("{kw} `{name}` holds what looks like {what}"),
                )
                .with_help("remove it from the Dockerfile, rotate it, and pass it with `RUN --mount=type=secret` instead"),
            );
        }
        if !secret_name(name) || harmless_value(value) || auth_mode(name, value) {
            return None;
        }
        let d = match (kind, value.is_empty()) {
            (Kind::Env, true) => return None,
            (Kind::Env, false) => cx
                .diag(
                    &Self::INFO,
                    kv.key_span,
                    format!("ENV `{name}` stores a secret in the image config"),
                )
                .with_help("ENV values are readable with `docker inspect`; use `RUN --mount=type=secret` at build time and give the secret to the container at run time"),
            (_, true) => cx
                .diag(
                    &Self::INFO,
                    kv.key_span,
                    format!("ARG `{name}` passes a secret as a build argument"),
                )
                .with_help(SECRET_MOUNT_HELP),
            (_, false) => cx
                .diag(
                    &Self::INFO,
                    kv.key_span,
                    format!("ARG `{name}` has a secret default written in the Dockerfile"),
                )
                .with_help(SECRET_MOUNT_HELP),
        };
        Some(d)
    }
}

/// Settings whose names contain a secret-ish word but hold none.
const NOT_SECRETS: [&str; 9] = [
    "GOPRIVATE",
    "GONOSUMDB",
    "GONOPROXY",
    "GOPROXY",
    "GOFLAGS",
    "GOSUMDB",
    "GOINSECURE",
    "GOAUTH",
    "GONOSUMCHECK",
];

/// Last name components that name a secret.
const SECRET_WORDS: [&str; 12] = [
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PWD",
    "APIKEY",
    "CREDENTIALS",
    "CREDENTIAL",
    "AUTH",
    "PASSPHRASE",
    "SECRETS",
];

/// Two last components that name a secret (`..._API_KEY`).
const SECRET_PAIRS: [&str; 9] = [
    "API_KEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "SECRET_KEY",
    "SIGNING_KEY",
    "ENCRYPTION_KEY",
    "MASTER_KEY",
    "LICENSE_KEY",
    "KEY_ID",
];

/// Does the variable name say it holds a secret? Its last component must be
/// the secret word, so `TOKEN_TTL` and `AUTH_MODE` do not count.
pub(crate) fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase().replace(['-', '.'], "_");
    if NOT_SECRETS.contains(&upper.as_str()) {
        return false;
    }
    let parts: Vec<&str> = upper.split('_').filter(|p| !p.is_empty()).collect();
    let Some(&last) = parts.last() else {
        return false;
    };
    // `PWD` alone is the working directory.
    if last == "PWD" && parts.len() == 1 {
        return false;
    }
    if SECRET_WORDS.contains(&last) {
        return true;
    }
    if parts.len() >= 2 {
        let pair = format!("{}_{}", parts[parts.len() - 2], last);
        if SECRET_PAIRS.contains(&pair.as_str()) {
            // `..._KEY_ID` only for access keys (AWS_ACCESS_KEY_ID).
            return pair != "KEY_ID" || (parts.len() >= 3 && parts[parts.len() - 3] == "ACCESS");
        }
    }
    false
}

/// `REGISTRY_AUTH=htpasswd`: an `..._AUTH` naming a method, not a secret.
pub(crate) fn auth_mode(name: &str, value: &str) -> bool {
    let v = value.trim_matches(['"', '\'']);
    name.to_ascii_uppercase().ends_with("AUTH")
        && !v.is_empty()
        && v.len() < 16
        && v.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-')
}

/// Values that are not secrets even under a secret's name: empty, flags,
/// small numbers, paths, URLs without a password.
pub(crate) fn harmless_value(value: &str) -> bool {
    let v = value.trim_matches(['"', '\'']);
    let lower = v.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "none" | "null" | "enabled" | "disabled"
    ) {
        return true;
    }
    if !v.is_empty() && v.len() <= 6 && v.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    is_path(v) || (is_url(v) && !url_has_password(v))
}

fn is_path(v: &str) -> bool {
    (v.starts_with('/') || v.starts_with("./") || v.starts_with("~/") || v.starts_with("../"))
        && !v.contains(char::is_whitespace)
}

fn is_url(v: &str) -> bool {
    v.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// `scheme://user:password@host`: a password that is not a variable.
fn url_has_password(v: &str) -> bool {
    let Some((_, rest)) = v.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let Some((userinfo, _)) = authority.rsplit_once('@') else {
        return false;
    };
    userinfo
        .split_once(':')
        .is_some_and(|(_, pw)| !pw.is_empty() && !pw.starts_with('$'))
}

/// Is `name` an ARG or ENV in scope before instruction `idx` (an ARG of the
/// stage without a default included: its value comes with `--build-arg`)?
fn declared(cx: &Context, args: &[(usize, String)], idx: usize, name: &str) -> bool {
    let Some(stage) = cx.stage_of(idx) else {
        return false;
    };
    let from = cx.stages.get(stage).map_or(0, |s| s.from);
    args.iter().any(|(i, n)| *i > from && *i < idx && n == name)
        || cx.vars_at(stage, idx).contains_key(name)
}

/// The variable a URL's password is taken from (`https://u:${TOKEN}@h`).
fn url_password_var(v: &str) -> Option<String> {
    let v = v.trim_matches(['"', '\'']);
    if !is_url(v) {
        return None;
    }
    let (_, rest) = v.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (_, pw) = userinfo.split_once(':')?;
    let name = pw.strip_prefix('$')?;
    let name = name
        .strip_prefix('{')
        .map_or(name, |n| n.split(['}', ':']).next().unwrap_or(n));
    let name: String = name
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// What kind of credential a value looks like, if any.
pub(crate) fn secret_value(value: &str) -> Option<&'static str> {
    let v = value.trim_matches(['"', '\'']);
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    if is_url(v) && url_has_password(v) {
        return Some("a URL with a password");
    }
    let token = |prefix: &str, min: usize| {
        v.strip_prefix(prefix).is_some_and(|r| {
            r.len() >= min
                && r.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
    };
    if ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]
        .iter()
        .any(|p| token(p, 30))
        || token("github_pat_", 30)
    {
        return Some("a GitHub token");
    }
    if token("glpat-", 20) {
        return Some("a GitLab token");
    }
    if ["xoxb-", "xoxp-", "xoxa-", "xoxs-"]
        .iter()
        .any(|p| token(p, 10))
    {
        return Some("a Slack token");
    }
    if token("sk_live_", 16) || token("rk_live_", 16) {
        return Some("a Stripe key");
    }
    let aws = (v.starts_with("AKIA") || v.starts_with("ASIA"))
        && v.len() == 20
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if aws {
        return Some("an AWS access key");
    }
    None
}

/// Why a COPY/ADD source is a secret file, if it is one.
pub(crate) fn secret_file(source: &str) -> Option<&'static str> {
    if source.contains(['$', '*', '?', '[']) || source.contains("://") {
        return None;
    }
    let path = source.trim_end_matches('/');
    let base = path.rsplit('/').next().unwrap_or(path);
    let lower_path = path.to_ascii_lowercase();
    let lower = base.to_ascii_lowercase();
    if lower_path.ends_with(".docker/config.json") {
        return Some("registry credentials");
    }
    if lower_path.ends_with(".aws/credentials") {
        return Some("AWS credentials");
    }
    match lower.as_str() {
        "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519" | "id_ecdsa_sk" | "id_ed25519_sk" => {
            return Some("an SSH private key")
        }
        ".ssh" => return Some("SSH keys"),
        n if n.starts_with("ssh_host_") && !n.ends_with(".pub") => return Some("an SSH host key"),
        ".env" => return Some("environment secrets"),
        ".npmrc" | ".netrc" | ".pypirc" | ".git-credentials" | "credentials.json" => {
            return Some("credentials")
        }
        _ => {}
    }
    if let Some(suffix) = lower.strip_prefix(".env.") {
        return (!matches!(
            suffix,
            "example" | "sample" | "template" | "dist" | "defaults" | "default" | "test"
        ))
        .then_some("environment secrets");
    }
    let stem_words = |stem: &str| -> Vec<String> {
        stem.split(['-', '_', '.'])
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    if let Some(stem) = lower.strip_suffix(".pem") {
        const PUBLIC: [&str; 12] = [
            "ca",
            "cacert",
            "cert",
            "certs",
            "certificate",
            "certificates",
            "chain",
            "fullchain",
            "bundle",
            "pub",
            "public",
            "root",
        ];
        let words = stem_words(stem);
        if words.is_empty()
            || words
                .iter()
                .any(|w| PUBLIC.contains(&w.as_str()) || w.starts_with("rootca") || w == "crt")
        {
            return None;
        }
        return Some("a key or certificate with its key");
    }
    // `tls.key`, and the extensionless `tls_key`, `server-key`.
    let key_stem = lower.strip_suffix(".key").or_else(|| {
        (!lower.contains('.'))
            .then(|| {
                lower
                    .strip_suffix("_key")
                    .or_else(|| lower.strip_suffix("-key"))
            })
            .flatten()
    });
    if let Some(stem) = key_stem {
        const PUBLIC: [&str; 10] = [
            "pub", "public", "release", "gpg", "pgp", "apt", "repo", "signing", "archive",
            "keyring",
        ];
        let words = stem_words(stem);
        if words.is_empty() || words.iter().any(|w| PUBLIC.contains(&w.as_str())) {
            return None;
        }
        return Some("a private key");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for n in [
            "GITHUB_TOKEN",
            "NPM_TOKEN",
            "DB_PASSWORD",
            "db-password",
            "API_KEY",
            "STRIPE_SECRET_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_ACCESS_KEY_ID",
            "BASIC_AUTH",
            "PASSWORD",
            "DB_PWD",
            "GOOGLE_APPLICATION_CREDENTIALS",
        ] {
            assert!(secret_name(n), "{n}");
        }
        for n in [
            "GOPRIVATE",
            "GONOSUMDB",
            "GOFLAGS",
            "TOKEN_TTL",
            "AUTH_MODE",
            "PASSWORD_MIN_LENGTH",
            "PWD",
            "AUTHOR",
            "PUBLIC_KEY",
            "CACHE_KEY",
            "CLIENT_ID",
            "KEY_ID",
            "SSH_AUTH_SOCK",
            "BYPASS",
        ] {
            assert!(!secret_name(n), "{n}");
        }
    }

    #[test]
    fn values() {
        assert_eq!(
            secret_value("ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
            Some("a GitHub token")
        );
        assert_eq!(
            secret_value("AKIAIOSFODNN7EXAMPLE"),
            Some("an AWS access key")
        );
        assert_eq!(
            secret_value("https://user:hunter2@proxy.example.com"),
            Some("a URL with a password")
        );
        assert_eq!(secret_value("https://user:$TOKEN@proxy.example.com"), None);
        assert_eq!(secret_value("https://proxy.golang.org,direct"), None);
        assert_eq!(secret_value("ghp_short"), None);
        assert_eq!(
            url_password_var("https://ci:${PIP_TOKEN}@pypi.acme.internal/simple").as_deref(),
            Some("PIP_TOKEN")
        );
        assert_eq!(url_password_var("https://ci:$T@h").as_deref(), Some("T"));
        assert_eq!(url_password_var("https://h/$T"), None);
        assert!(harmless_value("/run/secrets/db"));
        assert!(harmless_value("https://vault.example.com/v1/auth"));
        assert!(harmless_value("false"));
        assert!(!harmless_value("hunter2"));
        assert!(!harmless_value("$GITHUB_TOKEN"));
        assert!(auth_mode("REGISTRY_AUTH", "htpasswd"));
        assert!(!auth_mode("BASIC_AUTH", "admin:hunter2"));
    }

    #[test]
    fn files() {
        assert!(secret_file("id_rsa").is_some());
        assert!(secret_file("/root/.ssh/").is_some());
        assert!(secret_file("config/.env").is_some());
        assert!(secret_file(".env.production").is_some());
        assert!(secret_file("certs/server-key.pem").is_some());
        assert!(secret_file("tls.key").is_some());
        assert!(secret_file("certs/tls_key").is_some());
        assert!(secret_file("server-key").is_some());
        assert!(secret_file("keys/ssh_host_ed25519_key").is_some());
        assert!(secret_file("ssh_host_rsa_key.pub").is_none());
        assert!(secret_file("public_key").is_none());
        assert!(secret_file("monkey").is_none());
        assert!(secret_file("/home/app/.docker/config.json").is_some());
        assert!(secret_file("id_rsa.pub").is_none());
        assert!(secret_file(".env.example").is_none());
        assert!(secret_file("ca.pem").is_none());
        assert!(secret_file("certs/fullchain.pem").is_none());
        assert!(secret_file("rootCA.pem").is_none());
        assert!(secret_file("nodesource-repo.key").is_none());
        assert!(secret_file("Release.key").is_none());
        assert!(secret_file("*.pem").is_none());
        assert!(secret_file("config.json").is_none());
    }
}
