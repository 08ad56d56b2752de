use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};
use envelope_layer::fs::NodeKind;

declare_rule! {
    /// ## What it does
    /// Flags build tooling left in the image: the Go toolchain, a C compiler,
    /// `git`, Go source files and `.git` directories.
    ///
    /// ## Why
    /// A compiled Go program needs none of it at run time. The toolchain alone
    /// is hundreds of megabytes, the sources and history reveal the code, and
    /// every tool is something to patch and something an intruder can use.
    ///
    /// ## Example
    /// A single-stage `FROM golang:1.23` image that runs the binary it built.
    ///
    /// ## Fix
    /// Build in a `golang` stage and copy only the binary into a scratch or
    /// distroless final stage (what `envelope build` does).
    pub struct BuildTooling {
        code: "IM007",
        name: "build-tooling-in-image",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl ImageRule for BuildTooling {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        let mut items: Vec<(String, u64)> = Vec::new();
        for (what, paths, tree) in TOOLS {
            if let Some(p) = paths.iter().find(|p| cx.exists(p)) {
                let bytes = tree
                    .iter()
                    .map(|t| cx.bytes_under(t))
                    .sum::<u64>()
                    .max(cx.resolve(p).map_or(0, |(_, n)| n.size));
                items.push((format!("{what} ({p})"), bytes));
            }
        }
        let (mut go_files, mut go_bytes) = (0usize, 0u64);
        let mut git_dirs: Vec<String> = Vec::new();
        for (path, node) in cx.facts.fs.iter() {
            // Toolchains and module caches are counted as such (IM008).
            if path.starts_with("/usr/local/go/")
                || path.starts_with("/usr/lib/go")
                || path.contains("/pkg/mod/")
                || path.starts_with("/root/.cache/")
            {
                continue;
            }
            if node.kind == NodeKind::File && path.ends_with(".go") {
                go_files += 1;
                go_bytes += node.size;
            }
            if node.kind == NodeKind::Dir && path.ends_with("/.git") {
                git_dirs.push(path.to_string());
            }
        }
        if go_files > 0 {
            items.push((format!("{go_files} Go source files"), go_bytes));
        }
        for g in git_dirs {
            let bytes = cx.bytes_under(&g);
            items.push((format!("a git repository ({g})"), bytes));
        }
        for (what, bytes) in items {
            out.push(
                cx.diag(&Self::INFO, format!("build tooling in the image: {what}"))
                    .with_help(
                        "build in a separate stage and copy only the binary into the final image",
                    )
                    .with_savings(bytes),
            );
        }
    }
}

/// (what, where its command is, the trees it occupies).
const TOOLS: [(&str, &[&str], &[&str]); 4] = [
    (
        "the Go toolchain",
        &["/usr/local/go/bin/go", "/usr/lib/go/bin/go", "/usr/bin/go"],
        &["/usr/local/go", "/usr/lib/go"],
    ),
    (
        "a C compiler",
        &["/usr/bin/gcc", "/usr/bin/cc", "/usr/bin/clang"],
        &["/usr/lib/gcc", "/usr/libexec/gcc"],
    ),
    (
        "git",
        &["/usr/bin/git"],
        &["/usr/lib/git-core", "/usr/libexec/git-core"],
    ),
    ("make", &["/usr/bin/make"], &[]),
];
