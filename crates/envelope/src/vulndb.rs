//! The Go vulnerability database as `scan` and `attest --type vex` open
//! it: `--db` (URL, directory or zip), `--offline`, the cache, and the
//! hint naming what to change when it is not available.

use anyhow::Result;
use envelope_cli::{RegistryArgs, VulnDbArgs};
use envelope_vuln::{Database, OpenOptions, RefreshPolicy, Source};

use crate::printer::hinted;

/// Opens the database `args` name; `update_db` refreshes the cache now.
pub fn open(args: &VulnDbArgs, update_db: bool, registry: &RegistryArgs) -> Result<Database> {
    let source = Source::parse(&args.db);
    let opts = OpenOptions {
        cache_dir: Some(envelope_build::Cache::from_env().root().to_path_buf()),
        offline: args.offline,
        refresh: if update_db {
            RefreshPolicy::Force
        } else {
            RefreshPolicy::IfChanged
        },
        ca_file: registry.registry_ca_file.clone(),
        timeouts: crate::images::timeouts(),
        ..OpenOptions::default()
    };
    Database::open(source.clone(), &opts).map_err(|e| {
        let hint = match &source {
            _ if matches!(
                e,
                envelope_vuln::Error::Transport {
                    timed_out: Some(_),
                    ..
                }
            ) =>
            {
                crate::printer::TIMEOUT_HINT
            }
            Source::Url(_) if args.offline => {
                "run `envelope scan --update-db` once with network access, or give --db DIR|ZIP"
            }
            Source::Url(_) => {
                "check the network, or use --offline (the cached database) or --db DIR|ZIP"
            }
            _ => "--db takes an https URL, a directory in the v1 layout (index/, ID/) or a vulndb.zip",
        };
        hinted(format!("vulnerability database {source}: {e}"), hint)
    })
}
