//! The one HTTP setup envelope uses to reach registries and vulnerability
//! databases: a `ureq` agent with its TLS roots (the bundled Mozilla roots,
//! or a PEM file the caller names or `SSL_CERT_FILE` points to), timeouts
//! and user agent; and the retry policy (which failures are worth another
//! attempt, how long to wait, Retry-After). Requests, authentication and
//! body limits stay with the callers: they differ by protocol.

mod agent;
mod retry;

pub use agent::{agent, AgentOptions, Error, USER_AGENT};
pub use retry::{parse_retry_after, RetryPolicy};
