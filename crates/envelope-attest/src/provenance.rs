//! SLSA provenance v1 with envelope's build type
//! [`BUILD_TYPE`] (`https://envelope.dev/buildtypes/go-image/v1`),
//! documented field by field in docs/provenance.md.
//!
//! The build command fills a [`ProvenanceInput`] with what it knows;
//! [`ProvenanceInput::from_images`] derives the same from images read back
//! ([`crate::image::read_image`]), so any envelope-built image can be
//! attested later. [`ProvenanceInput::provenance`] turns either into the
//! predicate: every list sorted, every map a `BTreeMap`, times from the
//! input only (SOURCE_DATE_EPOCH or the image's created time), so the same
//! input gives byte-identical JSON.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use envelope_oci::Digest;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{parse_json, Error};
use crate::image::{ImageFacts, BASE_NAME, REVISION, SOURCE};

/// The predicate type of SLSA provenance v1.
pub const PROVENANCE_PREDICATE_TYPE: &str = "https://slsa.dev/provenance/v1";
/// envelope's build type: a Go program built into an OCI image.
pub const BUILD_TYPE: &str = "https://envelope.dev/buildtypes/go-image/v1";
/// The builder id when the caller names none: the envelope CLI itself.
pub const DEFAULT_BUILDER_ID: &str = "https://envelope.dev/builders/cli/v1";
/// The largest provenance predicate parsed.
pub const MAX_PROVENANCE: usize = 64 << 20;

/// `name` of the resolved dependency that is the source checkout.
pub const DEP_SOURCE: &str = "source";
/// `name` of the resolved dependency that is the base image.
pub const DEP_BASE: &str = "base-image";
/// `name` of the resolved dependency that is the Go toolchain.
pub const DEP_GO: &str = "go-toolchain";
/// `name` of the resolved dependency that is the CA bundle.
pub const DEP_CA: &str = "ca-certificates";
/// `name` of the resolved dependency that is the time zone database.
pub const DEP_TZDATA: &str = "tzdata";
/// Annotation of a Go module dependency: its go.sum hash (`h1:…`).
pub const ANN_GO_SUM: &str = "goSum";
/// Annotation of the Go toolchain dependency: the version as binaries
/// report it (`go1.26.0`, with experiments if any).
pub const ANN_GO_VERSION: &str = "goVersion";
/// Annotation of the base image: its layer digests, bottom first.
pub const ANN_LAYERS: &str = "layers";
/// Annotation of the base image: the platform these layers are for (a
/// multi-platform build lists the base once per platform).
pub const ANN_PLATFORM: &str = "platform";
/// Annotation of a Go module: its version exactly as the build info has
/// it (the PURL in `uri` escapes some characters).
pub const ANN_VERSION: &str = "version";
/// Annotation of a Go module: the `path@version` it replaces.
pub const ANN_REPLACES: &str = "replaces";
/// Annotation of the CA bundle and the time zones: the path in the image.
pub const ANN_PATH: &str = "path";
/// `uri` prefix of Go module dependencies.
pub const GO_PURL_PREFIX: &str = "pkg:golang/";

const WHAT: &str = "SLSA provenance";

/// In-toto ResourceDescriptor: an artifact by name, URI and digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ResourceDescriptor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub digest: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, Value>,
}

impl ResourceDescriptor {
    fn named(name: &str) -> ResourceDescriptor {
        ResourceDescriptor {
            name: Some(name.to_string()),
            ..ResourceDescriptor::default()
        }
    }

    fn with_digest(mut self, d: &Digest) -> ResourceDescriptor {
        self.digest
            .insert(d.algorithm().to_string(), d.hex().to_string());
        self
    }

    fn annotate(mut self, key: &str, value: impl Into<Value>) -> ResourceDescriptor {
        self.annotations.insert(key.to_string(), value.into());
        self
    }

    /// A string annotation.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.get(key).and_then(Value::as_str)
    }

    /// The SHA-256 digest, when there is a well-formed one.
    pub fn sha256(&self) -> Option<Digest> {
        Digest::from_sha256_hex(self.digest.get("sha256")?).ok()
    }
}

/// The build flags of a Go build, as `go build` was given them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildFlags {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ldflags: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcflags: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub trimpath: bool,
    /// The Go environment that shapes the build (`CGO_ENABLED`, `GOAMD64`,
    /// `GOEXPERIMENT`, …; not GOOS/GOARCH, which are the platforms).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
}

/// The source checkout a build started from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceParameters {
    /// `https://github.com/owner/repo`.
    pub repository: String,
    /// The commit (`vcs.revision`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
}

/// envelope's `externalParameters`: what the user asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalParameters {
    /// The main packages built (`example.com/app/cmd/app`), sorted.
    pub packages: Vec<String>,
    /// `os/arch[/variant]`, sorted.
    pub platforms: Vec<String>,
    pub flags: BuildFlags,
    /// The base as the user named it; `scratch` for envelope's own.
    pub base: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceParameters>,
}

/// envelope's `internalParameters`: what the build environment chose.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InternalParameters {
    /// The Go toolchain (`go1.26.0`).
    pub go_version: String,
    /// The envelope version that built the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope_version: Option<String>,
    /// `GOFLAGS` as the build saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goflags: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildDefinition {
    pub build_type: String,
    #[serde(default)]
    pub external_parameters: Value,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub internal_parameters: Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolved_dependencies: Vec<ResourceDescriptor>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Builder {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunDetails {
    pub builder: Builder,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BuildMetadata>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub byproducts: Vec<ResourceDescriptor>,
}

/// The SLSA provenance v1 predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    pub build_definition: BuildDefinition,
    pub run_details: RunDetails,
}

/// A Go module the build resolved: path, version and go.sum hash.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GoModule {
    pub path: String,
    pub version: String,
    /// `h1:…`, when the build info records one.
    pub sum: Option<String>,
    /// `path@version` of the module this one replaced.
    pub replaces: Option<String>,
}

impl GoModule {
    fn descriptor(&self) -> ResourceDescriptor {
        let mut d = ResourceDescriptor::named(&self.path);
        d.uri = Some(envelope_sbom::purl::golang(&self.path, Some(&self.version)));
        d = d.annotate(ANN_VERSION, self.version.clone());
        if let Some(sum) = &self.sum {
            if let Some(hex) = dir_hash_hex(sum) {
                d.digest.insert("dirHash".to_string(), hex);
            }
            d = d.annotate(ANN_GO_SUM, sum.clone());
        }
        if let Some(r) = &self.replaces {
            d = d.annotate(ANN_REPLACES, r.clone());
        }
        d
    }
}

/// The `h1:` base64 hash as in-toto's `dirHash`: the same SHA-256, in
/// lowercase hex.
pub fn dir_hash_hex(sum: &str) -> Option<String> {
    let b64 = sum.strip_prefix("h1:")?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    (bytes.len() == 32).then(|| hex::encode(bytes))
}

/// The base image a build stacked its layers on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseInput {
    /// As the user named it (`registry/repo:tag@sha256:…`).
    pub reference: String,
    /// The digest of the base manifest used.
    pub digest: Digest,
    /// Its layers, bottom first: the image starts with them.
    pub layers: Vec<Digest>,
    /// The platform of the image these layers are under (`linux/arm64`),
    /// when the build made several.
    pub platform: Option<String>,
}

/// Everything a provenance says, as the build command (or
/// [`ProvenanceInput::from_images`]) fills it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProvenanceInput {
    pub packages: Vec<String>,
    pub platforms: Vec<String>,
    pub flags: BuildFlags,
    /// The base of each platform's image; none: `scratch`.
    pub bases: Vec<BaseInput>,
    pub source: Option<SourceParameters>,
    /// The Go toolchains of the binaries (one for a normal build).
    pub go_versions: Vec<String>,
    pub envelope_version: Option<String>,
    pub goflags: Option<String>,
    /// Every Go module linked into a binary.
    pub modules: Vec<GoModule>,
    /// SHA-256 of the CA bundle envelope added.
    pub ca_bundle: Option<Digest>,
    /// Digest of the time zone layer envelope added.
    pub tzdata: Option<Digest>,
    /// Default [`DEFAULT_BUILDER_ID`].
    pub builder_id: Option<String>,
    pub invocation_id: Option<String>,
    /// RFC 3339, from SOURCE_DATE_EPOCH or the image's created time.
    pub started_on: Option<String>,
    pub finished_on: Option<String>,
    /// The SBOM, see [`crate::predicates::sbom_byproduct`].
    pub byproducts: Vec<ResourceDescriptor>,
}

/// `git+https://host/repo@rev`, the form SLSA uses for a source commit.
fn git_uri(repository: &str, revision: Option<&str>) -> String {
    let base = if repository.starts_with("git+") {
        repository.to_string()
    } else {
        format!("git+{repository}")
    };
    match revision {
        Some(r) => format!("{base}@{r}"),
        None => base,
    }
}

fn is_commit(rev: &str) -> bool {
    matches!(rev.len(), 40 | 64) && rev.bytes().all(|b| b.is_ascii_hexdigit())
}

fn platform_of(settings: &[(String, String)]) -> Option<String> {
    let get = |k: &str| {
        settings
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let (os, arch) = (get("GOOS")?, get("GOARCH")?);
    let variant = match arch {
        "arm" => get("GOARM").map(|v| format!("v{}", v.split(',').next().unwrap_or(v))),
        _ => None,
    };
    Some(match variant {
        Some(v) => format!("{os}/{arch}/{v}"),
        None => format!("{os}/{arch}"),
    })
}

fn module_of(m: &envelope_sbom::Module) -> GoModule {
    match &m.replace {
        Some(r) => GoModule {
            path: r.path.clone(),
            version: r.version.clone(),
            sum: r.sum.clone(),
            replaces: Some(format!("{}@{}", m.path, m.version)),
        },
        None => GoModule {
            path: m.path.clone(),
            version: m.version.clone(),
            sum: m.sum.clone(),
            replaces: None,
        },
    }
}

/// The modules of a binary as its build info names them, replacements
/// in place of what they replace.
pub fn binary_modules(b: &envelope_sbom::GoBinary) -> Vec<GoModule> {
    b.deps.iter().map(module_of).collect()
}

impl ProvenanceInput {
    /// What the images of one build (one per platform) say about it:
    /// packages, platforms and flags from the build settings of each
    /// binary the build made (above the base's layers);
    /// source from the `org.opencontainers.image.source`/`revision` labels
    /// (else `vcs.revision`); the base from the manifest annotations and
    /// the layers before envelope's own; modules and toolchains from the
    /// build info; CA bundle and time zones from the files. `time` is
    /// SOURCE_DATE_EPOCH (RFC 3339) when set; without it the times are the
    /// image's created time. GOFLAGS is not recorded in an image: it stays
    /// unset.
    pub fn from_images(images: &[ImageFacts], time: Option<&str>) -> ProvenanceInput {
        let mut input = ProvenanceInput::default();
        let mut packages = BTreeSet::new();
        let mut platforms = BTreeSet::new();
        let mut modules = BTreeSet::new();
        let mut go_versions = BTreeSet::new();
        let mut tags = BTreeSet::new();
        let mut revision = None;
        for facts in images {
            if let Some(p) = &facts.platform {
                platforms.insert(p.to_string());
            }
            for b in facts.built_binaries() {
                if !b.package.is_empty() {
                    packages.insert(b.package.clone());
                }
                go_versions.insert(b.binary.go_version.clone());
                modules.extend(binary_modules(&b.binary));
                if facts.platform.is_none() {
                    platforms.extend(platform_of(&b.binary.settings));
                }
                for (k, v) in &b.binary.settings {
                    match k.as_str() {
                        "-ldflags" => input.flags.ldflags = Some(v.clone()),
                        "-gcflags" => input.flags.gcflags = Some(v.clone()),
                        "-tags" => {
                            tags.extend(v.split(',').filter(|t| !t.is_empty()).map(str::to_string))
                        }
                        "-trimpath" => input.flags.trimpath = v == "true",
                        "vcs.revision" => revision = revision.or(Some(v.clone())),
                        "GOOS" | "GOARCH" => {}
                        _ if k
                            .bytes()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_') =>
                        {
                            input.flags.env.insert(k.clone(), v.clone());
                        }
                        _ => {}
                    }
                }
            }
            {
                if let (Some(digest), Some(layers)) = (facts.base_digest(), facts.base_layers()) {
                    input.bases.push(BaseInput {
                        // The annotation names the repository; pinned
                        // by the digest it resolved to.
                        reference: match facts.annotations.get(BASE_NAME) {
                            Some(name) if name.contains('@') => name.clone(),
                            Some(name) => format!("{name}@{digest}"),
                            None => digest.to_string(),
                        },
                        digest,
                        layers: layers.iter().map(|d| d.digest.clone()).collect(),
                        platform: (images.len() > 1)
                            .then(|| facts.platform.as_ref().map(ToString::to_string))
                            .flatten(),
                    });
                }
            }
            if input.source.is_none() {
                if let Some(repo) = facts.label(SOURCE) {
                    input.source = Some(SourceParameters {
                        repository: repo.to_string(),
                        revision: facts.label(REVISION).map(str::to_string),
                    });
                }
            }
            if input.envelope_version.is_none() {
                input.envelope_version = facts.envelope_version.clone();
            }
            if input.ca_bundle.is_none() {
                // Only a bundle in a layer envelope made is envelope's.
                input.ca_bundle = facts
                    .ca_bundle
                    .as_ref()
                    .filter(|(_, layer)| facts.base_layer_count.is_some_and(|n| *layer >= n))
                    .map(|(d, _)| d.clone());
            }
            if input.tzdata.is_none() {
                input.tzdata = facts
                    .tzdata_layer
                    .filter(|layer| facts.base_layer_count.is_some_and(|n| *layer >= n))
                    .and_then(|layer| facts.layers.get(layer))
                    .map(|d| d.digest.clone());
            }
            if input.started_on.is_none() {
                let t = time.map(str::to_string).or_else(|| facts.created.clone());
                input.started_on.clone_from(&t);
                input.finished_on = t;
            }
        }
        if let Some(src) = &mut input.source {
            if src.revision.is_none() {
                src.revision = revision;
            }
        }
        input.packages = packages.into_iter().collect();
        input.platforms = platforms.into_iter().collect();
        input.modules = modules.into_iter().collect();
        input.go_versions = go_versions.into_iter().collect();
        input.flags.tags = tags.into_iter().collect();
        input
    }

    /// The resolved dependencies: source, base image, Go toolchains, CA
    /// bundle, time zones, then every Go module by path and version.
    fn resolved_dependencies(&self) -> Vec<ResourceDescriptor> {
        let mut deps = Vec::new();
        if let Some(src) = &self.source {
            let mut d = ResourceDescriptor::named(DEP_SOURCE);
            d.uri = Some(git_uri(&src.repository, src.revision.as_deref()));
            if let Some(rev) = src.revision.as_deref().filter(|r| is_commit(r)) {
                d.digest.insert("gitCommit".to_string(), rev.to_lowercase());
            }
            deps.push(d);
        }
        let mut bases: Vec<&BaseInput> = self.bases.iter().collect();
        bases.sort_by(|a, b| (&a.platform, &a.reference).cmp(&(&b.platform, &b.reference)));
        for base in bases {
            let mut d = ResourceDescriptor::named(DEP_BASE).with_digest(&base.digest);
            d.uri = Some(format!("oci://{}", base.reference));
            let layers: Vec<Value> = base
                .layers
                .iter()
                .map(|l| Value::String(l.to_string()))
                .collect();
            d = d.annotate(ANN_LAYERS, layers);
            if let Some(p) = &base.platform {
                d = d.annotate(ANN_PLATFORM, p.clone());
            }
            deps.push(d);
        }
        let mut go: Vec<&String> = self.go_versions.iter().collect();
        go.sort();
        go.dedup();
        for v in go {
            let mut d = ResourceDescriptor::named(DEP_GO);
            d.uri = envelope_sbom::purl::golang_stdlib(v);
            deps.push(d.annotate(ANN_GO_VERSION, v.clone()));
        }
        if let Some(ca) = &self.ca_bundle {
            let mut d = ResourceDescriptor::named(DEP_CA).with_digest(ca);
            d.uri = Some(format!("file://{}", crate::image::CA_BUNDLE_PATH));
            deps.push(d);
        }
        if let Some(tz) = &self.tzdata {
            let mut d = ResourceDescriptor::named(DEP_TZDATA).with_digest(tz);
            d.uri = Some(format!(
                "file://{}",
                crate::image::ZONEINFO_DIR.trim_end_matches('/')
            ));
            deps.push(d);
        }
        let mut modules = self.modules.clone();
        modules.sort();
        modules.dedup();
        deps.extend(modules.iter().map(GoModule::descriptor));
        deps
    }

    /// The predicate.
    pub fn provenance(&self) -> Provenance {
        let sorted = |v: &[String]| {
            let mut v = v.to_vec();
            v.sort();
            v.dedup();
            v
        };
        let mut flags = self.flags.clone();
        flags.tags = sorted(&flags.tags);
        let external = ExternalParameters {
            packages: sorted(&self.packages),
            platforms: sorted(&self.platforms),
            flags,
            base: self
                .bases
                .iter()
                .map(|b| b.reference.clone())
                .min()
                .unwrap_or_else(|| "scratch".to_string()),
            source: self.source.clone(),
        };
        let internal = InternalParameters {
            go_version: sorted(&self.go_versions).join(" "),
            envelope_version: self.envelope_version.clone(),
            goflags: self.goflags.clone(),
        };
        let metadata = BuildMetadata {
            invocation_id: self.invocation_id.clone(),
            started_on: self.started_on.clone(),
            finished_on: self.finished_on.clone(),
        };
        let mut byproducts = self.byproducts.clone();
        byproducts.sort_by(|a, b| (&a.name, &a.uri, &a.digest).cmp(&(&b.name, &b.uri, &b.digest)));
        Provenance {
            build_definition: BuildDefinition {
                build_type: BUILD_TYPE.to_string(),
                external_parameters: serde_json::to_value(external).unwrap_or_default(),
                internal_parameters: serde_json::to_value(internal).unwrap_or_default(),
                resolved_dependencies: self.resolved_dependencies(),
            },
            run_details: RunDetails {
                builder: Builder {
                    id: self
                        .builder_id
                        .clone()
                        .unwrap_or_else(|| DEFAULT_BUILDER_ID.to_string()),
                },
                metadata: (metadata != BuildMetadata::default()).then_some(metadata),
                byproducts,
            },
        }
    }
}

impl Provenance {
    /// The predicate as a JSON value (keys sorted).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Reads a predicate from untrusted JSON: it must have a build type
    /// and a builder id; envelope's parameters are read with
    /// [`Provenance::external`].
    pub fn from_value(v: Value) -> Result<Provenance, Error> {
        let p: Provenance = serde_json::from_value(v).map_err(|e| Error::Json {
            what: WHAT,
            detail: e.to_string(),
        })?;
        if p.build_definition.build_type.is_empty() {
            return Err(Error::field(
                WHAT,
                "buildDefinition.buildType",
                "a URI",
                "\"\"",
            ));
        }
        if p.run_details.builder.id.is_empty() {
            return Err(Error::field(WHAT, "runDetails.builder.id", "a URI", "\"\""));
        }
        Ok(p)
    }

    /// [`Provenance::from_value`] of bytes, at most [`MAX_PROVENANCE`].
    pub fn parse(bytes: &[u8]) -> Result<Provenance, Error> {
        Provenance::from_value(parse_json(WHAT, bytes, MAX_PROVENANCE)?)
    }

    /// envelope's external parameters, when the build type is envelope's.
    pub fn external(&self) -> Result<ExternalParameters, Error> {
        if self.build_definition.build_type != BUILD_TYPE {
            return Err(Error::field(
                WHAT,
                "buildDefinition.buildType",
                BUILD_TYPE,
                self.build_definition.build_type.clone(),
            ));
        }
        serde_json::from_value(self.build_definition.external_parameters.clone()).map_err(|e| {
            Error::Json {
                what: "externalParameters",
                detail: e.to_string(),
            }
        })
    }

    /// The resolved dependencies named `name`.
    pub fn dependencies<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a ResourceDescriptor> + 'a {
        self.build_definition
            .resolved_dependencies
            .iter()
            .filter(move |d| d.name.as_deref() == Some(name))
    }

    /// The Go modules among the resolved dependencies (a `pkg:golang/`
    /// URI, not the toolchain).
    pub fn go_modules(&self) -> Vec<GoModule> {
        let mut out = Vec::new();
        for d in &self.build_definition.resolved_dependencies {
            if d.name.as_deref() == Some(DEP_GO) {
                continue;
            }
            let Some(rest) = d
                .uri
                .as_deref()
                .and_then(|u| u.strip_prefix(GO_PURL_PREFIX))
            else {
                continue;
            };
            let Some(path) = d.name.clone() else { continue };
            // The PURL's `@version` escapes some characters: the
            // annotation has it as the build info does.
            let version = match d.annotation(ANN_VERSION) {
                Some(v) => v.to_string(),
                None => rest
                    .rsplit_once('@')
                    .map_or_else(|| "(devel)".to_string(), |(_, v)| v.to_string()),
            };
            out.push(GoModule {
                path,
                version,
                sum: d.annotation(ANN_GO_SUM).map(str::to_string),
                replaces: d.annotation(ANN_REPLACES).map(str::to_string),
            });
        }
        out
    }
}
