use envelope_dockerfile::{Instruction, Kind};

use crate::{declare_rule, Context, Diagnostic, Edit, Fix, Rule};

declare_rule! {
    /// ## What it does
    /// Flags ADD where COPY would do, and ADD downloads that are not
    /// verified:
    ///
    /// - ADD of local files or directories that are not archives: COPY does
    ///   the same. Local tar archives (`.tar`, `.tar.gz`, `.tgz`, `.tar.xz`,
    ///   `.tar.bz2`, `.tar.zst` and the like), which ADD unpacks, are left
    ///   alone, and so is an ADD whose source may be an archive or a URL:
    ///   a wildcard that may match an archive, a file name or a whole
    ///   source from a variable that does not resolve (a variable in a
    ///   directory of the path, `dir-${V}/etcd`, is still a local file).
    /// - ADD of an `http(s)://` URL without `--checksum=sha256:...`.
    ///
    /// ADD of a git repository (`https://github.com/org/repo.git#v1.2`,
    /// `git@github.com:org/repo.git`) is left alone: COPY cannot do it.
    ///
    /// ## Why
    /// ADD does more than it says: it unpacks archives and fetches URLs, so a
    /// reader cannot tell from the line what ends up in the image, and
    /// renaming a file to `.tar.gz` silently changes the build. COPY copies
    /// exactly. A URL without a checksum can serve different bytes on every
    /// build, or someone else's bytes.
    ///
    /// ## Example
    /// ```dockerfile
    /// ADD ./config /etc/app/
    /// ADD https://example.com/tool-linux-amd64 /usr/local/bin/tool
    /// ```
    ///
    /// ## Fix
    /// `--fix` replaces `ADD` with `COPY` for local non-archive sources,
    /// keeping `--chown`, `--chmod`, `--link` and `--exclude` (an ADD with
    /// flags COPY lacks, such as `--checksum` or `--keep-git-dir`, is
    /// reported without a fix). For a download, add
    /// `--checksum=sha256:<digest>`, or download with `curl` in a RUN and
    /// check it with `sha256sum -c`.
    pub struct AddInsteadOfCopy {
        code: "DF007",
        name: "add-instead-of-copy",
        severity: Warning,
        fixable: true,
        enabled: true,
    }
}

/// ADD flags COPY also takes.
const COPY_FLAGS: [&str; 4] = ["chown", "chmod", "link", "exclude"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// A local file or directory that ADD copies as COPY would.
    Plain,
    /// Something ADD treats specially, or that we cannot tell.
    Special,
    Git,
    Url,
}

impl Rule for AddInsteadOfCopy {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for ins in cx.df.instructions.iter().filter(|i| i.kind == Kind::Add) {
            if !ins.heredocs.is_empty() {
                continue;
            }
            let words = ins.words();
            if words.len() < 2 {
                continue;
            }
            let sources = &words[..words.len() - 1];
            let kinds: Vec<Source> = sources.iter().map(|w| classify(&w.value, ins)).collect();
            for (w, k) in sources.iter().zip(&kinds) {
                if *k == Source::Url && ins.flag("checksum").is_none() {
                    out.push(
                        cx.diag(&Self::INFO, w.span, "ADD downloads a URL without --checksum")
                            .with_help("add `--checksum=sha256:<digest>` so a changed or tampered download fails the build"),
                    );
                }
            }
            if !kinds.iter().all(|k| *k == Source::Plain) {
                continue;
            }
            let fixable = ins
                .flags
                .iter()
                .all(|f| COPY_FLAGS.contains(&f.name.as_str()));
            let mut d = cx
                .diag(
                    &Self::INFO,
                    ins.keyword_span,
                    "ADD of local files that are not archives: COPY does the same",
                )
                .with_help("use COPY; ADD also unpacks archives and downloads URLs, which readers then have to rule out");
            if fixable {
                let copy = if ins.keyword.chars().all(|c| c.is_ascii_lowercase()) {
                    "copy"
                } else {
                    "COPY"
                };
                d = d.with_fix(Fix::safe(
                    "replace ADD with COPY",
                    vec![Edit::replace(
                        ins.keyword_span.start,
                        ins.keyword_span.end,
                        copy,
                    )],
                ));
            }
            out.push(d);
        }
    }
}

fn classify(source: &str, ins: &Instruction) -> Source {
    let lower = source.to_ascii_lowercase();
    if is_git(&lower) {
        return Source::Git;
    }
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Source::Url;
    }
    // A variable left unresolved may hold a scheme or an archive's name;
    // one inside a directory of a local path (`dir-${V}/etcd`) does not.
    let last = lower.trim_end_matches('/');
    let last = last.rsplit('/').next().unwrap_or(last);
    if lower.contains("://") || source.starts_with('$') || last.contains('$') {
        return Source::Special;
    }
    // `--unpack` changes what ADD does with archives.
    if ins.flag("unpack").is_some() {
        return Source::Special;
    }
    let name = lower.trim_end_matches('/');
    let name = name.rsplit('/').next().unwrap_or(name);
    if is_archive(name) {
        return Source::Special;
    }
    // A wildcard may match an archive unless its extension says otherwise.
    if name.contains(['*', '?', '[']) {
        let ext = name.rsplit_once('.').map(|(_, e)| e);
        return match ext {
            Some(e) if !e.contains(['*', '?', '[', ']']) && !is_archive(&format!("x.{e}")) => {
                Source::Plain
            }
            _ => Source::Special,
        };
    }
    Source::Plain
}

/// What ADD unpacks (it detects tar archives, plain or compressed, by their
/// content; these are the names they go by).
fn is_archive(name: &str) -> bool {
    const EXT: [&str; 16] = [
        ".tar", ".tgz", ".taz", ".tbz", ".tbz2", ".tb2", ".txz", ".tzst", ".tlz", ".gz", ".bz2",
        ".xz", ".zst", ".lz", ".lzma", ".z",
    ];
    EXT.iter().any(|e| name.ends_with(e))
}

fn is_git(lower: &str) -> bool {
    if lower.starts_with("git@") || lower.starts_with("git://") || lower.starts_with("ssh://") {
        return true;
    }
    let without_ref = lower.split('#').next().unwrap_or(lower);
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && without_ref.trim_end_matches('/').ends_with(".git")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Source> {
        let df = envelope_dockerfile::parse(format!("FROM x\n{src}\n").as_bytes());
        let ins = &df.instructions[1];
        let words = ins.words();
        words[..words.len() - 1]
            .iter()
            .map(|w| classify(&w.value, ins))
            .collect()
    }

    #[test]
    fn sources() {
        use Source::*;
        assert_eq!(kinds("ADD . /app"), [Plain]);
        assert_eq!(kinds("ADD rootfs.tar.gz /"), [Special]);
        assert_eq!(kinds("ADD app.TGZ /"), [Special]);
        assert_eq!(kinds("ADD *.go /src/"), [Plain]);
        assert_eq!(kinds("ADD dist/* /srv/"), [Special]);
        assert_eq!(kinds("ADD *.tar.gz /srv/"), [Special]);
        assert_eq!(kinds("ADD $FILE /srv/"), [Special]);
        assert_eq!(kinds("ADD dir-${V}/etcd /srv/"), [Plain]);
        assert_eq!(kinds("ADD dir/${V}.tgz /srv/"), [Special]);
        assert_eq!(kinds("ADD https://example.com/x.tar.gz /x"), [Url]);
        assert_eq!(
            kinds("ADD https://github.com/moby/buildkit.git#v0.12.0 /src"),
            [Git]
        );
        assert_eq!(kinds("ADD git@github.com:org/repo.git /src"), [Git]);
        assert_eq!(kinds("ADD --unpack=false x.tar /x"), [Special]);
    }
}
