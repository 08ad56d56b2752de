use envelope_dockerfile::Kind;

use super::final_image_instructions;
use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Flags files and directories made writable by every user in the final
    /// image (the final stage and the stages it is built FROM): `chmod`
    /// with an octal mode that gives others write (`777`, `666`, `0757`),
    /// or a symbolic one (`o+w`, `a+w`, `ugo+rwx`, `a=rwx`), and COPY or
    /// ADD `--chmod=` with such a mode.
    ///
    /// Not flagged: modes with the sticky bit (`1777`, `+t`), the usual
    /// and safe mode of shared temporary directories such as `/tmp`;
    /// `chmod +w` with no `o`/`a` (it obeys the umask, which leaves others
    /// out); build stages whose files are not copied as is; modes held in
    /// variables.
    ///
    /// ## Why
    /// Severity warning. A world-writable program, library or config lets
    /// any process in the container, whatever user it runs as, replace
    /// what the main program runs or reads: one compromised sidecar
    /// process or unprivileged user becomes the application. `777` is
    /// usually written to make a permission error go away, when the fix is
    /// to give the directory to the user that writes to it.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine:3.20
    /// COPY --chmod=777 app /usr/local/bin/app
    /// RUN mkdir /data && chmod -R 777 /data
    /// ```
    ///
    /// ## Fix
    /// Give the directory to the user that writes to it and keep it private:
    /// `RUN mkdir /data && chown 65532:65532 /data && chmod 750 /data`
    /// (or `COPY --chown=65532:65532`); programs need `755`, not `777`. For
    /// a shared scratch directory, add the sticky bit: `chmod 1777`.
    pub struct WorldWritable {
        code: "DF016",
        name: "world-writable",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl Rule for WorldWritable {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for ins in final_image_instructions(cx) {
            match ins.kind {
                Kind::Copy | Kind::Add => {
                    let Some(flag) = ins.flag("chmod") else {
                        continue;
                    };
                    if flag.value.as_deref().is_some_and(world_writable) {
                        out.push(
                            cx.diag(
                                &Self::INFO,
                                flag.span,
                                format!(
                                    "`--chmod={}` makes the copied files writable by every user",
                                    flag.value.as_deref().unwrap_or_default()
                                ),
                            )
                            .with_help("use 755 for programs and 644 for files; give writable directories to their user with --chown"),
                        );
                    }
                }
                Kind::Run => {
                    for cmd in ins.commands() {
                        if cmd.name() != "chmod" {
                            continue;
                        }
                        let Some(mode) = cmd.args().iter().find(|w| !is_option(&w.value)) else {
                            continue;
                        };
                        if !world_writable(&mode.value) {
                            continue;
                        }
                        let paths: Vec<&str> = cmd
                            .args()
                            .iter()
                            .filter(|w| !is_option(&w.value))
                            .skip(1)
                            .map(|w| w.value.as_str())
                            .collect();
                        out.push(
                            cx.diag(
                                &Self::INFO,
                                cmd.span,
                                format!(
                                    "`chmod {}` makes `{}` writable by every user in the final image",
                                    mode.value,
                                    paths.join(" ")
                                ),
                            )
                            .with_help("chown the path to the user that writes to it and use 750/755; shared temporary directories take 1777"),
                        );
                    }
                }
                _ => {}
            }
        }
    }
}

/// `-R`, `--recursive`, `-v`... but not a symbolic mode starting with `-`
/// (`-w` removes write, never a finding anyway).
fn is_option(w: &str) -> bool {
    w.starts_with('-')
}

/// Does this chmod mode give others write access, without the sticky bit?
fn world_writable(mode: &str) -> bool {
    if mode.contains('$') || mode.is_empty() {
        return false;
    }
    if mode.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        let Ok(n) = u32::from_str_radix(mode, 8) else {
            return false;
        };
        let sticky = n & 0o1000 != 0;
        return n & 0o002 != 0 && !sticky && n <= 0o7777;
    }
    // Symbolic: comma-separated clauses `[ugoa]*[+=][rwxXst]*`.
    let mut writable = false;
    let mut sticky = false;
    for clause in mode.split(',') {
        let who_end = clause
            .find(|c: char| !matches!(c, 'u' | 'g' | 'o' | 'a'))
            .unwrap_or(clause.len());
        let (who, rest) = clause.split_at(who_end);
        let others = who.contains('o') || who.contains('a');
        let mut op = ' ';
        for c in rest.chars() {
            match c {
                '+' | '-' | '=' => op = c,
                'w' if others && op != '-' => writable = true,
                't' if op != '-' => sticky = true,
                _ => {}
            }
        }
    }
    writable && !sticky
}

#[cfg(test)]
mod tests {
    use super::world_writable;

    #[test]
    fn modes() {
        for m in [
            "777", "0777", "666", "757", "o+w", "a+w", "ugo+rwx", "a=rwx", "u+x,o+w",
        ] {
            assert!(world_writable(m), "{m}");
        }
        for m in [
            "1777", "755", "644", "0750", "+w", "u+w", "g+w", "o-w", "a+rwxt", "$MODE", "", "99",
        ] {
            assert!(!world_writable(m), "{m}");
        }
    }
}
