use envelope_dockerfile::{Command, Kind, Op};

use super::download::{is_fetcher, remote_urls};
use super::final_image_instructions;
use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Flags a `curl`, `wget` or `aria2c` download in a RUN of the final
    /// image (the final stage or a stage it is built FROM) when nothing in
    /// the same RUN checks what was downloaded: no `sha256sum -c` (or
    /// `sha512sum`, `sha1sum`, `shasum`, `md5sum` with `-c`/`--check`,
    /// including `echo "<hex>  file" | sha256sum -c`), no `gpg --verify`,
    /// `gpgv`, `cosign verify*`, `minisign -V`, `slsa-verifier`,
    /// `openssl dgst -verify`, and no downloading of only the checksum or
    /// signature files themselves (`*.sha256`, `*.asc`, `*.sig`).
    /// A URL naming a full 40-hex git commit (a raw file at a commit) is
    /// taken as fixed content and not flagged.
    ///
    /// Not flagged: downloads in build stages whose RUN results do not
    /// become layers of the final image (a build stage that downloads
    /// `protoc` and only hands over a compiled binary), downloads from the
    /// build machine itself (`localhost`), a download piped into a shell
    /// (DF010 reports that one), and `ADD <URL>` (DF007 reports it without
    /// `--checksum`). A check in a later RUN is not seen: verify in the
    /// RUN that downloads, so no unverified file is ever in a layer.
    ///
    /// ## Why
    /// Severity warning: the downloaded file ends up in the shipped image.
    /// Without a checksum or signature, whatever the server (or anyone
    /// between it and the build) sends that day is installed: a
    /// compromised release page, a replaced asset or a captive proxy puts
    /// foreign code in the image with no error, and two builds of the same
    /// Dockerfile can differ.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM debian:bookworm-slim
    /// RUN curl -fsSLo /usr/local/bin/tini https://github.com/krallin/tini/releases/download/v0.19.0/tini-amd64 \
    ///     && chmod +x /usr/local/bin/tini
    /// ```
    ///
    /// ## Fix
    /// Check the file in the same RUN against a digest written in the
    /// Dockerfile:
    ///
    /// ```dockerfile
    /// RUN curl -fsSLo /usr/local/bin/tini https://github.com/krallin/tini/releases/download/v0.19.0/tini-amd64 \
    ///     && echo "93dcc18adc78c65a028a84799ecf8ad40c936fdfc5f2a57b1acda5a8117fa82c  /usr/local/bin/tini" | sha256sum -c - \
    ///     && chmod +x /usr/local/bin/tini
    /// ```
    ///
    /// or use `ADD --checksum=sha256:<digest> <URL> <dest>`.
    pub struct UnverifiedDownload {
        code: "DF014",
        name: "unverified-download",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl Rule for UnverifiedDownload {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for ins in final_image_instructions(cx) {
            if ins.kind != Kind::Run {
                continue;
            }
            let cmds = ins.commands();
            if cmds.iter().any(verifies) {
                continue;
            }
            for (i, cmd) in cmds.iter().enumerate() {
                if !is_fetcher(cmd) || piped_to_shell(&cmds, i) {
                    continue;
                }
                let urls = remote_urls(cmd);
                let Some(first) = urls.first() else {
                    continue;
                };
                if urls
                    .iter()
                    .all(|u| is_check_material(&u.value) || at_commit(&u.value))
                {
                    continue;
                }
                out.push(
                    cx.diag(
                        &Self::INFO,
                        cmd.span,
                        format!(
                            "`{}` downloads `{}` into the final image without checking a checksum or signature",
                            cmd.name(),
                            first.value
                        ),
                    )
                    .with_help("verify it in the same RUN: `echo \"<sha256>  <file>\" | sha256sum -c -`, or use `ADD --checksum=sha256:<digest>`"),
                );
            }
        }
    }
}

/// Does this command check a download (checksum or signature)?
fn verifies(cmd: &Command) -> bool {
    let args: Vec<&str> = cmd.args().iter().map(|w| w.value.as_str()).collect();
    let has = |f: &str| args.contains(&f);
    let check_flag = || {
        args.iter().any(|a| {
            *a == "--check"
                || *a == "--strict"
                || (a.starts_with('-') && !a.starts_with("--") && a.contains('c'))
        })
    };
    match cmd.name() {
        "sha256sum" | "sha512sum" | "sha384sum" | "sha224sum" | "sha1sum" | "md5sum" | "b2sum"
        | "shasum" => check_flag(),
        "gpg" | "gpg2" => has("--verify") || has("--verify-files"),
        "gpgv" | "gpgv2" | "slsa-verifier" => true,
        "cosign" => args.first().is_some_and(|a| a.starts_with("verify")),
        "minisign" => has("-V"),
        "signify" | "signify-openbsd" => has("-V") || has("-C"),
        "openssl" => has("dgst") && (has("-verify") || has("-signature")),
        _ => false,
    }
}

/// A checksum or signature file: downloading it is half of a check.
fn is_check_material(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let path = lower.split(['?', '#']).next().unwrap_or(&lower);
    let base = path.rsplit('/').next().unwrap_or(path);
    [
        ".sha256",
        ".sha512",
        ".sha1",
        ".md5",
        ".asc",
        ".sig",
        ".minisig",
        ".pem",
        ".gpg",
        ".sha256sum",
        ".sha512sum",
        ".intoto.jsonl",
    ]
    .iter()
    .any(|s| base.ends_with(s))
        || base.contains("checksums")
        || base.contains("sha256sums")
        || base.contains("sha512sums")
}

/// A URL naming a full git commit (`.../raw/<40 hex>/file`,
/// `raw.githubusercontent.com/o/r/<40 hex>/file`): its content is fixed by
/// the commit hash.
fn at_commit(url: &str) -> bool {
    url.split(['/', '?', '#'])
        .any(|seg| seg.len() == 40 && seg.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Is command `i` piped into a shell (DF010's `curl ... | sh`)?
fn piped_to_shell(cmds: &[Command], i: usize) -> bool {
    cmds.get(i + 1).is_some_and(|next| {
        next.op == Op::Pipe
            && next.words.iter().take(3).any(|w| {
                let n = w.value.rsplit('/').next().unwrap_or(&w.value);
                matches!(n, "sh" | "bash" | "ash" | "dash" | "zsh" | "ksh")
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmds(s: &str) -> Vec<Command> {
        let df = envelope_dockerfile::parse(format!("RUN {s}\n").as_bytes());
        df.instructions
            .first()
            .map(|i| i.commands())
            .unwrap_or_default()
    }

    #[test]
    fn checks_are_recognised() {
        assert!(cmds("echo \"abc  f\" | sha256sum -c -")
            .iter()
            .any(verifies));
        assert!(cmds("sha256sum --check f.sha256").iter().any(verifies));
        assert!(cmds("gpg --batch --verify f.asc f").iter().any(verifies));
        assert!(cmds("cosign verify-blob --key k f").iter().any(verifies));
        assert!(!cmds("sha256sum f").iter().any(verifies));
        assert!(!cmds("gpg --import k").iter().any(verifies));
    }

    #[test]
    fn check_material() {
        assert!(is_check_material("https://x/v1/tool_checksums.txt"));
        assert!(is_check_material("https://x/tool.tar.gz.asc"));
        assert!(!is_check_material("https://x/tool.tar.gz"));
        assert!(at_commit(
            "https://github.com/o/r/raw/33ae08ff08d168572df2956ed14fbc4949880d94/config/Caddyfile"
        ));
        assert!(!at_commit("https://github.com/o/r/releases/download/v1/x"));
    }

    #[test]
    fn pipe_to_shell_is_left_to_df010() {
        let c = cmds("curl -fsSL https://x/install.sh | sudo -E bash -");
        assert!(piped_to_shell(&c, 0));
        let c = cmds("curl -fsSL https://x/t.tgz | tar xz");
        assert!(!piped_to_shell(&c, 0));
    }
}
