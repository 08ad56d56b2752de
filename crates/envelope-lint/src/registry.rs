//! Every rule, in code order. Adding a rule is one line here.

use crate::audit::ImageRule;
use crate::kubernetes::KubeRule;
use crate::rules::dockerfile as df;
use crate::rules::image as im;
use crate::rules::kubernetes as k8s;
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
    &df::df014::UnverifiedDownload,
    &df::df015::MovingDownloadUrl,
    &df::df016::WorldWritable,
    &df::df017::FromArgWithoutDefault,
    &df::df018::InsecurePackageSource,
    &df::df019::RemoteLoginInImage,
    &df::df020::LegacyEnvFormat,
    &df::df021::MovingBaseTag,
    &df::go001::ToolchainFinalStage,
    &df::go002::CgoForStaticBase,
    &df::go003::NoTrimpath,
    &df::go004::NoStripFlags,
    &df::go005::SourceBeforeDownload,
    &df::go006::NoCacheMount,
    &df::go007::UnversionedInstall,
    &df::go008::ChecksumDbDisabled,
    &df::go009::ScratchRuntimeData,
    &df::go010::DebugBuildShipped,
];

static KUBE_RULES: &[&dyn KubeRule] = &[
    &k8s::k8s000::Unreadable,
    &k8s::k8s001::HostNamespaces,
    &k8s::k8s002::Privileged,
    &k8s::k8s003::BaselineCapabilities,
    &k8s::k8s004::HostPathVolumes,
    &k8s::k8s005::HostPorts,
    &k8s::k8s006::AppArmor,
    &k8s::k8s007::SeLinux,
    &k8s::k8s008::ProcMount,
    &k8s::k8s009::SeccompUnconfined,
    &k8s::k8s010::UnsafeSysctls,
    &k8s::k8s011::VolumeTypes,
    &k8s::k8s012::PrivilegeEscalation,
    &k8s::k8s013::RunAsNonRoot,
    &k8s::k8s014::RunAsRootUser,
    &k8s::k8s015::SeccompRequired,
    &k8s::k8s016::CapabilitiesDropAll,
    &k8s::k8s017::ReadOnlyRoot,
    &k8s::k8s018::Resources,
    &k8s::k8s019::Probes,
    &k8s::k8s020::ServiceAccountToken,
    &k8s::k8s021::ImageNotPinned,
    &k8s::k8s022::ImagePullPolicy,
    &k8s::k8s023::ImageNotLookedUp,
    &k8s::k8s024::ShellMissing,
    &k8s::k8s025::ProgramMissing,
    &k8s::k8s026::UserMismatch,
    &k8s::k8s027::ReadOnlyTmp,
    &k8s::k8s028::PortNotExposed,
    &k8s::k8s029::ImageDigestNotFound,
];

static IMAGE_RULES: &[&dyn ImageRule] = &[
    &im::gb001::DynamicBinary,
    &im::gb002::NotStripped,
    &im::gb003::NoTrimpath,
    &im::gb004::CgoBinary,
    &im::gb005::GoOutOfSupport,
    &im::gb006::DebugBuild,
    &im::gb007::ModifiedTree,
    &im::im001::RunsAsRoot,
    &im::im002::ShellPresent,
    &im::im003::PackageManager,
    &im::im004::Setuid,
    &im::im005::WorldWritable,
    &im::im006::Secrets,
    &im::im007::BuildTooling,
    &im::im008::LeftoverCaches,
    &im::im009::Accounts,
    &im::im010::RuntimeFiles,
    &im::im011::MutableTag,
    &im::im012::NoHealthcheck,
    &im::im013::MissingLabels,
    &im::im014::OddLayerEntries,
];

/// The image audit checks, sorted by code.
pub fn image_rules() -> &'static [&'static dyn ImageRule] {
    IMAGE_RULES
}

/// The Kubernetes manifest rules, sorted by code.
pub fn kube_rules() -> &'static [&'static dyn KubeRule] {
    KUBE_RULES
}

/// Every rule's description: Dockerfile rules, Kubernetes rules, then
/// image checks.
pub fn all_infos() -> Vec<&'static RuleInfo> {
    RULES
        .iter()
        .map(|r| r.info())
        .chain(KUBE_RULES.iter().map(|r| r.info()))
        .chain(IMAGE_RULES.iter().map(|r| r.info()))
        .collect()
}

/// The descriptions of the rules `envelope lint` runs (Dockerfile and
/// Kubernetes), for reports.
pub fn lint_infos() -> Vec<&'static RuleInfo> {
    RULES
        .iter()
        .map(|r| r.info())
        .chain(KUBE_RULES.iter().map(|r| r.info()))
        .collect()
}

/// All rules, sorted by code.
pub fn all_rules() -> &'static [&'static dyn Rule] {
    RULES
}

/// The rule with this code (case-insensitive).
pub fn rule_by_code(code: &str) -> Option<&'static RuleInfo> {
    all_infos()
        .into_iter()
        .find(|i| i.code.eq_ignore_ascii_case(code))
}
