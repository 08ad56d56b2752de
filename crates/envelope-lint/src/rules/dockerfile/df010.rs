use envelope_dockerfile::{Command, Instruction, Kind, Op, Span, Word};

use super::df003::chain;
use crate::go::{cache_mount_targets, mount_covers};
use crate::{declare_rule, Context, Diagnostic, Edit, Fix, Rule};

declare_rule! {
    /// ## What it does
    /// Flags package-manager habits that bloat or weaken the final image, in
    /// the final stage and the stages it is built FROM (build stages are
    /// thrown away, so their size does not matter):
    ///
    /// - `apt-get install` (or `apt install`) without
    ///   `--no-install-recommends` or `-o APT::Install-Recommends=false`
    ///   (not flagged when an earlier RUN configures `APT::Install-Recommends`
    ///   or a COPY adds an apt.conf file);
    /// - `apt-get install` in a RUN that does not `rm -rf
    ///   /var/lib/apt/lists/*` and has no cache or tmpfs mount over
    ///   `/var/lib/apt`;
    /// - `apk add` without `--no-cache`, unless the RUN removes
    ///   `/var/cache/apk` or mounts a cache there;
    /// - `sudo` in a RUN.
    ///
    /// In every stage, build stages included: a download piped into a shell
    /// (`curl ... | sh`, `wget -qO- ... | bash`, `sh -c "$(curl ...)"`,
    /// `bash <(curl ...)`).
    ///
    /// ## Why
    /// Recommended packages are often a large share of what apt installs and
    /// none of them were asked for. Package lists and the apk cache stay in
    /// the layer (tens of megabytes) unless removed in the same RUN. RUN
    /// already runs as root unless a USER says otherwise, so `sudo` means an
    /// extra setuid binary in the image and a confused user setup. A
    /// script piped from the network into a shell runs whatever the server
    /// sends that day, unverified, with the build's privileges and secrets.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM debian:bookworm-slim
    /// RUN apt-get update && apt-get install -y ca-certificates
    /// RUN curl -fsSL https://example.com/install.sh | sh
    /// ```
    ///
    /// ## Fix
    /// `--fix` adds `--no-cache` after `apk add`; `--fix --unsafe-fixes`
    /// also adds `--no-install-recommends` after `apt-get install`, which
    /// is unsafe: a package may need what it only recommends. By hand: end
    /// the apt RUN with `&& rm -rf /var/lib/apt/lists/*`; drop `sudo` (use
    /// `USER root` ... `USER app` around the RUN); download installers to a
    /// file, check their checksum (`sha256sum -c`), then run them.
    pub struct PackageHygiene {
        code: "DF010",
        name: "package-manager-hygiene",
        severity: Warning,
        fixable: true,
        enabled: true,
    }
}

const SHELLS: [&str; 6] = ["sh", "bash", "ash", "dash", "zsh", "ksh"];

impl Rule for PackageHygiene {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        // Downloads piped into a shell: every stage.
        for ins in cx.df.instructions.iter().filter(|i| i.kind == Kind::Run) {
            for (span, dl, shell) in piped_to_shell(&ins.commands()) {
                out.push(
                    cx.diag(&Self::INFO, span, format!("`{dl} ... | {shell}` runs whatever the server sends, unverified"))
                        .with_help("download to a file, verify it (`sha256sum -c`), then run it; or install a pinned package"),
                );
            }
        }

        let Some(last) = cx.final_stage() else {
            return;
        };
        let mut recommends_configured = false;
        for st in chain(cx, last.index).into_iter().rev() {
            for (idx, ins) in cx.instructions(st) {
                match ins.kind {
                    Kind::Copy | Kind::Add => {
                        if ins
                            .words()
                            .last()
                            .is_some_and(|w| w.value.contains("apt.conf"))
                        {
                            recommends_configured = true;
                        }
                        continue;
                    }
                    Kind::Run => {}
                    _ => continue,
                }
                let cache = if ins.flags.iter().any(|f| f.name == "mount") {
                    cache_mount_targets(ins, &cx.vars_at(st, idx))
                } else {
                    Vec::new()
                };
                let mounted = |path: &str| {
                    cache
                        .iter()
                        .chain(&tmpfs_targets(ins))
                        .any(|t| mount_covers(t, path))
                };
                let commands = ins.commands();
                // Fixes need the words to map back to the source exactly.
                let fixable = !ins.is_json();
                let mut lists_flagged = false;
                if ins_text(ins).contains("APT::Install-Recommends") {
                    recommends_configured = true;
                }
                for c in &commands {
                    match c.name() {
                        "apt-get" | "apt" => {
                            let Some(install) = subcommand(c, &["install"]) else {
                                continue;
                            };
                            let head = Span::new(c.span.start, install.span.end);
                            if !recommends_configured && !no_recommends(c) {
                                let mut d = cx
                                    .diag(&Self::INFO, head, format!("`{} install` without --no-install-recommends", c.name()))
                                    .with_help("add --no-install-recommends: recommended packages are extras nobody asked for, adding size and CVEs");
                                if fixable && cx.text(install.span) == "install" {
                                    d = d.with_fix(Fix::unsafe_edits(
                                        "add --no-install-recommends",
                                        vec![Edit::insert(
                                            install.span.end,
                                            " --no-install-recommends",
                                        )],
                                    ));
                                }
                                out.push(d);
                            }
                            if !lists_flagged
                                && !removes(&commands, "/var/lib/apt/lists")
                                && !mounted("/var/lib/apt/lists")
                            {
                                lists_flagged = true;
                                out.push(
                                    cx.diag(
                                        &Self::INFO,
                                        head,
                                        format!(
                                            "`{} install` leaves the package lists in the layer",
                                            c.name()
                                        ),
                                    )
                                    .with_help(
                                        "end this RUN with `&& rm -rf /var/lib/apt/lists/*`",
                                    ),
                                );
                            }
                        }
                        "apk" => {
                            let Some(add) = subcommand(c, &["add"]) else {
                                continue;
                            };
                            let has_flag = c.args().iter().any(|w| w.value == "--no-cache");
                            if has_flag
                                || removes(&commands, "/var/cache/apk")
                                || mounted("/var/cache/apk")
                                || mounted("/etc/apk/cache")
                            {
                                continue;
                            }
                            let head = Span::new(c.span.start, add.span.end);
                            let mut d = cx
                                .diag(&Self::INFO, head, "`apk add` without --no-cache leaves the package index in the layer")
                                .with_help("add --no-cache");
                            if fixable && cx.text(add.span) == "add" {
                                d = d.with_fix(Fix::safe(
                                    "add --no-cache",
                                    vec![Edit::insert(add.span.end, " --no-cache")],
                                ));
                            }
                            out.push(d);
                        }
                        "sudo" => {
                            let span = c.words.first().map_or(c.span, |w| w.span);
                            out.push(
                                cx.diag(&Self::INFO, span, "`sudo` in a RUN")
                                    .with_help("RUN already runs as the USER in effect: switch with `USER root` before and back after, and do not install sudo"),
                            );
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// The subcommand word (first non-option argument) when it is one of `names`.
fn subcommand<'c>(c: &'c Command, names: &[&str]) -> Option<&'c Word> {
    let args = c.args();
    let mut i = 0;
    while i < args.len() {
        let v = args[i].value.as_str();
        if v.starts_with('-') {
            // apt-get's options that take the next word.
            let takes_value = matches!(
                v,
                "-o" | "-c"
                    | "-t"
                    | "--option"
                    | "--config-file"
                    | "--target-release"
                    | "-X"
                    | "--repository"
                    | "-p"
                    | "--root"
            );
            i += if takes_value { 2 } else { 1 };
            continue;
        }
        return names.contains(&v).then_some(&args[i]);
    }
    None
}

fn no_recommends(c: &Command) -> bool {
    c.args().iter().any(|w| {
        let v = w.value.as_str();
        v == "--no-install-recommends"
            || v.strip_prefix("-o")
                .map(|o| o.trim_start_matches('=').trim())
                .and_then(|o| o.strip_prefix("APT::Install-Recommends="))
                .is_some_and(|val| {
                    matches!(
                        val.trim_matches(['"', '\'']).to_ascii_lowercase().as_str(),
                        "false" | "0" | "no" | "off"
                    )
                })
            || (v.starts_with("APT::Install-Recommends=")
                && matches!(
                    v["APT::Install-Recommends=".len()..]
                        .trim_matches(['"', '\''])
                        .to_ascii_lowercase()
                        .as_str(),
                    "false" | "0" | "no" | "off"
                ))
    })
}

/// Does an `rm` in the RUN remove `dir` or its contents?
fn removes(commands: &[Command], dir: &str) -> bool {
    commands.iter().any(|c| {
        c.name() == "rm"
            && c.args().iter().any(|w| {
                let v = w.value.trim_end_matches(['*', '/']);
                v == dir || v.starts_with(&format!("{dir}/"))
            })
    })
}

fn tmpfs_targets(ins: &Instruction) -> Vec<String> {
    ins.flags
        .iter()
        .filter(|f| f.name == "mount")
        .filter_map(|f| {
            let fields = f.fields();
            fields
                .iter()
                .any(|(k, v)| k == "type" && v == "tmpfs")
                .then(|| {
                    fields
                        .iter()
                        .find(|(k, _)| matches!(k.as_str(), "target" | "dst" | "destination"))
                        .map(|(_, v)| v.clone())
                })?
        })
        .collect()
}

/// The RUN's text, heredoc bodies included.
fn ins_text(ins: &Instruction) -> String {
    let mut t = ins.raw.text.clone();
    for h in &ins.heredocs {
        t.push_str(&h.body.text);
    }
    t
}

/// `curl ... | sh`, `wget -O- ... | sudo bash`, `sh -c "$(curl ...)"`: the
/// span from the download to the shell, the download tool and the shell.
fn piped_to_shell(commands: &[Command]) -> Vec<(Span, String, String)> {
    let is_download = |c: &Command| matches!(c.name(), "curl" | "wget");
    // The shell word of `sh ...` or `sudo -E bash ...`.
    let shell_word = |c: &Command| -> Option<Word> {
        let name = |w: &Word| w.value.rsplit('/').next().unwrap_or(&w.value).to_string();
        let first = c.words.first()?;
        let w = if name(first) == "sudo" {
            c.words.iter().skip(1).find(|w| !w.value.starts_with('-'))?
        } else {
            first
        };
        SHELLS.contains(&name(w).as_str()).then(|| w.clone())
    };
    let mut out = Vec::new();
    for (i, c) in commands.iter().enumerate() {
        if is_download(c) {
            // The pipeline goes on while the next command is piped into.
            let mut j = i + 1;
            while let Some(next) = commands.get(j).filter(|n| n.op == Op::Pipe) {
                if let Some(sh) = shell_word(next) {
                    let shell = sh.value.rsplit('/').next().unwrap_or(&sh.value).to_string();
                    out.push((
                        Span::new(c.span.start, sh.span.end),
                        c.name().to_string(),
                        shell,
                    ));
                    break;
                }
                j += 1;
            }
        }
        if let Some(sh) = shell_word(c) {
            let dl = c.words.iter().find_map(|w| {
                let v = w.value.trim_start_matches(['"', '\'']);
                ["curl", "wget"].into_iter().find(|d| {
                    ["$(", "`", "<("]
                        .iter()
                        .any(|open| v.starts_with(&format!("{open}{d}")))
                })
            });
            if let Some(dl) = dl {
                let shell = sh.value.rsplit('/').next().unwrap_or(&sh.value).to_string();
                out.push((c.span, dl.to_string(), shell));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmds(s: &str) -> Vec<Command> {
        envelope_dockerfile::parse(format!("FROM x\nRUN {s}\n").as_bytes()).instructions[1]
            .commands()
    }

    #[test]
    fn pipes() {
        assert_eq!(piped_to_shell(&cmds("curl -fsSL https://x | sh")).len(), 1);
        assert_eq!(
            piped_to_shell(&cmds("wget -qO- https://x | sudo -E bash -")).len(),
            1
        );
        assert_eq!(
            piped_to_shell(&cmds("curl -fsSL https://x | gunzip | sh -s")).len(),
            1
        );
        assert_eq!(
            piped_to_shell(&cmds("sh -c \"$(curl -fsSL https://x)\"")).len(),
            1
        );
        assert_eq!(
            piped_to_shell(&cmds("bash <(curl -fsSL https://x) --version 1")).len(),
            1
        );
        assert!(piped_to_shell(&cmds("diff <(curl -fsSL https://x) y")).is_empty());
        assert!(piped_to_shell(&cmds("curl -fsSL https://x | tar -xz")).is_empty());
        assert!(piped_to_shell(&cmds("curl -o i.sh https://x && sh i.sh")).is_empty());
    }

    #[test]
    fn apt_options() {
        let c = &cmds("apt-get -o Dpkg::Options::=--force-confold -y install curl")[0];
        assert_eq!(
            subcommand(c, &["install"]).map(|w| w.value.as_str()),
            Some("install")
        );
        let c = &cmds("apt-get -y -o APT::Install-Recommends=false install curl")[0];
        assert!(no_recommends(c));
        let c = &cmds("apt-get install -y --no-install-recommends curl")[0];
        assert!(no_recommends(c));
        let c = &cmds("apt-get update")[0];
        assert!(subcommand(c, &["install"]).is_none());
    }
}
