//! The vulnerability-database side of `envelope scan`: the Go
//! vulnerability database (OSV records in its v1 layout) read from a
//! folder, a `vulndb.zip` or an HTTP(S) server with an on-disk cache, and
//! matched against module versions with Go's semver rules.
//!
//! [`scan`] matches one Go binary's modules, packages and symbols against
//! it: which records apply, and whether their code is called, imported or
//! only required.
//!
//! ```no_run
//! use envelope_vuln::{Database, OpenOptions, Source};
//!
//! let opts = OpenOptions {
//!     cache_dir: Some("/home/me/.cache/envelope".into()),
//!     ..OpenOptions::default()
//! };
//! let db = Database::open(Source::parse("https://vuln.go.dev"), &opts)?;
//! db.prefetch(["golang.org/x/text", "stdlib"])?;
//! for m in db.matches("golang.org/x/text", "v0.3.7")? {
//!     println!("{} fixed in {:?}", m.id(), m.fixed);
//! }
//! for m in db.matches("stdlib", "go1.23.5")? {
//!     println!("{}", m.id());
//! }
//! # Ok::<(), envelope_vuln::Error>(())
//! ```

mod db;
mod error;
mod http;
pub mod index;
pub mod osv;
pub mod scan;
pub mod semver;
mod time;
pub mod zip;

pub use db::{
    Database, DbInfo, Match, OpenOptions, RefreshPolicy, Source, DB_JSON_LIMIT, DEFAULT_URL,
    MODULES_JSON_LIMIT, RECORD_LIMIT,
};
pub use error::{Error, Result};
pub use osv::{Affected, Entry, Import};
