//! Go invocations in RUN instructions: which `go` subcommand, with which
//! flags and which environment in effect (inline `VAR=x`, `export`, `env`,
//! the stage's ENV and ARG defaults, and GOFLAGS).
//!
//! [`GoCommand`] is one such command; `find` collects them. Its flags and
//! package arguments are read in `flags`, where its binary goes in
//! `output` and whether it reaches the final image in `flow`, its caches in `caches`; what a stage has in effect (WORKDIR,
//! USER, the golang image) in `stage`.

mod caches;
mod find;
mod flags;
mod flow;
mod output;
mod paths;
mod stage;

use envelope_dockerfile::{Command, Span, Vars};

pub use caches::{cache_mount_targets, mount_covers};
pub(crate) use find::find;
pub use flags::{bool_flag, parse_bool, split_quoted, strip_pattern, FlagUse};
pub(crate) use flow::platform_vars;
pub use flow::{expansions, Produced, Reach};
pub use output::Output;
pub use paths::clean;
pub use stage::{go_minor, is_golang_image, is_root_user, runs_as_root, workdir_at};

/// One `go ...` command in a RUN.
#[derive(Debug, Clone)]
pub struct GoCommand {
    pub stage: usize,
    /// Index of the RUN instruction.
    pub instr: usize,
    /// `build`, `install`, `get`, `mod`, `test`, ...
    pub sub: String,
    /// For `go mod X`, X.
    pub mod_sub: Option<String>,
    pub command: Command,
    /// The environment in effect for this command.
    pub env: Vars,
    /// Variables set inline on this command (`CGO_ENABLED=0 go build`).
    pub inline: Vars,
}

impl GoCommand {
    /// The `go` word's span.
    pub fn go_span(&self) -> Span {
        self.command
            .words
            .first()
            .map_or(self.command.span, |w| w.span)
    }

    /// The subcommand word's span (`build`).
    pub fn sub_span(&self) -> Span {
        self.command
            .words
            .get(1)
            .map_or(self.command.span, |w| w.span)
    }

    /// `go` through `build`: what a finding about the command points at.
    pub fn head_span(&self) -> Span {
        Span::new(self.go_span().start, self.sub_span().end)
    }

    pub fn var(&self, name: &str) -> Option<&str> {
        self.env.get(name).map(String::as_str)
    }

    /// The arguments after the subcommand.
    pub fn args(&self) -> &[envelope_dockerfile::Word] {
        self.command.words.get(2..).unwrap_or_default()
    }

    /// The effective CGO_ENABLED, if set anywhere.
    pub fn cgo_enabled(&self) -> Option<&str> {
        self.var("CGO_ENABLED")
    }
}

/// Expands `$VAR` references known in `vars`, leaving others as written.
pub fn expand(s: &str, vars: &Vars) -> String {
    envelope_dockerfile::expand(s, vars)
}

/// `go`, `/usr/local/go/bin/go`, and cross-compilation wrappers like `xx-go`.
pub fn is_go(name: &str) -> bool {
    name == "go" || name == "xx-go" || name.starts_with("go1.")
}

/// Is `pkg` a remote import path (its first element has a dot:
/// `github.com/x/y`), as opposed to `./cmd/x`, `.` or `std`?
pub fn is_remote_package(pkg: &str) -> bool {
    let path = pkg.split('@').next().unwrap_or(pkg);
    let first = path.split('/').next().unwrap_or(path);
    !path.starts_with('.') && !path.starts_with('/') && first.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_packages() {
        assert!(is_remote_package("golang.org/x/tools/gopls@latest"));
        assert!(!is_remote_package("./cmd/x"));
        assert!(!is_remote_package("std"));
    }
}
