//! Build stages: which instructions belong to which `FROM`, stage names and
//! references, and the ARG/ENV variables in scope at any instruction.

use crate::{expand, Dockerfile, Kind, Vars, Word};

/// One build stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub index: usize,
    /// `AS name`, lowercased as BuildKit compares it.
    pub name: Option<String>,
    /// Index of the FROM instruction.
    pub from: usize,
    /// One past the stage's last instruction.
    pub end: usize,
    /// The image word as written.
    pub image_word: Option<Word>,
    /// The image with global ARGs substituted.
    pub image: String,
    /// `--platform` as written.
    pub platform: Option<String>,
    /// The earlier stage this one is built `FROM`, if any.
    pub parent: Option<usize>,
}

impl Stage {
    /// `scratch`, case-insensitively.
    pub fn is_scratch(&self) -> bool {
        self.image.eq_ignore_ascii_case("scratch")
    }
}

impl Dockerfile {
    /// ARGs declared before the first FROM, with their defaults.
    pub fn global_args(&self) -> Vars {
        let mut vars = Vars::new();
        for i in &self.instructions {
            if i.kind == Kind::From {
                break;
            }
            if i.kind == Kind::Arg {
                for kv in i.key_values() {
                    // Without a default the value comes from --build-arg:
                    // unknown here, so references to it stay as written.
                    if let Some(v) = kv.value {
                        let v = expand(&v, &vars);
                        vars.insert(kv.key, v);
                    }
                }
            }
        }
        vars
    }

    /// The build stages in order.
    pub fn stages(&self) -> Vec<Stage> {
        let globals = self.global_args();
        let mut stages: Vec<Stage> = Vec::new();
        for (idx, instr) in self.instructions.iter().enumerate() {
            if instr.kind != Kind::From {
                continue;
            }
            if let Some(last) = stages.last_mut() {
                last.end = idx;
            }
            let words = instr.words();
            let image_word = words.first().cloned();
            let image = image_word
                .as_ref()
                .map(|w| expand(&w.value, &globals))
                .unwrap_or_default();
            let name = match words.get(1) {
                Some(w) if w.value.eq_ignore_ascii_case("as") => {
                    words.get(2).map(|n| n.value.to_ascii_lowercase())
                }
                _ => None,
            };
            let lower = image.to_ascii_lowercase();
            let parent = stages
                .iter()
                .position(|s| s.name.as_deref() == Some(lower.as_str()))
                .or_else(|| lower.parse::<usize>().ok().filter(|&n| n < stages.len()));
            stages.push(Stage {
                index: stages.len(),
                name,
                from: idx,
                end: self.instructions.len(),
                image_word,
                image,
                platform: instr.flag("platform").and_then(|f| f.value.clone()),
                parent,
            });
        }
        stages
    }

    /// The stage a `--from=` value or a FROM image names: by name or index.
    pub fn stage_by_ref<'s>(&self, stages: &'s [Stage], reference: &str) -> Option<&'s Stage> {
        let lower = reference.to_ascii_lowercase();
        stages
            .iter()
            .find(|s| s.name.as_deref() == Some(lower.as_str()))
            .or_else(|| lower.parse::<usize>().ok().and_then(|n| stages.get(n)))
    }

    /// The variables in scope just before instruction `at` of `stage`:
    /// ENV inherited from a parent stage, then the stage's ARGs (a bare
    /// `ARG NAME` re-imports a global) and ENVs, in order.
    pub fn vars_at(&self, stages: &[Stage], stage: usize, at: usize) -> Vars {
        self.scope(stages, stage, at, false, 0)
    }

    /// Calls `f(index, vars)` for each instruction of `stage` after its FROM,
    /// with the variables in scope just before it. One pass over the stage,
    /// where calling [`Dockerfile::vars_at`] for each would be quadratic.
    pub fn walk_vars(&self, stages: &[Stage], stage: usize, mut f: impl FnMut(usize, &Vars)) {
        let Some(st) = stages.get(stage) else {
            return;
        };
        let mut env = match st.parent {
            Some(p) if p < stage => {
                let end = stages[p].end;
                self.scope(stages, p, end, true, 1)
            }
            _ => Vars::new(),
        };
        let mut args = Vars::new();
        let globals = self.global_args();
        let mut current = merged(&env, &args);
        for idx in st.from + 1..st.end {
            let Some(instr) = self.instructions.get(idx) else {
                break;
            };
            f(idx, &current);
            match instr.kind {
                Kind::Arg => {
                    for kv in instr.key_values() {
                        let value = match kv.value {
                            Some(v) => Some(expand(&v, &current)),
                            None => globals.get(&kv.key).cloned(),
                        };
                        if let Some(v) = value {
                            args.insert(kv.key, v);
                        }
                    }
                    current = merged(&env, &args);
                }
                Kind::Env => {
                    for kv in instr.key_values() {
                        let v = expand(kv.value.as_deref().unwrap_or_default(), &current);
                        args.remove(&kv.key);
                        env.insert(kv.key, v);
                    }
                    current = merged(&env, &args);
                }
                _ => {}
            }
        }
    }

    fn scope(
        &self,
        stages: &[Stage],
        stage: usize,
        at: usize,
        env_only: bool,
        depth: usize,
    ) -> Vars {
        let Some(st) = stages.get(stage) else {
            return Vars::new();
        };
        let mut env = match st.parent {
            Some(p) if depth < 64 && p < stage => {
                let end = stages[p].end;
                self.scope(stages, p, end, true, depth + 1)
            }
            _ => Vars::new(),
        };
        // `current` is ARGs overlaid with ENVs, kept up to date as we go so
        // that a stage of thousands of ENV lines stays linear.
        let mut current = env.clone();
        let mut args = Vars::new();
        let globals = self.global_args();
        let end = at.min(st.end);
        for instr in self.instructions.get(st.from + 1..end).unwrap_or_default() {
            match instr.kind {
                Kind::Arg if !env_only => {
                    for kv in instr.key_values() {
                        let value = match kv.value {
                            Some(v) => Some(expand(&v, &current)),
                            None => globals.get(&kv.key).cloned(),
                        };
                        if let Some(v) = value {
                            if !env.contains_key(&kv.key) {
                                current.insert(kv.key.clone(), v.clone());
                            }
                            args.insert(kv.key, v);
                        }
                    }
                }
                Kind::Env => {
                    // Every value sees the variables from before the instruction.
                    let values: Vec<(String, String)> = instr
                        .key_values()
                        .into_iter()
                        .map(|kv| {
                            let v = expand(kv.value.as_deref().unwrap_or_default(), &current);
                            (kv.key, v)
                        })
                        .collect();
                    for (k, v) in values {
                        args.remove(&k);
                        current.insert(k.clone(), v.clone());
                        env.insert(k, v);
                    }
                }
                _ => {}
            }
        }
        if env_only {
            env
        } else {
            current
        }
    }
}

fn merged(env: &Vars, args: &Vars) -> Vars {
    let mut out = args.clone();
    for (k, v) in env {
        out.insert(k.clone(), v.clone());
    }
    out
}
