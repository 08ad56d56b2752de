//! What a Go binary needs from its image, judged from the functions linked
//! into it: a CA bundle when it loads the system root pool, time zone files
//! when it loads locations by name (unless it embeds time/tzdata).

use serde::Serialize;

use crate::FuncTable;

/// Loading the system roots on Linux (crypto/x509/root_unix.go).
const CA_FUNCS: &[&str] = &["crypto/x509.loadSystemRoots", "crypto/x509.initSystemRoots"];
/// Loading a named location from the system's zoneinfo.
const TZ_FUNCS: &[&str] = &["time.LoadLocation"];
/// Present when the binary imports time/tzdata (the embedded database).
const EMBEDDED_TZ_FUNCS: &[&str] = &["time/tzdata.init.0", "time/tzdata.loadFromEmbeddedTZData"];
/// Making files or directories under the temporary directory (also what
/// mime/multipart does with a large upload).
const TEMP_FUNCS: &[&str] = &[
    "os.CreateTemp",
    "os.MkdirTemp",
    "io/ioutil.TempFile",
    "io/ioutil.TempDir",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuntimeNeeds {
    pub ca_certs: bool,
    pub ca_reason: Option<String>,
    pub tzdata: bool,
    pub tz_reason: Option<String>,
    pub embedded_tzdata: bool,
    /// Embeds root certificates to use when the system has none
    /// (golang.org/x/crypto/x509roots/fallback calls SetFallbackRoots).
    #[serde(skip)]
    pub fallback_roots: bool,
    /// The function that writes under the temporary directory (`/tmp`),
    /// when the binary has one: a read-only root filesystem needs a
    /// writable volume there.
    #[serde(skip)]
    pub temp_files: Option<String>,
}

pub fn runtime_needs(funcs: &FuncTable) -> RuntimeNeeds {
    let first = |list: &[&str]| {
        list.iter()
            .find(|f| funcs.contains(f))
            .map(|f| f.to_string())
    };
    let ca = first(CA_FUNCS);
    let tz = first(TZ_FUNCS);
    RuntimeNeeds {
        ca_certs: ca.is_some(),
        ca_reason: ca
            .map(|f| format!("the binary calls {f}, which reads the system root certificates")),
        tzdata: tz.is_some(),
        tz_reason: tz.map(|f| format!("the binary calls {f}")),
        embedded_tzdata: first(EMBEDDED_TZ_FUNCS).is_some(),
        fallback_roots: funcs.contains("crypto/x509.SetFallbackRoots"),
        temp_files: first(TEMP_FUNCS),
    }
}
