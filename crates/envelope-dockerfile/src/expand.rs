//! ARG/ENV substitution as BuildKit does it: `$VAR`, `${VAR}`, `${VAR:-x}`,
//! `${VAR-x}`, `${VAR:+x}`, `${VAR+x}`. A reference to an unknown variable is
//! kept as written, so a linter still sees `$LDFLAGS` that the shell sets.

use std::collections::HashMap;

/// Variables in scope: name to value.
pub type Vars = HashMap<String, String>;

/// Substitutes variables in `s`; `\$` stays a literal `$`.
pub fn expand(s: &str, vars: &Vars) -> String {
    if !s.contains('$') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' && b.get(i + 1) == Some(&b'$') {
            out.push('$');
            i += 2;
            continue;
        }
        if c != b'$' {
            let ch = s[i..].chars().next().unwrap_or('\u{fffd}');
            out.push(ch);
            i += ch.len_utf8();
            continue;
        }
        if b.get(i + 1) == Some(&b'{') {
            let Some(close) = matching_brace(&s[i + 2..]) else {
                out.push_str(&s[i..]);
                break;
            };
            let inner = &s[i + 2..i + 2 + close];
            let whole = &s[i..i + 3 + close];
            out.push_str(&braced(inner, whole, vars));
            i += 3 + close;
            continue;
        }
        let n = s[i + 1..]
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
            .count();
        if n == 0 {
            out.push('$');
            i += 1;
            continue;
        }
        let name = &s[i + 1..i + 1 + n];
        match vars.get(name) {
            Some(v) => out.push_str(v),
            None => out.push_str(&s[i..i + 1 + n]),
        }
        i += 1 + n;
    }
    out
}

/// Offset of the `}` closing a `${`, counting nested braces.
fn matching_brace(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.bytes().enumerate() {
        match c {
            b'{' => depth += 1,
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn braced(inner: &str, whole: &str, vars: &Vars) -> String {
    let n = inner
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
        .count();
    let (name, rest) = inner.split_at(n);
    let value = vars.get(name);
    let (colon, op_rest) = match rest.strip_prefix(':') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let set = |v: Option<&String>| match v {
        Some(v) => !colon || !v.is_empty(),
        None => false,
    };
    if rest.is_empty() {
        return value.cloned().unwrap_or_else(|| whole.to_string());
    }
    if let Some(word) = op_rest.strip_prefix('-') {
        return if set(value) {
            value.cloned().unwrap_or_default()
        } else {
            expand(word, vars)
        };
    }
    if let Some(word) = op_rest.strip_prefix('+') {
        return if set(value) {
            expand(word, vars)
        } else {
            String::new()
        };
    }
    value.cloned().unwrap_or_else(|| whole.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let mut v = Vars::new();
        v.insert("A".into(), "x".into());
        v.insert("E".into(), String::new());
        assert_eq!(expand("$A-${A}", &v), "x-x");
        assert_eq!(expand("${B:-def}", &v), "def");
        assert_eq!(expand("${E:-def}|${E-def}", &v), "def|");
        assert_eq!(expand("${A:+yes}${B:+no}", &v), "yes");
        assert_eq!(expand("${E+set}", &v), "set");
        assert_eq!(expand("$UNKNOWN ${UNKNOWN}", &v), "$UNKNOWN ${UNKNOWN}");
        assert_eq!(expand("\\$A $ ${A", &v), "$A $ ${A");
        assert_eq!(expand("${B:-${A}}", &v), "x");
    }
}
