//! The one HTTP setup envelope uses to reach registries and vulnerability
//! databases: a `ureq` agent with its TLS roots (the bundled Mozilla roots,
//! or a PEM file the caller names or `SSL_CERT_FILE` points to) and user
//! agent; the timeouts every request runs under (connect, first byte,
//! idle, a minimum body rate, a cap for small responses, a deadline per
//! operation); and the retry policy (which failures are worth another
//! attempt, how long to wait, Retry-After, all within the deadline).
//! Requests, authentication and body limits stay with the callers: they
//! differ by protocol.

mod agent;
mod retry;
mod timeouts;

pub use agent::{agent, AgentOptions, Error, USER_AGENT};
pub use retry::{parse_retry_after, Attempts, RetryPolicy};
pub use timeouts::{bounded, BodyReader, TimedOut, Timeouts};
