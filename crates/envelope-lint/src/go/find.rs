//! Collecting the `go` commands of every stage's RUNs, with the environment
//! each sees: ENV and ARG, `export`, inline assignments, and what earlier
//! `go env -w` commands wrote.

use std::collections::HashMap;

use envelope_dockerfile::{Command, Vars};

use super::{expand, is_go, GoCommand};

/// Finds `go` commands in the RUNs of every stage.
pub(crate) fn find(
    cx_df: &envelope_dockerfile::Dockerfile,
    stages: &[envelope_dockerfile::Stage],
    scopes: &crate::context::Scopes,
) -> Vec<GoCommand> {
    let mut out = Vec::new();
    // Settings written with `go env -w`, per stage (inherited through FROM).
    let mut go_env_files: HashMap<usize, Vars> = HashMap::new();
    for stage in stages {
        if let Some(file) = stage
            .parent
            .filter(|&p| p < stage.index)
            .and_then(|p| go_env_files.get(&p))
            .cloned()
        {
            go_env_files.insert(stage.index, file);
        }
        for idx in stage.from + 1..stage.end {
            let instr = &cx_df.instructions[idx];
            if instr.kind != envelope_dockerfile::Kind::Run {
                continue;
            }
            let commands = instr.commands();
            if !commands.iter().any(|c| is_go(c.name())) {
                continue;
            }
            let mut env = scopes.at(idx).unwrap_or_default();
            for c in commands {
                // `go env -w` persists into the go env file for later commands.
                if is_go(c.name()) && c.words.get(1).is_some_and(|w| w.value == "env") {
                    let writes = go_env_writes(&c, &env);
                    let file = go_env_files.entry(stage.index).or_default();
                    for (k, v) in writes {
                        match v {
                            Some(v) => file.insert(k, v),
                            None => file.remove(&k),
                        };
                    }
                }
                if c.name() == "export" {
                    for w in c.args() {
                        if let Some((k, v)) = w.value.split_once('=') {
                            env.insert(k.to_string(), expand(v, &env));
                        }
                    }
                    continue;
                }
                for (k, v) in &c.env {
                    // Plain assignments on their own persist in the shell.
                    if c.words.is_empty() {
                        env.insert(k.clone(), expand(v, &env));
                    }
                }
                if !is_go(c.name()) || c.words.len() < 2 {
                    continue;
                }
                let mut cmd_env = env.clone();
                let mut inline = Vars::new();
                for (k, v) in &c.env {
                    let v = expand(v, &env);
                    cmd_env.insert(k.clone(), v.clone());
                    inline.insert(k.clone(), v);
                }
                // The environment wins over the go env file.
                if let Some(file) = go_env_files.get(&stage.index) {
                    for (k, v) in file {
                        cmd_env.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                let sub = c.words[1].value.clone();
                let mod_sub = (sub == "mod")
                    .then(|| c.words.get(2).map(|w| w.value.clone()))
                    .flatten();
                out.push(GoCommand {
                    stage: stage.index,
                    instr: idx,
                    sub,
                    mod_sub,
                    command: c,
                    env: cmd_env,
                    inline,
                });
            }
        }
    }
    out
}

/// `go env -w K=V ...` and `go env -u K ...`: what the command writes to the
/// go env file (`None` unsets).
fn go_env_writes(c: &Command, env: &Vars) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut mode = None;
    for w in c.words.get(2..).unwrap_or_default() {
        match w.value.as_str() {
            "-w" | "--w" => mode = Some(true),
            "-u" | "--u" => mode = Some(false),
            v if v.starts_with('-') => {}
            v => match mode {
                Some(true) => {
                    if let Some((k, val)) = v.split_once('=') {
                        out.push((k.to_string(), Some(expand(val, env))));
                    }
                }
                Some(false) => out.push((v.to_string(), None)),
                None => {}
            },
        }
    }
    out
}
