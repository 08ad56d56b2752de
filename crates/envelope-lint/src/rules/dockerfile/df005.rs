use envelope_dockerfile::{Instruction, Kind, Word};

use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Flags a COPY or ADD that takes the whole build context (`COPY . .`,
    /// `COPY ./ /src`, `ADD * /app/`) when the context has no
    /// `.dockerignore`, or one that does not exclude `.env` (and `.git`,
    /// when the context holds one). A `<Dockerfile>.dockerignore` beside the
    /// Dockerfile is used instead of `.dockerignore` when present, as
    /// BuildKit does. Patterns are read as BuildKit reads them: `.git`,
    /// `/.git/`, `**/.env`, `.*` or `*` all exclude, and a later `!` line
    /// can include the file again.
    ///
    /// COPYs of named files and directories (`COPY go.mod go.sum ./`,
    /// `COPY cmd ./cmd`) are not flagged: BuildKit sends only what they name.
    /// Nothing is checked when the build context is unknown (standard input).
    ///
    /// ## Why
    /// Without it `COPY . .` puts everything in the directory into a layer:
    /// the `.git` directory with the whole history (and any secret ever
    /// committed), local `.env` files with credentials, editor and build
    /// leftovers. They end up in the image or in the build cache, and every
    /// change to them invalidates the cached layers.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23 AS build
    /// WORKDIR /src
    /// COPY . .
    /// RUN CGO_ENABLED=0 go build -o /app .
    /// ```
    ///
    /// ## Fix
    /// Add a `.dockerignore` at the root of the build context (the directory
    /// given to `docker build`, `--context` for `envelope lint`) with at
    /// least:
    ///
    /// ```text
    /// .git
    /// .env
    /// **/.env
    /// ```
    ///
    /// or, stricter, exclude everything and include what the build needs:
    /// `*` then `!go.mod`, `!go.sum`, `!cmd/`, `!internal/`.
    pub struct Dockerignore {
        code: "DF005",
        name: "dockerignore-missing",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl Rule for Dockerignore {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let Some(dir) = cx.context_dir else {
            return;
        };
        let Some((ins, word)) = cx
            .df
            .instructions
            .iter()
            .find_map(|i| whole_context_source(i).map(|w| (i, w)))
        else {
            return;
        };
        let has_git = dir.join(".git").exists();
        let kw = ins.kind.name();
        let Some((file, text)) = cx.ignore_file() else {
            let what = if has_git {
                ".git and any .env file"
            } else {
                "any .env file"
            };
            out.push(
                cx.diag(
                    &Self::INFO,
                    word.span,
                    format!("no .dockerignore: `{kw} {}` takes the whole build context, {what} included", word.value),
                )
                .with_help("add a .dockerignore at the root of the build context with at least `.git`, `.env` and `**/.env`"),
            );
            return;
        };
        let patterns = parse_ignore(&text);
        let mut missing = Vec::new();
        if has_git && !excluded(&patterns, ".git") {
            missing.push(".git");
        }
        if !excluded(&patterns, ".env") {
            missing.push(".env");
        }
        if missing.is_empty() {
            return;
        }
        let list = missing
            .iter()
            .map(|m| format!("`{m}`"))
            .collect::<Vec<_>>()
            .join(" or ");
        out.push(
            cx.diag(
                &Self::INFO,
                word.span,
                format!(
                    "{file} does not exclude {list}, and `{kw} {}` takes the whole build context",
                    word.value
                ),
            )
            .with_help(format!(
                "add {} to {file}",
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )),
        );
    }
}

/// A source of a COPY/ADD from the build context that takes all of it (or
/// a wildcard at its top that could match `.env`).
fn whole_context_source(ins: &Instruction) -> Option<Word> {
    if !matches!(ins.kind, Kind::Copy | Kind::Add) || ins.flag("from").is_some() {
        return None;
    }
    let words = ins.words();
    let sources = &words[..words.len().saturating_sub(1)];
    sources
        .iter()
        .find(|w| {
            let v = w.value.as_str();
            if v.starts_with("<<") || v.contains("://") || v.contains('$') {
                return false;
            }
            let cleaned = crate::go::clean(&format!("/{v}"));
            if cleaned == "/" {
                return true;
            }
            // `*` or `.*` at the top: may match `.env` and `.git`.
            let top = cleaned.trim_start_matches('/');
            !top.contains('/')
                && top.contains(['*', '?', '['])
                && (glob(top, ".env") || glob(top, ".git"))
        })
        .cloned()
}

/// (negated, pattern components) per line, cleaned as BuildKit does.
fn parse_ignore(text: &str) -> Vec<(bool, Vec<String>)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (neg, pat) = match line.strip_prefix('!') {
            Some(p) => (true, p.trim()),
            None => (false, line),
        };
        let cleaned = crate::go::clean(&format!("/{pat}"));
        let parts: Vec<String> = cleaned
            .trim_start_matches('/')
            .split('/')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        if parts.is_empty() {
            continue;
        }
        out.push((neg, parts));
    }
    out
}

/// Is the top-level entry `name` excluded: the last pattern matching it
/// (or a directory above it, which there is none of) decides.
fn excluded(patterns: &[(bool, Vec<String>)], name: &str) -> bool {
    let path = [name.to_string()];
    let mut out = false;
    for (neg, parts) in patterns {
        if matches_path(parts, &path) {
            out = !neg;
        }
    }
    out
}

/// Pattern components against path components; `**` matches any number of
/// components, other components match as Go's `filepath.Match`.
fn matches_path(pat: &[String], path: &[String]) -> bool {
    match pat.split_first() {
        None => path.is_empty(),
        Some((p, rest)) if p == "**" => (0..=path.len()).any(|k| matches_path(rest, &path[k..])),
        Some((p, rest)) => match path.split_first() {
            Some((c, prest)) => glob(p, c) && matches_path(rest, prest),
            None => false,
        },
    }
}

/// One path component against a pattern with `*`, `?`, `[...]` and `\`.
fn glob(pat: &str, s: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let s: Vec<char> = s.chars().collect();
    glob_at(&p, &s)
}

fn glob_at(p: &[char], s: &[char]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some('*') => (0..=s.len()).any(|k| glob_at(&p[1..], &s[k..])),
        Some('?') => !s.is_empty() && glob_at(&p[1..], &s[1..]),
        Some('[') => {
            let Some(c) = s.first() else {
                return false;
            };
            let Some(close) = p.iter().skip(2).position(|&x| x == ']').map(|i| i + 2) else {
                return false;
            };
            let class = &p[1..close];
            let (neg, class) = match class.first() {
                Some('^' | '!') => (true, &class[1..]),
                _ => (false, class),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == '-' {
                    hit |= class[i] <= *c && *c <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == *c;
                    i += 1;
                }
            }
            hit != neg && glob_at(&p[close + 1..], &s[1..])
        }
        Some('\\') if p.len() > 1 => s.first() == Some(&p[1]) && glob_at(&p[2..], &s[1..]),
        Some(c) => s.first() == Some(c) && glob_at(&p[1..], &s[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(text: &str, name: &str) -> bool {
        excluded(&parse_ignore(text), name)
    }

    #[test]
    fn ignore_patterns() {
        for t in [
            ".git", ".git/", "/.git", "./.git", "**/.git", ".*", "*", ".g?t", ".[g]it", "**",
        ] {
            assert!(ex(t, ".git"), "{t}");
        }
        assert!(!ex(".github", ".git"));
        assert!(!ex("*\n!.git", ".git"));
        assert!(ex("!.git\n*", ".git"));
        assert!(ex(".env*", ".env"));
        assert!(!ex(".env.*", ".env"));
        assert!(!ex("# .env\n", ".env"));
        assert!(!ex("src/.env", ".env"));
        assert!(ex(".*\n!.dockerignore", ".env"));
    }

    #[test]
    fn sources() {
        let df = envelope_dockerfile::parse(
            b"FROM x\nCOPY . .\nCOPY ./ /src\nCOPY * /a/\nCOPY go.mod go.sum ./\nCOPY *.go ./\nCOPY --from=b . .\nADD src/. /x\nCOPY .env /app/\n",
        );
        let hit: Vec<bool> = df.instructions[1..]
            .iter()
            .map(|i| whole_context_source(i).is_some())
            .collect();
        assert_eq!(hit, [true, true, true, false, false, false, false, false]);
    }
}
