//! Edge cases of the DF rules beyond their fixture pairs: what must and must
//! not be reported, and what `--fix` writes.

use std::path::{Path, PathBuf};

use envelope_lint::{fix, lint, BuildContext, Settings};

fn only(code: &str) -> Settings {
    Settings {
        select: Some(vec![code.to_string()]),
        ..Settings::default()
    }
}

/// The messages of `code`'s findings in `text` (no build context).
fn findings(code: &str, text: &str) -> Vec<String> {
    findings_in(code, text, None, &only(code))
}

fn findings_in(code: &str, text: &str, ctx: Option<&Path>, settings: &Settings) -> Vec<String> {
    let build = ctx.map(BuildContext::new);
    lint("Dockerfile", text.as_bytes(), build.as_ref(), settings)
        .expect("lint")
        .diagnostics
        .into_iter()
        .map(|d| {
            assert_eq!(d.code, code);
            d.message
        })
        .collect()
}

fn fixed(code: &str, text: &str) -> String {
    let all = Settings {
        unsafe_fixes: true,
        ..only(code)
    };
    let (out, after, _) = fix("Dockerfile", text.as_bytes(), None, &all).expect("fix");
    assert!(
        after.diagnostics.iter().all(|d| d.fix.is_none()),
        "fixable findings remain: {:?}",
        after.diagnostics
    );
    out
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("envelope-rules-df-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        TempDir(dir)
    }

    fn write(&self, name: &str, text: &str) {
        let p = self.0.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, text).expect("write");
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const BUILD: &str = "FROM golang:1.23 AS build\nRUN CGO_ENABLED=0 go build -o /out/app .\n";

#[test]
fn df001_variables_and_stages() {
    assert!(findings("DF001", "ARG BASE\nFROM ${BASE}\n").is_empty());
    assert!(findings(
        "DF001",
        "FROM alpine@sha256:abc AS a\nFROM a\nFROM scratch\n"
    )
    .is_empty());
    assert_eq!(
        findings("DF001", "FROM Alpine:3.20 AS a\nFROM a\n").len(),
        1
    );
}

#[test]
fn df003_who_runs_the_final_stage() {
    let root = |s: &str| findings("DF003", &format!("{BUILD}{s}")).len();
    // Inherited from the stage it is built FROM.
    assert_eq!(
        root("FROM debian:12-slim AS rt\nUSER app\nFROM rt\nENTRYPOINT [\"/app\"]\n"),
        0
    );
    assert_eq!(
        root("FROM debian:12-slim AS rt\nUSER 0:0\nFROM rt\nENTRYPOINT [\"/app\"]\n"),
        1
    );
    assert_eq!(
        root("FROM cgr.dev/chainguard/static\nENTRYPOINT [\"/app\"]\n"),
        0
    );
    assert_eq!(
        root("FROM cgr.dev/chainguard/wolfi-base\nENTRYPOINT [\"/app\"]\n"),
        1
    );
    assert_eq!(
        root("FROM cgr.dev/chainguard/go:latest-dev\nENTRYPOINT [\"/app\"]\n"),
        1
    );
    assert_eq!(
        root("FROM gcr.io/distroless/static-debian12:debug-nonroot\nENTRYPOINT [\"/app\"]\n"),
        0
    );
    // Unknown at lint time.
    assert_eq!(root("FROM debian:12\nARG UID\nUSER ${UID}\n"), 0);
    // Resolved through an ARG default.
    assert_eq!(root("FROM debian:12\nARG U=root\nUSER $U\n"), 1);
    // Any number of zeros is uid 0.
    assert_eq!(root("FROM debian:12\nUSER 0000\nCMD [\"/app\"]\n"), 1);
    assert_eq!(root("FROM debian:12\nUSER 00:1000\nCMD [\"/app\"]\n"), 1);
    assert_eq!(root("FROM debian:12\nUSER 1000\nCMD [\"/app\"]\n"), 0);
    // `docker build --output` export stage.
    assert_eq!(root("FROM scratch\nCOPY --from=build /out/app /\n"), 0);
    assert_eq!(
        root("FROM scratch\nCOPY --from=build /out/app /\nENTRYPOINT [\"/app\"]\n"),
        1
    );
}

#[test]
fn df003_privilege_drop_is_one_severity_lower() {
    let df003 = |text: &str| {
        lint("Dockerfile", text.as_bytes(), None, &only("DF003"))
            .expect("lint")
            .diagnostics
    };
    for (text, how) in [
        (
            "FROM alpine:3\nRUN apk add --no-cache su-exec\nCOPY entrypoint.sh /\nENTRYPOINT [\"/entrypoint.sh\"]\n",
            "`su-exec` on line 2",
        ),
        (
            "FROM debian:12\nCOPY --from=tianon/gosu /gosu /usr/local/bin/\nENTRYPOINT [\"gosu\", \"app\", \"/app\"]\n",
            "`gosu` on line 2",
        ),
        (
            "FROM ghcr.io/linuxserver/baseimage-alpine:3.20\nCOPY app /app\n",
            "an s6-overlay base",
        ),
    ] {
        let d = df003(text);
        assert_eq!(d.len(), 1, "{text}");
        assert_eq!(d[0].severity, envelope_lint::Severity::Info, "{text}");
        assert!(d[0].message.contains(how), "{text}: {}", d[0].message);
        assert!(d[0].fix.is_none(), "{text}");
    }
    // `sudo` gains root rather than drops it: still a warning.
    let d = df003("FROM debian:12\nRUN apt-get install -y sudo\nCMD [\"/app\"]\n");
    assert_eq!(d[0].severity, envelope_lint::Severity::Warning);
    // Nothing dropping privileges: a warning, as configured.
    let d = df003("FROM debian:12\nCMD [\"/app\"]\n");
    assert_eq!(d[0].severity, envelope_lint::Severity::Warning);
}

#[test]
fn df003_no_fix_where_root_is_relied_on() {
    let df003 = |text: &[u8], build: Option<&BuildContext>| {
        lint("Dockerfile", text, build, &only("DF003"))
            .expect("lint")
            .diagnostics
    };
    for (text, why) in [
        (
            "FROM debian:12\nWORKDIR /root\nCOPY app .\nCMD [\"./app\"]\n",
            "under /root",
        ),
        (
            "FROM debian:12\nCOPY config.yaml /root/.config/app/\nCMD [\"/app\"]\n",
            "under /root",
        ),
        (
            "FROM debian:12\nEXPOSE 8080 443/tcp\nCMD [\"/app\"]\n",
            "port 443",
        ),
        (
            "FROM debian:12\n# the agent needs root to read host logs\nCMD [\"/agent\"]\n",
            "comment on line 2",
        ),
        // What the stage shows of relying on root or on a user of its own.
        (
            "FROM debian:12\nRUN mkdir /data && chown app:app /data\nCMD [\"/app\"]\n",
            "chown app:app",
        ),
        (
            "FROM debian:12\nCOPY --chown=www-data app /app\nCMD [\"/app\"]\n",
            "`www-data`",
        ),
        (
            "FROM debian:12\nRUN chmod 700 /srv\nCMD [\"/app\"]\n",
            "chmod 700",
        ),
        (
            "FROM alpine:3\nRUN apk add --no-cache su-exec\nCMD [\"/app\"]\n",
            "`su-exec`",
        ),
        (
            "FROM debian:12\nENTRYPOINT [\"tini\", \"--\", \"gosu\", \"app\", \"/app\"]\n",
            "`gosu`",
        ),
        (
            "FROM debian:12\nCMD setpriv --reuid=1000 /app\n",
            "`setpriv`",
        ),
        (
            "FROM debian:12\nCMD [\"chroot\", \"--userspec=1000\", \"/\", \"/app\"]\n",
            "chroot --userspec",
        ),
        (
            "FROM debian:12\nADD s6-overlay-noarch.tar.xz /\nENTRYPOINT [\"/init\"]\n",
            "s6-overlay",
        ),
        ("FROM debian:12\nCMD [\"/lib/systemd/systemd\"]\n", "PID 1"),
        ("FROM debian:12\nVOLUME /data\nCMD [\"/app\"]\n", "VOLUME"),
        (
            "FROM debian:12\nENV HOME=/root\nCMD [\"/app\"]\n",
            "HOME=/root",
        ),
        (
            "FROM debian:12\nCMD [\"/app\", \"--state\", \"/root/.app\"]\n",
            "/root/.app",
        ),
    ] {
        let d = df003(text.as_bytes(), None);
        assert_eq!(d.len(), 1, "{text}");
        assert!(d[0].fix.is_none(), "{text}");
        let help = d[0].help.clone().unwrap_or_default();
        assert!(
            help.contains(why) && help.contains("no fix offered"),
            "{text}: {help}"
        );
    }
    // A user the stage creates is the one to suggest.
    let d = df003(
        b"FROM debian:12\nRUN useradd --system --uid 10001 -m svc\nCMD [\"/app\"]\n",
        None,
    );
    assert!(d[0].fix.is_none());
    let help = d[0].help.clone().unwrap_or_default();
    assert!(
        help.contains("`USER svc` (the user line 2 creates)"),
        "{help}"
    );
    // Chown to the user the fix sets, and readable modes, keep the fix.
    let d = df003(
        b"FROM debian:12\nRUN chown 65532:65532 /data && chmod 755 /data\nCMD [\"/app\"]\n",
        None,
    );
    assert!(d[0].fix.is_some(), "{:?}", d[0].help);
    // An entrypoint script from the build context is read for the tools it runs.
    let dir = TempDir::new("df003-entrypoint");
    dir.write(
        "docker-entrypoint.sh",
        "#!/bin/sh\nchown -R app /data\nexec su-exec app \"$@\"\n",
    );
    let text = "FROM alpine:3\nCOPY docker-entrypoint.sh /usr/local/bin/\nENTRYPOINT [\"/usr/local/bin/docker-entrypoint.sh\"]\n";
    let build = BuildContext::new(&dir.0);
    let d = df003(text.as_bytes(), Some(&build));
    assert!(d[0].fix.is_none());
    let help = d[0].help.clone().unwrap_or_default();
    assert!(
        help.contains("entrypoint script copied on line 2 runs `su-exec`"),
        "{help}"
    );
    // Without the context the script cannot be read: the fix stays.
    let d = df003(text.as_bytes(), None);
    assert!(d[0].fix.is_some());
    // A comment about something else does not stop the fix.
    let d = df003(
        b"FROM debian:12\n# rootless build\nEXPOSE 8080\nCMD [\"/app\"]\n",
        None,
    );
    assert!(d[0].fix.is_some());
}

#[test]
fn df003_fixes() {
    // A final root USER that no RUN follows is replaced.
    assert_eq!(
        fixed("DF003", "FROM debian:12\nUSER root:root\nCMD [\"/app\"]\n"),
        "FROM debian:12\nUSER 65532:65532\nCMD [\"/app\"]\n"
    );
    // No ENTRYPOINT/CMD: appended, newline added first when missing.
    assert_eq!(
        fixed("DF003", "FROM debian:12\nCOPY app /app"),
        "FROM debian:12\nCOPY app /app\nUSER 65532:65532\n"
    );
    // Before the first ENTRYPOINT/CMD after the last RUN.
    assert_eq!(
        fixed(
            "DF003",
            "FROM debian:12\nCMD [\"/x\"]\nRUN true\nENTRYPOINT [\"/app\"]\nCMD [\"serve\"]\n"
        ),
        "FROM debian:12\nCMD [\"/x\"]\nRUN true\nUSER 65532:65532\nENTRYPOINT [\"/app\"]\nCMD [\"serve\"]\n"
    );
}

#[test]
fn df004_names_values_files() {
    let n = |s: &str| findings("DF004", s).len();
    assert_eq!(
        n("FROM alpine\nENV AWS_REGION=eu-west-1 SECRET_NAME=db CACHE_KEY=x\n"),
        0
    );
    assert_eq!(
        n("FROM alpine\nENV REGISTRY_AUTH=htpasswd BASIC_AUTH=admin:pw\n"),
        1
    );
    assert_eq!(n("FROM alpine\nENV FEATURE_FLAG_TOKEN=\n"), 0);
    assert_eq!(n("FROM alpine\nENV KEY AKIAIOSFODNN7EXAMPLE\n"), 1);
    assert_eq!(n("ARG NPM_TOKEN\nFROM node:22\n"), 1);
    assert_eq!(n("FROM alpine\nARG API_URL=https://api.example.com\n"), 0);
    // A password from a variable in scope is stored; one the program expands
    // at run time is not.
    assert_eq!(
        n("FROM python:3.12\nARG PIP_TOKEN\nENV PIP_INDEX_URL=https://ci:${PIP_TOKEN}@pypi.acme.internal/simple\n"),
        2
    );
    assert_eq!(
        n("FROM alpine\nENV DSN=postgres://app:$DB_PASS@db/app\n"),
        0
    );
    // Files: only into the final image.
    assert_eq!(
        n("FROM alpine AS b\nCOPY id_rsa /root/.ssh/\nFROM scratch\nCOPY --from=b /etc/x /x\n"),
        0
    );
    assert_eq!(
        n("FROM alpine AS b\nCOPY tls/server.key /k\nFROM b\nCMD [\"/app\"]\n"),
        1
    );
    // The value never appears in a message.
    let all = findings(
        "DF004",
        "FROM alpine\nENV DB_PASSWORD=hunter2 X=ghp_abcdefghijklmnopqrstuvwxyz0123456789\n",
    );
    assert_eq!(all.len(), 2);
    assert!(all
        .iter()
        .all(|m| !m.contains("hunter2") && !m.contains("ghp_")));
}

#[test]
fn df005_dockerignore() {
    let s = only("DF005");
    let copy_all = "FROM golang:1.23\nCOPY . .\n";
    // Unknown context: nothing.
    assert!(findings_in("DF005", copy_all, None, &s).is_empty());

    let dir = TempDir::new("df005");
    let none = findings_in("DF005", copy_all, Some(&dir.0), &s);
    assert_eq!(none.len(), 1);
    assert!(none[0].starts_with("no .dockerignore"), "{none:?}");
    // Named files only: BuildKit sends only those.
    assert!(findings_in(
        "DF005",
        "FROM x\nCOPY go.mod go.sum ./\nCOPY cmd ./cmd\n",
        Some(&dir.0),
        &s
    )
    .is_empty());

    std::fs::create_dir_all(dir.0.join(".git")).expect("mkdir");
    dir.write(".dockerignore", ".env\n");
    let git = findings_in("DF005", copy_all, Some(&dir.0), &s);
    assert_eq!(git.len(), 1);
    assert!(
        git[0].contains("`.git`") && !git[0].contains("`.env`"),
        "{git:?}"
    );

    // Re-included by a later `!` line.
    dir.write(".dockerignore", ".*\n!.env\n");
    let reinc = findings_in("DF005", copy_all, Some(&dir.0), &s);
    assert!(reinc.len() == 1 && reinc[0].contains("`.env`"), "{reinc:?}");

    // A Dockerfile-specific ignore file wins over .dockerignore.
    dir.write("Dockerfile.dockerignore", ".git/\n**/.env\n");
    assert!(findings_in("DF005", copy_all, Some(&dir.0), &s).is_empty());
}

#[test]
fn df006_shells() {
    let base =
        format!("{BUILD}FROM gcr.io/distroless/static-debian12\nCOPY --from=build /out/app /app\n");
    let msgs = |s: &str| findings("DF006", &format!("{base}{s}"));
    // A later exec-form CMD replaces an earlier shell-form one.
    assert!(msgs("CMD /app serve\nCMD [\"/app\", \"serve\"]\n").is_empty());
    // Shell-form CMD under an exec-form ENTRYPOINT.
    let m = msgs("ENTRYPOINT [\"/app\"]\nCMD serve --port 8080\n");
    assert!(m.len() == 1 && m[0].contains("ENTRYPOINT"), "{m:?}");
    // A SHELL, or a shell copied in, turns the rule off.
    assert!(msgs("SHELL [\"/busybox/sh\", \"-c\"]\nCMD /app serve\n").is_empty());
    assert!(msgs("COPY --from=busybox:1.36-musl /bin/busybox /busybox/\nCMD /app\n").is_empty());
    // Exec-form RUN of the program itself is fine, of a tool it is not.
    assert!(msgs("RUN [\"/app\", \"migrate\"]\nCMD [\"/app\"]\n").is_empty());
    assert_eq!(
        msgs("RUN [\"mkdir\", \"/data\"]\nCMD [\"/app\"]\n").len(),
        1
    );
    // A healthcheck tool that is copied in is there.
    assert!(msgs("COPY --from=build /usr/bin/curl /usr/bin/curl\nHEALTHCHECK CMD [\"curl\", \"-f\", \"http://localhost/\"]\nCMD [\"/app\"]\n").is_empty());
    assert_eq!(
        msgs("HEALTHCHECK CMD /app healthcheck\nCMD [\"/app\"]\n").len(),
        1
    );
    assert!(msgs("HEALTHCHECK NONE\nCMD [\"/app\"]\n").is_empty());
    // A base with a shell.
    assert!(findings("DF006", "FROM alpine:3.20\nCMD /app serve\n").is_empty());
}

#[test]
fn df006_fixes_plain_words_only() {
    let base = "FROM scratch\nCOPY app /app\n";
    assert_eq!(
        fixed("DF006", &format!("{base}ENTRYPOINT /app --addr=:8080\n")),
        format!("{base}ENTRYPOINT [\"/app\", \"--addr=:8080\"]\n")
    );
    assert_eq!(
        fixed("DF006", &format!("{base}CMD /app \\\n    serve\n")),
        format!("{base}CMD [\"/app\", \"serve\"]\n")
    );
    // Shell syntax: reported, not rewritten.
    for s in [
        "CMD /app --port $PORT\n",
        "CMD /app > /log\n",
        "CMD [\"x\"\n",
        "CMD GODEBUG=x509sha1=1 /app\n",
        "CMD cd /data\n",
        "CMD exec\n",
    ] {
        let text = format!("{base}{s}");
        assert_eq!(fixed("DF006", &text), text);
    }
    // `exec` is what the exec form does.
    assert_eq!(
        fixed("DF006", &format!("{base}CMD exec /app serve\n")),
        format!("{base}CMD [\"/app\", \"serve\"]\n")
    );
    // A shell-form ENTRYPOINT ignores CMD; the exec form would not.
    let text = format!("{base}ENTRYPOINT /app\nCMD [\"serve\"]\n");
    assert_eq!(fixed("DF006", &text), text);
}

#[test]
fn df007_mixed_sources_and_flags() {
    assert!(findings("DF007", "FROM x\nADD a.tar.gz b.txt /opt/\n").is_empty());
    let text = "FROM x\nADD --keep-git-dir=true . /src\n";
    assert_eq!(findings("DF007", text).len(), 1);
    assert_eq!(fixed("DF007", text), text);
    assert_eq!(
        fixed("DF007", "FROM x\nADD --chmod=755 --link run.sh /\n"),
        "FROM x\nCOPY --chmod=755 --link run.sh /\n"
    );
}

#[test]
fn df008_only_a_static_binary_on_a_full_os() {
    let n = |s: &str| findings("DF008", &format!("{BUILD}{s}")).len();
    assert_eq!(
        n("FROM ubuntu:24.04\nCOPY --from=build /out/app /app\nCMD [\"/app\"]\n"),
        1
    );
    // The toolchain image is GO001's.
    assert_eq!(
        n("FROM golang:1.23\nCOPY --from=build /out/app /app\nCMD [\"/app\"]\n"),
        0
    );
    // Needs the OS to start.
    assert_eq!(
        n("FROM alpine\nCOPY --from=build /out/app /app\nENTRYPOINT [\"/sbin/tini\", \"--\", \"/app\"]\n"),
        0
    );
    assert_eq!(
        n("FROM alpine\nCOPY --from=build /out/app /app\nCMD /app serve && sleep 1\n"),
        0
    );
    assert_eq!(
        n("FROM alpine\nCOPY start.sh /\nCOPY --from=build /out/app /app\nCMD [\"/start.sh\"]\n"),
        0
    );
    // The binary is not the one copied.
    assert_eq!(
        n("FROM alpine\nCOPY --from=build /etc/passwd /etc/passwd\n"),
        0
    );
    // Already small.
    assert_eq!(
        n("FROM scratch\nCOPY --from=build /out/app /app\nCMD [\"/app\"]\n"),
        0
    );
}

#[test]
fn df009_and_df012_skip_export_stages() {
    let export = format!("{BUILD}FROM scratch AS out\nCOPY --from=build /out/app /\n");
    assert!(findings("DF009", &export).is_empty());
    assert!(findings("DF012", &export).is_empty());
    assert!(findings("DF012", "FROM alpine\nHEALTHCHECK NONE\n").is_empty());
    // A label from an undeclared variable is empty at build time.
    let labels = |decl: &str| {
        findings(
            "DF009",
            &format!("FROM alpine\n{decl}LABEL org.opencontainers.image.source=https://x/y \\\n  org.opencontainers.image.revision=$REVISION \\\n  org.opencontainers.image.version=\"${{VERSION}}\"\nCMD [\"/app\"]\n"),
        )
    };
    let missing = labels("");
    assert_eq!(missing.len(), 1);
    assert!(
        missing[0].contains("revision") && missing[0].contains("version"),
        "{missing:?}"
    );
    assert!(labels("ARG REVISION\nARG VERSION=dev\n").is_empty());
    let one = labels("ARG REVISION\n");
    assert!(one.len() == 1 && !one[0].contains("revision`"), "{one:?}");
    // Off by default, on by its exact code only.
    let dflt = lint("Dockerfile", b"FROM alpine\n", None, &Settings::default()).expect("lint");
    assert!(dflt.diagnostics.iter().all(|d| d.code != "DF012"));
    let prefix = Settings {
        select: Some(vec!["DF01".into()]),
        ..Settings::default()
    };
    let all = lint("Dockerfile", b"FROM alpine\n", None, &prefix).expect("lint");
    assert!(all.diagnostics.iter().all(|d| d.code != "DF012"));
}

#[test]
fn df010_apk_and_stages() {
    assert_eq!(
        fixed(
            "DF010",
            "FROM alpine:3.20\nRUN apk update && apk add curl\n"
        ),
        "FROM alpine:3.20\nRUN apk update && apk add --no-cache curl\n"
    );
    let n = |s: &str| findings("DF010", s).len();
    assert_eq!(
        n("FROM alpine\nRUN apk add curl && rm -rf /var/cache/apk/*\n"),
        0
    );
    assert_eq!(
        n("FROM alpine\nRUN --mount=type=cache,target=/var/cache/apk apk add curl\n"),
        0
    );
    assert_eq!(n("FROM alpine\nRUN apk --no-cache add curl\n"), 0);
    // Build stages: only the download piped into a shell.
    assert_eq!(
        n("FROM debian AS b\nRUN sudo apt-get install -y x\nRUN wget -qO- https://x | bash\nFROM scratch\nCOPY --from=b /x /x\n"),
        1
    );
    // Recommends configured for apt by an earlier RUN.
    assert_eq!(
        n("FROM debian\nRUN echo 'APT::Install-Recommends \"false\";' > /etc/apt/apt.conf.d/99norec\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*\n"),
        0
    );
    // A heredoc script is checked too, and fixed in place.
    let text = "FROM debian\nRUN <<EOF\napt-get update\napt-get install -y curl\nrm -rf /var/lib/apt/lists/*\nEOF\n";
    assert_eq!(
        fixed("DF010", text),
        "FROM debian\nRUN <<EOF\napt-get update\napt-get install --no-install-recommends -y curl\nrm -rf /var/lib/apt/lists/*\nEOF\n"
    );
}

#[test]
fn df011_needs_a_non_root_user() {
    assert!(findings("DF011", "FROM nginx:1.27\nEXPOSE 80\n").is_empty());
    assert_eq!(
        findings("DF011", "FROM debian:12\nUSER app\nEXPOSE 80-90/udp\n").len(),
        1
    );
    assert_eq!(
        findings(
            "DF011",
            "FROM debian:12\nARG PORT=443\nUSER app\nEXPOSE $PORT\n"
        )
        .len(),
        1
    );
}

#[test]
fn df013_trusted_registries() {
    let text = "FROM golang:1.23 AS build\nFROM build\nFROM ghcr.io/acme/base:1\nFROM ghcr.io/other/base:1\nFROM scratch\n";
    // Nothing configured: nothing reported.
    assert!(findings("DF013", text).is_empty());
    let s = Settings {
        trusted_registries: vec!["docker.io".into(), "ghcr.io/acme".into()],
        ..only("DF013")
    };
    let m = findings_in("DF013", text, None, &s);
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("ghcr.io/other/base:1"));
}

#[test]
fn df007_local_sources_with_variables() {
    // A variable inside a local path: still a local file ADD copies as COPY.
    let text = "FROM x\nARG V\nADD dir-${V}/etcd /usr/local/bin/\n";
    assert_eq!(findings("DF007", text).len(), 1);
    assert_eq!(
        fixed("DF007", text),
        "FROM x\nARG V\nCOPY dir-${V}/etcd /usr/local/bin/\n"
    );
    // Resolved through the ARG default: an archive ADD unpacks.
    let archive = "FROM x\nARG F=etcd.tar.gz\nADD dist/${F} /opt/\n";
    assert!(findings("DF007", archive).is_empty());
    // The name itself, or the whole source, unknown: could be an archive or a URL.
    assert!(findings("DF007", "FROM x\nADD dist/$FILE /opt/\n").is_empty());
    assert!(findings("DF007", "FROM x\nADD ${SRC}/etcd /opt/\n").is_empty());
}

#[test]
fn df008_variable_output_paths() {
    let text = "FROM golang:1.23 AS build\nARG TARGETARCH\nRUN CGO_ENABLED=0 go build -o /out/$TARGETARCH/app ./cmd/app\nFROM debian:12\nARG TARGETARCH\nCOPY --from=build /out/${TARGETARCH}/app /app\nCMD [\"/app\"]\n";
    assert_eq!(findings("DF008", text).len(), 1);
}

#[test]
fn df011_capabilities_and_protocols() {
    // One finding per port number, not per protocol.
    let both = "FROM debian:12\nUSER app\nEXPOSE 53 53/udp\n";
    assert_eq!(findings("DF011", both).len(), 1);
    // The binary given the capability may bind the port.
    let cap = "FROM golang:1.23 AS build\nRUN go build -o /dns ./cmd/dns\nFROM debian:12\nCOPY --from=build /dns /dns\nRUN setcap 'cap_net_bind_service=+ep' /dns\nUSER app\nEXPOSE 53 53/udp\n";
    assert!(findings("DF011", cap).is_empty());
    let in_build = "FROM golang:1.23 AS build\nRUN go build -o /dns ./cmd/dns && setcap cap_net_bind_service+ep /dns\nFROM debian:12\nCOPY --from=build /dns /dns\nUSER app\nEXPOSE 53\n";
    assert!(findings("DF011", in_build).is_empty());
    // Another capability is not that one.
    let other = cap.replace("cap_net_bind_service", "cap_net_raw");
    assert_eq!(findings("DF011", &other).len(), 1);
}

#[test]
fn df014_only_downloads_that_ship_unchecked() {
    let build_only = "FROM golang:1.23.4 AS build\nRUN curl -fsSLo /tmp/protoc.zip https://example.com/protoc.zip\nRUN go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\nENTRYPOINT [\"/app\"]\n";
    assert!(findings("DF014", build_only).is_empty());
    // Checked in the same RUN: fine; checked in a later RUN: the unchecked
    // file is already in a layer.
    let same = "FROM alpine:3.20\nRUN wget -q https://example.com/t.tgz && echo \"abc  t.tgz\" | sha256sum -c - && tar xzf t.tgz\n";
    assert!(findings("DF014", same).is_empty());
    let later = "FROM alpine:3.20\nRUN wget -q https://example.com/t.tgz\nRUN echo \"abc  t.tgz\" | sha256sum -c -\n";
    assert_eq!(findings("DF014", later).len(), 1);
    // A stage the final one is built FROM ships its layers.
    let parent = "FROM alpine:3.20 AS base\nRUN wget -q https://example.com/t.tgz\nFROM base\n";
    assert_eq!(findings("DF014", parent).len(), 1);
    // `curl | sh` is DF010's.
    let piped = "FROM alpine:3.20\nRUN curl -fsSL https://example.com/install.sh | sh\n";
    assert!(findings("DF014", piped).is_empty());
}

#[test]
fn df016_sticky_and_umask_modes_are_fine() {
    let text = "FROM alpine:3.20\nRUN chmod 1777 /scratch && chmod +w /etc/x && chmod -R o-w /srv && chmod \"$MODE\" /x\n";
    assert!(findings("DF016", text).is_empty());
    let build =
        "FROM alpine:3.20 AS b\nRUN chmod 777 /out\nFROM scratch\nCOPY --from=b /out /out\n";
    assert!(findings("DF016", build).is_empty());
    let heredoc = "FROM alpine:3.20\nRUN <<EOT\nmkdir /data\nchmod 0777 /data\nEOT\n";
    assert_eq!(findings("DF016", heredoc).len(), 1);
}

#[test]
fn df017_defaults_given_anywhere_before_from() {
    let later_default = "ARG BASE\nARG BASE=alpine:3.20\nFROM $BASE\n";
    assert!(findings("DF017", later_default).is_empty());
    let own_default = "ARG BASE\nFROM ${BASE:-alpine:3.20}\n";
    assert!(findings("DF017", own_default).is_empty());
    // A stage-local ARG does not reach FROM: the global one still has none.
    let platform =
        "ARG TARGETOS\nARG BASE\nFROM golang:1.23-$TARGETOS AS b\nFROM ${BASE}\nARG BASE=x\n";
    assert_eq!(findings("DF017", platform).len(), 1);
}

#[test]
fn df019_only_the_final_image() {
    let build = "FROM debian:bookworm-slim AS b\nRUN apt-get install -y --no-install-recommends sudo openssh-server\nEXPOSE 22\nFROM scratch\nCOPY --from=b /etc/passwd /etc/passwd\n";
    assert!(findings("DF019", build).is_empty());
    let apk = "FROM alpine:3.20\nRUN apk add --no-cache openssh sudo~=1.9\nENTRYPOINT [\"/usr/sbin/sshd\", \"-D\"]\n";
    assert_eq!(findings("DF019", apk).len(), 3);
}

#[test]
fn df020_fixes_only_what_it_can_write_exactly() {
    let text = "FROM alpine:3.20\nENV A /go\nENV B  x  y\nENV C \"q\"\nENV D=ok\nENV E a\\\\b\n";
    let out = fixed("DF020", text);
    assert_eq!(
        out,
        "FROM alpine:3.20\nENV A=/go\nENV B=\"x  y\"\nENV C \"q\"\nENV D=ok\nENV E a\\\\b\n"
    );
    // A second --fix changes nothing.
    assert_eq!(fixed("DF020", &out), out);
    // The fixed lines mean what BuildKit reads from the legacy ones: the
    // rest of the line after the key, inner spaces kept.
    let after = envelope_dockerfile::parse(out.as_bytes());
    let values: Vec<Option<String>> = after.instructions[1..3]
        .iter()
        .map(|i| i.key_values()[0].value.clone())
        .collect();
    assert_eq!(values, [Some("/go".to_string()), Some("x  y".to_string())]);
    assert_eq!(findings("DF020", &out).len(), 2);
}

#[test]
fn df021_versions_and_channels() {
    let text = "FROM golang:1.23 AS a\nFROM ubuntu:22.04 AS b\nFROM alpine:3 AS c\nFROM node:lts AS d\nFROM alpine AS e\nFROM cgr.dev/chainguard/static:latest\n";
    assert_eq!(findings("DF021", text).len(), 2);
}
