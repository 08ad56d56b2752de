use envelope_dockerfile::{Kind, Span};

use crate::{declare_rule, Context, Diagnostic, Edit, Fix, Rule};

declare_rule! {
    /// ## What it does
    /// Flags ENV in the legacy space-separated form, `ENV KEY value`,
    /// where the first word has no `=`. (BuildKit's own check for this is
    /// `LegacyKeyValueFormat`.)
    ///
    /// ## Why
    /// Severity info: the image is the same either way, but the legacy
    /// form sets one variable to the whole rest of the line, spaces
    /// included, where `KEY=value` sets one variable per word: `ENV A b
    /// C=d` sets `A` to `b C=d`. Mixing the forms is how a variable silently
    /// gets a wrong value, and Docker documents the legacy form as
    /// deprecated.
    ///
    /// ## Example
    /// ```dockerfile
    /// ENV GOPATH /go
    /// ENV LABEL_TEXT hello world
    /// ```
    ///
    /// ## Fix
    /// `--fix` writes `ENV KEY=value` when the value is one word of plain
    /// characters (letters, digits, `_ - . / : @ % + , = ~ ^`, variables),
    /// and `ENV KEY="value"` when it is several such words (Docker keeps
    /// the spaces as written, and so do the quotes). A value holding
    /// quotes, backslashes, backquotes or running over several lines gets
    /// no fix: rewrite it by hand.
    pub struct LegacyEnvFormat {
        code: "DF020",
        name: "legacy-env-format",
        severity: Info,
        fixable: true,
        enabled: true,
    }
}

impl Rule for LegacyEnvFormat {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for ins in cx.df.instructions.iter().filter(|i| i.kind == Kind::Env) {
            if !ins.heredocs.is_empty() || ins.is_json() {
                continue;
            }
            let words = ins.words();
            let (Some(key), Some(first), Some(last)) = (words.first(), words.get(1), words.last())
            else {
                continue;
            };
            if key.value.contains('=') {
                continue;
            }
            let mut d = cx
                .diag(
                    &Self::INFO,
                    key.span,
                    format!("`ENV {} value` is the legacy form", key.value),
                )
                .with_help(format!("write `ENV {}=value`", key.value));
            let gap = cx.text(Span::new(key.span.end, first.span.start));
            let value = cx.text(Span::new(first.span.start, last.span.end));
            if let Some(new) = rewritten(&key.value, gap, value) {
                d = d.with_fix(Fix::safe(
                    format!("write `ENV {}=...`", key.value),
                    vec![Edit::replace(key.span.start, last.span.end, new)],
                ));
            }
            out.push(d);
        }
    }
}

/// `KEY=value` or `KEY="several words"`, meaning what the legacy form
/// means, or `None` when that cannot be written exactly.
fn rewritten(key: &str, gap: &str, value: &str) -> Option<String> {
    let plain = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                '_' | '-'
                    | '.'
                    | '/'
                    | ':'
                    | '@'
                    | '%'
                    | '+'
                    | ','
                    | '='
                    | '~'
                    | '^'
                    | '$'
                    | '{'
                    | '}'
            )
    };
    let key_ok = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let gap_ok = !gap.is_empty() && gap.chars().all(|c| c == ' ' || c == '\t');
    if !key_ok || !gap_ok || value.is_empty() {
        return None;
    }
    if value.chars().all(plain) {
        return Some(format!("{key}={value}"));
    }
    if value.chars().all(|c| plain(c) || c == ' ' || c == '\t') {
        return Some(format!("{key}=\"{value}\""));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::rewritten;

    #[test]
    fn rewrites() {
        assert_eq!(
            rewritten("GOPATH", " ", "/go").as_deref(),
            Some("GOPATH=/go")
        );
        assert_eq!(
            rewritten("PATH", "  ", "$GOPATH/bin:${PATH}").as_deref(),
            Some("PATH=$GOPATH/bin:${PATH}")
        );
        assert_eq!(rewritten("A", " ", "b  c").as_deref(), Some("A=\"b  c\""));
        assert_eq!(rewritten("A", " ", "\"b c\""), None);
        assert_eq!(rewritten("A", " ", "b\\\n c"), None);
        assert_eq!(rewritten("A", " \\\n ", "b"), None);
        assert_eq!(rewritten("A", " ", "it's"), None);
    }
}
