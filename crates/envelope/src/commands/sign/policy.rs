//! The policy `verify` holds the verified attestations to
//! (envelope_attest::policy): a TOML file with the flags over it.

use anyhow::{Context, Result};
use envelope_attest::policy::Policy;
use envelope_cli::VerifyArgs;

use crate::printer::hinted;

/// The file's rules (when given) overridden by the flags.
pub fn from_args(args: &VerifyArgs) -> Result<Policy> {
    let mut p = match &args.policy {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the policy {}", path.display()))?;
            Policy::parse(&text).map_err(|e| {
                hinted(
                    format!("{}:{e}", path.display()),
                    "the keys are source, pinned-base, min-go, supported-go and no-called-vulnerabilities (see docs/signing.md)",
                )
            })?
        }
        None => Policy::default(),
    };
    if let Some(s) = &args.require_source {
        p.source = Some(s.clone());
    }
    p.pinned_base |= args.require_pinned_base;
    if let Some(v) = &args.min_go {
        p.min_go = Some(v.clone());
    }
    p.supported_go |= args.require_supported_go;
    p.no_called_vulnerabilities |= args.deny_called;
    p.validate().map_err(|e| {
        hinted(
            e.to_string(),
            "--min-go takes a Go release such as 1.26 or go1.26.2",
        )
    })?;
    Ok(p)
}
