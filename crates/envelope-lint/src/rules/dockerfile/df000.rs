use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Reports what the parser could not read: an unknown instruction, an
    /// unterminated heredoc, a bad escape directive, an instruction before the
    /// first FROM, a binary or non-UTF-8 file, a file with no instructions.
    ///
    /// ## Why
    /// BuildKit refuses such a file, and every other rule can only guess
    /// around the broken part.
    ///
    /// ## Example
    /// ```dockerfile
    /// FORM golang:1.23
    /// ```
    ///
    /// ## Fix
    /// Correct the syntax; the message says where and, for a misspelled
    /// instruction, what was probably meant.
    pub struct SyntaxError {
        code: "DF000",
        name: "syntax-error",
        severity: Error,
        fixable: false,
        enabled: true,
    }
}

impl Rule for SyntaxError {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for e in &cx.df.errors {
            let mut d = cx.diag(&Self::INFO, e.span, e.message.clone());
            d.help = e.hint.clone();
            out.push(d);
        }
    }
}
