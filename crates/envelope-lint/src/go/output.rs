//! Where a `go build` or `go install` writes its binary; whether it
//! reaches the final image is `flow`'s.

use super::flow::Produced;
use super::paths::{clean, join};
use super::stage::{is_golang_image, workdir_at};
use super::{expand, GoCommand};
use crate::Context;

/// Where a build writes its binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Nothing is written (`go build ./...`, `-o /dev/null`).
    Discarded,
    /// This file, or a directory holding it.
    Path(String),
    /// Cannot tell.
    Unknown,
}

impl GoCommand {
    /// Does this command cross-compile or may it (GOOS/GOARCH set, xx-go)?
    fn may_cross_compile(&self) -> bool {
        self.command.name() == "xx-go" || self.var("GOOS").is_some() || self.var("GOARCH").is_some()
    }

    /// The directory the command runs in: WORKDIR, then `cd` earlier in the
    /// same RUN, then `-C`. `None` when unknown.
    pub fn cwd(&self, cx: &Context) -> Option<String> {
        self.raw_cwd(cx).filter(|d| !d.contains('$'))
    }

    /// [`GoCommand::cwd`], keeping variables left unresolved (platform
    /// arguments are expanded later, over the platforms).
    fn raw_cwd(&self, cx: &Context) -> Option<String> {
        let mut dir = workdir_at(cx, self.stage, self.instr);
        if let Some(instr) = cx.df.instructions.get(self.instr) {
            let vars = cx.vars_at(self.stage, self.instr);
            for c in instr.commands() {
                if c.span == self.command.span && c.words == self.command.words {
                    break;
                }
                if c.name() != "cd" {
                    continue;
                }
                dir = match c.args().first().map(|w| expand(&w.value, &vars)) {
                    Some(a) if a != "-" && !a.starts_with('~') => join(dir.as_deref(), &a),
                    _ => None,
                };
            }
        }
        if let Some(c) = self.last_flag_value("C") {
            dir = join(dir.as_deref(), &c);
        }
        dir
    }

    /// Where `go build` / `go install` writes the binary, when that is one
    /// path for every platform; [`GoCommand::produced`] gives each.
    pub fn output(&self, cx: &Context) -> Output {
        match self.produced(cx) {
            Produced::Discarded => Output::Discarded,
            Produced::Paths(mut p) if p.len() == 1 => Output::Path(p.remove(0)),
            Produced::Paths(_) | Produced::Unknown => Output::Unknown,
        }
    }

    /// Where the binary goes, variables left unresolved kept in the path.
    pub(super) fn raw_output(&self, cx: &Context) -> Output {
        match self.sub.as_str() {
            "build" => self.build_output(cx),
            "install" => self.install_output(cx),
            _ => Output::Unknown,
        }
    }

    fn build_output(&self, cx: &Context) -> Output {
        if let Some(o) = self.last_flag_value("o") {
            if o == "/dev/null" {
                return Output::Discarded;
            }
            let Some(path) = join(self.raw_cwd(cx).as_deref(), &o) else {
                return Output::Unknown;
            };
            // `-o dir/` writes dir/<package name>.
            let pkgs = self.packages();
            if o.ends_with('/') && pkgs.len() == 1 {
                if let Some(name) = binary_name(&pkgs[0].value) {
                    return Output::Path(format!("{}/{name}", path.trim_end_matches('/')));
                }
            }
            return Output::Path(path);
        }
        let pkgs = self.packages();
        let files = pkgs.iter().any(|w| w.value.ends_with(".go"));
        let count = pkgs.iter().filter(|w| !w.value.ends_with(".go")).count() + usize::from(files);
        // Several packages, or a pattern: compiled as a check, nothing written.
        if count > 1 || pkgs.iter().any(|w| w.value.contains("...")) {
            return Output::Discarded;
        }
        self.raw_cwd(cx).map_or(Output::Unknown, Output::Path)
    }

    fn install_output(&self, cx: &Context) -> Output {
        let dir = if let Some(bin) = self.var("GOBIN").filter(|b| !b.is_empty()) {
            bin.to_string()
        } else if let Some(path) = self.var("GOPATH").filter(|p| !p.is_empty()) {
            format!("{}/bin", path.split(':').next().unwrap_or(path))
        } else if is_golang_image(cx.root_image(self.stage)) {
            "/go/bin".to_string()
        } else {
            return Output::Unknown;
        };
        if !dir.starts_with('/') {
            return Output::Unknown;
        }
        let dir = clean(&dir);
        let pkgs = self.packages();
        if pkgs.len() != 1 || self.may_cross_compile() {
            return Output::Path(dir);
        }
        match binary_name(&pkgs[0].value) {
            Some(name) => Output::Path(format!("{}/{name}", dir.trim_end_matches('/'))),
            None => Output::Path(dir),
        }
    }
}

/// `go install example.com/x/cmd/tool/v2@v2.1.0` installs `tool`.
fn binary_name(pkg: &str) -> Option<String> {
    let path = pkg.split('@').next().unwrap_or(pkg).trim_end_matches('/');
    if path.contains("...") || path.contains('$') || path.ends_with(".go") {
        return None;
    }
    let elems: Vec<&str> = path
        .split('/')
        .filter(|e| !e.is_empty() && *e != ".")
        .collect();
    let mut name = *elems.last()?;
    let major =
        name.len() > 1 && name.starts_with('v') && name[1..].bytes().all(|b| b.is_ascii_digit());
    if major && elems.len() > 1 {
        name = elems[elems.len() - 2];
    }
    if name == ".." || (name.contains('.') && elems.len() == 1) {
        return None;
    }
    Some(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths() {
        assert_eq!(
            binary_name("github.com/a/b/cmd/tool@v1.2.3").as_deref(),
            Some("tool")
        );
        assert_eq!(
            binary_name("github.com/a/b/v2@latest").as_deref(),
            Some("b")
        );
        assert_eq!(binary_name("./cmd/app").as_deref(), Some("app"));
        assert_eq!(binary_name("."), None);
    }
}
