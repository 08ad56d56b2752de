//! `# envelope: ignore=CODE,CODE` silences those codes on the next
//! instruction; `# envelope: ignore-file=CODE` on the whole file. A code that
//! names no rule is an error, so a typo never silently disables nothing.
//! hadolint's pragmas are read too, through [`crate::hadolint`]: `# hadolint
//! ignore=` silences the equivalent envelope codes on the instruction that
//! starts on the very next line (as hadolint applies it), `# hadolint global
//! ignore=` on the whole file.

use envelope_diagnostics::Diagnostic;

use crate::{Context, LintError};

#[derive(Debug, Default)]
pub struct Suppressions {
    /// Codes silenced in the whole file.
    pub(crate) file: Vec<String>,
    /// (start, end, codes): byte ranges (instructions, YAML values) whose
    /// findings are silenced.
    pub(crate) ranges: Vec<(usize, usize, Vec<String>)>,
}

impl Suppressions {
    pub fn read(cx: &Context) -> Result<Suppressions, LintError> {
        let mut s = Suppressions::default();
        for c in &cx.df.comments {
            if let Some(p) = crate::hadolint::parse(&c.text) {
                s.add_hadolint(cx, c, &p);
                continue;
            }
            let Some((file, list)) = directive(&c.text) else {
                continue;
            };
            let line = || cx.df.line_col(c.span.start).0;
            let codes = known_codes(cx.path, line, &list)?;
            if file {
                s.file.extend(codes);
            } else if let Some(next) = cx
                .df
                .instructions
                .iter()
                .find(|i| i.span.start > c.span.start)
            {
                s.ranges.push((next.span.start, next.span.end, codes));
            }
        }
        Ok(s)
    }

    fn add_hadolint(
        &mut self,
        cx: &Context,
        c: &envelope_dockerfile::Comment,
        p: &crate::hadolint::Pragma,
    ) {
        let codes: Vec<String> = p
            .codes
            .iter()
            .flat_map(|h| crate::hadolint::equivalents(h))
            .map(|e| (*e).to_string())
            .collect();
        if codes.is_empty() {
            return;
        }
        if p.global {
            self.file.extend(codes);
            return;
        }
        // The instruction whose first line directly follows the comment's.
        let src = &cx.df.source;
        let Some(next_line) = src
            .get(c.span.end..)
            .and_then(|r| r.find('\n'))
            .map(|i| c.span.end + i + 1)
        else {
            return;
        };
        let i = cx
            .df
            .instructions
            .partition_point(|ins| ins.span.start < next_line);
        let Some(ins) = cx.df.instructions.get(i) else {
            return;
        };
        let between = src.get(next_line..ins.span.start).unwrap_or("\n");
        if between.chars().all(|ch| ch == ' ' || ch == '\t') {
            self.ranges.push((ins.span.start, ins.span.end, codes));
        }
    }

    pub fn silences(&self, d: &Diagnostic) -> bool {
        if self.file.iter().any(|c| c == d.code) {
            return true;
        }
        let Some((start, _)) = d.span else {
            return false;
        };
        self.ranges
            .iter()
            .any(|(s, e, codes)| start >= *s && start <= *e && codes.iter().any(|c| c == d.code))
    }
}

/// A comment's text (after `#`) as `envelope: ignore=CODE,...` (false) or
/// `envelope: ignore-file=CODE,...` (true), with its codes as written.
/// Anything after the list and whitespace is a free-form reason.
pub(crate) fn directive(comment: &str) -> Option<(bool, Vec<String>)> {
    let rest = comment.trim_start().strip_prefix("envelope:")?.trim();
    let (file, list) = if let Some(l) = rest.strip_prefix("ignore-file=") {
        (true, l)
    } else if let Some(l) = rest.strip_prefix("ignore=") {
        (false, l)
    } else {
        return None;
    };
    let list = list.split_whitespace().next().unwrap_or_default();
    let codes = list
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    Some((file, codes))
}

/// The codes of a directive as the rules spell them; a code that names no
/// rule is an error at `line` of `path`.
pub(crate) fn known_codes(
    path: &str,
    line: impl Fn() -> usize,
    codes: &[String],
) -> Result<Vec<String>, LintError> {
    codes
        .iter()
        .map(|code| match crate::rule_by_code(code) {
            Some(info) => Ok(info.code.to_string()),
            None => Err(LintError::UnknownSuppression {
                path: path.to_string(),
                line: line(),
                code: code.clone(),
            }),
        })
        .collect()
}
