use std::path::PathBuf;

use crate::zip::ZipError;

/// Everything that can go wrong opening or reading a database. Each
/// message names the file or URL involved and, where there is one, what
/// to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{location}: {hint}")]
    NotFound { location: String, hint: String },

    #[error("{location}: corrupt vulnerability database file: {reason}")]
    Corrupt { location: String, reason: String },

    #[error("{location}: larger than the {limit}-byte limit for this file; refusing to read it")]
    TooLarge { location: String, limit: u64 },

    #[error("GET {url}: server answered HTTP {status}; check the database URL or try again later")]
    Http { url: String, status: u16 },

    #[error("GET {url}: {message}; check the network (and proxy settings), or use offline mode with a cached database")]
    Transport {
        url: String,
        message: String,
        /// The timeout that fired, when one did (`message` says it too).
        timed_out: Option<envelope_http::TimedOut>,
    },

    #[error("the index lists {id} for module {module}, but {location} does not exist; the database is incomplete")]
    MissingRecord {
        id: String,
        module: String,
        location: String,
    },

    #[error(
        "{url}: the database went backwards: it says it was modified {remote}, \
         but the cached copy in {} is from {cached}; keeping the cache. If the \
         server was rolled back on purpose, delete that folder",
        cache.display()
    )]
    WentBackwards {
        url: String,
        remote: String,
        cached: String,
        cache: PathBuf,
    },

    #[error("offline mode needs a cached copy of {url}, and {}; run once without offline mode to fetch it", match cache { Some(c) => format!("there is none in {}", c.display()), None => "no cache folder was given".to_string() })]
    NoCache { url: String, cache: Option<PathBuf> },

    #[error("offline mode: {id} (for module {module}) is not in the cache at {}; run once without offline mode to fetch it", path.display())]
    NotCached {
        id: String,
        module: String,
        path: PathBuf,
    },

    #[error("{}: {source}", path.display())]
    Zip {
        path: PathBuf,
        #[source]
        source: ZipError,
    },

    #[error(transparent)]
    Tls(#[from] envelope_http::Error),

    #[error("looking up {module} {version}")]
    Lookup {
        module: String,
        version: String,
        #[source]
        source: Box<Error>,
    },

    #[error("writing the vulnerability database cache {}: {source}; check that the cache folder is writable", path.display())]
    CacheWrite {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
