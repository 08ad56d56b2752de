//! Nothing left behind: writers killed at random moments (SIGKILL, or
//! SIGTERM and SIGINT, which envelope handles) leave no temporary files
//! once the next run has opened the same target, and never a partial blob
//! under `blobs/sha256`. A terminating signal removes the temporaries at
//! once and exits with 128 + the signal.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use envelope_layer::{Compression, FileData, LayerBuilder};
use envelope_oci::{media_types, Descriptor, Digest, OciLayout};

/// Bytes no compressor can shrink (xorshift), different on every run.
fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7)
}

/// A random duration in `[from, to)`.
fn between(from: Duration, to: Duration, seed: u64) -> Duration {
    let span = to.saturating_sub(from).as_micros().max(1) as u64;
    from + Duration::from_micros(
        random_bytes(8, seed)
            .iter()
            .fold(0u64, |a, b| a * 256 + u64::from(*b))
            % span,
    )
}

fn descriptor(media_type: &str, data: &[u8], layout: &OciLayout) -> Descriptor {
    let digest = layout.write_blob(data).expect("blob");
    serde_json::from_value(serde_json::json!({
        "mediaType": media_type,
        "digest": digest.to_string(),
        "size": data.len(),
    }))
    .expect("descriptor")
}

/// An image of three uncompressed layers of 4 MB of random bytes each,
/// tagged `v1` in the layout at `dir`.
fn big_image(dir: &Path) -> String {
    let layout = OciLayout::open_or_create(dir).expect("layout");
    let mut layers = Vec::new();
    let s = seed();
    for i in 0..3u64 {
        let mut b = LayerBuilder::new(0);
        let data = random_bytes(4 << 20, s.wrapping_add(i));
        b.file(
            &format!("data/{i}"),
            FileData::Bytes(Arc::new(data)),
            0o644,
            0,
            0,
        )
        .expect("file");
        let layer = envelope_layer::build_layer(&b, Compression::None).expect("layer");
        layers.push(descriptor(media_types::OCI_LAYER_TAR, &layer.blob, &layout));
    }
    let diff_ids: Vec<String> = layers.iter().map(|l| l.digest.to_string()).collect();
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    });
    let config = descriptor(
        media_types::OCI_CONFIG,
        config.to_string().as_bytes(),
        &layout,
    );
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media_types::OCI_MANIFEST,
        "config": config,
        "layers": layers,
    });
    let manifest = descriptor(
        media_types::OCI_MANIFEST,
        manifest.to_string().as_bytes(),
        &layout,
    );
    layout.set_root(manifest, Some("v1")).expect("tag");
    format!("oci:{}:v1", dir.display())
}

/// Files under `dir` that are temporaries: named `.tmp*`, or
/// `.NAME.envelope-PID-RANDOM.tmp`, or inside a `.tmp/` directory.
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        let meta = p.symlink_metadata().expect("lstat");
        if meta.is_dir() {
            found.extend(temporaries(&p));
        } else if name.starts_with(".tmp")
            || name.ends_with(".tmp")
            || p.parent().and_then(Path::file_name) == Some(".tmp".as_ref())
        {
            found.push(p);
        }
    }
    found
}

/// Every file under `blobs/sha256` of `root` is whole: it hashes to its
/// name. Returns how many there are.
fn assert_blobs_whole(root: &Path) -> usize {
    let dir = root.join("blobs/sha256");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("blobs") {
        let e = e.expect("entry");
        let name = e.file_name().to_string_lossy().into_owned();
        let data = std::fs::read(e.path()).expect("read");
        assert_eq!(
            Digest::sha256(&data).hex(),
            name,
            "a partial or foreign file among the blobs of {}",
            root.display()
        );
        n += 1;
    }
    n
}

fn copy(cwd: &Path, cache: &Path, from: &str, to: &str) -> Command {
    let mut cmd = envelope(cwd, cache);
    cmd.args(["copy", "-q", from, to])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{name}");
}

/// Starts `cmd` and returns once it is writing a temporary under
/// `watched` (or has exited), plus a random pause of up to `pause`.
fn started_writing(cmd: &mut Command, watched: &Path, pause: Duration, seed: u64) -> Child {
    let mut child = cmd.spawn().expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(120);
    while temporaries(watched).is_empty()
        && child.try_wait().expect("try_wait").is_none()
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_micros(100));
    }
    std::thread::sleep(between(Duration::ZERO, pause, seed));
    child
}

/// Starts `cmd` and returns after a random part of `took`.
fn started_for(cmd: &mut Command, took: Duration, seed: u64) -> Child {
    let child = cmd.spawn().expect("spawn");
    std::thread::sleep(between(took / 10, took, seed));
    child
}

/// What every run of a test copies from, and with which cache.
struct Setup {
    tmp: tempfile::TempDir,
    cache: PathBuf,
    source: String,
}

impl Setup {
    fn new() -> Setup {
        let tmp = tempdir();
        let cache = tmp.path().join("cache");
        let source = big_image(&tmp.path().join("source"));
        Setup { tmp, cache, source }
    }

    fn copy(&self, to: &str) -> Command {
        copy(self.tmp.path(), &self.cache, &self.source, to)
    }

    /// How long a whole copy to `case` takes here; the output is then
    /// removed so the next copy writes it all again.
    fn measure(&self, case: &Case) -> Duration {
        let started = Instant::now();
        ok(&mut self.copy(&case.to));
        let took = started.elapsed();
        (case.reset)();
        took
    }

    /// Starts the `i`th copy to `case`: even ones are interrupted while
    /// a file is being written, odd ones at any moment of a copy that
    /// takes `took`.
    fn start(&self, case: &Case, i: u64, took: Duration) -> Child {
        let mut cmd = self.copy(&case.to);
        if i.is_multiple_of(2) {
            started_writing(
                &mut cmd,
                &case.watched,
                Duration::from_millis(2),
                seed() ^ i,
            )
        } else {
            started_for(&mut cmd, took, seed() ^ i)
        }
    }
}

struct Case {
    /// The copy's destination.
    to: String,
    /// Where its temporaries can be: the layout, or the archive's folder.
    watched: PathBuf,
    /// A layout whose blobs must all be whole.
    layout: Option<PathBuf>,
    /// Removes the finished output, so the next copy writes it all again.
    reset: Box<dyn Fn()>,
}

fn cases(tmp: &Path) -> Vec<Case> {
    let layout = tmp.join("out-layout");
    let archives = tmp.join("archives");
    std::fs::create_dir_all(&archives).expect("mkdir");
    let mut out = Vec::new();
    let blobs = layout.join("blobs/sha256");
    out.push(Case {
        to: format!("oci:{}:copy", layout.display()),
        watched: layout.clone(),
        layout: Some(layout.clone()),
        reset: Box::new(move || {
            // Whole blobs go, so the next copy writes them again; what a
            // killed writer left stays for the next run to find.
            for e in std::fs::read_dir(&blobs).into_iter().flatten().flatten() {
                let _ = std::fs::remove_file(e.path());
            }
        }),
    });
    for (transport, file) in [("docker-archive", "image.tar"), ("oci-archive", "oci.tar")] {
        let path = archives.join(file);
        let shown = format!("{transport}:{}", path.display());
        out.push(Case {
            to: shown,
            watched: archives.clone(),
            layout: None,
            reset: Box::new(move || {
                let _ = std::fs::remove_file(&path);
            }),
        });
    }
    out
}

/// Runs `test` for each destination, with how long a whole copy takes.
fn each_case(test: impl Fn(&Setup, &Case, Duration)) {
    let setup = Setup::new();
    for case in cases(setup.tmp.path()) {
        let took = setup.measure(&case);
        test(&setup, &case, took);
    }
}

#[test]
fn killed_copies_leave_nothing_once_the_next_run_has_swept() {
    each_case(kill_then_rerun);
}

#[test]
fn sigterm_and_sigint_remove_the_temporaries_at_once_and_exit_128_plus_the_signal() {
    each_case(signal_each);
}

/// SIGKILLs at least four copies to `case` (more, up to twenty-four, until
/// one is caught with a temporary: on a loaded machine a kill can land
/// between two files); then a whole copy leaves no temporary.
fn kill_then_rerun(setup: &Setup, case: &Case, took: Duration) {
    let mut littered = 0;
    for i in 0..24u64 {
        if i >= 4 && littered > 0 {
            break;
        }
        let mut child = setup.start(case, i, took);
        child.kill().expect("SIGKILL");
        child.wait().expect("wait");
        littered += usize::from(!temporaries(&case.watched).is_empty());
        if let Some(l) = &case.layout {
            if l.join("blobs/sha256").is_dir() {
                assert_blobs_whole(l);
            }
        }
        (case.reset)();
    }
    assert!(
        littered > 0,
        "no kill of `copy {}` caught a temporary: nothing was tested (a copy took {took:?})",
        case.to
    );
    ok(&mut setup.copy(&case.to));
    let left = temporaries(&case.watched);
    assert!(left.is_empty(), "after `copy {}`: {left:?}", case.to);
    if let Some(l) = &case.layout {
        assert_eq!(
            assert_blobs_whole(l),
            5,
            "three layers, a config, a manifest"
        );
    }
}

/// Ends four copies to `case` with SIGTERM or SIGINT: each leaves nothing.
fn signal_each(setup: &Setup, case: &Case, took: Duration) {
    let mut interrupted = 0;
    for (i, (name, code)) in [("TERM", 143), ("INT", 130)]
        .iter()
        .cycle()
        .take(4)
        .enumerate()
    {
        let child = setup.start(case, i as u64, took);
        signal(&child, name);
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.signal(),
            None,
            "SIG{name} was not handled: {stderr}"
        );
        match out.status.code() {
            Some(0) => {}
            Some(c) if c == *code => interrupted += 1,
            other => panic!("`copy {}` after SIG{name}: {other:?}\n{stderr}", case.to),
        }
        let left = temporaries(&case.watched);
        assert!(
            left.is_empty(),
            "SIG{name} on `copy {}` left {left:?}",
            case.to
        );
        if let Some(l) = &case.layout {
            assert_blobs_whole(l);
        }
        (case.reset)();
    }
    assert!(
        interrupted >= 2,
        "`copy {}` finished before its signal too often (a copy took {took:?})",
        case.to
    );
}

/// Pulls from a real registry into envelope's blob cache.
#[cfg(feature = "external-tools")]
mod pulls {
    use super::common::registry::Registry;
    use super::*;

    /// The big image pushed to a fresh registry; `setup` then copies from
    /// there.
    fn pushed(setup: &mut Setup) -> Registry {
        let reg = Registry::start();
        let remote = format!("docker://{}/litter/big:v1", reg.addr);
        ok(&mut setup.copy(&remote));
        setup.source = remote;
        reg
    }

    fn remove_blobs(dirs: &[PathBuf]) {
        for dir in dirs {
            for e in std::fs::read_dir(dir.join("blobs/sha256"))
                .into_iter()
                .flatten()
                .flatten()
            {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    #[test]
    fn killed_and_signalled_pulls_leave_nothing_in_the_cache() {
        let mut setup = Setup::new();
        let _reg = pushed(&mut setup);
        let pulled = setup.tmp.path().join("pulled");
        let stores = [setup.cache.clone(), pulled.clone()];
        let case = Case {
            to: format!("oci:{}:v1", pulled.display()),
            // The cache and the layout pulled into.
            watched: setup.tmp.path().to_path_buf(),
            layout: Some(setup.cache.clone()),
            // Whole blobs go from both, so the next pull fetches again.
            reset: Box::new(move || remove_blobs(&stores)),
        };
        let took = setup.measure(&case);
        kill_then_rerun(&setup, &case, took);
        assert_eq!(assert_blobs_whole(&pulled), 5);
        (case.reset)();
        signal_each(&setup, &case, took);
    }

    /// Parallel pulls of one image sharing the cache: each writer stages
    /// its own copy of a blob and renames it into place, so none sees a
    /// partial blob, and a writer's sweep leaves the others' files alone.
    #[test]
    fn concurrent_pulls_sharing_the_cache_all_succeed_with_whole_blobs() {
        let mut setup = Setup::new();
        let _reg = pushed(&mut setup);
        for round in 0..2 {
            let _ = std::fs::remove_dir_all(&setup.cache);
            let outs: Vec<PathBuf> = (0..6)
                .map(|i| setup.tmp.path().join(format!("pulled-{round}-{i}")))
                .collect();
            // A failed copy panics its thread, and the scope with it.
            let setup = &setup;
            std::thread::scope(|s| {
                for o in &outs {
                    let to = format!("oci:{}:v1", o.display());
                    s.spawn(move || ok(&mut setup.copy(&to)));
                }
            });
            assert_eq!(assert_blobs_whole(&setup.cache), 5, "round {round}");
            for o in &outs {
                assert_eq!(assert_blobs_whole(o), 5, "{}", o.display());
            }
            let left = temporaries(setup.tmp.path());
            assert!(left.is_empty(), "round {round}: {left:?}");
        }
    }
}
