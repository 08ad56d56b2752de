use envelope_dockerfile::Kind;

use crate::{declare_rule, Context, Diagnostic, Rule};

/// Arguments BuildKit sets itself for every build.
const PLATFORM_ARGS: [&str; 8] = [
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
];

declare_rule! {
    /// ## What it does
    /// Flags a FROM image that uses a global ARG declared without a
    /// default (`ARG BASE` ... `FROM ${BASE}`, `FROM golang:${GO_VERSION}`).
    ///
    /// Not flagged: the platform arguments BuildKit always sets
    /// (`TARGETARCH`, `BUILDPLATFORM`, ...), ARGs with a default (even an
    /// empty one, `ARG TAG=`, which is a choice), variables in
    /// `--platform=`, and stage names.
    ///
    /// ## Why
    /// Severity info: nothing is wrong when the build system always passes
    /// `--build-arg`. But a plain `docker build .` fails with "base name
    /// should not be blank" or "invalid reference format", the file no
    /// longer says which image it builds on, and no tool (DF001, DF002,
    /// `envelope pin`, Renovate, Dependabot) can check or update the base.
    ///
    /// ## Example
    /// ```dockerfile
    /// ARG GO_VERSION
    /// FROM golang:${GO_VERSION} AS build
    /// ```
    ///
    /// ## Fix
    /// Give the ARG the default the project builds with, keeping it
    /// overridable: `ARG GO_VERSION=1.23.4`.
    pub struct FromArgWithoutDefault {
        code: "DF017",
        name: "from-arg-without-default",
        severity: Info,
        fixable: false,
        enabled: true,
    }
}

impl Rule for FromArgWithoutDefault {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mut no_default: Vec<String> = Vec::new();
        let mut with_default: Vec<String> = Vec::new();
        let globals = cx
            .df
            .instructions
            .iter()
            .take_while(|i| i.kind != Kind::From)
            .filter(|i| i.kind == Kind::Arg);
        for ins in globals {
            for kv in ins.key_values() {
                if kv.value.is_some() {
                    with_default.push(kv.key.clone());
                    no_default.retain(|k| *k != kv.key);
                } else if !with_default.contains(&kv.key) {
                    no_default.push(kv.key.clone());
                }
            }
        }
        for stage in &cx.stages {
            let Some(word) = &stage.image_word else {
                continue;
            };
            let missing: Vec<String> = referenced(&word.value)
                .into_iter()
                .filter(|v| no_default.contains(v) && !PLATFORM_ARGS.contains(&v.as_str()))
                .map(|v| format!("ARG `{v}`"))
                .collect();
            if missing.is_empty() {
                continue;
            }
            let message = format!(
                "`{}` uses {} with no default: the base image is unknown without --build-arg",
                word.value,
                missing.join(", ")
            );
            out.push(cx.diag(&Self::INFO, word.span, message).with_help(
                "give the ARG the default the project builds with, e.g. `ARG GO_VERSION=1.23.4`",
            ));
        }
    }
}

/// The variable names `$X`, `${X}`, `${X:-d}` referenced in `s`.
fn referenced(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(pos) = rest.find('$') {
        rest = &rest[pos + 1..];
        let braced = rest.starts_with('{');
        let body = if braced { &rest[1..] } else { rest };
        let end = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(body.len());
        let name = &body[..end];
        // `${X:-default}` and `${X-default}` have a default of their own.
        let has_default = braced && body[end..].starts_with([':', '-']);
        if !name.is_empty() && !has_default {
            out.push(name.to_string());
        }
        rest = body;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::referenced;

    #[test]
    fn references() {
        assert_eq!(referenced("golang:${GO}-alpine"), ["GO"]);
        assert_eq!(referenced("$REG/app:$TAG"), ["REG", "TAG"]);
        assert!(referenced("${BASE:-alpine:3.20}").is_empty());
        assert!(referenced("alpine:3.20").is_empty());
        assert!(referenced("$").is_empty());
    }
}
