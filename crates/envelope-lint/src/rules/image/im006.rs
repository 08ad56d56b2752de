use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags secrets baked into the image: in the config's `Env` (by name, such
    /// as `API_TOKEN`, or by value, such as a GitHub token or a private key), in
    /// the `created_by` of its history (build arguments and ENV lines are
    /// recorded there), and as files (private keys, `.env`, `.npmrc`, `.netrc`,
    /// `.git-credentials`, `.ssh/`, `.docker/config.json`, `.aws/credentials`).
    /// Values are never printed.
    ///
    /// ## Why
    /// Anyone who can pull the image can read every layer and the config:
    /// deleting a file in a later layer does not remove it, and build arguments
    /// stay in the history.
    ///
    /// ## Example
    /// `ENV GITHUB_TOKEN=ghp_...`, or `COPY id_rsa /root/.ssh/`.
    ///
    /// ## Fix
    /// Pass secrets at run time (environment from a secret store, mounted
    /// files), and at build time with `RUN --mount=type=secret`. Rotate any
    /// secret that was pushed in an image.
    pub struct Secrets {
        code: "IM006",
        name: "secret-in-image",
        severity: Error,
        fixable: false,
        enabled: true,
    }
}

impl ImageRule for Secrets {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        use crate::rules::dockerfile::df004 as s;
        let secret = |k: &str, v: &str| -> Option<String> {
            if let Some(what) = s::secret_value(v) {
                return Some(what.to_string());
            }
            (s::secret_name(k) && !v.is_empty() && !s::harmless_value(v) && !s::auth_mode(k, v))
                .then(|| "a secret by its name".to_string())
        };
        for (k, v) in cx.env() {
            if let Some(what) = secret(&k, &v) {
                out.push(
                    cx.diag(
                        &Self::INFO,
                        format!("config Env sets `{k}` to {what} (value redacted)"),
                    )
                    .with_help(
                        "pass secrets at run time from a secret store, not in the image config",
                    ),
                );
            }
        }
        for (i, created_by) in cx.history().iter().enumerate() {
            // A token anywhere in the command (`curl -H "Authorization:
            // Bearer ghp_..."`, `git clone https://u:pw@host`).
            let token = created_by
                .split_whitespace()
                .find_map(|w| s::secret_value(w.trim_matches(['"', '\'', ';', '(', ')', ','])));
            if let Some(what) = token {
                out.push(
                    cx.diag(
                        &Self::INFO,
                        format!("history step {} holds {what} (value redacted)", i + 1),
                    )
                    .with_help("commands and build arguments stay in the image history: use `RUN --mount=type=secret`"),
                );
                continue;
            }
            for word in created_by.split_whitespace() {
                let Some((k, v)) = word.split_once('=') else {
                    continue;
                };
                let k = k.trim_start_matches(['|', '-']);
                let plain =
                    !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if !plain {
                    continue;
                }
                if let Some(what) = secret(k, v.trim_matches(['"', '\''])) {
                    out.push(
                        cx.diag(
                            &Self::INFO,
                            format!("history step {} records `{k}` with {what} (value redacted)", i + 1),
                        )
                        .with_help("build arguments and ENV values stay in the image history: use `RUN --mount=type=secret`"),
                    );
                }
            }
        }
        for (path, what) in &cx.facts.secret_files {
            let size = cx.facts.fs.get(path).map_or(0, |n| n.size);
            out.push(
                cx.diag(&Self::INFO, format!("{path} holds {what}"))
                    .with_help("do not copy secrets into images; mount them at build time (`--mount=type=secret`) or run time")
                    .with_savings(size),
            );
        }
    }
}
