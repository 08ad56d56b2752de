//! Applying fixes: non-overlapping edits, then lint again until nothing more
//! is fixable, so one fix never hides behind another. Safe fixes keep what
//! the image does; unsafe ones are applied only when asked for
//! (`Settings::unsafe_fixes`), and otherwise stay on their findings.

use envelope_diagnostics::{Applicability, Diagnostic, Edit};

use crate::{lint, BuildContext, FileResult, LintError, Settings};

/// Applies the fixes of `diagnostics` to `text`, the unsafe ones only when
/// `unsafe_fixes`, skipping any that overlap an earlier one. A fix is all
/// its edits or none. Returns the new text and how many fixes were applied.
pub fn apply_fixes(text: &str, diagnostics: &[Diagnostic], unsafe_fixes: bool) -> (String, usize) {
    let mut fixes: Vec<&Vec<Edit>> = diagnostics
        .iter()
        .filter_map(|d| d.fix.as_ref())
        .filter(|f| unsafe_fixes || f.applicability == Applicability::Safe)
        .map(|f| &f.edits)
        .filter(|e| !e.is_empty())
        .collect();
    fixes.sort_by_key(|e| e.iter().map(|x| x.start).min());
    let mut taken: Vec<&Edit> = Vec::new();
    let mut applied = 0;
    'fix: for edits in fixes {
        for e in edits.iter() {
            if e.end > text.len()
                || e.start > e.end
                || !text.is_char_boundary(e.start)
                || !text.is_char_boundary(e.end)
            {
                continue 'fix;
            }
            for t in &taken {
                let overlap = e.start < t.end && t.start < e.end;
                let same_point = e.start == e.end && t.start == t.end && e.start == t.start;
                if overlap
                    || same_point
                    || (e.start == t.start && (e.start == e.end || t.start == t.end))
                {
                    continue 'fix;
                }
            }
        }
        taken.extend(edits.iter());
        applied += 1;
    }
    taken.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut pos = 0;
    for e in taken {
        out.push_str(&text[pos..e.start]);
        out.push_str(&e.content);
        pos = e.end;
    }
    out.push_str(&text[pos..]);
    (out, applied)
}

/// Lints and fixes until stable (at most 10 rounds), unsafe fixes included
/// when `settings.unsafe_fixes`. Returns the fixed text, the findings that
/// remain (with the fixes held back), and how many fixes were applied.
pub fn fix(
    path: &str,
    bytes: &[u8],
    build: Option<&BuildContext>,
    settings: &Settings,
) -> Result<(String, FileResult, usize), LintError> {
    let mut result = lint(path, bytes, build, settings)?;
    if std::str::from_utf8(bytes).is_err() {
        // Writing back would replace the invalid bytes; leave the file alone.
        return Ok((result.source.text.clone(), result, 0));
    }
    let mut text = result.source.text.clone();
    let mut total = 0;
    for _ in 0..10 {
        let (next, n) = apply_fixes(&text, &result.diagnostics, settings.unsafe_fixes);
        if n == 0 || next == text {
            break;
        }
        total += n;
        text = next;
        result = lint(path, text.as_bytes(), build, settings)?;
    }
    Ok((text, result, total))
}

#[cfg(test)]
mod tests {
    use envelope_diagnostics::{Fix, Severity};

    use super::*;

    fn with(fix: Fix) -> Diagnostic {
        Diagnostic::new("DF000", Severity::Warning, "m").with_fix(fix)
    }

    #[test]
    fn unsafe_fixes_wait_to_be_asked_for() {
        let text = "FROM a\nRUN b\n";
        let diags = [
            with(Fix::safe("x", vec![Edit::replace(5, 6, "A")])),
            with(Fix::unsafe_edits(
                "y",
                vec![Edit::insert(7, "RUN c\n"), Edit::insert(13, "USER 1\n")],
            )),
        ];
        assert_eq!(
            apply_fixes(text, &diags, false),
            ("FROM A\nRUN b\n".to_string(), 1)
        );
        assert_eq!(
            apply_fixes(text, &diags, true),
            ("FROM A\nRUN c\nRUN b\nUSER 1\n".to_string(), 2)
        );
    }
}
