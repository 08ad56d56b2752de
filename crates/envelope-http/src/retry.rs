//! When a failed request is worth another attempt, and how long to wait
//! first: the server's Retry-After (seconds or an HTTP date) when it sends
//! one, up to a cap; otherwise an exponential backoff, also capped. An
//! operation's attempts ([`Attempts`]) stay within its deadline, and a
//! timeout is tried again only once: a server that let one attempt hang
//! will most likely let the next hang too.

use std::time::{Duration, Instant};

use jiff::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts after the first one.
    pub retries: u32,
    /// The first wait without Retry-After; it doubles with each retry.
    pub backoff: Duration,
    /// No backoff is longer than this.
    pub max_backoff: Duration,
    /// A server's Retry-After is honoured up to this.
    pub max_retry_after: Duration,
    /// Of the retries, how many may follow a timeout.
    pub timeout_retries: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 5,
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(30),
            timeout_retries: 1,
        }
    }
}

impl RetryPolicy {
    /// Statuses that say "not now" rather than "no": request timeout, too
    /// many requests, and the transient server errors (not 501 Not
    /// Implemented or 505, which another attempt will not change).
    pub fn retries_status(status: u16) -> bool {
        matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
    }

    /// Transport failures (refused or dropped connections, timeouts, DNS)
    /// are retried; a body over the caller's limit is not.
    pub fn retries_error(error: &ureq::Error) -> bool {
        !matches!(error, ureq::Error::BodyExceedsLimit(_))
    }

    /// Whether another attempt follows `attempt` retries already made.
    pub fn allows(&self, attempt: u32) -> bool {
        attempt < self.retries
    }

    /// The wait before retry number `attempt + 1` without Retry-After:
    /// `backoff × 2^attempt`, at most `max_backoff`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        self.backoff
            .checked_mul(2u32.saturating_pow(attempt))
            .unwrap_or(Duration::MAX)
            .min(self.max_backoff)
    }

    /// The wait before retry number `attempt + 1`, given the response's
    /// Retry-After header if it had one.
    pub fn delay(&self, attempt: u32, retry_after: Option<&str>) -> Duration {
        self.delay_at(attempt, retry_after, Timestamp::now())
    }

    /// [`RetryPolicy::delay`] with the clock given (an HTTP date counts
    /// from `now`).
    pub fn delay_at(&self, attempt: u32, retry_after: Option<&str>, now: Timestamp) -> Duration {
        match retry_after.and_then(|v| parse_retry_after(v, now)) {
            Some(wait) => wait.min(self.max_retry_after),
            None => self.backoff(attempt),
        }
    }
}

/// The attempts of one operation (a request with its retries, or a
/// download or upload that starts over): whether another may follow and
/// after which wait, within the operation's deadline.
#[derive(Debug, Clone)]
pub struct Attempts {
    policy: RetryPolicy,
    deadline: Instant,
    retries: u32,
    timeout_retries: u32,
}

impl Attempts {
    /// An operation starting now that no retry may outlast `deadline`.
    pub fn new(policy: RetryPolicy, deadline: Duration) -> Attempts {
        let now = Instant::now();
        Attempts {
            policy,
            deadline: now
                .checked_add(deadline)
                .unwrap_or(now + Duration::from_secs(86_400 * 365)),
            retries: 0,
            timeout_retries: 0,
        }
    }

    /// Retries made so far.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// The wait before another attempt after a failure (a timeout or not;
    /// the response's Retry-After if it had one), counting that retry; or
    /// `None` when none may follow: the retries are used up, a timeout was
    /// already tried again, or the wait would end past the deadline.
    pub fn retry(&mut self, timed_out: bool, retry_after: Option<&str>) -> Option<Duration> {
        if !self.policy.allows(self.retries)
            || (timed_out && self.timeout_retries >= self.policy.timeout_retries)
        {
            return None;
        }
        let wait = self.policy.delay(self.retries, retry_after);
        if Instant::now()
            .checked_add(wait)
            .is_none_or(|at| at >= self.deadline)
        {
            return None;
        }
        self.retries += 1;
        if timed_out {
            self.timeout_retries += 1;
        }
        Some(wait)
    }
}

/// A Retry-After value (RFC 9110 §10.2.3) as a wait from `now`: delay
/// seconds, or an HTTP date in any of the three forms recipients must
/// accept (IMF-fixdate, RFC 850, asctime). A date in the past is no wait;
/// anything else unreadable is `None`.
pub fn parse_retry_after(value: &str, now: Timestamp) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits to fit is still "a long time".
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let date = http_date(value)?;
    Some(Duration::try_from(date.duration_since(now)).unwrap_or(Duration::ZERO))
}

fn http_date(value: &str) -> Option<Timestamp> {
    // IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT", is RFC 2822's form.
    if let Ok(ts) = jiff::fmt::rfc2822::DateTimeParser::new().parse_timestamp(value) {
        return Some(ts);
    }
    // RFC 850, "Sunday, 06-Nov-94 08:49:37 GMT".
    if let Some(rest) = value.strip_suffix(" GMT") {
        if let Ok(dt) = jiff::civil::DateTime::strptime("%A, %d-%b-%y %H:%M:%S", rest) {
            return dt
                .to_zoned(jiff::tz::TimeZone::UTC)
                .ok()
                .map(|z| z.timestamp());
        }
    }
    // asctime, "Sun Nov  6 08:49:37 1994" (UTC by definition).
    let single_spaced = value.split_ascii_whitespace().collect::<Vec<_>>().join(" ");
    jiff::civil::DateTime::strptime("%a %b %e %H:%M:%S %Y", &single_spaced)
        .ok()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("a test timestamp")
    }

    #[test]
    fn retry_after_seconds() {
        let now = at("1994-11-06T08:49:00Z");
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("1.5", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn retry_after_http_dates_in_all_three_forms() {
        let now = at("1994-11-06T08:49:00Z");
        let wait = Some(Duration::from_secs(37));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            wait
        );
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now),
            wait
        );
        assert_eq!(parse_retry_after("Sun Nov  6 08:49:37 1994", now), wait);
        // A date already past means "now", not "unreadable".
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:48:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("Sun, 31 Nov 1994 08:49:37 GMT", now),
            None
        );
    }

    #[test]
    fn delays_are_capped() {
        let policy = RetryPolicy::default();
        let now = at("1994-11-06T08:49:00Z");
        // Retry-After wins over the backoff, up to its cap.
        assert_eq!(policy.delay_at(0, Some("3"), now), Duration::from_secs(3));
        assert_eq!(
            policy.delay_at(0, Some("3600"), now),
            Duration::from_secs(30)
        );
        assert_eq!(
            policy.delay_at(0, Some("Sun, 06 Nov 1994 10:00:00 GMT"), now),
            Duration::from_secs(30)
        );
        // Without one (or with nonsense), the backoff doubles to its cap.
        assert_eq!(policy.delay_at(0, None, now), Duration::from_millis(250));
        assert_eq!(
            policy.delay_at(2, Some("later"), now),
            Duration::from_secs(1)
        );
        assert_eq!(policy.backoff(5), Duration::from_secs(8));
        assert_eq!(policy.backoff(6), Duration::from_secs(10));
        assert_eq!(policy.backoff(u32::MAX), Duration::from_secs(10));
        let huge = RetryPolicy {
            backoff: Duration::MAX,
            max_backoff: Duration::MAX,
            ..policy
        };
        assert_eq!(huge.backoff(3), Duration::MAX);
    }

    #[test]
    fn which_failures_retry() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(RetryPolicy::retries_status(s), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 410, 501, 505] {
            assert!(!RetryPolicy::retries_status(s), "{s}");
        }
        assert!(RetryPolicy::retries_error(&ureq::Error::ConnectionFailed));
        assert!(!RetryPolicy::retries_error(&ureq::Error::BodyExceedsLimit(
            1
        )));
        let two = RetryPolicy {
            retries: 2,
            ..RetryPolicy::default()
        };
        assert!(two.allows(0) && two.allows(1) && !two.allows(2));
    }

    #[test]
    fn attempts_stop_at_the_count_after_one_timeout_and_at_the_deadline() {
        let policy = RetryPolicy {
            retries: 3,
            backoff: Duration::from_millis(1),
            ..RetryPolicy::default()
        };
        let mut a = Attempts::new(policy, Duration::from_secs(60));
        assert_eq!(a.retry(false, None), Some(Duration::from_millis(1)));
        assert_eq!(a.retry(true, None), Some(Duration::from_millis(2)));
        // A second timeout is not tried again; other failures still are.
        assert_eq!(a.retry(true, None), None);
        assert_eq!(a.retry(false, None), Some(Duration::from_millis(4)));
        assert_eq!(a.retry(false, None), None);
        assert_eq!(a.retries(), 3);

        // A Retry-After that ends past the deadline is no retry at all.
        let mut a = Attempts::new(policy, Duration::from_secs(10));
        assert_eq!(a.retry(false, Some("20")), None);
        assert_eq!(a.retry(false, Some("2")), Some(Duration::from_secs(2)));
        let mut spent = Attempts::new(policy, Duration::ZERO);
        assert_eq!(spent.retry(false, None), None);
    }
}
