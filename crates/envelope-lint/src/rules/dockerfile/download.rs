//! Downloads in RUN commands, shared by the rules about what is fetched
//! (DF014 unverified downloads, DF015 moving URLs).

use envelope_dockerfile::{Command, Word};

/// Tools that fetch a URL given as an argument.
const FETCHERS: [&str; 3] = ["curl", "wget", "aria2c"];

/// Is `cmd` a download tool (`curl`, `wget`, `aria2c`)?
pub(crate) fn is_fetcher(cmd: &Command) -> bool {
    FETCHERS.contains(&cmd.name())
}

/// The remote URLs among a command's arguments (`http`, `https`, `ftp`),
/// not counting the build machine itself (`localhost`, `127.0.0.1`).
pub(crate) fn remote_urls(cmd: &Command) -> Vec<&Word> {
    cmd.args()
        .iter()
        .filter(|w| is_remote_url(&w.value))
        .collect()
}

/// `http://`, `https://` or `ftp://` to another host than this one.
pub(crate) fn is_remote_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let Some(rest) = ["https://", "http://", "ftp://"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or(host);
    let host = host.split(':').next().unwrap_or(host);
    !host.is_empty() && !matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "0.0.0.0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_urls_only() {
        assert!(is_remote_url("https://example.com/x.tar.gz"));
        assert!(is_remote_url("HTTP://example.com"));
        assert!(is_remote_url("ftp://user@mirror.example.org:21/x"));
        assert!(!is_remote_url("http://localhost:8080/health"));
        assert!(!is_remote_url("http://127.0.0.1/"));
        assert!(!is_remote_url("https://"));
        assert!(!is_remote_url("/usr/local/bin"));
        assert!(!is_remote_url("git@github.com:o/r.git"));
    }
}
