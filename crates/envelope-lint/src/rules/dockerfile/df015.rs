use envelope_dockerfile::Kind;

use super::download::{is_fetcher, is_remote_url, remote_urls};
use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Flags a download URL that names a moving target instead of a
    /// release, in any stage (RUN `curl`/`wget`/`aria2c` and ADD):
    ///
    /// - the newest release: `/releases/latest` (GitHub's
    ///   `/releases/latest/download/...`), `/latest/download/`, `@latest`
    ///   (jsDelivr, unpkg);
    /// - a branch: `archive/main.tar.gz`, `archive/master.zip`,
    ///   `archive/refs/heads/...`, and raw files from a branch
    ///   (`raw.githubusercontent.com/<owner>/<repo>/main/...`, also
    ///   `master` and `HEAD`).
    ///
    /// Not flagged: URLs naming a tag or a commit (`/releases/download/v1.2.3/`,
    /// `archive/refs/tags/v1.2.3.tar.gz`, `/<commit>/install.sh`),
    /// `go install ...@latest` (GO007), and anything that is not a URL
    /// argument of a download.
    ///
    /// ## Why
    /// Severity warning: the same Dockerfile builds different software from
    /// one day to the next. A new major release with a changed interface
    /// breaks the build (or worse, the image) without any change in the
    /// repository, the build cannot be reproduced, and a checksum cannot be
    /// pinned for a file that keeps changing, so the download cannot be
    /// verified either (DF014).
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN curl -fsSLo /usr/local/bin/yq https://github.com/mikefarah/yq/releases/latest/download/yq_linux_amd64
    /// ```
    ///
    /// ## Fix
    /// Name the release (`/releases/download/v4.44.3/yq_linux_amd64`), or a
    /// commit for raw files, and check its checksum; keep the version in an
    /// `ARG` so an update tool (Renovate, Dependabot) can bump it.
    pub struct MovingDownloadUrl {
        code: "DF015",
        name: "moving-download-url",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl Rule for MovingDownloadUrl {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for ins in &cx.df.instructions {
            let words = match ins.kind {
                Kind::Run => ins
                    .commands()
                    .iter()
                    .filter(|c| is_fetcher(c))
                    .flat_map(|c| remote_urls(c).into_iter().cloned().collect::<Vec<_>>())
                    .collect(),
                Kind::Add => {
                    let words = ins.words();
                    let n = words.len().saturating_sub(1);
                    words
                        .into_iter()
                        .take(n)
                        .filter(|w| is_remote_url(&w.value))
                        .collect()
                }
                _ => Vec::new(),
            };
            for w in words {
                if let Some(why) = moving(&w.value) {
                    out.push(
                        cx.diag(
                            &Self::INFO,
                            w.span,
                            format!("`{}` points at {why}, which moves", w.value),
                        )
                        .with_help("download a named release or a commit, and check its checksum"),
                    );
                }
            }
        }
    }
}

/// What moving target the URL names, if any.
fn moving(url: &str) -> Option<&'static str> {
    let lower = url.to_ascii_lowercase();
    let path = lower.split(['?', '#']).next().unwrap_or(&lower);
    if path.contains("/releases/latest") || path.contains("/latest/download/") {
        return Some("the latest release");
    }
    if path
        .split('/')
        .any(|seg| seg.ends_with("@latest") && seg.len() > "@latest".len())
    {
        return Some("the latest version");
    }
    if path.contains("/archive/refs/heads/") {
        return Some("a branch");
    }
    let segs: Vec<&str> = path.split('/').collect();
    if let Some(pos) = segs.iter().position(|s| *s == "archive") {
        if let Some(file) = segs.get(pos + 1) {
            let stem = file
                .strip_suffix(".tar.gz")
                .or_else(|| file.strip_suffix(".zip"))
                .or_else(|| file.strip_suffix(".tar.bz2"))
                .or_else(|| file.strip_suffix(".tgz"));
            if matches!(stem, Some("main" | "master" | "head" | "trunk" | "develop")) {
                return Some("a branch");
            }
        }
    }
    // raw.githubusercontent.com/<owner>/<repo>/<ref>/<path>
    if let Some(rest) = path
        .strip_prefix("https://raw.githubusercontent.com/")
        .or_else(|| path.strip_prefix("http://raw.githubusercontent.com/"))
    {
        let r = rest.split('/').nth(2).unwrap_or_default();
        if matches!(r, "main" | "master" | "head" | "trunk" | "develop") {
            return Some("a branch");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::moving;

    #[test]
    fn moving_targets() {
        for u in [
            "https://github.com/o/r/releases/latest/download/t_linux_amd64",
            "https://github.com/o/r/releases/latest",
            "https://cdn.jsdelivr.net/npm/pkg@latest/dist/x.js",
            "https://github.com/o/r/archive/main.tar.gz",
            "https://github.com/o/r/archive/refs/heads/master.zip",
            "https://raw.githubusercontent.com/o/r/HEAD/install.sh",
            "https://raw.githubusercontent.com/o/r/master/install.sh",
        ] {
            assert!(moving(u).is_some(), "{u}");
        }
        for u in [
            "https://github.com/o/r/releases/download/v1.2.3/t.tar.gz",
            "https://github.com/o/r/archive/refs/tags/v1.2.3.tar.gz",
            "https://github.com/o/r/archive/v1.2.3.tar.gz",
            "https://raw.githubusercontent.com/o/r/5f3c1e2/install.sh",
            "https://example.com/latest-notes.txt",
            "https://example.com/@latest",
        ] {
            assert!(moving(u).is_none(), "{u}");
        }
    }
}
