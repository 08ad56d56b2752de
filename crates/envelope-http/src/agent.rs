//! The agent: TLS roots, timeouts, user agent, and statuses as values
//! (callers decide what a 404 means).

use std::path::{Path, PathBuf};

use crate::Timeouts;

/// What every request says it is.
pub const USER_AGENT: &str = concat!("envelope/", env!("CARGO_PKG_VERSION"));

#[derive(Debug, Clone, Default)]
pub struct AgentOptions {
    /// PEM roots to trust instead of the bundled ones; `SSL_CERT_FILE`
    /// (when set and not empty) is used when this is `None`.
    pub ca_file: Option<PathBuf>,
    /// Connect, first-byte and idle timeouts of every request; the rate
    /// floor and the small-response cap are applied per request
    /// ([`crate::BodyReader`], [`crate::bounded`]).
    pub timeouts: Timeouts,
}

/// Building an agent fails only on the extra roots file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("CA file {}: {source}", path.display())]
    CaFileRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("CA file {}: no PEM certificate in it", path.display())]
    CaFileEmpty { path: PathBuf },
}

/// An agent configured from `options`. Statuses are returned as responses,
/// never as errors.
pub fn agent(options: &AgentOptions) -> Result<ureq::Agent, Error> {
    let mut tls = ureq::tls::TlsConfig::builder();
    let pem_file = options.ca_file.clone().or_else(|| {
        std::env::var_os("SSL_CERT_FILE")
            .filter(|v| !v.is_empty())
            .map(Into::into)
    });
    if let Some(path) = pem_file {
        tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&read_roots(&path)?));
    }
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(options.timeouts.connect))
        .timeout_recv_response(Some(options.timeouts.first_byte))
        .timeout_per_read(Some(options.timeouts.idle))
        .timeout_per_write(Some(options.timeouts.idle))
        .user_agent(USER_AGENT)
        .tls_config(tls.build())
        .build();
    Ok(ureq::Agent::new_with_config(config))
}

/// The certificates of a PEM file; other PEM items (keys) are skipped.
fn read_roots(path: &Path) -> Result<Vec<ureq::tls::Certificate<'static>>, Error> {
    let pem = std::fs::read(path).map_err(|source| Error::CaFileRead {
        path: path.to_path_buf(),
        source,
    })?;
    let certs: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(Error::CaFileEmpty {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_roots_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("roots.pem");
        std::fs::write(&path, "not a certificate\n").expect("write");
        let err = agent(&AgentOptions {
            ca_file: Some(path.clone()),
            ..AgentOptions::default()
        })
        .expect_err("no certificate in it");
        assert!(
            matches!(&err, Error::CaFileEmpty { path: p } if *p == path),
            "{err}"
        );

        let missing = dir.path().join("missing.pem");
        let err = agent(&AgentOptions {
            ca_file: Some(missing.clone()),
            ..AgentOptions::default()
        })
        .expect_err("missing file");
        assert!(
            err.to_string().contains(&missing.display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn the_user_agent_names_envelope_and_its_version() {
        assert_eq!(
            USER_AGENT,
            format!("envelope/{}", env!("CARGO_PKG_VERSION"))
        );
    }
}
