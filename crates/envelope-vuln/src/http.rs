//! Bounded GETs: size limits, gzip when the server offers it, and the
//! shared agent, timeouts (every file here is a small response: the total
//! cap applies, with the minimum rate) and retry policy.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};

use envelope_http::{Attempts, BodyReader, RetryPolicy, TimedOut, Timeouts};

use crate::error::{Error, Result};

pub(crate) struct Http {
    agent: ureq::Agent,
    retry: RetryPolicy,
    timeouts: Timeouts,
    pub(crate) requests: AtomicU64,
}

impl Http {
    pub(crate) fn new(
        timeouts: Timeouts,
        retries: u32,
        ca_file: Option<&std::path::Path>,
    ) -> Result<Http> {
        let agent = envelope_http::agent(&envelope_http::AgentOptions {
            ca_file: ca_file.map(std::path::Path::to_path_buf),
            timeouts,
        })?;
        Ok(Http {
            agent,
            retry: RetryPolicy {
                retries,
                ..RetryPolicy::default()
            },
            timeouts,
            requests: AtomicU64::new(0),
        })
    }

    /// The body of `url`, at most `limit` bytes once decompressed;
    /// `Ok(None)` for 404 and 410.
    pub(crate) fn get(&self, url: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        let mut attempts = Attempts::new(self.retry, self.timeouts.deadline);
        loop {
            match self.get_once(url, limit) {
                Err(Attempt::Retry(e, retry_after)) => {
                    let timed_out = matches!(
                        e,
                        Error::Transport {
                            timed_out: Some(_),
                            ..
                        }
                    );
                    match attempts.retry(timed_out, retry_after.as_deref()) {
                        Some(wait) => std::thread::sleep(wait),
                        None => return Err(e),
                    }
                }
                Err(Attempt::Fatal(e)) => return Err(e),
                Ok(body) => return Ok(body),
            }
        }
    }

    fn get_once(&self, url: &str, limit: u64) -> Result<Option<Vec<u8>>, Attempt> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let transport = |e: ureq::Error| {
            if matches!(e, ureq::Error::BodyExceedsLimit(_)) {
                return Attempt::Fatal(Error::TooLarge {
                    location: url.to_string(),
                    limit,
                });
            }
            let timed_out = TimedOut::from_ureq(&e, &self.timeouts);
            let error = Error::Transport {
                url: url.to_string(),
                message: timed_out
                    .as_ref()
                    .map_or_else(|| e.to_string(), |t| format!("timed out: {t}")),
                timed_out,
            };
            if RetryPolicy::retries_error(&e) {
                Attempt::Retry(error, None)
            } else {
                Attempt::Fatal(error)
            }
        };
        let resp = envelope_http::bounded(self.agent.get(url), &self.timeouts)
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
        let mut body = Vec::new();
        BodyReader::new(
            resp.into_body().into_with_config().limit(limit).reader(),
            &self.timeouts,
        )
        .read_to_end(&mut body)
        .map_err(|e| transport(ureq::Error::from(e)))?;
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
