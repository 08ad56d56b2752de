//! `envelope sbom`: the SBOM of an image or a Go binary, from each
//! binary's own build info and the image's package databases; and the SBOMs
//! `envelope build` attaches to what it writes (OCI referrers).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use envelope_cli::{SbomArgs, SbomFormat, SbomKind};
use envelope_layer::fs::{index_layers, ContentVisitor, LayerInput, Limits, Node};
use envelope_oci::artifact::{self, Artifact};
use envelope_oci::{
    media_types, BlobData, Descriptor, ImageBlobs, ImageIndex, ImageManifest, ImageRef,
};
use envelope_sbom::{GoBinary, Module, OsPackage, SbomInput, Subject};
use sha2::{Digest as _, Sha256};

use crate::printer::{hinted, Printer};

pub const SPDX_MEDIA_TYPE: &str = "application/spdx+json";
pub const CYCLONEDX_MEDIA_TYPE: &str = "application/vnd.cyclonedx+json";

/// Go binaries larger than this are not read (none comes near it).
const MAX_BINARY: u64 = 512 << 20;
/// Package databases larger than this are not read.
const MAX_DB: u64 = 64 << 20;
/// Nor more than this of them in all (distroless keeps one file per package).
const MAX_DB_TOTAL: u64 = 256 << 20;

const DPKG_STATUS: &str = "/var/lib/dpkg/status";
const DPKG_STATUS_D: &str = "/var/lib/dpkg/status.d/";
const APK_INSTALLED: &str = "/lib/apk/db/installed";
const OS_RELEASE: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];

/// Reads one executable's bytes into what a command needs of it; None
/// when it is not a Go binary.
pub type BinaryReader<T> = fn(&str, &[u8]) -> Result<Option<T>, envelope_golang::Error>;

/// Collects, while the layers stream by, what `read` makes of every Go
/// binary of the final filesystem, and the package databases.
pub struct BinaryCollector<T> {
    pub binaries: BTreeMap<String, T>,
    /// Package database files and os-release, by path.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Files that could not be read as a binary, with why.
    pub warnings: Vec<String>,
    read: BinaryReader<T>,
}

impl<T> BinaryCollector<T> {
    pub fn new(read: BinaryReader<T>) -> Self {
        BinaryCollector {
            binaries: BTreeMap::new(),
            files: BTreeMap::new(),
            warnings: Vec::new(),
            read,
        }
    }
}

/// The SBOM's collector: build info and SHA-256 of each Go binary.
pub type SbomCollector = BinaryCollector<GoBinary>;

fn is_db_path(path: &str) -> bool {
    path == DPKG_STATUS
        || path == APK_INSTALLED
        || OS_RELEASE.contains(&path)
        || path.strip_prefix(DPKG_STATUS_D).is_some_and(|rest| {
            !rest.is_empty() && !rest.contains('/') && !rest.ends_with(".md5sums")
        })
}

/// ELF, PE (MZ) or Mach-O (either byte order, 32 or 64 bit).
fn is_executable_magic(m: &[u8; 4]) -> bool {
    m == b"\x7fELF"
        || m[..2] == *b"MZ"
        || matches!(
            u32::from_le_bytes(*m),
            0xfeed_face | 0xfeed_facf | 0xcefa_edfe | 0xcffa_edfe
        )
}

impl<T> ContentVisitor for BinaryCollector<T> {
    fn wants(&mut self, path: &str, node: &Node) -> bool {
        (is_db_path(path) && node.size <= MAX_DB) || node.size >= 64
    }

    fn superseded(&mut self, path: &str) {
        self.binaries.remove(path);
        self.files.remove(path);
    }

    fn visit(&mut self, path: &str, node: &Node, data: &mut dyn Read) -> std::io::Result<()> {
        if is_db_path(path) {
            let kept: u64 = self.files.values().map(|b| b.len() as u64).sum();
            if node.size > MAX_DB || kept.saturating_add(node.size) > MAX_DB_TOTAL {
                self.warnings.push(format!(
                    "{path}: a {} byte package database, more than envelope reads ({MAX_DB} bytes per file, {MAX_DB_TOTAL} in all): its packages are not listed",
                    node.size
                ));
                return Ok(());
            }
            let mut bytes = Vec::new();
            data.take(MAX_DB).read_to_end(&mut bytes)?;
            self.files.insert(path.to_string(), bytes);
            return Ok(());
        }
        let mut magic = [0u8; 4];
        data.read_exact(&mut magic)?;
        if !is_executable_magic(&magic) {
            return Ok(());
        }
        if node.size > MAX_BINARY {
            self.warnings.push(format!(
                "{path}: {} bytes, larger than a binary envelope reads",
                node.size
            ));
            return Ok(());
        }
        let mut bytes = Vec::with_capacity(usize::try_from(node.size).unwrap_or(0));
        bytes.extend_from_slice(&magic);
        data.take(node.size).read_to_end(&mut bytes)?;
        match (self.read)(path, &bytes) {
            Ok(Some(b)) => {
                self.binaries.insert(path.to_string(), b);
            }
            Ok(None) => {}
            Err(e) => self.warnings.push(format!("{path}: {e}")),
        }
        Ok(())
    }
}

impl<T> BinaryCollector<T> {
    /// The OS packages of the collected databases.
    pub fn os_packages(&self) -> Vec<OsPackage> {
        let text = |p: &str| self.files.get(p).map(|b| String::from_utf8_lossy(b));
        let distro = OS_RELEASE
            .iter()
            .find_map(|p| text(p))
            .and_then(|t| envelope_sbom::os::distro_id(&t));
        let mut out = Vec::new();
        if let Some(t) = text(DPKG_STATUS) {
            out.extend(envelope_sbom::os::parse_dpkg_status(&t, distro.as_deref()));
        }
        for (p, b) in &self.files {
            if p.starts_with(DPKG_STATUS_D) {
                out.extend(envelope_sbom::os::parse_dpkg_status_d(
                    &String::from_utf8_lossy(b),
                    distro.as_deref(),
                ));
            }
        }
        if let Some(t) = text(APK_INSTALLED) {
            out.extend(envelope_sbom::os::parse_apk_installed(
                &t,
                distro.as_deref(),
            ));
        }
        out
    }
}

fn module(m: &envelope_golang::Module) -> Module {
    Module {
        path: m.path.clone(),
        version: m.version.clone(),
        sum: m.sum.clone(),
        replace: m.replace.as_deref().map(|r| Box::new(module(r))),
    }
}

/// The SBOM view of one binary: None when it has no Go build info.
pub fn go_binary(path: &str, data: &[u8]) -> Result<Option<GoBinary>, envelope_golang::Error> {
    let Some(info) = envelope_golang::buildinfo::read(data)? else {
        return Ok(None);
    };
    let main = match &info.main {
        Some(m) => module(m),
        // No `mod` line: a program built from a source tree that is not a
        // versioned module (the Go toolchain's own cmd/ tools, GOPATH
        // mode). Its package path names it; like a main module built from
        // a checkout, it has no version: (devel).
        None => Module {
            path: info.path.clone(),
            version: "(devel)".to_string(),
            sum: None,
            replace: None,
        },
    };
    Ok(Some(GoBinary {
        path: path.to_string(),
        sha256: Some(hex::encode(Sha256::digest(data))),
        go_version: info.go_version.clone(),
        main,
        deps: info.deps.iter().map(module).collect(),
        settings: info.settings.clone(),
    }))
}

/// SOURCE_DATE_EPOCH as RFC 3339, when set.
pub(crate) fn epoch_time() -> Result<Option<String>> {
    if std::env::var_os("SOURCE_DATE_EPOCH").is_none() {
        return Ok(None);
    }
    let e = super::image::source_date_epoch()?;
    Ok(Some(envelope_build::rfc3339(e)))
}

fn tool_input(subject: Subject, binaries: Vec<GoBinary>, os_packages: Vec<OsPackage>) -> SbomInput {
    SbomInput {
        subject,
        binaries,
        os_packages,
        tool_name: "envelope".to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

/// Renders `input` in `format`.
pub fn render(input: &SbomInput, format: SbomFormat) -> Result<Vec<u8>> {
    Ok(match format {
        SbomFormat::SpdxJson => envelope_sbom::spdx_json(input)?,
        SbomFormat::CyclonedxJson => envelope_sbom::cyclonedx_json(input)?,
        SbomFormat::Json => {
            let mut v = serde_json::to_vec_pretty(&input.normalized())?;
            v.push(b'\n');
            v
        }
    })
}

/// The executable at `path` (shown as `shown`) read with `read` under the
/// name `name`: an error saying what to do when it is not a complete
/// executable or carries no Go build info.
pub(crate) fn read_go_binary<T>(
    path: &Path,
    shown: &str,
    name: &str,
    read: BinaryReader<T>,
) -> Result<T> {
    let data = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    read(name, &data)
        .map_err(|e| hinted(format!("{shown}: {e}"), "is the file a complete executable?"))?
        .ok_or_else(|| {
            hinted(
                format!("{shown}: no Go build info (not a Go binary, or one built without module support)"),
                "envelope reads the build info the Go linker writes (Go 1.13 and later, built as a module)",
            )
        })
}

/// The Go binaries (as `read` makes them) and package databases of the
/// final filesystem of the image `image` names, streamed from any
/// transport.
pub(crate) fn collect_image<T>(
    image: &str,
    platform: Option<&str>,
    registry: &envelope_cli::RegistryArgs,
    verify: bool,
    read: BinaryReader<T>,
) -> Result<(crate::images::Opened, BinaryCollector<T>)> {
    let platform = crate::images::platform(platform)?;
    let opened = crate::images::open(image, platform.as_ref(), registry)?;
    let mut collector = BinaryCollector::new(read);
    crate::images::index(&opened, &mut collector, verify)?;
    Ok((opened, collector))
}

/// The SBOM model of a binary file on disk.
fn binary_input(path: &Path, shown: &str) -> Result<SbomInput> {
    let name = path
        .file_name()
        .map_or_else(|| shown.to_string(), |n| n.to_string_lossy().into_owned());
    let bin = read_go_binary(path, shown, &name, go_binary)?;
    let subject = Subject {
        name,
        digest: bin.sha256.as_ref().map(|h| format!("sha256:{h}")),
        created: epoch_time()?,
    };
    Ok(tool_input(subject, vec![bin], Vec::new()))
}

/// The SBOM model of an image's final filesystem.
fn image_input(args: &SbomArgs, printer: &Printer) -> Result<SbomInput> {
    let (opened, collector) = collect_image(
        &args.image,
        args.platform.as_deref(),
        &args.registry,
        args.verify,
        go_binary,
    )?;
    let config: serde_json::Value =
        serde_json::from_slice(&opened.source.config_bytes).unwrap_or_default();
    let created = match epoch_time()? {
        Some(t) => Some(t),
        None => config["created"].as_str().map(str::to_string),
    };
    let subject = Subject {
        name: args.image.clone(),
        digest: Some(opened.source.manifest_digest.to_string()),
        created,
    };
    let os = collector.os_packages();
    for w in &collector.warnings {
        printer.warn(format!("{w} (the SBOM does not list it)"));
    }
    Ok(tool_input(
        subject,
        collector.binaries.into_values().collect(),
        os,
    ))
}

pub fn run(args: SbomArgs, printer: &Printer) -> Result<ExitCode> {
    let doc = if args.attached {
        attached(&args, printer)?
    } else {
        let input = if crate::images::is_binary_path(&args.image)? {
            binary_input(Path::new(&args.image), &args.image)?
        } else {
            image_input(&args, printer)?
        };
        if input.binaries.is_empty() {
            printer.warn(format!(
                "{}: no Go binaries found (the SBOM lists only OS packages)",
                args.image
            ));
        }
        render(&input, args.format.unwrap_or(SbomFormat::SpdxJson))?
    };
    match &args.output {
        Some(path) => write_file(path, &doc)?,
        None => {
            let mut out = printer.stdout();
            out.write_all(&doc)?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `data` to `path` atomically (envelope-oci's temporary file
/// beside it, renamed): whole or not at all.
fn write_file(path: &Path, data: &[u8]) -> Result<()> {
    envelope_oci::write_atomic(path, data).map_err(|e| {
        hinted(
            format!("cannot write {}: {e}", path.display()),
            "does the directory exist, and may you write there?",
        )
    })
}

fn media_type_of(format: SbomFormat) -> Result<&'static str> {
    match format {
        SbomFormat::SpdxJson => Ok(SPDX_MEDIA_TYPE),
        SbomFormat::CyclonedxJson => Ok(CYCLONEDX_MEDIA_TYPE),
        SbomFormat::Json => Err(hinted(
            "attached SBOMs are SPDX or CycloneDX documents, not envelope's json model",
            "use --format spdx-json or --format cyclonedx-json",
        )),
    }
}

/// Picks the referrer to print: of the asked format, else SPDX, else
/// CycloneDX.
fn pick(found: &[Descriptor], format: Option<SbomFormat>, shown: &str) -> Result<Descriptor> {
    let wanted: Vec<&str> = match format {
        Some(f) => vec![media_type_of(f)?],
        None => vec![SPDX_MEDIA_TYPE, CYCLONEDX_MEDIA_TYPE],
    };
    for w in &wanted {
        if let Some(d) = found.iter().find(|d| d.artifact_type.as_deref() == Some(w)) {
            return Ok(d.clone());
        }
    }
    let kinds: Vec<String> = found
        .iter()
        .filter_map(|d| d.artifact_type.clone())
        .collect();
    Err(hinted(
        if kinds.is_empty() {
            format!("{shown} has no attached SBOM")
        } else {
            format!(
                "{shown} has no attached {} SBOM (attached: {})",
                wanted.join(" or "),
                kinds.join(", ")
            )
        },
        "envelope build attaches one (--sbom spdx|cyclonedx); or make one now: envelope sbom IMAGE",
    ))
}

/// The attached SBOM of the image `args.image` names.
fn attached(args: &SbomArgs, printer: &Printer) -> Result<Vec<u8>> {
    let r: ImageRef = args.image.parse().map_err(|e: envelope_oci::Error| {
        hinted(
            format!("bad image reference {:?}: {e}", args.image),
            "use oci:DIR[:TAG], docker://REF or a bare registry REF",
        )
    })?;
    let platform = crate::images::platform(args.platform.as_deref())?;
    match r {
        ImageRef::Oci { dir, tag } => {
            let source = envelope_oci::open_oci_layout(&dir, tag.as_deref(), platform.as_ref())?;
            let layout = envelope_oci::OciLayout::open(&dir)?;
            let found = layout.referrers(&source.manifest_digest)?;
            let descs: Vec<Descriptor> = found.iter().map(|(d, _)| d.clone()).collect();
            let d = pick(&descs, args.format, &args.image)?;
            let (_, m) = found
                .into_iter()
                .find(|(x, _)| x.digest == d.digest)
                .context("the referrer just found is gone")?;
            let layer = m
                .layers
                .first()
                .with_context(|| format!("artifact {} has no layers", d.digest))?;
            if layer.size > 256 << 20 {
                bail!(
                    "artifact {} holds a {} byte document; 256 MiB is the limit",
                    d.digest,
                    layer.size
                );
            }
            printer.detail(format!("attached SBOM {} ({})", d.digest, layer.digest));
            Ok(layout.read_blob(&layer.digest)?)
        }
        ImageRef::Docker { reference } => {
            let client = crate::images::client(&args.registry)?;
            let rr = crate::images::parse_registry_ref(&reference)?;
            let subject = registry_manifest(&client, &rr, platform.as_ref())?;
            let found = envelope_registry::referrers::list_referrers(&client, &rr, &subject, None)
                .map_err(crate::images::tls_hint)?;
            let d = pick(&found, args.format, &args.image)?;
            let (_, doc) = envelope_registry::referrers::fetch_referrer(&client, &rr, &d, &subject)
                .map_err(crate::images::tls_hint)?;
            printer.detail(format!("attached SBOM {}", d.digest));
            Ok(doc)
        }
        other => Err(hinted(
            format!("{other}: archives carry no attached SBOM"),
            "attached SBOMs live in oci: layouts and registries; make one now with envelope sbom IMAGE",
        )),
    }
}

/// The digest of the image manifest `r` names, for `platform` (or the only
/// one, else linux/amd64) when it names an index.
fn registry_manifest(
    client: &envelope_registry::Client,
    r: &envelope_registry::RegistryRef,
    platform: Option<&envelope_oci::Platform>,
) -> Result<envelope_oci::Digest> {
    let (bytes, mt, digest) = client
        .get_manifest(r)
        .map_err(crate::images::tls_hint)
        .with_context(|| format!("reading {r}"))?;
    if !media_types::is_index(&mt) {
        return Ok(digest);
    }
    let index: ImageIndex = serde_json::from_slice(&bytes).context("reading the image index")?;
    let images: Vec<&Descriptor> = index
        .manifests
        .iter()
        .filter(|d| {
            d.artifact_type.is_none() && d.platform.as_ref().is_some_and(|p| p.os != "unknown")
        })
        .collect();
    let find = |want: &envelope_oci::Platform| {
        images
            .iter()
            .find(|d| d.platform.as_ref().is_some_and(|p| want.matches(p)))
    };
    let chosen = match platform {
        Some(want) => find(want),
        None if images.len() == 1 => images.first(),
        None => find(&"linux/amd64".parse()?),
    };
    let names: Vec<String> = images
        .iter()
        .filter_map(|d| d.platform.as_ref().map(ToString::to_string))
        .collect();
    chosen.map(|d| d.digest.clone()).ok_or_else(|| {
        hinted(
            format!("{r} has no such platform; it has {}", names.join(", ")),
            "choose one with --platform OS/ARCH",
        )
    })
}

/// An in-memory blob read without copying it.
struct SharedBytes(std::sync::Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// The SBOM artifacts for an image envelope just made: one per platform
/// manifest, each describing that manifest's final filesystem.
pub fn artifacts_for(
    image: &ImageBlobs,
    name: &str,
    kind: SbomKind,
    epoch: u64,
    printer: &Printer,
) -> Result<Vec<Artifact>> {
    let format = match kind {
        SbomKind::None => return Ok(Vec::new()),
        SbomKind::Spdx => SbomFormat::SpdxJson,
        SbomKind::Cyclonedx => SbomFormat::CyclonedxJson,
    };
    let media_type = media_type_of(format)?;
    let created = envelope_build::rfc3339(epoch);
    let subjects: Vec<Descriptor> = if media_types::is_index(&image.root.media_type) {
        let index: ImageIndex = serde_json::from_slice(&image.read(&image.root.digest)?)?;
        index.manifests
    } else {
        vec![image.root.clone()]
    };
    let mut out = Vec::new();
    for subject in subjects {
        let manifest: ImageManifest = serde_json::from_slice(&image.read(&subject.digest)?)?;
        let mut layers = Vec::new();
        for l in &manifest.layers {
            let reader: Box<dyn Read + Send> = match image.blobs.get(&l.digest) {
                Some(BlobData::Bytes(b)) => Box::new(std::io::Cursor::new(SharedBytes(b.clone()))),
                Some(BlobData::File(p)) => Box::new(
                    std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?,
                ),
                None => bail!("layer {} of the image just built is missing", l.digest),
            };
            layers.push(LayerInput::new(reader, Some(l.clone())));
        }
        let mut collector = SbomCollector::new(go_binary);
        index_layers(layers, &mut collector, &Limits::default())
            .context("reading the layers of the image just built")?;
        for w in &collector.warnings {
            printer.warn(format!("{w} (the attached SBOM does not list it)"));
        }
        let os = collector.os_packages();
        let input = tool_input(
            Subject {
                name: name.to_string(),
                digest: Some(subject.digest.to_string()),
                created: Some(created.clone()),
            },
            collector.binaries.into_values().collect(),
            os,
        );
        let doc = render(&input, format)?;
        let annotations = [(artifact::CREATED.to_string(), created.clone())]
            .into_iter()
            .collect();
        out.push(artifact::artifact(&subject, media_type, doc, annotations));
    }
    Ok(out)
}
