//! Command-line definitions for `envelope`, and nothing else: the doc comments
//! on these structs are the `--help` text, so they are written for users.
//! Behaviour lives in the `envelope` binary crate.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Ship Go services in a padded envelope, not a shipping container.
///
/// envelope builds a Go module into a minimal OCI image — a static binary on
/// an empty base with only the files it needs, non-root, no shell,
/// reproducible digests — without a Docker daemon, a Dockerfile or root.
///
/// Quick start, inside a Go module:
///
///   envelope build ./cmd/server -o oci:out:server
///
///   podman run --rm oci:out:server
#[derive(Debug, Parser)]
#[command(
    name = "envelope",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print only the essential result (image digests) and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more detail: the commands run, cache hits, every file of the base.
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// When to use color on the terminal (NO_COLOR is honored by `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Network timeout for registries and the vulnerability database, in
    /// seconds or with a unit (30, 30s, 500ms, 2m; default 30s): how long to
    /// wait for a response and for the next byte of one, and the window of
    /// the minimum rate (1 KiB/s). Connecting gets half of it, a manifest or
    /// other small response 4 times it in all, a request with its retries
    /// 20 times it.
    #[arg(long, global = true, env = "ENVELOPE_TIMEOUT", value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<std::time::Duration>,
}

/// `30`, `1.5`, `30s`, `500ms`, `2m`/`2min`, `1h`: a positive duration
/// (seconds without a unit).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale = match unit.trim() {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => return Err(format!("unknown unit {other:?}: use ms, s, m or h")),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 30, 30s or 2m"))?;
    std::time::Duration::try_from_secs_f64(value * scale)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{text:?}: a timeout must be more than zero"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

// One command is parsed per run: the size of its largest variant costs
// nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build Go packages into minimal, reproducible OCI images.
    ///
    /// Runs `go build` with CGO_ENABLED=0, -trimpath and -ldflags="-s -w",
    /// checks the binary (static, stripped, trimpath), and assembles an image
    /// from an empty base: /etc/passwd and /etc/group with the nonroot user
    /// 65532, /etc/nsswitch.conf, /tmp, /home/nonroot, plus CA certificates
    /// and time zone data only when the binary needs them. The binary goes to
    /// /usr/local/bin/NAME in its own layer and runs as 65532:65532.
    ///
    /// Examples:
    ///
    ///   envelope build                                  # the package in the current directory
    ///
    ///   envelope build ./cmd/server --port 8080 --arg=--verbose
    ///
    ///   envelope build ./cmd/server --platform linux/amd64,linux/arm64 -o oci:out:v1
    ///
    ///   SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) envelope build -o docker-archive:server.tar:server:v1
    #[command(verbatim_doc_comment)]
    Build(BuildArgs),

    /// Package an already built Go binary (goreleaser, Bazel, make) into an image.
    ///
    /// The same image as `envelope build` makes, from a binary you built
    /// yourself. Its platform is read from the ELF header.
    ///
    /// Example:
    ///
    ///   envelope package dist/server_linux_amd64/server -o oci:out:v1
    #[command(verbatim_doc_comment)]
    Package(PackageArgs),

    /// Copy an image between transports, keeping its digest.
    ///
    /// SRC and DST are oci:DIR[:TAG], oci-archive:FILE[:TAG], docker://REF or a
    /// bare registry REF. Every blob is verified against its digest on the way.
    /// The image's signatures, attestations and SBOMs (cosign's .sig/.att/.sbom
    /// tags and OCI referrers) come along, unchanged, unless
    /// --remove-signatures; a docker-archive cannot hold them (a warning says
    /// what was left behind).
    ///
    /// Example:
    ///
    ///   envelope copy oci:out:v1 registry.example.com/team/app:v1
    #[command(verbatim_doc_comment)]
    Copy(CopyArgs),

    /// Print the digest of an image (oci:, oci-archive:, docker://, bare REF).
    Digest(DigestArgs),

    /// Store credentials for a registry in Docker's config.json, as `docker login` does.
    ///
    /// Example:
    ///
    ///   echo "$TOKEN" | envelope login ghcr.io -u me --password-stdin
    #[command(verbatim_doc_comment)]
    Login(LoginArgs),

    /// Remove stored credentials for a registry.
    Logout(LogoutArgs),

    /// Pin image references by digest in Dockerfiles and Kubernetes/Compose YAML.
    ///
    /// Rewrites `FROM image:tag` and `image: image:tag` to `image:tag@sha256:...`
    /// resolved from the registry, touching nothing else in the file.
    /// `--check` lists what is unpinned and exits 1 (no network needed).
    ///
    /// Examples:
    ///
    ///   envelope pin Dockerfile deploy/app.yaml
    ///
    ///   envelope pin --check Dockerfile compose.yaml      # in CI
    #[command(verbatim_doc_comment)]
    Pin(PinArgs),

    /// Build the Go packages Kubernetes YAML names (ko://PKG, envelope://PKG) and put their digests in.
    ///
    /// Every scalar starting with envelope:// or ko:// (any key, any
    /// document; .yaml, .yml and .json files) names a main package, an
    /// import path or ./relative to the module here. Each package is built
    /// once, pushed to ENVELOPE_REPO (or KO_DOCKER_REPO) as `envelope build`
    /// names it, and each reference becomes REPO/NAME@sha256:... Only those
    /// bytes change: comments, quotes, indentation, anchors and line endings
    /// stay. The result goes to stdout, files separated by `---`, or back
    /// into the files with --in-place.
    ///
    /// Examples:
    ///
    ///   ENVELOPE_REPO=registry.example.com/team envelope resolve -f deploy/ > release.yaml
    ///
    ///   envelope resolve -f deploy/ -R --check        # in CI: exit 1 if anything is unresolved
    #[command(verbatim_doc_comment)]
    Resolve(ResolveArgs),

    /// Resolve Kubernetes YAML (as `envelope resolve`) and pipe it into `kubectl apply -f -`.
    ///
    /// Arguments after `--` go to kubectl.
    ///
    /// Example:
    ///
    ///   envelope apply -f deploy/ -R -- --namespace staging
    #[command(verbatim_doc_comment)]
    Apply(ApplyArgs),

    /// Lint Dockerfiles: Go build hardening and image hygiene, with fixes.
    ///
    /// With no paths, lints every Dockerfile, Containerfile, *.Dockerfile,
    /// Dockerfile.* and Dockerfile-* under the current directory, respecting
    /// .gitignore and skipping vendor, node_modules and testdata. Settings
    /// come from `[lint]` in the nearest envelope.toml. Exit status:
    /// 0 when no finding reaches --fail-on, 1 when one does, 2 on errors.
    ///
    /// Suppress a finding with a comment above the instruction:
    ///
    ///   # envelope: ignore=GO003,DF001
    ///
    /// or for the whole file: `# envelope: ignore-file=DF009`. hadolint's
    /// `# hadolint ignore=DL3006` and `# hadolint global ignore=...` work too,
    /// for the hadolint rules envelope has an equivalent of.
    ///
    /// Examples:
    ///
    ///   envelope lint
    ///
    ///   envelope lint build/Dockerfile --format sarif > lint.sarif
    ///
    ///   envelope lint docker/Dockerfile --context .   # built from the root
    ///
    ///   envelope lint --fix                # apply the safe fixes
    ///
    ///   envelope lint --diff               # show them without writing
    #[command(verbatim_doc_comment)]
    Lint(LintArgs),

    /// List the lint rules and the audit checks.
    Rules(RulesArgs),

    /// Show a rule's or an audit check's documentation.
    Rule(RuleArgs),

    /// Write a hardened multi-stage Dockerfile and a .dockerignore for this Go module.
    ///
    /// Finds the main packages and the Go version from go.mod. The Dockerfile
    /// builds with CGO_ENABLED=0, -trimpath and -ldflags="-s -w" using cache
    /// mounts, and ships the binary on distroless static as user 65532; it
    /// passes `envelope lint` with no findings. Existing files are kept
    /// unless --force.
    #[command(verbatim_doc_comment)]
    Init(InitArgs),

    /// Audit an image (or a Go binary): root, shell, secrets, setuid files,
    /// leftovers, and the Go binaries inside from their own build info, with
    /// the bytes each fix would save.
    ///
    /// IMAGE is `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`,
    /// `docker-archive:FILE[:REF]`, `docker://REF` or a bare registry REF; a
    /// path to an ELF file audits that binary alone. Layers are streamed,
    /// never extracted. `envelope rules` lists the checks (IM and GB codes);
    /// `[audit]` in envelope.toml takes the same keys as `[lint]`.
    ///
    /// Exit status: 0 no finding at or above --fail-on, 1 findings, 2 error.
    ///
    /// Examples:
    ///
    ///   envelope audit oci:out:latest
    ///
    ///   envelope audit docker-archive:app.tar --format sarif > audit.sarif
    ///
    ///   envelope audit ./bin/server
    #[command(verbatim_doc_comment)]
    Audit(AuditArgs),

    /// Writes Kubernetes manifests for an image: a Deployment and a Service
    /// that meet the restricted Pod Security Standard, made from what the
    /// image holds — its user, its ports, whether its program writes under
    /// /tmp — with the image by digest and a comment on each setting.
    ///
    /// The reference the cluster pulls is the registry image by digest; for
    /// an image read from oci:, oci-archive: or docker-archive:, give it with
    /// --image-ref (a registry repository, to which the digest is added, or
    /// an envelope:// reference for `envelope resolve` to fill in).
    ///
    /// Exit status: 0 written, 2 error (nothing written).
    ///
    /// Examples:
    ///
    ///   envelope manifest registry.example.com/team/server:v1 > server.yaml
    ///
    ///   envelope manifest oci:out:server --image-ref registry.example.com/team/server \
    ///     --pdb --network-policy --service-account -o deploy/server.yaml
    ///
    ///   envelope manifest oci:out:server --image-ref envelope://./cmd/server --health-path /healthz
    #[command(verbatim_doc_comment)]
    Manifest(ManifestArgs),

    /// Show an image's layers and what they hold: sizes compressed and
    /// uncompressed, the command that made each, the largest files, and the
    /// bytes wasted on files later layers overwrite or delete (with dive's
    /// efficiency score).
    #[command(verbatim_doc_comment)]
    Inspect(InspectArgs),

    /// Write an SBOM (SPDX 2.3 or CycloneDX 1.6 JSON) for an image or a Go
    /// binary, from the build info the Go linker put in each binary.
    ///
    /// Lists every Go binary with its main module, its dependencies (a
    /// replaced module as its replacement, the original recorded), the Go
    /// standard library and the build settings, plus the OS packages of a
    /// dpkg or apk database. The document is deterministic: the same image
    /// gives the same bytes. With --attached, prints the SBOM attached to
    /// the image instead (by `envelope build`, as an OCI referrer).
    ///
    /// Examples:
    ///
    ///   envelope sbom oci:out:latest > sbom.spdx.json
    ///
    ///   envelope sbom ./bin/server --format cyclonedx-json
    ///
    ///   envelope sbom --attached registry.example.com/team/app:v1
    #[command(verbatim_doc_comment)]
    Sbom(SbomArgs),

    /// Find known Go vulnerabilities in an image or a Go binary, and tell
    /// the code the binary calls from code merely present.
    ///
    /// Every Go binary's modules (and its standard library) are matched
    /// against the Go vulnerability database. A finding is `called` when a
    /// vulnerable symbol is in the binary (as a function, or inlined into
    /// one: the pclntab keeps both, even in stripped binaries), `imported`
    /// when only its package is, `module` when only the module is.
    ///
    /// The database (default https://vuln.go.dev) is cached and refreshed
    /// only when its index changed; --offline uses the cache alone.
    ///
    /// Exit status: 0 nothing at or above --fail-on, 1 findings, 2 error.
    ///
    /// Examples:
    ///
    ///   envelope scan oci:out:latest
    ///
    ///   envelope scan ./bin/server --fail-on imported
    ///
    ///   envelope scan docker-archive:app.tar --format openvex > app.vex.json
    ///
    ///   envelope scan --update-db
    #[command(verbatim_doc_comment)]
    Scan(ScanArgs),

    /// Make an ECDSA P-256 key pair for signing, in cosign's formats.
    ///
    /// Writes PREFIX.key (the private key, encrypted with a password, mode
    /// 0600) and PREFIX.pub (the public key), as `cosign generate-key-pair`
    /// does; either tool reads what the other wrote. The password comes from
    /// ENVELOPE_PASSWORD, else COSIGN_PASSWORD, else a prompt on the terminal
    /// (asked twice). Existing files are kept unless --force.
    ///
    /// Example:
    ///
    ///   envelope keygen --output-key-prefix release
    #[command(verbatim_doc_comment)]
    Keygen(KeygenArgs),

    /// Sign an image with a key, in both of cosign's formats.
    ///
    /// Signs the manifest (or index) IMAGE names — a registry image
    /// (docker://REF or REF, resolved to its digest first) or an OCI
    /// layout (oci:DIR[:TAG]) — and stores the signature beside it twice:
    /// a simple-signing payload under the sha256-<hex>.sig tag, and a
    /// Sigstore bundle (v0.3, DSSE) attached as an OCI 1.1 referrer (the
    /// sha256-<hex> tag where the registry has no referrers API). In a
    /// layout, index.json is marked as `cosign verify --local-image`
    /// reads it. Signatures are deterministic: signing the same digest
    /// with the same key again adds nothing. --recursive also signs each
    /// platform manifest of an index. The password of an encrypted key
    /// comes from ENVELOPE_PASSWORD, else COSIGN_PASSWORD, else a prompt.
    ///
    /// Examples:
    ///
    ///   envelope sign registry.example.com/server:v1 --key cosign.key
    ///
    ///   envelope sign oci:out:server --key cosign.key --recursive
    #[command(verbatim_doc_comment)]
    Sign(SignArgs),

    /// Verify an image's signatures against a public key, offline.
    ///
    /// Finds every signature of the manifest IMAGE names (the .sig tag,
    /// .att attestations and Sigstore bundle referrers; in a registry or
    /// an oci: layout) and checks each against the key and the image's
    /// digest. Prints what it proved: the digest, the key's fingerprint,
    /// the formats and how many signatures verified.
    ///
    /// Attestations are checked the same way, and a provenance of
    /// envelope's against the image itself (its binaries' modules and Go,
    /// its base); what they state is printed (source, Go, base, SBOM, VEX)
    /// and held to the policy (--policy FILE and the flags).
    ///
    /// IMAGE: a registry image, oci:DIR[:TAG] or oci-archive:FILE[:TAG].
    ///
    /// Exit status: 0 verified, 1 a check failed (no signature, a
    /// signature by another key, for another digest or over an edited
    /// payload, a provenance that does not describe the image, a policy
    /// rule broken), 2 an error (a signature document that does not parse, an
    /// unreadable key or image).
    ///
    /// Example:
    ///
    ///   envelope verify registry.example.com/server:v1 --key cosign.pub
    #[command(verbatim_doc_comment)]
    Verify(VerifyArgs),

    /// Attest an image: signed statements of its provenance, SBOM and VEX.
    ///
    /// Reads the image IMAGE names back (a registry image, docker://REF or
    /// REF, or an OCI layout, oci:DIR[:TAG]) and states about its digest,
    /// each as an in-toto statement in a DSSE envelope signed with the key:
    /// `provenance` (SLSA provenance v1: the Go modules, toolchain, base
    /// and source of its binaries), `sbom` (SPDX) and `vex` (OpenVEX, from
    /// the vulnerability database as `envelope scan` opens it). Each is
    /// stored in both of cosign's formats: a layer of the sha256-<hex>.att
    /// tag and a Sigstore bundle referrer. The same image and key give the
    /// same bytes (times from SOURCE_DATE_EPOCH, else the image's created
    /// time).
    ///
    /// Examples:
    ///
    ///   envelope attest registry.example.com/server:v1 --key cosign.key
    ///
    ///   envelope attest oci:out:server --key cosign.key --type provenance,sbom,vex --offline
    #[command(verbatim_doc_comment)]
    Attest(AttestArgs),
}

/// The statements `attest` (and `build --attest`) makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum AttestType {
    /// SLSA provenance v1 (cosign --type slsaprovenance1).
    Provenance,
    /// The SPDX SBOM (cosign --type spdxjson).
    Sbom,
    /// OpenVEX from a vulnerability scan (cosign --type openvex).
    Vex,
}

#[derive(Debug, Args)]
pub struct AttestArgs {
    /// The image: docker://REF or REF, or oci:DIR[:TAG].
    #[arg(value_name = "IMAGE")]
    pub image: String,

    /// The private key (cosign's encrypted PEM, or PKCS#8 / SEC1 PEM).
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,

    /// The statements to make, comma-separated.
    #[arg(
        long = "type",
        value_enum,
        value_delimiter = ',',
        default_value = "provenance,sbom",
        value_name = "TYPES"
    )]
    pub types: Vec<AttestType>,

    #[command(flatten)]
    pub vulndb: VulnDbArgs,

    #[arg(long, value_enum, default_value_t = ReportFormat::Human, value_name = "FORMAT")]
    pub format: ReportFormat,

    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The image: docker://REF or REF, or oci:DIR[:TAG].
    #[arg(value_name = "IMAGE")]
    pub image: String,

    /// The private key (cosign's encrypted PEM, or PKCS#8 / SEC1 PEM).
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,

    /// Also sign each platform manifest of an image index.
    #[arg(long)]
    pub recursive: bool,

    #[arg(long, value_enum, default_value_t = ReportFormat::Human, value_name = "FORMAT")]
    pub format: ReportFormat,

    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The image: docker://REF or REF, or oci:DIR[:TAG].
    #[arg(value_name = "IMAGE")]
    pub image: String,

    /// The public key (PKIX PUBLIC KEY PEM).
    #[arg(long, value_name = "PUB")]
    pub key: PathBuf,

    /// A policy file (TOML; the keys source, pinned-base, min-go,
    /// supported-go, no-called-vulnerabilities). The flags below override it.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// Policy: the provenance's source repository matches GLOB (`*`, `?`).
    #[arg(long, value_name = "GLOB")]
    pub require_source: Option<String>,

    /// Policy: the base image is recorded by digest (or is scratch).
    #[arg(long)]
    pub require_pinned_base: bool,

    /// Policy: built with Go VERSION or newer (1.26, go1.26.2).
    #[arg(long, value_name = "VERSION")]
    pub min_go: Option<String>,

    /// Policy: built with one of the two newest Go minors envelope knows.
    #[arg(long)]
    pub require_supported_go: bool,

    /// Policy: no VEX statement `affected` (no called vulnerability).
    #[arg(long)]
    pub deny_called: bool,

    #[arg(long, value_enum, default_value_t = ReportFormat::Human, value_name = "FORMAT")]
    pub format: ReportFormat,

    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the keys: PREFIX.key and PREFIX.pub.
    #[arg(long, value_name = "PREFIX", default_value = "cosign")]
    pub output_key_prefix: PathBuf,

    /// Overwrite existing key files.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The image, or a path to a Go binary (ELF, Mach-O or PE). Optional
    /// with --update-db.
    #[arg(value_name = "IMAGE", required_unless_present = "update_db")]
    pub image: Option<String>,

    #[arg(long, value_enum, default_value_t = ScanFormat::Human, value_name = "FORMAT")]
    pub format: ScanFormat,

    /// The lowest reachability that fails the scan (exit 1).
    #[arg(long, value_enum, default_value_t = FailOn::Called, value_name = "LEVEL")]
    pub fail_on: FailOn,

    #[command(flatten)]
    pub vulndb: VulnDbArgs,

    /// Refresh the cached database now (whether or not its index changed).
    #[arg(long, conflicts_with = "offline")]
    pub update_db: bool,

    /// The platform of a multi-platform image (OS/ARCH[/VARIANT]).
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<String>,

    /// Check every layer's digest while reading it.
    #[arg(long)]
    pub verify: bool,

    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// Where the Go vulnerability database comes from (`scan`, and `attest
/// --type vex`).
#[derive(Debug, Clone, Args)]
pub struct VulnDbArgs {
    /// The vulnerability database: an http(s) URL, a directory in the v1
    /// layout, or a vulndb.zip.
    #[arg(
        long,
        value_name = "URL|DIR|ZIP",
        env = "ENVELOPE_VULNDB",
        default_value = "https://vuln.go.dev"
    )]
    pub db: String,

    /// Use the cached database only (no network); says how old it is.
    #[arg(long)]
    pub offline: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// Grouped by binary and module, with the fixed version to move to.
    Human,
    /// A JSON document (see docs/scan.md).
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// OpenVEX 0.2.0: not_affected (vulnerable_code_not_in_execute_path)
    /// for what is not called, affected for what is.
    Openvex,
}

/// How reachable a vulnerability must be to fail the scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum FailOn {
    /// Never fail.
    None,
    /// Fail when a vulnerable module is present at all.
    Module,
    /// Fail when a vulnerable package is linked in.
    Imported,
    /// Fail when a vulnerable symbol is in the binary (default).
    Called,
}

#[derive(Debug, Args)]
pub struct SbomArgs {
    /// The image, or a path to a Go binary (ELF, Mach-O or PE).
    #[arg(value_name = "IMAGE")]
    pub image: String,

    /// spdx-json (default), cyclonedx-json, or json (envelope's own model).
    /// With --attached: which attached document to fetch (default: the
    /// first found, SPDX first).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<SbomFormat>,

    /// Write the document to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print the SBOM attached to the image (an OCI referrer) instead of
    /// reading the image.
    #[arg(long)]
    pub attached: bool,

    /// The platform of a multi-platform image (OS/ARCH[/VARIANT]).
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<String>,

    /// Check every layer's digest while reading it.
    #[arg(long)]
    pub verify: bool,

    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SbomFormat {
    /// SPDX 2.3 JSON.
    SpdxJson,
    /// CycloneDX 1.6 JSON.
    CyclonedxJson,
    /// envelope's own model: the binaries, their build info, the OS packages.
    Json,
}

/// The SBOM `envelope build` attaches to what it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SbomKind {
    Spdx,
    Cyclonedx,
    None,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The image, or a path to a binary.
    #[arg(value_name = "IMAGE")]
    pub image: String,

    #[arg(long, value_enum, default_value_t = FindingsFormat::Human)]
    pub format: FindingsFormat,

    /// The platform of a multi-platform image (OS/ARCH[/VARIANT]).
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<String>,

    #[command(flatten)]
    pub selection: SelectionArgs,

    /// Check every layer's digest while reading it. Without it, file data
    /// audit does not need is skipped, not read (registry pulls are always
    /// verified).
    #[arg(long)]
    pub verify: bool,

    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct ManifestArgs {
    /// The image to read (any transport).
    #[arg(value_name = "IMAGE")]
    pub image: String,

    /// The reference written into the manifests: a registry repository
    /// (`@sha256:…` of the image is added), a reference by digest, or an
    /// `envelope://`/`ko://` reference. Default: IMAGE by digest when it
    /// is in a registry.
    #[arg(long, value_name = "REF")]
    pub image_ref: Option<String>,

    /// The name of the objects (an RFC 1123 label). Default: the last
    /// part of the image's repository, or of the layout's directory.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    #[arg(long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// A port the program serves, NUMBER[/tcp|udp|sctp]; repeatable.
    /// Default: the ports the image declares.
    #[arg(long = "port", value_name = "PORT")]
    pub ports: Vec<String>,

    #[arg(long, value_name = "N", default_value_t = 2)]
    pub replicas: u32,

    /// An HTTP path answering health checks (`/healthz`): the probes GET
    /// it rather than opening a TCP connection.
    #[arg(long, value_name = "PATH")]
    pub health_path: Option<String>,

    /// The user to run as, UID[:GID], for an image that runs as root.
    #[arg(long, value_name = "UID[:GID]")]
    pub user: Option<String>,

    /// Also a PodDisruptionBudget (one pod unavailable at a time).
    #[arg(long)]
    pub pdb: bool,

    /// Also a NetworkPolicy letting in traffic to the service's ports only.
    #[arg(long)]
    pub network_policy: bool,

    /// Also a ServiceAccount of its own, with no API token mounted.
    #[arg(long)]
    pub service_account: bool,

    /// Write to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,

    /// The platform of a multi-platform image (OS/ARCH[/VARIANT]) to read
    /// the user, ports and program from. Default: the first.
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<String>,

    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[arg(value_name = "IMAGE")]
    pub image: String,

    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,

    /// The platform of a multi-platform image (OS/ARCH[/VARIANT]).
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<String>,

    /// Largest files shown per layer.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub top: usize,

    /// Check every layer's digest while reading it (reads every byte).
    #[arg(long)]
    pub verify: bool,

    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// Output formats for reports of findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FindingsFormat {
    /// Source excerpts with carets, help and fixes.
    Human,
    /// One line per finding: `file:line:col: CODE message`.
    Concise,
    /// A JSON document (see docs/lint.md for its shape).
    Json,
    /// SARIF 2.1.0, with each rule's help.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Error,
    Warning,
    Info,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files or directories to lint (`-` reads standard input). Default: the
    /// current directory. Directories are searched for Dockerfiles and for
    /// Kubernetes manifests (`.yaml`, `.yml`, `.json` holding objects with
    /// `apiVersion` and `kind`); standard input is either, told apart by
    /// its content.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[arg(long, value_enum, default_value_t = FindingsFormat::Human)]
    pub format: FindingsFormat,

    /// Apply the safe fixes in place: those that keep what the image (or
    /// the workload of a manifest) does.
    #[arg(long, conflicts_with = "diff", group = "fixing")]
    pub fix: bool,

    /// Show the fixes `--fix` would apply as a unified diff, then the
    /// unsafe ones apart and marked; change nothing.
    #[arg(long, group = "fixing")]
    pub diff: bool,

    /// With --fix or --diff, also the unsafe fixes, which may change what
    /// runs (a user, a package set, where files are; every tightening of
    /// a manifest's security context). Default:
    /// `unsafe-fixes` in envelope.toml.
    #[arg(long, requires = "fixing")]
    pub unsafe_fixes: bool,

    #[command(flatten)]
    pub selection: SelectionArgs,

    /// The name to show for standard input (and to look for a .dockerignore beside).
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,

    /// The build context the Dockerfiles are built from, as in `docker build
    /// -f FILE DIR`: where .dockerignore is read and what `COPY .` takes.
    /// Default: `context` in envelope.toml, else each Dockerfile's folder.
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,

    /// A build argument, as `docker build --build-arg NAME=value` (repeat
    /// for more; `NAME` alone takes it from the environment): the value of
    /// a declared ARG, over its default, where the lint follows paths such
    /// as `go build -o $OUT/app`. Added to `build-args` in envelope.toml.
    #[arg(long = "build-arg", value_name = "NAME=VALUE")]
    pub build_arg: Vec<String>,

    /// The platforms the Dockerfiles are built for, comma-separated or
    /// repeated: OS/ARCH[/VARIANT]. `$TARGETARCH` and the other platform
    /// arguments in paths are expanded over them. Default: linux/amd64 and
    /// linux/arm64.
    #[arg(long, value_delimiter = ',', value_name = "PLATFORM")]
    pub platform: Vec<String>,

    /// Look up the images that Kubernetes containers run in the OCI layouts
    /// at or below DIR (repeatable), for the image-aware rules
    /// (K8S023-K8S029): by digest in any layout's index.json, by tag in the
    /// `org.opencontainers.image.ref.name` annotation (the whole reference,
    /// or the tag in a layout directory named like the repository's last
    /// part). Without it and --images, lint opens no image.
    #[arg(long, value_name = "DIR")]
    pub image_dir: Vec<PathBuf>,

    /// Also look images up here: `registry` pulls the manifests, configs and
    /// layers of the images not found under --image-dir. Default: none, so
    /// lint stays offline.
    #[arg(long, value_enum, value_name = "SOURCE")]
    pub images: Option<ImagesFrom>,

    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// Where `envelope lint` may look images up beside `--image-dir`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImagesFrom {
    /// The registry each reference names.
    Registry,
}

/// Which rules run and what fails: shared by `lint` and `audit`.
#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// Rules to run: codes, prefixes (GO, DF0, IM, GB) or ALL. Replaces the
    /// default selection.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub select: Vec<String>,

    /// Rules to add to the selection (e.g. the off-by-default DF012).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub extend_select: Vec<String>,

    /// Rules to skip.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub ignore: Vec<String>,

    /// The lowest severity that makes the exit status 1 (default: warning,
    /// or `fail-on` in envelope.toml).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,

    /// Read settings from this file instead of the nearest envelope.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Ignore envelope.toml files.
    #[arg(long, conflicts_with = "config")]
    pub isolated: bool,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// A rule code, e.g. GO003.
    #[arg(value_name = "CODE")]
    pub code: String,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The Go module directory (default: the current directory).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,

    /// The main package to build when the module has several (e.g. ./cmd/server).
    #[arg(long, value_name = "PACKAGE")]
    pub main: Option<String>,

    /// Final base image: distroless static (default) or scratch.
    #[arg(long, value_enum, default_value_t = InitBase::Distroless)]
    pub base: InitBase,

    /// Overwrite an existing Dockerfile and .dockerignore (with
    /// --kubernetes, deploy/NAME.yaml).
    #[arg(long)]
    pub force: bool,

    /// Instead of a Dockerfile, Kubernetes manifests in deploy/NAME.yaml:
    /// the main package is built into an image (as `envelope build` does,
    /// envelope.toml applying) and `envelope manifest` writes them from it,
    /// the image named `envelope://IMPORT-PATH` for `envelope resolve`
    /// and `envelope apply` to build, push and fill in.
    #[arg(long)]
    pub kubernetes: bool,

    /// With --kubernetes: a port the program serves, NUMBER[/tcp|udp];
    /// repeatable (the image declares it too).
    #[arg(long = "port", value_name = "PORT", requires = "kubernetes")]
    pub ports: Vec<String>,

    /// With --kubernetes: an HTTP path answering health checks, for the
    /// readiness probe.
    #[arg(long, value_name = "PATH", requires = "kubernetes")]
    pub health_path: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InitBase {
    Distroless,
    Scratch,
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    #[command(flatten)]
    pub input: ResolveInput,

    /// Write the result back into the files instead of stdout (each
    /// atomically, and only once every file has been read and every image
    /// built).
    #[arg(long, conflicts_with_all = ["check", "dry_run"])]
    pub in_place: bool,

    /// Build nothing: list every envelope:// or ko:// reference and every
    /// `image:` without @sha256: left in the files, and exit 1 if there is one.
    #[arg(long, conflicts_with = "dry_run")]
    pub check: bool,

    /// Build nothing: list the packages that would be built and where they
    /// would be pushed.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub input: ResolveInput,

    /// Arguments for `kubectl apply -f -`, after `--`.
    #[arg(last = true, value_name = "KUBECTL_ARGS")]
    pub kubectl_args: Vec<String>,
}

/// The YAML to resolve and how its images are built (`resolve`, `apply`).
#[derive(Debug, Args)]
pub struct ResolveInput {
    /// A YAML or JSON file, a directory (its .yaml, .yml and .json files),
    /// or `-` for standard input; repeatable.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE|DIR|-",
        required = true
    )]
    pub files: Vec<PathBuf>,

    /// Read directories recursively.
    #[arg(short = 'R', long)]
    pub recursive: bool,

    /// Name each image REPO/<full import path> instead of REPO/NAME.
    #[arg(long, conflicts_with = "bare")]
    pub preserve_import_paths: bool,

    /// Push the image to REPO itself (one package only).
    #[arg(long)]
    pub bare: bool,

    /// Target platforms, comma-separated or repeated: OS/ARCH[/VARIANT].
    /// Default: linux and this machine's architecture.
    #[arg(long, value_delimiter = ',', value_name = "PLATFORM")]
    pub platform: Vec<String>,

    /// Tags to push each image with (default: latest); repeatable. The
    /// references written are by digest either way.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,

    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct PinArgs {
    /// Files to pin (default: ./Dockerfile). Dockerfiles are recognized by name
    /// (Dockerfile, Containerfile, *.Dockerfile, Dockerfile.*), YAML by .yaml/.yml.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Change nothing: list unpinned references and exit 1 if there are any.
    #[arg(long)]
    pub check: bool,

    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// How to reach registries.
#[derive(Debug, Clone, Args)]
pub struct RegistryArgs {
    /// Talk plain HTTP to this registry (HOST[:PORT]); repeatable. Loopback
    /// registries (localhost, 127.0.0.1, ::1) always may.
    #[arg(long, value_name = "REGISTRY")]
    pub insecure: Vec<String>,

    /// Trust the CA certificates in this PEM file for registry TLS (default:
    /// $SSL_CERT_FILE, else Mozilla's roots bundled with envelope).
    #[arg(long = "registry-ca-file", value_name = "FILE")]
    pub registry_ca_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    #[arg(value_name = "SRC")]
    pub source: String,
    #[arg(value_name = "DST")]
    pub destination: String,
    /// Only this platform of a multi-platform source (OS/ARCH[/VARIANT]).
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<String>,
    /// Copy the image only: leave its signatures, attestations and SBOMs
    /// (cosign's .sig/.att/.sbom tags and OCI referrers) behind.
    #[arg(long)]
    pub remove_signatures: bool,
    #[arg(long, value_enum, default_value_t = ReportFormat::Human, value_name = "FORMAT")]
    pub format: ReportFormat,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct DigestArgs {
    #[arg(value_name = "REF")]
    pub reference: String,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The registry, HOST[:PORT] (docker.io for Docker Hub).
    #[arg(value_name = "REGISTRY")]
    pub registry: String,
    #[arg(short, long, value_name = "USER")]
    pub username: String,
    /// Read the password or token from standard input.
    #[arg(long, required = true)]
    pub password_stdin: bool,
    #[command(flatten)]
    pub registry_args: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    #[arg(value_name = "REGISTRY")]
    pub registry: String,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Go packages to build, each into its own image (default: the current
    /// directory). A pattern such as ./... or ./cmd/... builds every main
    /// package it matches (`go list`), skipping the others.
    #[arg(value_name = "PACKAGE")]
    pub packages: Vec<String>,

    /// With ENVELOPE_REPO (or KO_DOCKER_REPO) and no --output: name each
    /// image REPO/<full import path> instead of REPO/NAME.
    #[arg(long, conflicts_with = "bare")]
    pub preserve_import_paths: bool,

    /// With ENVELOPE_REPO (or KO_DOCKER_REPO) and no --output: push the
    /// image to REPO itself (one image only).
    #[arg(long)]
    pub bare: bool,

    /// Write one REF@sha256:... line per image to FILE, sorted (a JSON
    /// array with --format json).
    #[arg(long, value_name = "FILE")]
    pub image_refs: Option<PathBuf>,

    /// Target platforms, comma-separated or repeated: OS/ARCH[/VARIANT]. Several
    /// platforms make an image index. Default: linux and this machine's architecture.
    #[arg(long, value_delimiter = ',', value_name = "PLATFORM")]
    pub platform: Vec<String>,

    /// Extra linker flags, appended after "-s -w".
    #[arg(long, value_name = "FLAGS", allow_hyphen_values = true)]
    pub ldflags: Option<String>,

    /// Go build tags (passed to `go build -tags`).
    #[arg(long, value_name = "TAGS")]
    pub tags: Option<String>,

    /// Compiler flags (passed to `go build -gcflags`).
    #[arg(long, value_name = "FLAGS", allow_hyphen_values = true)]
    pub gcflags: Option<String>,

    /// Go settings for `go build`, KEY=VALUE (e.g. GOEXPERIMENT=...);
    /// repeatable. CGO_ENABLED, GOOS and GOARCH are envelope's.
    #[arg(long = "go-env", value_name = "KEY=VALUE")]
    pub go_env: Vec<String>,

    /// Read the build settings from FILE instead of the nearest envelope.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Ignore envelope.toml files: the command line and the defaults only.
    #[arg(long, conflicts_with = "config")]
    pub isolated: bool,

    /// Print each setting of the image NAME, its value and where it came
    /// from (a flag, a table of envelope.toml, or the default), and build
    /// nothing. A JSON object per image with --format json.
    #[arg(long, value_name = "NAME")]
    pub explain: Option<String>,

    /// Copy a file or directory of the source tree into the image:
    /// SRC:DST, DST absolute; repeatable.
    #[arg(long = "file", value_name = "SRC:DST")]
    pub files: Vec<String>,

    /// The flags given on the command line, by id (filled in after
    /// parsing): they win over envelope.toml even when they equal the
    /// default.
    #[arg(skip)]
    pub given: Vec<String>,

    #[command(flatten)]
    pub image: ImageArgs,
}

#[derive(Debug, Args)]
pub struct PackageArgs {
    /// The Go binary to package (a Linux ELF executable).
    #[arg(value_name = "BINARY")]
    pub binary: PathBuf,

    /// The binary's platform (OS/ARCH[/VARIANT]); read from the ELF header when omitted.
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<String>,

    #[command(flatten)]
    pub image: ImageArgs,
}

/// Options shared by every command that makes an image.
#[derive(Debug, Clone, Args)]
pub struct ImageArgs {
    /// Where to write the image; repeat for several. Transports:
    /// oci:DIR[:TAG] (OCI image layout; other images in it are kept),
    /// docker-archive:FILE[:REPO:TAG] (for `docker load` / `podman load`),
    /// oci-archive:FILE[:TAG], docker://REF or a bare REF (pushed to a
    /// registry). Default: oci:.envelope/oci:NAME.
    #[arg(short, long = "output", value_name = "REF")]
    pub outputs: Vec<String>,

    /// Extra tags for registry outputs; repeatable.
    #[arg(long = "tag", value_name = "TAG")]
    pub push_tags: Vec<String>,

    #[command(flatten)]
    pub registry: RegistryArgs,

    /// The base image: `scratch` (an empty base plus the files envelope
    /// generates) or a registry image, best pinned as REF@sha256:... Its
    /// blobs are verified and cached, so a pinned base is pulled once.
    #[arg(long, default_value = "scratch", value_name = "BASE")]
    pub base: String,

    /// Refuse a --base that is not pinned by digest.
    #[arg(long)]
    pub require_pinned: bool,

    /// Name of the binary in the image (/usr/local/bin/NAME) and of the image.
    /// Default: the package's last path element.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Include CA certificates (/etc/ssl/certs/ca-certificates.crt): `auto` when
    /// the binary loads the system root pool.
    #[arg(long, value_enum, default_value_t = Include::Auto, value_name = "WHEN")]
    pub ca_certs: Include,

    /// Include time zone data (/usr/share/zoneinfo): `auto` when the binary calls
    /// time.LoadLocation and does not embed time/tzdata.
    #[arg(long, value_enum, default_value_t = Include::Auto, value_name = "WHEN")]
    pub tzdata: Include,

    /// Use this PEM bundle instead of the bundled Mozilla root store.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// Use the TZif files under this directory instead of the bundled IANA database.
    #[arg(long, value_name = "DIR")]
    pub tzdata_dir: Option<PathBuf>,

    /// Layer compression.
    #[arg(long, value_enum, default_value_t = CompressionArg::Gzip, value_name = "ALGO")]
    pub compression: CompressionArg,

    /// Arguments for the binary (the image's Cmd); repeat for several: --arg=-v --arg=serve.
    #[arg(long = "arg", value_name = "ARG", allow_hyphen_values = true)]
    pub args: Vec<String>,

    /// Environment variables for the image, KEY=VALUE; repeatable.
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,

    /// Ports the service listens on, PORT[/tcp|/udp]; repeatable.
    #[arg(long = "port", value_name = "PORT")]
    pub ports: Vec<String>,

    /// Image labels, KEY=VALUE; repeatable. Overrides the generated OCI labels.
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,

    /// The user the image runs as, UID[:GID]. Default 65532:65532 (nonroot).
    #[arg(long, value_name = "UID[:GID]")]
    pub user: Option<String>,

    /// The image's working directory (absolute). Default: the base's, else
    /// /home/nonroot.
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<String>,

    /// The image's Entrypoint, one word per flag: --entrypoint=/usr/local/bin/app
    /// --entrypoint=serve. Default: the binary.
    #[arg(long = "entrypoint", value_name = "WORD", allow_hyphen_values = true)]
    pub entrypoint: Vec<String>,

    /// Annotations of the image manifest, KEY=VALUE; repeatable.
    #[arg(long = "annotation", value_name = "KEY=VALUE")]
    pub annotations: Vec<String>,

    /// Accept a dynamically linked binary on a base without a C library.
    #[arg(long)]
    pub allow_dynamic: bool,

    /// The SBOM to attach: written into oci: layouts beside the image and
    /// pushed with it as an OCI referrer (subject: the image manifest).
    #[arg(long, value_enum, default_value_t = SbomKind::Spdx, value_name = "FORMAT")]
    pub sbom: SbomKind,

    /// Sign each image written to a registry or an oci: layout with this
    /// private key, as `envelope sign --recursive` does (both of cosign's
    /// formats, deterministic). The password of an encrypted key comes
    /// from ENVELOPE_PASSWORD, else COSIGN_PASSWORD, else a prompt.
    #[arg(long, value_name = "KEY")]
    pub sign_key: Option<PathBuf>,

    /// Attest each signed image too, as `envelope attest --type` does:
    /// provenance, sbom, vex (comma-separated). Needs --sign-key.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        requires = "sign_key",
        value_name = "TYPES"
    )]
    pub attest: Vec<AttestType>,

    /// Output format of the report.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human, value_name = "FORMAT")]
    pub format: ReportFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Include {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompressionArg {
    Gzip,
    Zstd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Human,
    Json,
}

impl ImageArgs {
    /// Every image flag at its default, as a command line without them
    /// gives (for commands that build: `resolve`, `init --kubernetes`).
    pub fn defaults() -> ImageArgs {
        use clap::FromArgMatches;
        let matches = ImageArgs::augment_args(clap::Command::new("envelope"))
            .try_get_matches_from(["envelope"])
            .expect("image flags have defaults");
        ImageArgs::from_arg_matches(&matches).expect("image flags have defaults")
    }
}

impl BuildArgs {
    /// `envelope build PACKAGES` with `image`'s image flags and every other
    /// flag at its default (the nearest envelope.toml applies).
    pub fn for_packages(packages: Vec<String>, image: ImageArgs) -> BuildArgs {
        BuildArgs {
            packages,
            preserve_import_paths: false,
            bare: false,
            image_refs: None,
            platform: Vec::new(),
            ldflags: None,
            tags: None,
            gcflags: None,
            go_env: Vec::new(),
            config: None,
            isolated: false,
            explain: None,
            files: Vec::new(),
            given: Vec::new(),
            image,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn platforms_split_on_commas_and_repeat() {
        let cli = Cli::try_parse_from([
            "envelope",
            "build",
            "--platform",
            "linux/amd64,linux/arm64",
            "--platform=linux/arm/v7",
        ])
        .expect("parses");
        let Command::Build(b) = cli.command else {
            panic!("not build")
        };
        assert_eq!(b.platform, ["linux/amd64", "linux/arm64", "linux/arm/v7"]);
    }

    #[test]
    fn args_may_start_with_a_hyphen() {
        let cli = Cli::try_parse_from(["envelope", "build", "--arg", "-v", "--arg=--addr=:80"])
            .expect("parses");
        let Command::Build(b) = cli.command else {
            panic!("not build")
        };
        assert_eq!(b.image.args, ["-v", "--addr=:80"]);
    }

    #[test]
    fn timeouts_take_seconds_or_a_unit_anywhere_on_the_line() {
        use std::time::Duration;
        for (text, want) in [
            ("30", Duration::from_secs(30)),
            ("1.5", Duration::from_millis(1500)),
            ("30s", Duration::from_secs(30)),
            ("500ms", Duration::from_millis(500)),
            ("2m", Duration::from_secs(120)),
            ("2min", Duration::from_secs(120)),
            ("1h", Duration::from_secs(3600)),
        ] {
            assert_eq!(parse_duration(text), Ok(want), "{text}");
        }
        for bad in ["", "0", "0s", "-1", "s", "10 days", "1e9999"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        // A global option: before or after the command.
        for args in [
            &["envelope", "--timeout", "2", "digest", "x"][..],
            &["envelope", "digest", "x", "--timeout=2s"][..],
        ] {
            let cli = Cli::try_parse_from(args).expect("parses");
            assert_eq!(cli.global.timeout, Some(Duration::from_secs(2)));
        }
    }
}
