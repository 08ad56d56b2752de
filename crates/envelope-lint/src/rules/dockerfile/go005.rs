use std::collections::BTreeSet;

use envelope_dockerfile::{Instruction, Kind, Span};

use crate::go::{cache_mount_targets, clean, mount_covers, GoCommand};
use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Flags a COPY or ADD of the whole build context (`COPY . .`,
    /// `COPY ./ /src/`) in a stage that then runs Go, when no earlier step of
    /// that stage copied only the module files (`go.mod`, `go.sum`,
    /// `go.work`) and ran `go mod download`.
    ///
    /// Not flagged: vendored modules (`-mod=vendor`, or a `vendor/` directory
    /// in the build context), a download with the module files bind-mounted
    /// (`RUN --mount=type=bind,source=go.mod,...`), and Go commands after the
    /// copy that all keep the module cache in a cache mount, so nothing is
    /// downloaded again.
    ///
    /// ## Why
    /// Docker reuses a layer only while everything before it is unchanged.
    /// After a copy of the whole context, any edit to any source file
    /// invalidates the layers that follow, so every build downloads all
    /// modules again. Module files change rarely: copied alone first, the
    /// download layer stays cached until a dependency changes.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23 AS build
    /// WORKDIR /src
    /// COPY . .
    /// RUN go mod download
    /// RUN go build -o /app .
    /// ```
    ///
    /// ## Fix
    /// Copy the module files and download before copying the source:
    ///
    /// ```dockerfile
    /// COPY go.mod go.sum ./
    /// RUN go mod download
    /// COPY . .
    /// ```
    pub struct SourceBeforeDownload {
        code: "GO005",
        name: "source-before-mod-download",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl Rule for SourceBeforeDownload {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        if vendored_context(cx) {
            return;
        }
        let mut flagged = BTreeSet::new();
        let go_stages: BTreeSet<usize> = cx.go.iter().map(|g| g.stage).collect();
        for &stage in &go_stages {
            // The stage with the stages it is built FROM, in build order.
            let mut chain = vec![stage];
            while let Some(p) = chain
                .last()
                .and_then(|&s| cx.stages.get(s))
                .and_then(|s| s.parent)
            {
                if chain.contains(&p) || chain.len() > 64 {
                    break;
                }
                chain.push(p);
            }
            chain.reverse();
            let steps: Vec<(usize, &Instruction)> =
                chain.iter().flat_map(|&s| cx.instructions(s)).collect();
            let go: Vec<&GoCommand> = cx.go.iter().filter(|g| chain.contains(&g.stage)).collect();
            let mut modules_copied = false;
            let mut downloaded = false;
            for &(idx, instr) in &steps {
                match instr.kind {
                    Kind::Copy | Kind::Add if instr.flag("from").is_none() => {
                        if copies_only_module_files(instr) {
                            modules_copied = true;
                        } else if copies_whole_context(instr)
                            && !downloaded
                            && !flagged.contains(&idx)
                        {
                            if let Some(d) = self.finding(cx, idx, instr, &go) {
                                flagged.insert(idx);
                                out.push(d);
                            }
                        }
                    }
                    Kind::Run => {
                        let downloads = go.iter().any(|g| g.instr == idx && is_download(g));
                        if downloads && (modules_copied || binds_module_files(instr)) {
                            downloaded = true;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

impl SourceBeforeDownload {
    fn finding(
        &self,
        cx: &Context,
        idx: usize,
        instr: &Instruction,
        go: &[&GoCommand],
    ) -> Option<Diagnostic> {
        let later: Vec<&&GoCommand> = go
            .iter()
            .filter(|g| g.instr > idx && uses_modules(g))
            .collect();
        if later.is_empty() {
            return None;
        }
        if later
            .iter()
            .any(|g| g.last_flag_value("mod").as_deref() == Some("vendor"))
        {
            return None;
        }
        // With the module cache in a cache mount nothing is downloaded twice.
        if later.iter().all(|g| mounts_module_cache(cx, g)) {
            return None;
        }
        let words: Vec<String> = instr.words().into_iter().map(|w| w.value).collect();
        let what = format!("{} {}", instr.keyword, words.join(" "));
        let what = if what.len() > 40 {
            instr.keyword.clone()
        } else {
            what
        };
        let message = if let Some(g) = later.iter().find(|g| is_download(g)) {
            let name = match &g.mod_sub {
                Some(m) => format!("go mod {m}"),
                None => format!("go {}", g.sub),
            };
            format!("`{what}` copies the whole build context before `{name}`: any source change downloads every module again")
        } else {
            format!("`{what}` copies the whole build context with no `go mod download` before it: any source change downloads every module again")
        };
        let end = instr
            .words()
            .last()
            .map_or(instr.keyword_span.end, |w| w.span.end);
        Some(
            cx.diag(&Self::INFO, Span::new(instr.keyword_span.start, end), message)
                .with_help("copy the module files and download first: `COPY go.mod go.sum ./`, `RUN go mod download`, then `COPY . .`"),
        )
    }
}

/// A build context with a `vendor/modules.txt`: modules come from there.
fn vendored_context(cx: &Context) -> bool {
    cx.context_dir
        .is_some_and(|d| d.join("vendor").join("modules.txt").is_file())
}

fn is_download(g: &GoCommand) -> bool {
    (g.sub == "mod" && g.mod_sub.as_deref() == Some("download"))
        || g.sub == "get"
        || (g.sub == "list" && g.args().iter().any(|w| w.value == "-m"))
}

/// Commands that need the module dependencies.
fn uses_modules(g: &GoCommand) -> bool {
    match g.sub.as_str() {
        "build" | "install" | "test" | "vet" | "run" | "generate" | "get" | "list" => true,
        "mod" => matches!(
            g.mod_sub.as_deref(),
            Some("download" | "tidy" | "vendor" | "verify" | "graph")
        ),
        _ => false,
    }
}

fn sources(instr: &Instruction) -> Vec<String> {
    let words = instr.words();
    let n = words.len().saturating_sub(1);
    words[..n].iter().map(|w| w.value.clone()).collect()
}

fn copies_whole_context(instr: &Instruction) -> bool {
    instr.heredocs.is_empty()
        && sources(instr)
            .iter()
            .any(|s| clean(s).is_empty() && !s.starts_with('/'))
}

fn is_module_file(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    base.starts_with("go.")
}

fn copies_only_module_files(instr: &Instruction) -> bool {
    let s = sources(instr);
    !s.is_empty() && s.iter().all(|p| is_module_file(p))
}

/// `RUN --mount=type=bind,source=go.mod,target=go.mod go mod download`.
fn binds_module_files(instr: &Instruction) -> bool {
    instr.flags.iter().filter(|f| f.name == "mount").any(|m| {
        let fields = m.fields();
        fields.iter().any(|(k, v)| k == "type" && v == "bind")
            && fields
                .iter()
                .any(|(k, v)| matches!(k.as_str(), "source" | "src") && is_module_file(v))
    })
}

fn mounts_module_cache(cx: &Context, g: &GoCommand) -> bool {
    let Some(instr) = cx.df.instructions.get(g.instr) else {
        return false;
    };
    let targets = cache_mount_targets(instr, &g.env);
    match g.module_cache(cx) {
        Some(paths) => paths
            .iter()
            .any(|p| targets.iter().any(|t| mount_covers(t, p))),
        // Somewhere we cannot tell: any cache mount may be it.
        None => !targets.is_empty(),
    }
}
