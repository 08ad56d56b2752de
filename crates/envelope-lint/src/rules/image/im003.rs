use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags an image that contains a package manager: `apt`/`apt-get`/`dpkg`,
    /// `apk`, `yum`/`dnf`/`microdnf`/`rpm`, or `pip`.
    ///
    /// ## Why
    /// A package manager in a running container lets whoever gets in install
    /// tools; its database also makes scanners report every package of the base
    /// as the image's own vulnerabilities. A Go service installs nothing at run
    /// time.
    ///
    /// ## Example
    /// An image built `FROM debian:bookworm` or `FROM alpine`.
    ///
    /// ## Fix
    /// Install what the build needs in a build stage and copy only the results
    /// into a scratch or distroless final stage.
    pub struct PackageManager {
        code: "IM003",
        name: "package-manager-in-image",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl ImageRule for PackageManager {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        let found = cx.present(&TOOLS);
        if found.is_empty() {
            return;
        }
        let dbs: u64 = DATABASES.iter().map(|d| cx.bytes_under(d)).sum();
        let bytes = found.iter().map(|(_, s)| s).sum::<u64>() + dbs;
        let list: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        out.push(
            cx.diag(
                &Self::INFO,
                format!("the image contains a package manager: {}", list.join(", ")),
            )
            .with_help("install in a build stage and copy only the results into a scratch or distroless final stage")
            .with_savings(bytes),
        );
    }
}

const TOOLS: [&str; 14] = [
    "/usr/bin/apt",
    "/usr/bin/apt-get",
    "/usr/bin/dpkg",
    "/sbin/apk",
    "/usr/bin/apk",
    "/usr/bin/yum",
    "/usr/bin/dnf",
    "/usr/bin/microdnf",
    "/usr/bin/rpm",
    "/bin/rpm",
    "/usr/bin/pip",
    "/usr/bin/pip3",
    "/usr/local/bin/pip",
    "/usr/local/bin/pip3",
];
const DATABASES: [&str; 4] = [
    "/var/lib/dpkg",
    "/lib/apk/db",
    "/var/lib/rpm",
    "/var/lib/apt",
];
