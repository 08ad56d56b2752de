//! What rules read: the parsed file, its stages, which stages end up in the
//! final image, the Go commands, the build context, and helpers to make
//! findings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use envelope_diagnostics::{Diagnostic, RuleInfo, Source};
use envelope_dockerfile::{Dockerfile, Instruction, Kind, Span, Stage, Vars};

use crate::go::GoCommand;
use crate::image::BaseKind;
use crate::Settings;

/// Where a Dockerfile is built from: the build context (what `COPY .`
/// takes, where `.dockerignore` is read) and the folder holding the
/// Dockerfile (where BuildKit looks for a Dockerfile-specific ignore file).
/// `docker build -f docker/Dockerfile .` has `.` as its context and
/// `docker` as the Dockerfile's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildContext {
    pub dir: PathBuf,
    pub dockerfile_dir: PathBuf,
}

impl BuildContext {
    /// The usual layout: the Dockerfile at the root of its context.
    pub fn new(dir: impl Into<PathBuf>) -> BuildContext {
        let dir = dir.into();
        BuildContext {
            dockerfile_dir: dir.clone(),
            dir,
        }
    }

    /// A context elsewhere than the Dockerfile's folder.
    pub fn with_dockerfile_dir(mut self, dir: impl Into<PathBuf>) -> BuildContext {
        self.dockerfile_dir = dir.into();
        self
    }
}

pub struct Context<'a> {
    pub path: &'a str,
    pub df: &'a Dockerfile,
    pub source: &'a Source,
    pub settings: &'a Settings,
    /// The build context directory, when known.
    pub context_dir: Option<&'a Path>,
    /// The folder holding the Dockerfile, when known.
    pub dockerfile_dir: Option<&'a Path>,
    pub stages: Vec<Stage>,
    pub go: Vec<GoCommand>,
    reaches_final: Vec<bool>,
    scopes: Scopes,
    /// The platform arguments of each platform linted for.
    platform_vars: Vec<Vars>,
}

/// The variables in scope before every instruction, in linear space: each
/// stage keeps a log of its ARG/ENV assignments and each instruction how
/// much of the log precedes it. A map per instruction would be quadratic
/// for a file of thousands of ENV lines.
/// `(name, value, is_env)`: one ARG or ENV assignment.
type Assignment = (String, String, bool);

pub(crate) struct Scopes {
    /// Per stage: the inherited ENV and the assignments `(name, value, is_env)`.
    stages: Vec<(Vars, Vec<Assignment>)>,
    /// Per instruction: (stage, log length before it); `None` for FROM and
    /// the instructions before the first stage.
    at: Vec<Option<(usize, usize)>>,
}

impl Scopes {
    fn new(df: &Dockerfile, stages: &[Stage], build_args: &BTreeMap<String, String>) -> Scopes {
        let globals = global_args(df, build_args);
        let mut at = vec![None; df.instructions.len()];
        let mut out = Vec::with_capacity(stages.len());
        for st in stages {
            // ENV inherited from a parent stage (its whole scope, ENV only).
            let inherited = match st.parent {
                Some(_) => df.vars_at(stages, st.index, st.from + 1),
                None => Vars::new(),
            };
            let mut current = inherited.clone();
            let mut env_names: std::collections::HashSet<String> =
                inherited.keys().cloned().collect();
            let mut log = Vec::new();
            let range = st.from + 1..st.end.min(df.instructions.len());
            for (instr, slot) in df.instructions[range.clone()]
                .iter()
                .zip(at[range].iter_mut())
            {
                *slot = Some((st.index, log.len()));
                match instr.kind {
                    Kind::Arg => {
                        for kv in instr.key_values() {
                            let value = match (build_args.get(&kv.key), kv.value) {
                                (Some(v), _) => Some(v.clone()),
                                (None, Some(v)) => Some(envelope_dockerfile::expand(&v, &current)),
                                (None, None) => globals.get(&kv.key).cloned(),
                            };
                            if let Some(v) = value {
                                if !env_names.contains(&kv.key) {
                                    current.insert(kv.key.clone(), v.clone());
                                }
                                log.push((kv.key, v, false));
                            }
                        }
                    }
                    Kind::Env => {
                        let values: Vec<(String, String)> = instr
                            .key_values()
                            .into_iter()
                            .map(|kv| {
                                let v = envelope_dockerfile::expand(
                                    kv.value.as_deref().unwrap_or_default(),
                                    &current,
                                );
                                (kv.key, v)
                            })
                            .collect();
                        for (k, v) in values {
                            current.insert(k.clone(), v.clone());
                            env_names.insert(k.clone());
                            log.push((k, v, true));
                        }
                    }
                    _ => {}
                }
            }
            out.push((inherited, log));
        }
        Scopes { stages: out, at }
    }

    /// The variables in scope before instruction `idx`, if it is in a stage.
    pub(crate) fn at(&self, idx: usize) -> Option<Vars> {
        let (stage, len) = self.at.get(idx).copied().flatten()?;
        let (inherited, log) = self.stages.get(stage)?;
        let mut env = inherited.clone();
        let mut args = Vars::new();
        for (k, v, is_env) in log.get(..len).unwrap_or_default() {
            if *is_env {
                args.remove(k);
                env.insert(k.clone(), v.clone());
            } else {
                args.insert(k.clone(), v.clone());
            }
        }
        for (k, v) in env {
            args.insert(k, v);
        }
        Some(args)
    }
}

impl<'a> Context<'a> {
    pub fn new(
        path: &'a str,
        df: &'a Dockerfile,
        source: &'a Source,
        settings: &'a Settings,
        build: Option<&'a BuildContext>,
    ) -> Context<'a> {
        let mut stages = df.stages();
        let platform_vars = platform_vars(&settings.platforms);
        resolve_parents(df, &mut stages, &settings.build_args, &platform_vars);
        let scopes = Scopes::new(df, &stages, &settings.build_args);
        let go = crate::go::find(df, &stages, &scopes);
        let reaches_final = reaching(df, &stages, &scopes, &platform_vars);
        Context {
            path,
            df,
            source,
            settings,
            context_dir: build.map(|b| b.dir.as_path()),
            dockerfile_dir: build.map(|b| b.dockerfile_dir.as_path()),
            stages,
            go,
            reaches_final,
            scopes,
            platform_vars,
        }
    }

    /// The stage a `--from=` value of instruction `idx` names, variables
    /// and platform arguments expanded (see [`stage_ref`]).
    pub fn stage_ref(&self, idx: usize, reference: &str) -> Option<&Stage> {
        let i = stage_ref(
            self.df,
            &self.stages,
            &self.scopes,
            &self.platform_vars,
            idx,
            reference,
        )?;
        self.stages.get(i)
    }

    /// The platform arguments (`TARGETARCH`...) for each platform linted
    /// for, over which unresolved paths are expanded.
    pub fn platform_vars(&self) -> &[Vars] {
        &self.platform_vars
    }

    /// The stage `docker build` builds by default: the last one.
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    pub fn is_final(&self, stage: usize) -> bool {
        stage + 1 == self.stages.len()
    }

    /// Does anything of this stage end up in the final image (it is the
    /// final stage, an ancestor of it, or copied from into one that does)?
    pub fn reaches_final(&self, stage: usize) -> bool {
        self.reaches_final.get(stage).copied().unwrap_or(false)
    }

    /// The external image at the root of a stage's FROM chain.
    pub fn root_image(&self, stage: usize) -> &str {
        let mut s = stage;
        for _ in 0..self.stages.len() {
            match self.stages.get(s).and_then(|st| st.parent) {
                Some(p) => s = p,
                None => break,
            }
        }
        self.stages.get(s).map_or("", |st| st.image.as_str())
    }

    /// What the stage's base provides.
    pub fn base_kind(&self, stage: usize) -> BaseKind {
        BaseKind::classify(self.root_image(stage))
    }

    /// Is `image` the name of an earlier stage rather than an image?
    pub fn is_stage_ref(&self, stage: usize) -> bool {
        self.stages.get(stage).is_some_and(|s| s.parent.is_some())
    }

    /// The stage instruction `idx` belongs to.
    pub fn stage_of(&self, idx: usize) -> Option<usize> {
        self.stages
            .iter()
            .find(|s| s.from <= idx && idx < s.end)
            .map(|s| s.index)
    }

    /// A stage's instructions after its FROM, with their indices.
    pub fn instructions(
        &self,
        stage: usize,
    ) -> impl Iterator<Item = (usize, &'a Instruction)> + '_ {
        let (from, end) = self
            .stages
            .get(stage)
            .map_or((0, 0), |s| (s.from + 1, s.end));
        let df: &'a Dockerfile = self.df;
        (from..end).filter_map(move |i| df.instructions.get(i).map(|ins| (i, ins)))
    }

    /// The last instruction of `kind` in a stage.
    pub fn last_of(&self, stage: usize, kind: Kind) -> Option<(usize, &'a Instruction)> {
        self.instructions(stage)
            .filter(|(_, i)| i.kind == kind)
            .last()
    }

    /// Variables in scope before instruction `idx` of `stage`.
    pub fn vars_at(&self, stage: usize, idx: usize) -> Vars {
        match self.stages.get(stage) {
            Some(st) if st.from < idx && idx < st.end => self.scopes.at(idx).unwrap_or_default(),
            _ => self.df.vars_at(&self.stages, stage, idx),
        }
    }

    /// The ignore file BuildKit applies to this build, as `(name, text)`:
    /// `<Dockerfile name>.dockerignore` in the Dockerfile's folder when it
    /// exists, else `.dockerignore` at the root of the build context. The
    /// first one found is the only one read: the two are never merged.
    pub fn ignore_file(&self) -> Option<(String, String)> {
        let context = self.context_dir?;
        let specific = Path::new(self.path)
            .file_name()
            .map(|n| format!("{}.dockerignore", n.to_string_lossy()))
            .filter(|_| self.path != "-");
        let beside = self.dockerfile_dir.unwrap_or(context);
        specific
            .map(|n| (beside.join(&n), n))
            .into_iter()
            .chain(std::iter::once((
                context.join(".dockerignore"),
                ".dockerignore".to_string(),
            )))
            .find_map(|(file, name)| {
                std::fs::read(file)
                    .ok()
                    .map(|b| (name, String::from_utf8_lossy(&b).into_owned()))
            })
    }

    /// The text of a span.
    pub fn text(&self, span: Span) -> &'a str {
        self.df.source.get(span.start..span.end).unwrap_or_default()
    }

    /// A finding for `rule` at `span`.
    pub fn diag(&self, rule: &RuleInfo, span: Span, message: impl Into<String>) -> Diagnostic {
        let mut d = Diagnostic::new(rule.code, rule.severity, message);
        d.span = Some((span.start, span.end));
        d.path = self.path.to_string();
        d
    }

    /// A finding about a binary, for how sure it is that the binary reaches
    /// the final image: [`Reach::May`] lowers it one severity and says so
    /// in its message.
    ///
    /// [`Reach::May`]: crate::go::Reach::May
    pub fn diag_reach(
        &self,
        rule: &RuleInfo,
        span: Span,
        message: impl Into<String>,
        reach: crate::go::Reach,
    ) -> Diagnostic {
        let mut d = self.diag(rule, span, message);
        if reach == crate::go::Reach::May {
            d.message.push_str(
                " (the binary may reach the final image: a path on its way could not be resolved)",
            );
            d.severity = rule.severity.lowered(1);
        }
        d
    }

    /// The offset where the line holding `offset` starts.
    pub fn line_start(&self, offset: usize) -> usize {
        self.df.source[..offset.min(self.df.source.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1)
    }

    /// The indentation of the line holding `offset`.
    pub fn indent_at(&self, offset: usize) -> &'a str {
        let start = self.line_start(offset);
        let line = &self.df.source[start..];
        let n = line.len() - line.trim_start_matches([' ', '\t']).len();
        &line[..n]
    }
}

/// The platforms linted for when none is given: what multi-platform Go
/// images are built for.
pub const DEFAULT_PLATFORMS: [&str; 2] = ["linux/amd64", "linux/arm64"];

fn platform_vars(platforms: &[String]) -> Vec<Vars> {
    let list: Vec<&str> = if platforms.is_empty() {
        DEFAULT_PLATFORMS.to_vec()
    } else {
        platforms.iter().map(String::as_str).collect()
    };
    let build = list.first().copied().unwrap_or(DEFAULT_PLATFORMS[0]);
    list.iter()
        .map(|p| crate::go::platform_vars(p, build))
        .collect()
}

/// The global ARGs (before the first FROM) with their defaults, a build
/// argument given for a declared one winning.
fn global_args(df: &Dockerfile, build_args: &BTreeMap<String, String>) -> Vars {
    let mut vars = df.global_args();
    if build_args.is_empty() {
        return vars;
    }
    for i in df.instructions.iter().take_while(|i| i.kind != Kind::From) {
        if i.kind != Kind::Arg {
            continue;
        }
        for kv in i.key_values() {
            if let Some(v) = build_args.get(&kv.key) {
                vars.insert(kv.key, v.clone());
            }
        }
    }
    vars
}

/// The stage a `--from=` (or `--mount=from=`) value of instruction `idx`
/// names: by name or index as written, else with the variables in scope
/// there and the platform arguments expanded, when every platform linted
/// for names the same stage (`--from=binaries-$TARGETOS`).
fn stage_ref(
    df: &Dockerfile,
    stages: &[Stage],
    scopes: &Scopes,
    platform_vars: &[Vars],
    idx: usize,
    reference: &str,
) -> Option<usize> {
    if let Some(s) = df.stage_by_ref(stages, reference) {
        return Some(s.index);
    }
    if !reference.contains('$') {
        return None;
    }
    let vars = scopes.at(idx).unwrap_or_default();
    same_stage_on_every_platform(df, stages, reference, &vars, platform_vars)
}

/// The stage `word` names once expanded with `vars` over each platform's
/// arguments, when that is one and the same stage on all of them.
fn same_stage_on_every_platform(
    df: &Dockerfile,
    stages: &[Stage],
    word: &str,
    vars: &Vars,
    platform_vars: &[Vars],
) -> Option<usize> {
    let mut found = None;
    for pv in platform_vars {
        let mut all = pv.clone();
        for (k, v) in vars {
            // `ARG TARGETOS` without a default takes the platform's value.
            if !(v.is_empty() && pv.contains_key(k)) {
                all.insert(k.clone(), v.clone());
            }
        }
        let name = envelope_dockerfile::expand(word, &all);
        let stage = df.stage_by_ref(stages, &name)?.index;
        if found.is_some_and(|f| f != stage) {
            return None;
        }
        found = Some(stage);
    }
    found
}

/// FROM a stage whose name holds a variable (`FROM buildkit-$TARGETOS`):
/// BuildKit expands the global ARGs (a declared one without a default is
/// empty unless given with `--build-arg`) and the platform arguments. When
/// every platform linted for gives the same earlier stage, that is the
/// parent.
fn resolve_parents(
    df: &Dockerfile,
    stages: &mut [Stage],
    build_args: &BTreeMap<String, String>,
    platform_vars: &[Vars],
) {
    if !stages
        .iter()
        .any(|s| s.parent.is_none() && s.image.contains('$'))
    {
        return;
    }
    let mut globals = Vars::new();
    for i in df.instructions.iter().take_while(|i| i.kind != Kind::From) {
        if i.kind == Kind::Arg {
            for kv in i.key_values() {
                globals.entry(kv.key).or_default();
            }
        }
    }
    for (k, v) in global_args(df, build_args) {
        globals.insert(k, v);
    }
    for i in 0..stages.len() {
        let st = &stages[i];
        if st.parent.is_some() || !st.image.contains('$') {
            continue;
        }
        let Some(word) = st.image_word.as_ref().map(|w| w.value.clone()) else {
            continue;
        };
        let earlier = &stages[..i];
        if let Some(p) = same_stage_on_every_platform(df, earlier, &word, &globals, platform_vars) {
            let image = earlier[p].name.clone().unwrap_or_else(|| p.to_string());
            stages[i].parent = Some(p);
            stages[i].image = image;
        }
    }
}

fn reaching(
    df: &Dockerfile,
    stages: &[Stage],
    scopes: &Scopes,
    platform_vars: &[Vars],
) -> Vec<bool> {
    let mut reach = vec![false; stages.len()];
    let Some(last) = stages.last() else {
        return reach;
    };
    let mut work = vec![last.index];
    while let Some(s) = work.pop() {
        if reach[s] {
            continue;
        }
        reach[s] = true;
        let st = &stages[s];
        if let Some(p) = st.parent {
            work.push(p);
        }
        let body = df.instructions.get(st.from + 1..st.end).unwrap_or_default();
        for (pos, instr) in body.iter().enumerate() {
            if !matches!(instr.kind, Kind::Copy | Kind::Add | Kind::Run) {
                continue;
            }
            let mut refs: Vec<String> = Vec::new();
            if let Some(v) = instr.flag("from").and_then(|f| f.value.clone()) {
                refs.push(v);
            }
            for m in instr.flags.iter().filter(|f| f.name == "mount") {
                for (k, v) in m.fields() {
                    if k == "from" {
                        refs.push(v);
                    }
                }
            }
            let idx = st.from + 1 + pos;
            for r in refs {
                if let Some(t) = stage_ref(df, stages, scopes, platform_vars, idx, &r) {
                    if t < s {
                        work.push(t);
                    }
                }
            }
        }
    }
    reach
}
