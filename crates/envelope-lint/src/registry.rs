//! Every rule, in code order. Adding a rule is one line here.

use crate::rules::dockerfile as df;
use crate::{Rule, RuleInfo};

static RULES: &[&dyn Rule] = &[
    &df::df000::SyntaxError,
    &df::df001::BaseNotPinned,
    &df::df002::LatestOrNoTag,
    &df::df003::FinalStageRoot,
    &df::df004::Secrets,
    &df::df005::Dockerignore,
    &df::df006::NeedsShell,
    &df::df007::AddInsteadOfCopy,
    &df::df008::FullOsFinalStage,
    &df::df009::MissingLabels,
    &df::df010::PackageHygiene,
    &df::df011::PrivilegedPort,
    &df::df012::NoHealthcheck,
    &df::df013::UntrustedRegistry,
    &df::go001::ToolchainFinalStage,
    &df::go002::CgoForStaticBase,
    &df::go003::NoTrimpath,
    &df::go004::NoStripFlags,
    &df::go005::SourceBeforeDownload,
    &df::go006::NoCacheMount,
    &df::go007::UnversionedInstall,
];

/// All rules, sorted by code.
pub fn all_rules() -> &'static [&'static dyn Rule] {
    RULES
}

/// The rule with this code (case-insensitive).
pub fn rule_by_code(code: &str) -> Option<&'static RuleInfo> {
    RULES
        .iter()
        .map(|r| r.info())
        .find(|i| i.code.eq_ignore_ascii_case(code))
}
