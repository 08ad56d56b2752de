//! A go command's flags (on its command line and in GOFLAGS), its package
//! arguments, and the go command's own ways of splitting flag values.

use envelope_dockerfile::Word;

use super::{expand, GoCommand};

/// `go build`/`install`/`run`/`test`/`get` flags that take the next word as
/// their value (the rest are booleans).
const VALUE_FLAGS: [&str; 20] = [
    "o",
    "p",
    "C",
    "asmflags",
    "buildmode",
    "compiler",
    "gccgoflags",
    "gcflags",
    "installsuffix",
    "ldflags",
    "mod",
    "modfile",
    "overlay",
    "pgo",
    "pkgdir",
    "tags",
    "toolexec",
    "coverpkg",
    "covermode",
    "exec",
];

/// One `-name value` / `-name=value` occurrence on a command line.
#[derive(Debug, Clone)]
pub struct FlagUse {
    /// The word holding the flag name (and, for `-name=value`, the value).
    pub flag: Word,
    /// The word holding the value when it is separate.
    pub value_word: Option<Word>,
    /// The value, quotes removed, variables not yet expanded.
    pub value: String,
}

impl GoCommand {
    /// Is the flag given (`-trimpath`, `--trimpath`, `-trimpath=true`),
    /// on the command line or in GOFLAGS?
    pub fn has_flag(&self, flag: &str) -> bool {
        let matches = |w: &str| {
            let w = w.strip_prefix('-').unwrap_or(w);
            let w = w.strip_prefix('-').unwrap_or(w);
            w == flag || w == format!("{flag}=true") || w == format!("{flag}=1")
        };
        self.args().iter().any(|w| matches(&w.value))
            || self
                .var("GOFLAGS")
                .is_some_and(|g| g.split_whitespace().any(matches))
    }

    /// The value of `-name X` / `-name=X` on the command line, or in GOFLAGS.
    pub fn flag_value(&self, name: &str) -> Option<String> {
        let args = self.args();
        for (i, w) in args.iter().enumerate() {
            let v = w.value.trim_start_matches('-');
            if !w.value.starts_with('-') {
                continue;
            }
            if v == name {
                return args
                    .get(i + 1)
                    .map(|n| crate::go::expand(&n.value, &self.env));
            }
            if let Some(val) = v.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
                return Some(crate::go::expand(val, &self.env));
            }
        }
        self.var("GOFLAGS").and_then(|g| {
            g.split_whitespace()
                .filter_map(|f| f.trim_start_matches('-').strip_prefix(name))
                .find_map(|r| r.strip_prefix('='))
                .map(str::to_string)
        })
    }

    /// Every `-name X` / `-name=X` on the command line, in order.
    pub fn flag_uses(&self, name: &str) -> Vec<FlagUse> {
        let args = self.args();
        let mut out = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let w = &args[i];
            if w.value == "--" || !w.value.starts_with('-') {
                break;
            }
            let bare = w.value.trim_start_matches('-');
            let (n, inline) = match bare.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (bare, None),
            };
            let takes_value = inline.is_none() && VALUE_FLAGS.contains(&n);
            if n == name {
                match inline {
                    Some(v) => out.push(FlagUse {
                        flag: w.clone(),
                        value_word: None,
                        value: v.to_string(),
                    }),
                    None => {
                        if let Some(next) = args.get(i + 1) {
                            out.push(FlagUse {
                                flag: w.clone(),
                                value_word: Some(next.clone()),
                                value: next.value.clone(),
                            });
                        }
                    }
                }
            }
            i += if takes_value { 2 } else { 1 };
        }
        out
    }

    /// The value of the last `-name` on the command line, else in GOFLAGS
    /// (quoted GOFLAGS entries understood), variables expanded. The command
    /// line overrides GOFLAGS, and a later flag an earlier one.
    pub fn last_flag_value(&self, name: &str) -> Option<String> {
        if let Some(u) = self.flag_uses(name).last() {
            return Some(expand(&u.value, &self.env));
        }
        self.goflags_value(name)
    }

    /// The value of the last `-name=X` in GOFLAGS.
    pub fn goflags_value(&self, name: &str) -> Option<String> {
        let goflags = self.var("GOFLAGS")?;
        split_quoted(goflags)
            .iter()
            .filter_map(|f| {
                let f = f.strip_prefix('-')?;
                let f = f.strip_prefix('-').unwrap_or(f);
                f.strip_prefix(name)?.strip_prefix('=').map(str::to_string)
            })
            .next_back()
    }

    /// The package (or `.go` file) arguments: what follows the flags.
    pub fn packages(&self) -> Vec<&Word> {
        let args = self.args();
        let mut i = 0;
        while i < args.len() {
            let w = &args[i].value;
            if w == "--" {
                i += 1;
                break;
            }
            if !w.starts_with('-') {
                break;
            }
            let bare = w.trim_start_matches('-');
            let takes_value = !bare.contains('=') && VALUE_FLAGS.contains(&bare);
            i += if takes_value { 2 } else { 1 };
        }
        let rest = args.get(i..).unwrap_or_default();
        // `go run pkg args...`: only the first is the package.
        if self.sub == "run" {
            return rest.iter().take(1).collect();
        }
        rest.iter().collect()
    }

    /// The linker flags in effect (`-ldflags`, pattern such as `all=`
    /// removed), split as the go command splits them. `None` without any.
    pub fn ldflags(&self) -> Option<Vec<String>> {
        self.last_flag_value("ldflags")
            .map(|v| split_quoted(strip_pattern(&v)))
    }

    /// The build tags in effect (`-tags a,b` or `-tags "a b"`).
    pub fn tags(&self) -> Vec<String> {
        self.last_flag_value("tags")
            .map(|v| {
                v.split([',', ' '])
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Removes a `-ldflags`/`-gcflags` package pattern: `all=-s -w` → `-s -w`.
pub fn strip_pattern(v: &str) -> &str {
    let v = v.trim_start();
    if v.starts_with(['-', '\'', '"']) {
        return v;
    }
    match v.split_once('=') {
        Some((pattern, rest)) if !pattern.contains(char::is_whitespace) => rest,
        _ => v,
    }
}

/// Splits like the go command splits flag values and GOFLAGS: on spaces,
/// with `'...'` and `"..."` quoting (no escapes). `$(...)` and backquoted
/// command substitutions left in the text stay one word.
pub fn split_quoted(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' | '"' => {
                in_word = true;
                for n in chars.by_ref() {
                    if n == c {
                        break;
                    }
                    cur.push(n);
                }
            }
            '$' if chars.peek() == Some(&'(') => {
                in_word = true;
                cur.push(c);
                let mut depth = 0;
                for n in chars.by_ref() {
                    cur.push(n);
                    match n {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
            '`' => {
                in_word = true;
                cur.push(c);
                for n in chars.by_ref() {
                    cur.push(n);
                    if n == '`' {
                        break;
                    }
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// Go's boolean flag values (`strconv.ParseBool`).
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// A boolean flag among `words` (`-s`, `--s`, `-s=true`, `-s=0`): `None`
/// if absent, else its last value.
pub fn bool_flag(words: &[String], name: &str) -> Option<bool> {
    let mut found = None;
    for w in words {
        let Some(bare) = w.strip_prefix('-') else {
            continue;
        };
        let bare = bare.strip_prefix('-').unwrap_or(bare);
        if bare == name {
            found = Some(true);
        } else if let Some(v) = bare.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
            found = parse_bool(v).or(found);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_split_and_patterns() {
        assert_eq!(
            split_quoted("-s -w -X 'a=b c'"),
            ["-s", "-w", "-X", "a=b c"]
        );
        assert_eq!(
            split_quoted("-X main.c=$(git rev-parse HEAD) -s"),
            ["-X", "main.c=$(git rev-parse HEAD)", "-s"]
        );
        assert_eq!(strip_pattern("all=-s -w"), "-s -w");
        assert_eq!(strip_pattern("-X a=b"), "-X a=b");
        let w = split_quoted("-s=false -w");
        assert_eq!(bool_flag(&w, "s"), Some(false));
        assert_eq!(bool_flag(&w, "w"), Some(true));
        assert_eq!(bool_flag(&w, "x"), None);
    }
}
