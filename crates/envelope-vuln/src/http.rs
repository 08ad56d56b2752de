//! Bounded GETs: size limits, gzip when the server offers it, and the
//! shared agent and retry policy.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use envelope_http::RetryPolicy;

use crate::error::{Error, Result};

pub(crate) struct Http {
    agent: ureq::Agent,
    retry: RetryPolicy,
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
        let agent = envelope_http::agent(&envelope_http::AgentOptions {
            ca_file: ca_file.map(std::path::Path::to_path_buf),
            connect_timeout,
            response_timeout: None,
            total_timeout: Some(timeout),
        })?;
        Ok(Http {
            agent,
            retry: RetryPolicy {
                retries,
                ..RetryPolicy::default()
            },
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
                Err(Attempt::Retry(_, retry_after)) if self.retry.allows(attempt) => {
                    std::thread::sleep(self.retry.delay(attempt, retry_after.as_deref()));
                    attempt += 1;
                }
                Err(Attempt::Retry(e, _) | Attempt::Fatal(e)) => return Err(e),
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
            e if !RetryPolicy::retries_error(&e) => Attempt::Fatal(Error::Transport {
                url: url.to_string(),
                message: e.to_string(),
            }),
            ureq::Error::Timeout(_) => Attempt::Retry(
                Error::Transport {
                    url: url.to_string(),
                    message: format!(
                        "timed out ({e}; limits: {:?} to connect, {:?} per request)",
                        self.timeouts.0, self.timeouts.1
                    ),
                },
                None,
            ),
            e => Attempt::Retry(
                Error::Transport {
                    url: url.to_string(),
                    message: e.to_string(),
                },
                None,
            ),
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
            s if RetryPolicy::retries_status(s) => {
                let retry_after = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                return Err(Attempt::Retry(
                    Error::Http {
                        url: url.to_string(),
                        status,
                    },
                    retry_after,
                ));
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
    /// With the server's Retry-After, if it sent one.
    Retry(Error, Option<String>),
    Fatal(Error),
}
