//! Bounded GETs: timeouts, size limits, a few retries, and gzip when the
//! server offers it.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::{Error, Result};

pub(crate) struct Http {
    agent: ureq::Agent,
    retries: u32,
    backoff: Duration,
    /// (connect, whole request), for messages.
    timeouts: (Duration, Duration),
    pub(crate) requests: AtomicU64,
}

impl Http {
    pub(crate) fn new(
        connect_timeout: Duration,
        timeout: Duration,
        retries: u32,
        ca_file: Option<&std::path::Path>,
    ) -> Result<Http> {
        let mut tls = ureq::tls::TlsConfig::builder();
        let roots = ca_file.map(std::path::Path::to_path_buf).or_else(|| {
            std::env::var_os("SSL_CERT_FILE")
                .filter(|v| !v.is_empty())
                .map(Into::into)
        });
        if let Some(path) = roots {
            let pem = std::fs::read(&path).map_err(|e| Error::Tls {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(Error::Tls {
                    path,
                    reason: "no PEM certificate in it".into(),
                });
            }
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(connect_timeout))
            .timeout_global(Some(timeout))
            .user_agent(concat!("envelope-vuln/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls.build())
            .build();
        Ok(Http {
            agent: ureq::Agent::new_with_config(config),
            retries,
            backoff: Duration::from_millis(250),
            timeouts: (connect_timeout, timeout),
            requests: AtomicU64::new(0),
        })
    }

    /// The body of `url`, at most `limit` bytes once decompressed;
    /// `Ok(None)` for 404 and 410.
    pub(crate) fn get(&self, url: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        let mut attempt = 0;
        loop {
            match self.get_once(url, limit) {
                Err(Attempt::Retry(_)) if attempt < self.retries => {
                    std::thread::sleep(self.backoff * 2u32.saturating_pow(attempt));
                    attempt += 1;
                }
                Err(Attempt::Retry(e) | Attempt::Fatal(e)) => return Err(e),
                Ok(body) => return Ok(body),
            }
        }
    }

    fn get_once(&self, url: &str, limit: u64) -> Result<Option<Vec<u8>>, Attempt> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let transport = |e: ureq::Error| match e {
            ureq::Error::BodyExceedsLimit(_) => Attempt::Fatal(Error::TooLarge {
                location: url.to_string(),
                limit,
            }),
            ureq::Error::Timeout(_) => Attempt::Retry(Error::Transport {
                url: url.to_string(),
                message: format!(
                    "timed out ({e}; limits: {:?} to connect, {:?} per request)",
                    self.timeouts.0, self.timeouts.1
                ),
            }),
            e => Attempt::Retry(Error::Transport {
                url: url.to_string(),
                message: e.to_string(),
            }),
        };
        let resp = self
            .agent
            .get(url)
            .header("Accept-Encoding", "gzip")
            .call()
            .map_err(transport)?;
        let status = resp.status().as_u16();
        match status {
            200 => {}
            404 | 410 => return Ok(None),
            429 | 500..=599 => {
                return Err(Attempt::Retry(Error::Http {
                    url: url.to_string(),
                    status,
                }))
            }
            _ => {
                return Err(Attempt::Fatal(Error::Http {
                    url: url.to_string(),
                    status,
                }))
            }
        }
        let gzipped = resp
            .headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
        let body = resp
            .into_body()
            .into_with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(transport)?;
        // If ureq was built with its own gzip support elsewhere in the
        // build it has decoded already; the magic bytes tell.
        if gzipped && body.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(body.as_slice())
                .take(limit + 1)
                .read_to_end(&mut out)
                .map_err(|e| {
                    Attempt::Fatal(Error::Corrupt {
                        location: url.to_string(),
                        reason: format!("gzip: {e}"),
                    })
                })?;
            if out.len() as u64 > limit {
                return Err(Attempt::Fatal(Error::TooLarge {
                    location: url.to_string(),
                    limit,
                }));
            }
            return Ok(Some(out));
        }
        Ok(Some(body))
    }
}

enum Attempt {
    Retry(Error),
    Fatal(Error),
}
