//! How long envelope waits on a server, in one place: every registry and
//! vulnerability database request runs under one [`Timeouts`], and a
//! timeout that fires is a [`TimedOut`] naming which one.
//!
//! What ureq 3 does for us, and what it does not (read from its source,
//! 3.5): `timeout_connect` bounds DNS, TCP and the TLS handshake;
//! `timeout_recv_response` the wait for the response head after the
//! request went out; `timeout_per_read` / `timeout_per_write` restart on
//! every transport read or write (each blocking socket read gets
//! `set_read_timeout` with what is left), which is an idle timeout, body
//! included; `timeout_global` and `timeout_recv_body` are totals. None of
//! them notices a server that sends one byte just before each idle timeout
//! would fire: [`BodyReader`] checks the rate of a body over a window.
//! Large bodies (blobs) get that rate floor and no total, since a layer of
//! gigabytes on a slow link is legitimate; small responses (manifests,
//! tokens, database indexes) also get a total cap ([`bounded`]).

use std::io::Read;
use std::time::{Duration, Instant};

/// The network timeouts. `Timeouts::default()` is `Timeouts::scaled(30 s)`:
///
/// | field | default | from `scaled(n)` |
/// | --- | --- | --- |
/// | `connect` | 15 s | n / 2 |
/// | `first_byte` | 30 s | n |
/// | `idle` | 30 s | n |
/// | `min_rate` over `rate_window` | 1 KiB/s over 30 s | 1 KiB/s over n |
/// | `small_response` | 2 min | 4 n |
/// | `deadline` | 10 min | 20 n |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// DNS, TCP and the TLS handshake. 15 s lets a lost SYN be sent again
    /// twice (after 1 s and 3 s) on a slow link; a registry that has not
    /// accepted in 15 s is down.
    pub connect: Duration,
    /// From the request sent to the first byte of the response head.
    /// Registries answer in well under a second; 30 s leaves room for a
    /// pull-through cache fetching a manifest from upstream first.
    pub first_byte: Duration,
    /// No byte received (or, while sending, none taken) for this long,
    /// at any point of a request: 30 s, as long as a first byte.
    pub idle: Duration,
    /// A body arriving slower than this many bytes per second, measured
    /// over `rate_window`, fails. 1 KiB/s is below any working link (a
    /// 30 MB layer would take over 8 hours) yet never trips on one.
    pub min_rate: u64,
    /// The window of `min_rate`: short stalls inside it are forgiven.
    pub rate_window: Duration,
    /// The whole of a request whose response is small (manifests, tokens,
    /// indexes, error bodies, a blob check): 2 min is ample for 4 MiB at
    /// the slowest rate that is not stalling.
    pub small_response: Duration,
    /// One operation (a request and its retries): no retry starts, and no
    /// wait before one runs, past it. A transfer that keeps above
    /// `min_rate` is not cut by it. 10 min: long enough for several
    /// retries with backoff and Retry-After, short enough that a CI job
    /// learns of an outage.
    pub deadline: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts::scaled(Duration::from_secs(30))
    }
}

impl Timeouts {
    /// What `--timeout n` sets: the first-byte and idle timeouts and the
    /// rate window become `n`; connecting gets `n / 2`, a small response
    /// `4 n` in all, an operation with its retries `20 n`. The minimum
    /// rate stays 1 KiB/s.
    pub fn scaled(n: Duration) -> Timeouts {
        Timeouts {
            connect: n / 2,
            first_byte: n,
            idle: n,
            min_rate: 1024,
            rate_window: n,
            small_response: n.saturating_mul(4),
            deadline: n.saturating_mul(20),
        }
    }
}

/// A timeout that fired, with its limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimedOut {
    #[error("no connection within {} (connect timeout)", Secs(*.0))]
    Connect(Duration),
    #[error("no response within {} (first-byte timeout)", Secs(*.0))]
    FirstByte(Duration),
    #[error("nothing received for {} (idle timeout)", Secs(*.0))]
    Idle(Duration),
    #[error("nothing taken by the server for {} while sending (idle timeout)", Secs(*.0))]
    Send(Duration),
    #[error("the body arrived at {actual} bytes/s over {}, under the minimum of {min} bytes/s (transfer-rate timeout)", Secs(*.window))]
    Rate {
        actual: u64,
        min: u64,
        window: Duration,
    },
    #[error("the response took longer than {} (total timeout)", Secs(*.0))]
    Total(Duration),
}

impl TimedOut {
    /// The timeout behind a ureq error, if it is one.
    pub fn from_ureq(error: &ureq::Error, timeouts: &Timeouts) -> Option<TimedOut> {
        use ureq::Timeout as T;
        let ureq::Error::Timeout(which) = error else {
            if let ureq::Error::Io(io) = error {
                return TimedOut::from_io(io, timeouts);
            }
            return None;
        };
        Some(match which {
            T::Resolve | T::Connect => TimedOut::Connect(timeouts.connect),
            T::SendRequest | T::Await100 | T::RecvResponse => {
                TimedOut::FirstByte(timeouts.first_byte)
            }
            T::PerRead => TimedOut::Idle(timeouts.idle),
            T::PerWrite | T::SendBody => TimedOut::Send(timeouts.idle),
            _ => TimedOut::Total(timeouts.small_response),
        })
    }

    /// The timeout inside an I/O error from a body read (through
    /// [`BodyReader`] or ureq's own reader), if it is one.
    pub fn from_io(error: &std::io::Error, timeouts: &Timeouts) -> Option<TimedOut> {
        let inner = error.get_ref()?;
        if let Some(t) = inner.downcast_ref::<TimedOut>() {
            return Some(t.clone());
        }
        inner
            .downcast_ref::<ureq::Error>()
            .and_then(|e| TimedOut::from_ureq(e, timeouts))
    }
}

/// A duration for messages: `2s`, `1.5s`, `300ms`, `10min`.
struct Secs(Duration);

impl std::fmt::Display for Secs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.0;
        if d < Duration::from_secs(1) {
            write!(f, "{}ms", d.as_millis())
        } else if d.as_secs() >= 120 && d.as_secs().is_multiple_of(60) && d.subsec_nanos() == 0 {
            write!(f, "{}min", d.as_secs() / 60)
        } else if d.subsec_millis() == 0 {
            write!(f, "{}s", d.as_secs())
        } else {
            write!(f, "{:.1}s", d.as_secs_f64())
        }
    }
}

/// `request` with the total cap of a small response.
pub fn bounded<B>(
    request: ureq::RequestBuilder<B>,
    timeouts: &Timeouts,
) -> ureq::RequestBuilder<B> {
    request
        .config()
        .timeout_global(Some(timeouts.small_response))
        .build()
}

/// A response body that fails with a [`TimedOut`] (in an I/O error of kind
/// `TimedOut`) when it arrives under the minimum rate, and that names the
/// timeout when ureq's own (idle, total) fires while reading.
pub struct BodyReader<R> {
    inner: R,
    timeouts: Timeouts,
    window_start: Instant,
    window_bytes: u64,
}

impl<R: Read> BodyReader<R> {
    pub fn new(inner: R, timeouts: &Timeouts) -> BodyReader<R> {
        BodyReader {
            inner,
            timeouts: *timeouts,
            window_start: Instant::now(),
            window_bytes: 0,
        }
    }
}

impl<R: Read> Read for BodyReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self
            .inner
            .read(buf)
            .map_err(|e| match TimedOut::from_io(&e, &self.timeouts) {
                Some(t) => std::io::Error::new(std::io::ErrorKind::TimedOut, t),
                None => e,
            })?;
        self.window_bytes = self.window_bytes.saturating_add(n as u64);
        let elapsed = self.window_start.elapsed();
        if n > 0 && elapsed >= self.timeouts.rate_window && !elapsed.is_zero() {
            // Whole bytes per second is precise enough for a floor.
            let actual =
                u64::try_from(u128::from(self.window_bytes) * 1000 / elapsed.as_millis().max(1))
                    .unwrap_or(u64::MAX);
            if actual < self.timeouts.min_rate {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    TimedOut::Rate {
                        actual,
                        min: self.timeouts.min_rate,
                        window: self.timeouts.rate_window,
                    },
                ));
            }
            self.window_start = Instant::now();
            self.window_bytes = 0;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_documented_values() {
        let t = Timeouts::default();
        assert_eq!(t.connect, Duration::from_secs(15));
        assert_eq!(t.first_byte, Duration::from_secs(30));
        assert_eq!(t.idle, Duration::from_secs(30));
        assert_eq!((t.min_rate, t.rate_window), (1024, Duration::from_secs(30)));
        assert_eq!(t.small_response, Duration::from_secs(120));
        assert_eq!(t.deadline, Duration::from_secs(600));
        let two = Timeouts::scaled(Duration::from_secs(2));
        assert_eq!(two.connect, Duration::from_secs(1));
        assert_eq!(two.deadline, Duration::from_secs(40));
    }

    #[test]
    fn messages_name_the_timeout_and_its_limit() {
        let t = Timeouts::scaled(Duration::from_millis(1500));
        let first = TimedOut::from_ureq(&ureq::Error::Timeout(ureq::Timeout::RecvResponse), &t);
        assert_eq!(
            first.map(|e| e.to_string()).as_deref(),
            Some("no response within 1.5s (first-byte timeout)")
        );
        let idle = TimedOut::from_ureq(&ureq::Error::Timeout(ureq::Timeout::PerRead), &t);
        assert_eq!(idle, Some(TimedOut::Idle(Duration::from_millis(1500))));
        let connect = TimedOut::from_ureq(&ureq::Error::Timeout(ureq::Timeout::Connect), &t);
        assert_eq!(
            connect.map(|e| e.to_string()).as_deref(),
            Some("no connection within 750ms (connect timeout)")
        );
        assert_eq!(
            TimedOut::Total(Duration::from_secs(600)).to_string(),
            "the response took longer than 10min (total timeout)"
        );
        assert_eq!(
            TimedOut::from_ureq(&ureq::Error::ConnectionFailed, &t),
            None
        );
        // Through an I/O error, as ureq's body reader returns it.
        let io = ureq::Error::Timeout(ureq::Timeout::PerRead).into_io();
        assert_eq!(
            TimedOut::from_io(&io, &t),
            Some(TimedOut::Idle(Duration::from_millis(1500)))
        );
    }

    /// A reader handing out one byte per call, `pause` apart.
    struct Trickle {
        left: usize,
        pause: Duration,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.left == 0 || buf.is_empty() {
                return Ok(0);
            }
            std::thread::sleep(self.pause);
            self.left -= 1;
            buf[0] = b'x';
            Ok(1)
        }
    }

    #[test]
    fn a_body_under_the_minimum_rate_fails_after_one_window() {
        let t = Timeouts {
            rate_window: Duration::from_millis(200),
            ..Timeouts::default()
        };
        let start = Instant::now();
        let mut reader = BodyReader::new(
            Trickle {
                left: 1000,
                pause: Duration::from_millis(20),
            },
            &t,
        );
        let err = reader
            .read_to_end(&mut Vec::new())
            .expect_err("50 bytes/s is under 1 KiB/s");
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        assert!(
            matches!(
                TimedOut::from_io(&err, &t),
                Some(TimedOut::Rate { min: 1024, .. })
            ),
            "{err}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn a_body_at_an_acceptable_rate_is_read_whole() {
        let t = Timeouts {
            rate_window: Duration::from_millis(50),
            min_rate: 10,
            ..Timeouts::default()
        };
        let mut out = Vec::new();
        BodyReader::new(
            Trickle {
                left: 30,
                pause: Duration::from_millis(5),
            },
            &t,
        )
        .read_to_end(&mut out)
        .expect("200 bytes/s is over 10");
        assert_eq!(out.len(), 30);
    }
}
