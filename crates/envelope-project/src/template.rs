//! ldflags (and go env) templates in ko's syntax, so one engine serves
//! envelope.toml and .ko.yaml: `{{.Git.FullCommit}}`, `{{.Git.ShortCommit}}`,
//! `{{.Git.Tag}}`, `{{.Git.IsDirty}}`, `{{.Git.IsClean}}`,
//! `{{.Git.TreeState}}`, `{{.Git.CommitDate}}`, `{{.Git.CommitTimestamp}}`,
//! `{{.Date}}`, `{{.Timestamp}}` and `{{.Env.NAME}}`.
//!
//! Only field references are supported (no pipelines or functions). Unlike
//! ko, `.Date` and `.Timestamp` never read the clock: they come from
//! SOURCE_DATE_EPOCH, else from the commit date, so two builds of one
//! commit are the same.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};
use std::process::Command;

use envelope_build::rfc3339;

/// Why a template could not be expanded; the caller adds where it was
/// written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown template field {{{{{0}}}}}: known are .Git.FullCommit, .Git.ShortCommit, .Git.Tag, .Git.IsDirty, .Git.IsClean, .Git.TreeState, .Git.CommitDate, .Git.CommitTimestamp, .Date, .Timestamp and .Env.NAME")]
    UnknownField(String),
    #[error(
        "template {{{{{0}}}}}: only field references such as {{{{.Git.FullCommit}}}} are supported"
    )]
    Unsupported(String),
    #[error("unclosed template: `{{{{` without `}}}}`")]
    Unclosed,
    #[error("template {{{{.Env.{0}}}}}: the environment variable {0} is not set")]
    UnsetEnv(String),
    #[error("template {{{{{field}}}}}: {detail}")]
    Git { field: String, detail: String },
}

/// What the commit says, read once with `git` when a template asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitInfo {
    pub full_commit: String,
    pub short_commit: String,
    /// The nearest tag (`git describe --tags --abbrev=0`); empty when none.
    pub tag: String,
    pub dirty: bool,
    /// The committer date, in seconds since 1970.
    pub commit_timestamp: u64,
}

impl GitInfo {
    /// Runs `git` in `dir`.
    pub fn read(dir: &Path) -> Result<GitInfo, String> {
        let git = |args: &[&str]| -> Result<String, String> {
            let out = Command::new("git")
                .arg("-C")
                .arg(dir)
                .args(args)
                .output()
                .map_err(|e| format!("cannot run git: {e}"))?;
            if !out.status.success() {
                let err = String::from_utf8_lossy(&out.stderr);
                return Err(format!(
                    "{} is not in a git repository with a commit (git {}: {})",
                    dir.display(),
                    args.join(" "),
                    err.trim()
                ));
            }
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        };
        let full_commit = git(&["rev-parse", "HEAD"])?;
        let short_commit = git(&["rev-parse", "--short", "HEAD"])?;
        let tag = git(&["describe", "--tags", "--abbrev=0"]).unwrap_or_default();
        let dirty = !git(&["status", "--porcelain"])?.is_empty();
        let ts = git(&["log", "-1", "--format=%ct"])?;
        let commit_timestamp = ts
            .parse::<u64>()
            .map_err(|_| format!("git log gave the commit time {ts:?}, not a number"))?;
        Ok(GitInfo {
            full_commit,
            short_commit,
            tag,
            dirty,
            commit_timestamp,
        })
    }
}

/// Reads an environment variable.
type EnvLookup = dyn Fn(&str) -> Option<String>;

/// The values a template can name: git read lazily in `dir`, the
/// environment, and the build date.
pub struct TemplateData {
    dir: PathBuf,
    epoch: Option<u64>,
    env: Box<EnvLookup>,
    git: OnceCell<Result<GitInfo, String>>,
}

impl TemplateData {
    /// `epoch`: SOURCE_DATE_EPOCH when set (else `.Date` is the commit's).
    pub fn new(dir: &Path, epoch: Option<u64>) -> TemplateData {
        TemplateData {
            dir: dir.to_path_buf(),
            epoch,
            env: Box::new(|k| std::env::var(k).ok()),
            git: OnceCell::new(),
        }
    }

    /// The same with fixed values, for tests.
    pub fn fixed(
        git: Result<GitInfo, String>,
        epoch: Option<u64>,
        env: impl Fn(&str) -> Option<String> + 'static,
    ) -> TemplateData {
        let cell = OnceCell::new();
        let _ = cell.set(git);
        TemplateData {
            dir: PathBuf::new(),
            epoch,
            env: Box::new(env),
            git: cell,
        }
    }

    fn git(&self, field: &str) -> Result<&GitInfo, TemplateError> {
        self.git
            .get_or_init(|| GitInfo::read(&self.dir))
            .as_ref()
            .map_err(|detail| TemplateError::Git {
                field: field.to_string(),
                detail: detail.clone(),
            })
    }

    fn field(&self, field: &str) -> Result<String, TemplateError> {
        if let Some(name) = field.strip_prefix(".Env.") {
            let valid =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(TemplateError::UnknownField(field.to_string()));
            }
            return match (self.env)(name) {
                Some(value) => Ok(value),
                // ko defines LDFLAGS, empty, when it is unset; ko's own
                // .ko.yaml relies on it (`ldflags: ["{{ .Env.LDFLAGS }}"]`).
                None if name == "LDFLAGS" => Ok(String::new()),
                None => Err(TemplateError::UnsetEnv(name.to_string())),
            };
        }
        let date = |field: &str| -> Result<u64, TemplateError> {
            match self.epoch {
                Some(e) => Ok(e),
                None => Ok(self.git(field)?.commit_timestamp),
            }
        };
        Ok(match field {
            ".Git.FullCommit" => self.git(field)?.full_commit.clone(),
            ".Git.ShortCommit" => self.git(field)?.short_commit.clone(),
            ".Git.Tag" => self.git(field)?.tag.clone(),
            ".Git.IsDirty" => self.git(field)?.dirty.to_string(),
            ".Git.IsClean" => (!self.git(field)?.dirty).to_string(),
            ".Git.TreeState" => if self.git(field)?.dirty {
                "dirty"
            } else {
                "clean"
            }
            .to_string(),
            ".Git.CommitDate" => rfc3339(self.git(field)?.commit_timestamp),
            ".Git.CommitTimestamp" => self.git(field)?.commit_timestamp.to_string(),
            ".Date" => rfc3339(date(field)?),
            ".Timestamp" => date(field)?.to_string(),
            _ => return Err(TemplateError::UnknownField(field.to_string())),
        })
    }

    /// `text` with every `{{.Field}}` replaced by its value.
    pub fn expand(&self, text: &str) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or(TemplateError::Unclosed)?;
            let inner = after[..end].trim();
            let inner = inner.strip_prefix('-').unwrap_or(inner);
            let inner = inner.strip_suffix('-').unwrap_or(inner).trim();
            if !inner.starts_with('.') || inner.contains(char::is_whitespace) {
                return Err(TemplateError::Unsupported(inner.to_string()));
            }
            out.push_str(&self.field(inner)?);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// Whether `text` holds a template at all.
pub fn has_template(text: &str) -> bool {
    text.contains("{{")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> GitInfo {
        GitInfo {
            full_commit: "0123456789abcdef0123456789abcdef01234567".into(),
            short_commit: "0123456".into(),
            tag: "v1.2.3".into(),
            dirty: false,
            commit_timestamp: 1_700_000_000,
        }
    }

    #[test]
    fn fields_expand() {
        let data = TemplateData::fixed(Ok(info()), None, |k| {
            (k == "VERSION").then(|| "9".to_string())
        });
        let got = data
            .expand("-X main.commit={{.Git.FullCommit}} -X main.v={{ .Env.VERSION }} -X main.d={{.Date}} {{.Git.TreeState}}/{{.Git.IsClean}}/{{.Git.Tag}}/{{.Timestamp}}")
            .expect("expands");
        assert_eq!(got, "-X main.commit=0123456789abcdef0123456789abcdef01234567 -X main.v=9 -X main.d=2023-11-14T22:13:20Z clean/true/v1.2.3/1700000000");
    }

    #[test]
    fn source_date_epoch_beats_the_commit_date() {
        let data = TemplateData::fixed(Err("no git".into()), Some(0), |_| None);
        assert_eq!(
            data.expand("{{.Date}}").expect("date"),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            data.expand("{{.Git.CommitDate}}"),
            Err(TemplateError::Git {
                field: ".Git.CommitDate".into(),
                detail: "no git".into()
            })
        );
    }

    #[test]
    fn errors_name_the_field() {
        let data = TemplateData::fixed(Ok(info()), None, |_| None);
        let e = data.expand("{{.Git.Commit}}").expect_err("unknown");
        assert!(e.to_string().contains("{{.Git.Commit}}"), "{e}");
        let e = data.expand("{{.Env.HOME_X}}").expect_err("unset");
        assert!(e.to_string().contains("HOME_X is not set"), "{e}");
        // ... except LDFLAGS, empty when unset, as ko has it.
        assert_eq!(data.expand("{{ .Env.LDFLAGS }}").expect("LDFLAGS"), "");
        assert_eq!(data.expand("a {{.Date"), Err(TemplateError::Unclosed));
        assert!(matches!(
            data.expand("{{ printf \"%s\" .Date }}"),
            Err(TemplateError::Unsupported(_))
        ));
        assert_eq!(data.expand("plain -X a=b").expect("plain"), "plain -X a=b");
    }
}
