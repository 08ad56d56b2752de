use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};
use envelope_layer::fs::NodeKind;

declare_rule! {
    /// ## What it does
    /// Checks that the files the Go binaries need at run time are there: a CA
    /// bundle (a file, or certificates in a directory Go reads, or
    /// SSL_CERT_FILE/SSL_CERT_DIR) for a binary that loads the system root
    /// certificates and embeds no fallback roots (an error: every TLS
    /// connection fails), the zoneinfo database for a binary that
    /// calls `time.LoadLocation` without embedding `time/tzdata`, and a
    /// writable `/tmp` (Go's `os.TempDir`).
    ///
    /// ## Why
    /// A scratch image has none of these files, and the failures only show at
    /// run time: `x509: certificate signed by unknown authority`, `unknown time
    /// zone Europe/Paris`, `open /tmp/...: no such file or directory`.
    ///
    /// ## Example
    /// `FROM scratch` + `COPY app /app` for a program that calls an HTTPS API.
    ///
    /// ## Fix
    /// Copy `/etc/ssl/certs/ca-certificates.crt` and `/usr/share/zoneinfo`
    /// from a build stage, or import `time/tzdata`; create `/tmp` with mode
    /// 1777. `envelope build` adds what the binary needs.
    pub struct RuntimeFiles {
        code: "IM010",
        name: "missing-runtime-files",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl ImageRule for RuntimeFiles {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        let env = cx.env();
        let env_file = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let dir_has_files = |d: &str| {
            cx.resolve(d).is_some_and(|(real, _)| {
                cx.facts.fs.list_dir(&real).any(|(p, _)| {
                    cx.resolve(&p)
                        .is_some_and(|(_, n)| n.kind == NodeKind::File)
                })
            })
        };
        let has_ca = CA_FILES.iter().any(|p| cx.exists(p))
            || env_file("SSL_CERT_FILE").is_some_and(|f| cx.exists(&f))
            || CA_DIRS.iter().any(|d| dir_has_files(d))
            || env_file("SSL_CERT_DIR").is_some_and(|ds| ds.split(':').any(dir_has_files));
        let has_tz = TZ_DIRS.iter().any(|d| cx.exists(d))
            || env_file("ZONEINFO").is_some_and(|f| cx.exists(&f));
        for b in &cx.facts.binaries {
            let Some(needs) = &b.needs else { continue };
            if needs.ca_certs && !needs.fallback_roots && !has_ca {
                let mut d = cx
                    .diag(&Self::INFO, format!("{} loads the system root certificates, and the image has no CA bundle", b.path))
                    .with_help("copy /etc/ssl/certs/ca-certificates.crt from a build stage (envelope build adds it): TLS connections fail with `certificate signed by unknown authority`");
                d.severity = envelope_diagnostics::Severity::Error;
                out.push(d);
            }
            if needs.tzdata && !needs.embedded_tzdata && !has_tz {
                out.push(
                    cx.diag(&Self::INFO, format!("{} calls time.LoadLocation, and the image has no /usr/share/zoneinfo", b.path))
                        .with_help("import _ \"time/tzdata\" or copy /usr/share/zoneinfo; names other than UTC and Local fail otherwise"),
                );
            }
        }
        if !cx.facts.binaries.iter().any(|b| b.go().is_some()) {
            return;
        }
        match cx.resolve("/tmp") {
            Some((_, n)) if n.kind == NodeKind::Dir && n.mode & 0o002 != 0 => {}
            Some((_, n)) if n.kind == NodeKind::Dir => {
                let user = cx.user();
                let uid: Option<u32> = user.split(':').next().and_then(|u| u.parse().ok());
                if uid != Some(n.uid) {
                    out.push(
                        cx.diag(
                            &Self::INFO,
                            format!(
                                "/tmp is not writable by the image's user (mode {:04o}, owner {})",
                                n.mode, n.uid
                            ),
                        )
                        .with_help("create /tmp with mode 1777"),
                    );
                }
            }
            _ => out.push(
                cx.diag(&Self::INFO, "the image has no /tmp directory")
                    .with_help("create /tmp with mode 1777: os.TempDir and os.CreateTemp use it"),
            ),
        }
    }
}

/// Directories of certificates Go reads on Linux.
const CA_DIRS: [&str; 2] = ["/etc/ssl/certs", "/etc/pki/tls/certs"];

/// Where Go looks for the zoneinfo database on Unix.
const TZ_DIRS: [&str; 3] = [
    "/usr/share/zoneinfo",
    "/usr/share/lib/zoneinfo",
    "/usr/lib/locale/TZ",
];

/// Where Go looks for the CA bundle on Linux (crypto/x509/root_linux.go).
const CA_FILES: [&str; 6] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];
