//! The streaming filesystem index: layer semantics (whiteouts, opaque
//! directories, replacements), tar dialects, hostile input, the content
//! visitor, and dive's efficiency numbers checked against dive itself.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use envelope_layer::fs::normalize;
use envelope_layer::{
    index_layers, ContentVisitor, FsError, ImageFs, LayerInput, Limits, NoContent, Node, NodeKind,
};
use envelope_oci::{media_types, Descriptor, Digest};

// ---------------------------------------------------------------------------
// Building tars by hand (whiteouts, devices, PAX and GNU headers, broken
// headers: things a well-behaved builder never writes).

fn octal(field: &mut [u8], v: u64) {
    let w = field.len() - 1;
    let s = format!("{v:0w$o}");
    assert!(s.len() <= w, "{v} does not fit");
    field[..w].copy_from_slice(s.as_bytes());
    field[w] = 0;
}

fn set_checksum(h: &mut [u8; 512]) {
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

fn header(name: &[u8], typeflag: u8, size: u64, link: &[u8]) -> [u8; 512] {
    assert!(name.len() <= 100 && link.len() <= 100);
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name);
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    if size > 0o77_777_777_777 {
        // GNU base-256
        h[124] = 0x80;
        h[128..136].copy_from_slice(&size.to_be_bytes());
    } else {
        octal(&mut h[124..136], size);
    }
    octal(&mut h[136..148], 0);
    h[156] = typeflag;
    h[157..157 + link.len()].copy_from_slice(link);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    set_checksum(&mut h);
    h
}

fn pad(v: &mut Vec<u8>) {
    v.resize(v.len().div_ceil(512) * 512, 0);
}

#[derive(Default, Clone)]
struct Tar(Vec<u8>);

impl Tar {
    fn new() -> Tar {
        Tar::default()
    }

    fn raw(&mut self, h: [u8; 512], data: &[u8]) -> &mut Self {
        self.0.extend_from_slice(&h);
        self.0.extend_from_slice(data);
        pad(&mut self.0);
        self
    }

    fn entry(&mut self, name: &str, typeflag: u8, data: &[u8], link: &str) -> &mut Self {
        let h = header(
            name.as_bytes(),
            typeflag,
            data.len() as u64,
            link.as_bytes(),
        );
        self.raw(h, data)
    }

    fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.entry(name, b'0', data, "")
    }

    fn sized(&mut self, name: &str, size: usize) -> &mut Self {
        self.file(name, &vec![b'x'; size])
    }

    fn dir(&mut self, name: &str) -> &mut Self {
        self.entry(&format!("{}/", name.trim_end_matches('/')), b'5', b"", "")
    }

    fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.entry(name, b'2', b"", target)
    }

    fn hardlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.entry(name, b'1', b"", target)
    }

    /// Deletes `path` in the layers below.
    fn whiteout(&mut self, path: &str) -> &mut Self {
        let (dir, base) = match path.rsplit_once('/') {
            Some((d, b)) => (format!("{d}/"), b),
            None => (String::new(), path),
        };
        self.file(&format!("{dir}.wh.{base}"), b"")
    }

    fn opaque(&mut self, dir: &str) -> &mut Self {
        self.file(&format!("{dir}/.wh..wh..opq"), b"")
    }

    fn pax(&mut self, records: &[(&str, &[u8])]) -> &mut Self {
        let mut data = Vec::new();
        for (k, v) in records {
            let base = k.len() + v.len() + 3;
            let mut len = base + base.to_string().len();
            if len.to_string().len() != base.to_string().len() {
                len = base + len.to_string().len();
            }
            data.extend_from_slice(format!("{len} {k}=").as_bytes());
            data.extend_from_slice(v);
            data.push(b'\n');
        }
        let h = header(b"PaxHeaders/x", b'x', data.len() as u64, b"");
        self.raw(h, &data)
    }

    fn bytes(&self) -> Vec<u8> {
        let mut v = self.0.clone();
        v.extend_from_slice(&[0u8; 1024]);
        v
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).expect("zstd")
}

fn descriptor(blob: &[u8], media_type: &str) -> Descriptor {
    Descriptor {
        media_type: media_type.to_string(),
        digest: Digest::sha256(blob),
        size: blob.len() as u64,
        urls: None,
        annotations: None,
        platform: None,
        artifact_type: None,
    }
}

fn input(blob: Vec<u8>) -> LayerInput {
    LayerInput {
        reader: Box::new(envelope_layer::fs::Streamed(std::io::Cursor::new(blob))),
        descriptor: None,
        diff_id: None,
    }
}

fn verified(blob: Vec<u8>) -> LayerInput {
    let d = descriptor(&blob, media_types::OCI_LAYER_TAR);
    LayerInput {
        reader: Box::new(envelope_layer::fs::Streamed(std::io::Cursor::new(blob))),
        descriptor: Some(d),
        diff_id: None,
    }
}

fn try_index(layers: Vec<Vec<u8>>, limits: &Limits) -> Result<ImageFs, FsError> {
    index_layers(
        layers.into_iter().map(input).collect(),
        &mut NoContent,
        limits,
    )
}

fn index(layers: Vec<Vec<u8>>) -> ImageFs {
    try_index(layers, &Limits::default()).expect("index")
}

fn paths(fs: &ImageFs) -> Vec<String> {
    fs.iter().map(|(p, _)| p).collect()
}

fn kind(fs: &ImageFs, p: &str) -> Option<NodeKind> {
    fs.get(p).map(|n| n.kind)
}

fn has_warning(fs: &ImageFs, path: &str, needle: &str) -> bool {
    fs.warnings
        .iter()
        .any(|w| w.path == path && w.message.contains(needle))
}

/// Records what it is offered, reading at most `take` bytes of each file.
#[derive(Default)]
struct Recorder {
    take: usize,
    skip: Vec<String>,
    offered: Vec<String>,
    visits: Vec<(String, usize, Vec<u8>)>,
    superseded: Vec<String>,
    fail_on: Option<String>,
}

impl ContentVisitor for Recorder {
    fn wants(&mut self, path: &str, _node: &Node) -> bool {
        self.offered.push(path.to_string());
        !self.skip.iter().any(|s| s == path)
    }

    fn visit(&mut self, path: &str, node: &Node, data: &mut dyn Read) -> std::io::Result<()> {
        if self.fail_on.as_deref() == Some(path) {
            return Err(std::io::Error::other("visitor gave up"));
        }
        let mut buf = Vec::new();
        data.take(self.take as u64).read_to_end(&mut buf)?;
        self.visits.push((path.to_string(), node.layer, buf));
        Ok(())
    }

    fn superseded(&mut self, path: &str) {
        self.superseded.push(path.to_string());
    }
}

// ---------------------------------------------------------------------------
// Layer semantics.

#[test]
fn whiteouts_delete_files_and_directories() {
    let l0 = Tar::new()
        .dir("a")
        .file("a/x", b"x")
        .file("a/y", b"yy")
        .file("b", b"bbb")
        .dir("d")
        .dir("d/sub")
        .file("d/sub/deep", b"deep")
        .file("d/z", b"z")
        .bytes();
    let l1 = Tar::new()
        .dir("a")
        .whiteout("a/y")
        .whiteout("b")
        .whiteout("d")
        .bytes();
    let l2 = Tar::new().dir("d").file("d/new", b"new").bytes();
    let fs = index(vec![l0, l1, l2]);
    assert_eq!(paths(&fs), ["/a", "/a/x", "/d", "/d/new"]);
    assert_eq!(fs.get("/a").expect("a").layer, 1);
    assert_eq!(fs.get("/d").expect("d").layer, 2);
    assert!(fs.iter().all(|(p, _)| !p.contains(".wh.")), "{fs:?}");
    assert_eq!(fs.layers[1].whiteouts, 3);
    assert_eq!(fs.total_size(), 1 + 3);
}

#[test]
fn opaque_directories_hide_lower_contents_not_themselves() {
    let l0 = Tar::new()
        .dir("o")
        .file("o/x", b"x")
        .dir("o/sub")
        .file("o/sub/y", b"y")
        .dir("other")
        .file("other/kept", b"k")
        .bytes();
    let l1 = Tar::new().dir("o").opaque("o").file("o/new", b"n").bytes();
    let fs = index(vec![l0, l1]);
    assert_eq!(paths(&fs), ["/o", "/o/new", "/other", "/other/kept"]);
    assert_eq!(fs.get("/o").expect("o").layer, 1);
    // An opaque marker without the directory's own entry keeps the lower
    // directory's metadata but still hides its contents.
    let l0 = Tar::new().dir("p").file("p/old", b"o").bytes();
    let l1 = Tar::new().opaque("p").bytes();
    let fs = index(vec![l0, l1]);
    assert_eq!(paths(&fs), ["/p"]);
    assert_eq!(fs.get("/p").expect("p").layer, 0);
}

#[test]
fn files_and_directories_replace_each_other() {
    // A file replaces a directory and everything under it.
    let l0 = Tar::new()
        .dir("p")
        .file("p/x", b"x")
        .dir("q")
        .sized("q2", 5)
        .bytes();
    let l1 = Tar::new()
        .file("p", b"now a file")
        .dir("q2")
        .file("q2/z", b"z")
        .bytes();
    let fs = index(vec![l0, l1]);
    assert_eq!(paths(&fs), ["/p", "/q", "/q2", "/q2/z"]);
    assert_eq!(kind(&fs, "/p"), Some(NodeKind::File));
    assert_eq!(fs.get("/p").expect("p").size, 10);
    // A directory replaces a file.
    assert_eq!(kind(&fs, "/q2"), Some(NodeKind::Dir));
    assert_eq!(fs.get("/q2").expect("q2").layer, 1);
    // A directory only implied by an upper entry under it replaces a
    // lower file too, and is listed.
    let l0 = Tar::new().file("r", b"file").bytes();
    let l1 = Tar::new().file("r/s/t", b"t").bytes();
    let fs = index(vec![l0, l1]);
    assert_eq!(paths(&fs), ["/r", "/r/s", "/r/s/t"]);
    assert_eq!(kind(&fs, "/r"), Some(NodeKind::Dir));
    assert_eq!(kind(&fs, "/r/s"), Some(NodeKind::Dir));
    // ...but keeps a lower directory's own metadata.
    let mut dir = header(b"m/", b'5', 0, b"");
    octal(&mut dir[100..108], 0o700);
    set_checksum(&mut dir);
    let l0 = Tar::new().raw(dir, b"").bytes();
    let l1 = Tar::new().file("m/f", b"f").bytes();
    let fs = index(vec![l0, l1]);
    assert_eq!(fs.get("/m").expect("m").mode, 0o700);
    assert_eq!(fs.get("/m").expect("m").layer, 0);
}

#[test]
fn two_visitors_share_one_read_each_getting_what_it_wants() {
    let l0 = Tar::new()
        .file("both", b"shared bytes")
        .file("a-only", b"aaa")
        .file("b-only", b"bbbb")
        .file("neither", b"n")
        .file("both", b"again")
        .bytes();
    let mut a = Recorder {
        take: 100,
        skip: vec!["/b-only".into(), "/neither".into()],
        ..Recorder::default()
    };
    let mut b = Recorder {
        take: 3,
        skip: vec!["/a-only".into(), "/neither".into()],
        ..Recorder::default()
    };
    index_layers(
        vec![input(l0)],
        &mut envelope_layer::Both::new(&mut a, &mut b),
        &Limits::default(),
    )
    .expect("index");
    let seen = |r: &Recorder| -> Vec<(String, Vec<u8>)> {
        r.visits
            .iter()
            .map(|(p, _, d)| (p.clone(), d.clone()))
            .collect()
    };
    assert_eq!(
        seen(&a),
        [
            ("/both".to_string(), b"shared bytes".to_vec()),
            ("/a-only".to_string(), b"aaa".to_vec()),
            ("/both".to_string(), b"again".to_vec()),
        ]
    );
    // Each reads as much as it wants of what both wanted.
    assert_eq!(
        seen(&b),
        [
            ("/both".to_string(), b"sha".to_vec()),
            ("/b-only".to_string(), b"bbb".to_vec()),
            ("/both".to_string(), b"aga".to_vec()),
        ]
    );
    assert_eq!(a.superseded, ["/both"]);
    assert_eq!(b.superseded, ["/both"]);
}

#[test]
fn the_last_entry_of_a_path_in_a_layer_wins() {
    let l0 = Tar::new()
        .file("s", b"one")
        .file("other", b"o")
        .file("s", b"two!!")
        .bytes();
    let mut v = Recorder {
        take: 100,
        ..Recorder::default()
    };
    let fs = index_layers(vec![input(l0)], &mut v, &Limits::default()).expect("index");
    assert_eq!(fs.get("/s").expect("s").size, 5);
    assert_eq!(fs.layers[0].entries, 3);
    assert_eq!(fs.layers[0].files_size, 9);
    assert_eq!(v.superseded, ["/s"]);
    let last = v
        .visits
        .iter()
        .rev()
        .find(|(p, ..)| p == "/s")
        .expect("visit");
    assert_eq!(last.2, b"two!!");
    // A file then a directory at the same path: the directory.
    let l0 = Tar::new()
        .file("t", b"f")
        .dir("t")
        .file("t/u", b"u")
        .bytes();
    let fs = index(vec![l0]);
    assert_eq!(kind(&fs, "/t"), Some(NodeKind::Dir));
    assert_eq!(paths(&fs), ["/t", "/t/u"]);
}

#[test]
fn hard_links() {
    let l0 = Tar::new()
        .dir("h")
        .file("h/target", b"data")
        .hardlink("h/link", "h/target")
        .hardlink("h/dotted", "./h/../h/target")
        .hardlink("h/escaping", "../../h/target")
        .bytes();
    let l1 = Tar::new().hardlink("h/dangling", "h/nothing").bytes();
    let fs = index(vec![l0, l1]);
    let link = fs.get("/h/link").expect("link");
    assert_eq!(link.kind, NodeKind::Hardlink);
    assert_eq!(link.link.as_deref(), Some("/h/target"));
    assert_eq!(link.size, 0);
    assert_eq!(
        fs.get("/h/dotted").expect("dotted").link.as_deref(),
        Some("/h/target")
    );
    assert_eq!(
        fs.get("/h/escaping").expect("escaping").link.as_deref(),
        Some("/h/target")
    );
    assert!(
        has_warning(&fs, "/h/escaping", "escapes the root; kept as /h/target"),
        "{:?}",
        fs.warnings
    );
    assert!(
        has_warning(&fs, "/h/dangling", "hard link to /h/nothing"),
        "{:?}",
        fs.warnings
    );
    assert!(
        !has_warning(&fs, "/h/link", "hard link"),
        "{:?}",
        fs.warnings
    );
    // Hard links are not counted twice.
    assert_eq!(fs.total_size(), 4);
}

#[test]
fn symlinks_resolve_inside_the_image() {
    let l0 = Tar::new()
        .dir("usr")
        .dir("usr/bin")
        .file("usr/bin/app", b"app")
        .symlink("bin", "usr/bin")
        .symlink("abs", "/usr/bin/app")
        .symlink("chain1", "chain2")
        .symlink("chain2", "/bin/app")
        .symlink("loop1", "loop2")
        .symlink("loop2", "./loop1")
        .symlink("self", "self")
        .symlink("escape", "../../../../usr/bin/app")
        .dir("etc")
        .symlink("etc/up", "../usr/bin")
        .symlink("etc/root", "/")
        .symlink("dangling", "/nowhere")
        .bytes();
    let fs = index(vec![l0]);
    let resolved = |p: &str| fs.resolve(p).map(|(p, n)| (p, n.kind));
    let app = Some(("/usr/bin/app".to_string(), NodeKind::File));
    assert_eq!(resolved("/bin/app"), app);
    assert_eq!(resolved("bin/app"), app);
    assert_eq!(resolved("/abs"), app);
    assert_eq!(resolved("/chain1"), app);
    assert_eq!(resolved("/escape"), app);
    assert_eq!(resolved("/etc/up/app"), app);
    assert_eq!(resolved("/etc/root/etc/up/app"), app);
    assert_eq!(resolved("/../../usr/bin/../bin/app"), app);
    assert_eq!(
        resolved("/bin"),
        Some(("/usr/bin".to_string(), NodeKind::Dir))
    );
    assert_eq!(
        resolved("/etc/root"),
        Some(("/".to_string(), NodeKind::Dir))
    );
    assert_eq!(resolved("/loop1"), None);
    assert_eq!(resolved("/self"), None);
    assert_eq!(resolved("/dangling"), None);
    assert_eq!(resolved("/usr/bin/app/x"), None);
    assert_eq!(resolved("/missing"), None);
    // get does not follow links; targets are kept as written.
    assert_eq!(kind(&fs, "/bin"), Some(NodeKind::Symlink));
    assert_eq!(
        fs.get("/escape").expect("escape").link.as_deref(),
        Some("../../../../usr/bin/app")
    );
    // A chain of 40 links resolves, 41 do not.
    let mut t = Tar::new();
    t.file("end", b"e");
    for i in 0..41 {
        let next = if i == 0 {
            "end".to_string()
        } else {
            format!("l{}", i - 1)
        };
        t.symlink(&format!("l{i}"), &next);
    }
    let fs = index(vec![t.bytes()]);
    assert_eq!(fs.resolve("/l39").map(|(p, _)| p), Some("/end".to_string()));
    assert_eq!(fs.resolve("/l40"), None);
}

#[test]
fn queries_normalize_paths() {
    let l0 = Tar::new()
        .dir("./etc")
        .file("./etc/passwd", b"root")
        .dir("etc/ssl")
        .file("etc/ssl/cert", b"cert")
        .file("etc2", b"2")
        .bytes();
    let fs = index(vec![l0]);
    assert!(fs.get("etc/passwd").is_some());
    assert!(fs.get("/etc/./ssl/../passwd").is_some());
    assert!(fs.get("/etc/passwd/").is_some());
    assert_eq!(kind(&fs, "/"), Some(NodeKind::Dir));
    let kids: Vec<String> = fs.list_dir("/etc/").map(|(p, _)| p).collect();
    assert_eq!(kids, ["/etc/passwd", "/etc/ssl"]);
    let top: Vec<String> = fs.list_dir("/").map(|(p, _)| p).collect();
    assert_eq!(top, ["/etc", "/etc2"]);
    assert_eq!(fs.list_dir("/etc/passwd").count(), 0);
    assert_eq!(normalize("./a//b/./c/"), Ok("/a/b/c".to_string()));
    assert_eq!(normalize(""), Ok("/".to_string()));
    assert_eq!(normalize("a/../b"), Ok("/b".to_string()));
    let e = normalize("../../etc/x").expect_err("escapes");
    assert_eq!(e.clamped, "/etc/x");
    assert_eq!(
        e.to_string(),
        "path \"../../etc/x\" escapes the root; kept as /etc/x"
    );
}

#[test]
fn paths_escaping_the_root_are_clamped_with_a_warning() {
    let l0 = Tar::new()
        .file("../../etc/x", b"evil")
        .file("a/../../b", b"b")
        .bytes();
    let fs = index(vec![l0]);
    assert_eq!(fs.get("/etc/x").expect("clamped").size, 4);
    assert!(
        has_warning(&fs, "/etc/x", "escapes the root; kept as /etc/x"),
        "{:?}",
        fs.warnings
    );
    assert!(fs.get("/b").is_some());
    assert!(
        has_warning(&fs, "/b", "escapes the root"),
        "{:?}",
        fs.warnings
    );
}

#[test]
fn device_nodes_and_fifos_are_nodes_with_warnings() {
    let l0 = Tar::new()
        .dir("dev")
        .entry("dev/null", b'3', b"", "")
        .entry("dev/sda", b'4', b"", "")
        .entry("dev/pipe", b'6', b"", "")
        .bytes();
    let fs = index(vec![l0]);
    assert_eq!(kind(&fs, "/dev/null"), Some(NodeKind::CharDevice));
    assert_eq!(kind(&fs, "/dev/sda"), Some(NodeKind::BlockDevice));
    assert_eq!(kind(&fs, "/dev/pipe"), Some(NodeKind::Fifo));
    assert!(has_warning(&fs, "/dev/null", "device node"));
    assert!(has_warning(&fs, "/dev/sda", "device node"));
    assert!(has_warning(&fs, "/dev/pipe", "fifo"));
}

#[test]
fn bad_names_are_converted_with_a_warning() {
    let l0 = Tar::new()
        .pax(&[("path", b"bad\xffname")])
        .file("placeholder", b"1")
        .pax(&[("path", b"nul\0inside")])
        .file("placeholder2", b"2")
        .bytes();
    let fs = index(vec![l0]);
    assert!(fs.get("/bad\u{fffd}name").is_some(), "{:?}", paths(&fs));
    assert!(fs.get("/nul\u{fffd}inside").is_some(), "{:?}", paths(&fs));
    assert!(has_warning(&fs, "/bad\u{fffd}name", "converted lossily"));
    assert!(has_warning(&fs, "/nul\u{fffd}inside", "converted lossily"));
}

// ---------------------------------------------------------------------------
// Tar dialects and compression.

#[test]
fn pax_gnu_and_base256_headers() {
    let long = format!("{}/{}", "d".repeat(120), "f".repeat(120));
    let long_link = format!("/{}", "t".repeat(150));
    let mut t = Tar::new();
    // PAX path, linkpath, uid, gid, size.
    t.pax(&[
        ("path", long.as_bytes()),
        ("uid", b"70000"),
        ("gid", b"80000"),
    ]);
    t.file("short", b"payload");
    t.pax(&[("linkpath", long_link.as_bytes())]);
    t.symlink("paxlink", "ignored");
    t.pax(&[("size", b"3")]);
    // The header says 0 bytes, PAX says 3: 3 bytes of data follow.
    t.raw(header(b"sized", b'0', 0, b""), b"abc");
    // GNU long name and long link.
    let gnu_name = format!("{}/gnu", "g".repeat(130));
    let mut n = gnu_name.clone().into_bytes();
    n.push(0);
    t.raw(header(b"././@LongLink", b'L', n.len() as u64, b""), &n);
    t.file("truncated-name", b"gnu!");
    let gnu_target = format!("{}/target", "k".repeat(130));
    t.raw(
        header(b"././@LongLink", b'K', gnu_target.len() as u64, b""),
        gnu_target.as_bytes(),
    );
    t.symlink("gnulink", "x");
    // A GNU base-256 size (small value, big encoding).
    let mut h = header(b"b256", b'0', 0, b"");
    h[124..136].fill(0);
    h[124] = 0x80;
    h[135] = 5;
    set_checksum(&mut h);
    t.raw(h, b"12345");
    // A global PAX header gives owners to what follows.
    let mut g = Vec::new();
    g.extend_from_slice(b"12 uid=4242\n");
    t.raw(header(b"pax_global_header", b'g', g.len() as u64, b""), &g);
    t.file("after-global", b"g");
    let fs = index(vec![t.bytes()]);
    let f = fs.get(&long).expect("pax path");
    assert_eq!((f.size, f.uid, f.gid), (7, 70000, 80000));
    assert_eq!(
        fs.get("/paxlink").expect("l").link.as_deref(),
        Some(long_link.as_str())
    );
    assert_eq!(fs.get("/sized").expect("sized").size, 3);
    assert_eq!(fs.get(&gnu_name).expect("gnu").size, 4);
    assert_eq!(
        fs.get(&format!("/{}", "g".repeat(130))).map(|n| n.kind),
        Some(NodeKind::Dir)
    );
    assert_eq!(
        fs.get("/gnulink").expect("gnulink").link.as_deref(),
        Some(gnu_target.as_str())
    );
    assert_eq!(fs.get("/b256").expect("b256").size, 5);
    assert_eq!(fs.get("/after-global").expect("g").uid, 4242);
    assert!(fs.get("/short").is_none());
    assert!(fs.get("/truncated-name").is_none());
}

#[test]
fn old_signed_checksums_and_v7_headers_are_accepted() {
    let mut h = header(b"caf\xc3\xa9", b'0', 2, b"");
    // The signed sum some old tars wrote.
    h[148..156].fill(b' ');
    let sum: i64 = h.iter().map(|&b| i64::from(b as i8)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut v7 = header(b"old", 0, 1, b"");
    v7[257..265].fill(0);
    set_checksum(&mut v7);
    let l0 = Tar::new().raw(h, b"hi").raw(v7, b"1").bytes();
    let fs = index(vec![l0]);
    assert_eq!(fs.get("/café").expect("signed").size, 2);
    assert_eq!(kind(&fs, "/old"), Some(NodeKind::File));
}

#[test]
fn gzip_zstd_and_plain_layers_read_the_same() {
    let tar = Tar::new()
        .dir("etc")
        .file("etc/hosts", b"127.0.0.1 localhost\n")
        .sized("big", 100_000)
        .bytes();
    let half = tar.len() / 2;
    let mut multi = gzip(&tar[..half]);
    multi.extend(gzip(&tar[half..]));
    let blobs = [tar.clone(), gzip(&tar), zstd(&tar), multi];
    let mut seen = Vec::new();
    for blob in blobs {
        let len = blob.len() as u64;
        let fs =
            index_layers(vec![verified(blob)], &mut NoContent, &Limits::default()).expect("index");
        assert_eq!(fs.layers[0].compressed_size, len);
        assert_eq!(fs.layers[0].tar_size, tar.len() as u64);
        assert!(fs.layers[0]
            .digest
            .as_deref()
            .is_some_and(|d| d.starts_with("sha256:")));
        assert_eq!(fs.layers[0].largest[0], ("/big".to_string(), 100_000));
        seen.push(fs.iter().collect::<Vec<_>>());
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(seen[0].len(), 3);
}

/// Counts the bytes read through it; seeks pass through.
struct CountingSeek {
    inner: std::io::Cursor<Vec<u8>>,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Read for CountingSeek {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

impl std::io::Seek for CountingSeek {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(to)
    }
}

#[test]
fn seekable_plain_layers_skip_file_data_and_index_the_same() {
    let lower = Tar::new()
        .dir("data")
        .sized("data/a", 300_000)
        .sized("data/b", 200_000)
        .file("etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
        .bytes();
    let upper = Tar::new()
        .sized("data/a", 250_000)
        .file("data/.wh.b", b"")
        .bytes();
    let streamed = index_layers(
        vec![input(lower.clone()), input(upper.clone())],
        &mut NoContent,
        &Limits::default(),
    )
    .expect("streamed");
    let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seekable = |tar: Vec<u8>| {
        LayerInput::seekable(CountingSeek {
            inner: std::io::Cursor::new(tar),
            read: read.clone(),
        })
    };
    let mut rec = Recorder {
        take: 4,
        ..Recorder::default()
    };
    let skipped = index_layers(
        vec![seekable(lower.clone()), seekable(upper.clone())],
        &mut rec,
        &Limits::default(),
    )
    .expect("seekable");
    assert_eq!(
        skipped.iter().collect::<Vec<_>>(),
        streamed.iter().collect::<Vec<_>>()
    );
    assert_eq!(skipped.efficiency, streamed.efficiency);
    assert_eq!(skipped.layers, streamed.layers);
    // Headers and the visitor's few bytes, not the 750 kB of file data.
    let n = read.load(std::sync::atomic::Ordering::Relaxed);
    assert!(n < 20_000, "{n} bytes read");
    assert!(rec
        .visits
        .iter()
        .any(|(p, _, b)| p == "/etc/passwd" && b == b"root"));
    // A layer cut inside a file's data is still an error.
    let cut = lower[..lower.len() / 3].to_vec();
    assert!(index_layers(vec![seekable(cut)], &mut NoContent, &Limits::default()).is_err());
}

#[test]
fn layer_summaries_are_bottom_to_top() {
    let mut l0 = Tar::new();
    for i in 0..12 {
        l0.sized(&format!("f{i:02}"), 100 + i);
    }
    let l1 = Tar::new().sized("f00", 7).whiteout("f01").bytes();
    let fs = index(vec![l0.bytes(), l1]);
    assert_eq!(fs.layers.len(), 2);
    assert_eq!(fs.layers[0].index, 0);
    assert_eq!(fs.layers[1].index, 1);
    assert_eq!(fs.layers[0].entries, 12);
    assert_eq!(
        fs.layers[0].files_size,
        (0..12).map(|i| 100 + i).sum::<u64>()
    );
    assert_eq!(fs.layers[0].largest.len(), 10);
    assert_eq!(fs.layers[0].largest[0], ("/f11".to_string(), 111));
    assert_eq!(fs.layers[0].largest[9], ("/f02".to_string(), 102));
    assert_eq!((fs.layers[1].entries, fs.layers[1].whiteouts), (2, 1));
    assert_eq!(fs.get("/f00").expect("f00").layer, 1);
    assert_eq!(fs.total_size(), 7 + (2..12).map(|i| 100 + i).sum::<u64>());
}

// ---------------------------------------------------------------------------
// Errors.

#[test]
fn a_digest_mismatch_names_both_digests() {
    let tar = Tar::new().file("a", b"a").bytes();
    let other = Tar::new().file("b", b"b").bytes();
    let d = descriptor(&other, media_types::OCI_LAYER_TAR);
    let layers = vec![
        verified(Tar::new().file("base", b"x").bytes()),
        LayerInput {
            reader: Box::new(envelope_layer::fs::Streamed(std::io::Cursor::new(
                tar.clone(),
            ))),
            descriptor: Some(d.clone()),
            diff_id: None,
        },
    ];
    let err = index_layers(layers, &mut NoContent, &Limits::default()).expect_err("mismatch");
    let msg = err.to_string();
    assert!(matches!(err, FsError::DigestMismatch { .. }), "{msg}");
    assert!(msg.contains(&d.digest.to_string()), "{msg}");
    assert!(msg.contains(&Digest::sha256(&tar).to_string()), "{msg}");
    assert!(msg.starts_with(&format!("layer 1 ({})", d.digest)), "{msg}");
    // Right digest, wrong size.
    let mut d = descriptor(&tar, media_types::OCI_LAYER_TAR);
    d.size += 1;
    let err = index_layers(
        vec![LayerInput {
            reader: Box::new(envelope_layer::fs::Streamed(std::io::Cursor::new(tar))),
            descriptor: Some(d),
            diff_id: None,
        }],
        &mut NoContent,
        &Limits::default(),
    )
    .expect_err("size");
    assert!(matches!(err, FsError::DigestMismatch { .. }), "{err}");
}

#[test]
fn truncated_layers_are_errors() {
    let tar = Tar::new().file("a", &[7u8; 3000]).file("b", b"b").bytes();
    // In file data.
    let err = try_index(vec![tar[..1500].to_vec()], &Limits::default()).expect_err("truncated");
    assert!(
        matches!(
            err,
            FsError::Truncated {
                what: "file data",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("\"/a\""), "{err}");
    // In a header.
    let err =
        try_index(vec![tar[..512 * 7 + 100].to_vec()], &Limits::default()).expect_err("truncated");
    assert!(
        matches!(
            err,
            FsError::Truncated {
                what: "a header",
                offset: 3584,
                ..
            }
        ),
        "{err}"
    );
    // A truncated gzip stream.
    let gz = gzip(&tar);
    let err = try_index(vec![gz[..gz.len() - 10].to_vec()], &Limits::default()).expect_err("gz");
    assert!(
        matches!(err, FsError::Decompress { format: "gzip", .. }),
        "{err}"
    );
    // With a descriptor, a truncated blob is reported as not matching it.
    let d = descriptor(&gz, media_types::OCI_LAYER_TAR_GZIP);
    let err = index_layers(
        vec![LayerInput {
            reader: Box::new(envelope_layer::fs::Streamed(std::io::Cursor::new(
                gz[..gz.len() / 2].to_vec(),
            ))),
            descriptor: Some(d),
            diff_id: None,
        }],
        &mut NoContent,
        &Limits::default(),
    )
    .expect_err("truncated");
    assert!(matches!(err, FsError::DigestMismatch { .. }), "{err}");
    assert!(err.to_string().contains("reading it also failed"), "{err}");
    // A tar that stops at a header boundary without its end marker is
    // accepted with a warning.
    let fs = try_index(vec![tar[..tar.len() - 1024].to_vec()], &Limits::default()).expect("ok");
    assert!(fs
        .warnings
        .iter()
        .any(|w| w.message.contains("end-of-archive")));
}

#[test]
fn bad_checksums_are_errors() {
    let mut tar = Tar::new().file("a", b"a").file("b", b"b").bytes();
    tar[1024] = b'c'; // the second header's name
    let err = try_index(vec![tar], &Limits::default()).expect_err("checksum");
    assert!(
        matches!(err, FsError::BadChecksum { offset: 1024, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("byte 1024"), "{err}");
    // Garbage is not a tar.
    let err = try_index(vec![vec![b'z'; 2048]], &Limits::default()).expect_err("garbage");
    assert!(
        matches!(err, FsError::BadChecksum { offset: 0, .. }),
        "{err}"
    );
}

#[test]
fn huge_extended_headers_are_refused_before_reading_them() {
    for flag in [b'x', b'g', b'L', b'K'] {
        // Claims 1 TiB; only the header is there.
        let h = header(b"PaxHeaders/huge", flag, 1 << 40, b"");
        let mut blob = h.to_vec();
        blob.extend_from_slice(&[0u8; 1024]);
        let err = try_index(vec![blob], &Limits::default()).expect_err("too large");
        assert!(
            matches!(
                err,
                FsError::HeaderTooLarge {
                    size: 1_099_511_627_776,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("exceeds the limit of"), "{err}");
    }
    // A real one just over a small limit.
    let big = "p".repeat(5000);
    let tar = Tar::new()
        .pax(&[("path", big.as_bytes())])
        .file("x", b"x")
        .bytes();
    let limits = Limits {
        max_header_bytes: 4096,
        ..Limits::default()
    };
    let err = try_index(vec![tar.clone()], &limits).expect_err("too large");
    assert!(
        matches!(err, FsError::HeaderTooLarge { limit: 4096, .. }),
        "{err}"
    );
    // Within the default limit, a 5000-byte name is fine but longer than a
    // path can be: skipped with a warning.
    let fs = try_index(vec![tar], &Limits::default()).expect("ok");
    assert_eq!(fs.len(), 0);
    assert!(fs
        .warnings
        .iter()
        .any(|w| w.message.contains("longer than 4096")));
}

#[test]
fn too_many_entries_over_all_layers() {
    let limits = Limits {
        max_entries: 4,
        ..Limits::default()
    };
    let l0 = Tar::new().file("a", b"").file("b", b"").bytes();
    let l1 = Tar::new().file("c", b"").file("d", b"").bytes();
    try_index(vec![l0.clone(), l1.clone()], &limits).expect("4 entries");
    let l2 = Tar::new().file("e", b"").bytes();
    let err = try_index(vec![l0, l1, l2], &limits).expect_err("5 entries");
    assert!(
        matches!(err, FsError::TooManyEntries { limit: 4, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("more than 4 tar entries"), "{err}");
}

/// Indexing `layer` with a layer limit of 1 MiB fails for its size.
fn too_large_for_1mib(layer: Vec<u8>) -> FsError {
    let limits = Limits {
        max_layer_bytes: 1 << 20,
        ..Limits::default()
    };
    let err = try_index(vec![layer], &limits).expect_err("over the limit");
    assert!(
        matches!(
            err,
            FsError::LayerTooLarge {
                limit: 1_048_576,
                ..
            }
        ),
        "{err}"
    );
    err
}

#[test]
fn a_gzip_bomb_stops_at_the_layer_limit() {
    // A tar of one 64 MiB file of zeros, gzipped to about 64 KiB.
    let size: u64 = 64 << 20;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&header(b"zeros", b'0', size, b"")).expect("gz");
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..64 {
        e.write_all(&chunk).expect("gz");
    }
    e.write_all(&[0u8; 1024]).expect("gz");
    let bomb = e.finish().expect("gz");
    assert!(bomb.len() < 200_000, "{}", bomb.len());
    let err = too_large_for_1mib(bomb.clone());
    assert!(err.to_string().contains("decompression bomb"), "{err}");
    // Within the default limit it is just a big file.
    let fs = try_index(vec![bomb], &Limits::default()).expect("ok");
    assert_eq!(fs.get("/zeros").expect("zeros").size, size);
}

/// A PAX sparse file (GNU sparse 0.1) of `real` bytes storing only 5 of
/// them: what the layer limit must count is the expanded size.
fn sparse_layer(real: u64) -> Vec<u8> {
    let map = format!("{},5", real - 5);
    let real_s = real.to_string();
    Tar::new()
        .pax(&[
            ("GNU.sparse.major", b"0"),
            ("GNU.sparse.minor", b"1"),
            ("GNU.sparse.name", b"holes"),
            ("GNU.sparse.size", real_s.as_bytes()),
            ("GNU.sparse.map", map.as_bytes()),
        ])
        .file("GNUSparseFile.0/holes", b"tail!")
        .bytes()
}

#[test]
fn the_layer_limit_counts_what_sparse_files_expand_to() {
    let real: u64 = 8 << 20;
    let layer = sparse_layer(real);
    assert!(layer.len() < 4096, "{}", layer.len());
    let err = too_large_for_1mib(layer.clone());
    assert!(err.to_string().contains("sparse files counted"), "{err}");
    // Within the limit it is one file of its real size, tail included.
    let fs = try_index(vec![layer.clone()], &Limits::default()).expect("ok");
    assert_eq!(fs.get("/holes").expect("holes").size, real);
    let fits = Limits {
        max_layer_bytes: real + 4096,
        ..Limits::default()
    };
    assert!(try_index(vec![layer], &fits).is_ok());
}

#[test]
fn the_uncompressed_tar_is_checked_against_its_diff_id() {
    let tar = sample_tar();
    let diff_id = Digest::sha256(&tar);
    let wrong = Digest::sha256(b"another layer");
    for blob in [tar.clone(), gzip(&tar), zstd(&tar)] {
        let ok = index_layers(
            vec![verified(blob.clone()).with_diff_id(diff_id.clone())],
            &mut NoContent,
            &Limits::default(),
        )
        .expect("the right diff_id");
        assert_eq!(ok.layers[0].tar_size, tar.len() as u64);
        // Seekable layers skip data; hashing must not.
        let err = index_layers(
            vec![LayerInput::seekable(std::io::Cursor::new(blob.clone()))
                .with_diff_id(wrong.clone())],
            &mut NoContent,
            &Limits::default(),
        )
        .expect_err("a wrong diff_id");
        let FsError::DiffIdMismatch {
            layer,
            expected,
            actual,
        } = &err
        else {
            panic!("{err}");
        };
        assert_eq!(layer.index, 0);
        assert_eq!(expected, &wrong.to_string());
        assert_eq!(actual, &diff_id.to_string());
        let msg = err.to_string();
        assert!(msg.contains("rootfs.diff_ids[0]"), "{msg}");
        assert!(msg.contains(&diff_id.to_string()), "{msg}");
        assert!(msg.contains(&wrong.to_string()), "{msg}");
    }
    // A blob that does not match its descriptor is reported as that.
    let mut bad = verified(tar.clone()).with_diff_id(wrong);
    bad.descriptor = Some(descriptor(b"other", media_types::OCI_LAYER_TAR));
    let err = index_layers(vec![bad], &mut NoContent, &Limits::default()).expect_err("blob");
    assert!(matches!(err, FsError::DigestMismatch { .. }), "{err}");
}

// ---------------------------------------------------------------------------
// The content visitor.

#[test]
fn the_visitor_sees_only_final_files_and_may_read_part() {
    let l0 = Tar::new()
        .dir("a")
        .file("a/x", b"lower x")
        .file("keep", b"keep me")
        .file("gone", b"deleted")
        .dir("o")
        .file("o/hidden", b"opaque hides me")
        .file("skipped", b"not wanted")
        .symlink("link", "keep")
        .bytes();
    let l1 = Tar::new()
        .file("a/x", b"upper x, longer")
        .whiteout("gone")
        .dir("o")
        .opaque("o")
        .file("o/new", b"new")
        .file("after", b"read after a partial read")
        .bytes();
    let mut v = Recorder {
        take: 3,
        skip: vec!["/skipped".to_string()],
        ..Recorder::default()
    };
    let fs = index_layers(
        vec![input(l0), input(gzip(&l1))],
        &mut v,
        &Limits::default(),
    )
    .expect("index");
    let visits: BTreeMap<&str, (usize, &[u8])> = v
        .visits
        .iter()
        .map(|(p, l, d)| (p.as_str(), (*l, d.as_slice())))
        .collect();
    let want: BTreeMap<&str, (usize, &[u8])> = [
        ("/a/x", (1, &b"upp"[..])),
        ("/o/new", (1, &b"new"[..])),
        ("/after", (1, &b"rea"[..])),
        ("/keep", (0, &b"kee"[..])),
    ]
    .into_iter()
    .collect();
    assert_eq!(visits, want);
    assert_eq!(v.offered.len(), 5, "{:?}", v.offered); // the four and /skipped
    assert!(v.superseded.is_empty());
    assert_eq!(fs.get("/a/x").expect("x").layer, 1);
    // Every visit matches a final file.
    for (p, l, _) in &v.visits {
        let n = fs.get(p).expect("final");
        assert_eq!((n.kind, n.layer), (NodeKind::File, *l));
    }
}

#[test]
fn a_visitor_error_aborts() {
    let l0 = Tar::new().file("a", b"a").file("b", b"b").bytes();
    let mut v = Recorder {
        take: 1,
        fail_on: Some("/a".to_string()),
        ..Recorder::default()
    };
    let err = index_layers(vec![input(l0)], &mut v, &Limits::default()).expect_err("abort");
    assert!(
        matches!(&err, FsError::Visitor { path, .. } if path == "/a"),
        "{err}"
    );
    assert!(err.to_string().contains("visitor gave up"), "{err}");
}

// ---------------------------------------------------------------------------
// Hostile input never panics.

fn sample_tar() -> Vec<u8> {
    let long = format!("{}/{}", "d".repeat(120), "f".repeat(40));
    Tar::new()
        .dir("a")
        .file("a/x", b"hello")
        .pax(&[("path", long.as_bytes()), ("size", b"4")])
        .file("p", b"abcd")
        .whiteout("a/y")
        .opaque("a")
        .symlink("s", "../a/x")
        .hardlink("h", "a/x")
        .entry("dev", b'3', b"", "")
        .file("../../esc", b"e")
        .bytes()
}

fn small_limits() -> Limits {
    Limits {
        max_entries: 200,
        max_layer_bytes: 1 << 20,
        max_header_bytes: 4096,
    }
}

fn must_not_panic(layers: Vec<Vec<u8>>) {
    let mut v = Recorder {
        take: 16,
        ..Recorder::default()
    };
    let inputs = layers.into_iter().map(input).collect();
    if let Ok(fs) = index_layers(inputs, &mut v, &small_limits()) {
        for (p, _) in fs.iter() {
            let _ = fs.resolve(&p);
            let _ = fs.list_dir(&p).count();
        }
        assert!(fs.efficiency.score.is_finite());
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..3000)) {
        must_not_panic(vec![bytes.clone()]);
        must_not_panic(vec![gzip(&bytes)]);
        let mut with_header = header(b"f", b'0', 10, b"").to_vec();
        with_header.extend_from_slice(&bytes);
        must_not_panic(vec![with_header]);
    }

    #[test]
    fn mutated_tars_never_panic(
        flips in proptest::collection::vec((0usize..8192, proptest::prelude::any::<u8>()), 1..12),
        cut in 0usize..8192,
        compress in 0u8..3,
    ) {
        let mut tar = sample_tar();
        for (at, b) in flips {
            let i = at % tar.len();
            tar[i] = b;
            // Keep some headers valid so parsing goes deeper.
            if i / 512 * 512 + 512 <= tar.len() && b % 2 == 0 {
                let start = i / 512 * 512;
                let mut h = [0u8; 512];
                h.copy_from_slice(&tar[start..start + 512]);
                set_checksum(&mut h);
                tar[start..start + 512].copy_from_slice(&h);
            }
        }
        tar.truncate(cut.max(1).min(tar.len()));
        let blob = match compress {
            0 => tar,
            1 => gzip(&tar),
            _ => zstd(&tar),
        };
        must_not_panic(vec![sample_tar(), blob]);
    }
}

// ---------------------------------------------------------------------------
// Efficiency, against dive itself.

#[cfg(feature = "external-tools")]
mod dive {
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::sync::Arc;

    use envelope_oci::{BlobData, ImageBlobs};

    use super::*;

    fn find_dive() -> PathBuf {
        if let Some(p) = std::env::var_os("DIVE").filter(|p| !p.is_empty()) {
            return PathBuf::from(p);
        }
        if let Some(path) = std::env::var_os("PATH") {
            for dir in std::env::split_paths(&path) {
                let c = dir.join("dive");
                if c.is_file() {
                    return c;
                }
            }
        }
        // Where .ci/install.sh builds it.
        let peers = std::env::var_os("ENVELOPE_PEERS")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/envelope-peers"))
            })
            .unwrap_or_default();
        let c = peers.join("bin/dive");
        assert!(
            c.is_file(),
            "dive is needed to cross-check the efficiency numbers and was not found \
         ($DIVE, PATH, {}): run `bash .ci/install.sh`",
            c.display()
        );
        c
    }

    /// A docker-archive of the layers (plain tars, or gzip when asked).
    fn docker_archive(file: &Path, layers: &[Vec<u8>], gzip_layers: bool) {
        let diff_ids: Vec<String> = layers
            .iter()
            .map(|t| Digest::sha256(t).to_string())
            .collect();
        let config = serde_json::json!({
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": layers.iter().enumerate().map(|(i, _)| serde_json::json!({"created_by": format!("layer {i}")})).collect::<Vec<_>>(),
        });
        let config = serde_json::to_vec(&config).expect("json");
        let config_desc = descriptor(&config, media_types::OCI_CONFIG);
        let mut blobs = BTreeMap::new();
        let mut layer_descs = Vec::new();
        for t in layers {
            let (blob, mt) = if gzip_layers {
                (gzip(t), media_types::OCI_LAYER_TAR_GZIP)
            } else {
                (t.clone(), media_types::OCI_LAYER_TAR)
            };
            let d = descriptor(&blob, mt);
            blobs.insert(d.digest.clone(), blob);
            layer_descs.push(d);
        }
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": media_types::OCI_MANIFEST,
            "config": config_desc,
            "layers": layer_descs,
        });
        let manifest = serde_json::to_vec(&manifest).expect("json");
        let root = descriptor(&manifest, media_types::OCI_MANIFEST);
        let mut image = ImageBlobs::new(root.clone());
        image.insert(root.digest.clone(), BlobData::Bytes(Arc::new(manifest)));
        image.insert(
            config_desc.digest.clone(),
            BlobData::Bytes(Arc::new(config)),
        );
        for (d, b) in blobs {
            image.insert(d, BlobData::Bytes(Arc::new(b)));
        }
        envelope_oci::write_docker_archive(file, &image, Some("envelope-fs-test:latest"))
            .expect("archive");
    }

    struct DiveReport {
        score: f64,
        wasted: u64,
        size: u64,
        files: BTreeMap<String, (usize, u64)>,
        user_wasted_percent: Option<f64>,
    }

    fn run_dive(dive: &Path, archive: &Path, dir: &Path) -> DiveReport {
        let json = dir.join("dive.json");
        let out = Command::new(dive)
            .args(["--source", "docker-archive"])
            .arg(archive)
            .args(["--ci", "--json"])
            .arg(&json)
            .env("CI", "true")
            .output()
            .expect("run dive");
        assert!(
            out.status.success(),
            "dive failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&json).expect("dive json")).expect("json");
        let img = &v["image"];
        let mut files = BTreeMap::new();
        for f in img["fileReference"].as_array().cloned().unwrap_or_default() {
            files.insert(
                f["file"].as_str().expect("file").to_string(),
                (
                    f["count"].as_u64().expect("count") as usize,
                    f["sizeBytes"].as_u64().expect("size"),
                ),
            );
        }
        // The CI report (without --json) has the user-wasted percentage, from
        // which dive's user size follows.
        let ci = Command::new(dive)
            .args(["--source", "docker-archive"])
            .arg(archive)
            .args([
                "--ci",
                "--highestUserWastedPercent",
                "disabled",
                "--lowestEfficiency",
                "disabled",
            ])
            .env("CI", "true")
            .output()
            .expect("run dive");
        let text = String::from_utf8_lossy(&ci.stdout).to_string();
        let user_wasted_percent = text.lines().find_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix("userWastedPercent:")?;
            rest.trim().trim_end_matches('%').trim().parse::<f64>().ok()
        });
        DiveReport {
            score: img["efficiencyScore"].as_f64().expect("score"),
            wasted: img["inefficientBytes"].as_u64().expect("wasted"),
            size: img["sizeBytes"].as_u64().expect("size"),
            files,
            user_wasted_percent,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 0.001 * a.abs().max(b.abs()).max(1e-12)
    }

    fn cross_check(name: &str, layers: Vec<Vec<u8>>, gzip_layers: bool) {
        let dive = find_dive();
        let dir = tempfile::tempdir().expect("tempdir");
        let archive = dir.path().join(format!("{name}.tar"));
        docker_archive(&archive, &layers, gzip_layers);
        let report = run_dive(&dive, &archive, dir.path());
        let fs = index(layers);
        let eff = &fs.efficiency;
        assert!(
            close(eff.score, report.score),
            "{name}: score {} vs dive {}",
            eff.score,
            report.score
        );
        assert!(
            close(eff.wasted_bytes as f64, report.wasted as f64),
            "{name}: wasted {} vs dive {}",
            eff.wasted_bytes,
            report.wasted
        );
        let ours: BTreeMap<String, (usize, u64)> = eff
            .inefficiencies
            .iter()
            .map(|i| (i.path.clone(), (i.count, i.cumulative_size)))
            .collect();
        assert_eq!(ours, report.files, "{name}: inefficient files");
        let size: u64 = fs.layers.iter().map(|l| l.dive_size).sum();
        assert_eq!(size, report.size, "{name}: image size");
        if eff.user_size > 0 {
            let pct = report
                .user_wasted_percent
                .expect("dive prints userWastedPercent");
            let ours = eff.wasted_bytes as f64 / eff.user_size as f64 * 100.0;
            assert!(
                (ours - pct).abs() < 0.01 * ours.abs().max(1.0),
                "{name}: user wasted {ours}% vs dive {pct}%"
            );
        }
    }

    #[test]
    fn efficiency_matches_dive_for_overwritten_and_deleted_files() {
        let l0 = Tar::new()
            .dir("etc")
            .sized("etc/a", 1000)
            .sized("etc/b", 200)
            .sized("etc/c", 64)
            .dir("app")
            .sized("app/tmp", 5000)
            .symlink("etc/link", "a")
            .hardlink("etc/hard", "etc/a")
            .dir("empty")
            .bytes();
        let l1 = Tar::new()
            .dir("etc")
            .sized("etc/a", 300)
            .whiteout("etc/b")
            .dir("app")
            .sized("app/bin", 70_000)
            .bytes();
        let l2 = Tar::new()
            .dir("app")
            .sized("app/bin", 71_000)
            .whiteout("app/tmp")
            .sized("etc/c", 64)
            .whiteout("empty")
            .bytes();
        cross_check("overwritten", vec![l0, l1, l2], false);
    }

    #[test]
    fn efficiency_matches_dive_for_deleted_directories() {
        let mut l0 = Tar::new();
        l0.dir("var").dir("var/cache").dir("var/cache/apt");
        for i in 0..20 {
            l0.sized(&format!("var/cache/apt/pkg{i}.deb"), 1000 + 37 * i);
        }
        l0.dir("var/cache/empty")
            .sized("var/log", 10)
            .dir("usr")
            .sized("usr/lib", 123_456);
        let l1 = Tar::new()
            .dir("var")
            .whiteout("var/cache")
            .sized("var/log", 20)
            .bytes();
        let l2 = Tar::new()
            .dir("var")
            .dir("var/cache")
            .sized("var/cache/new", 333)
            .whiteout("usr")
            .bytes();
        let l3 = Tar::new().dir("usr").sized("usr/lib", 1).bytes();
        cross_check("deleted-dirs", vec![l0.bytes(), l1, l2, l3], true);
    }

    #[test]
    fn efficiency_matches_dive_for_opaque_directories() {
        let l0 = Tar::new()
            .dir("data")
            .sized("data/one", 4000)
            .dir("data/sub")
            .sized("data/sub/two", 2500)
            .sized("top", 10)
            .bytes();
        let l1 = Tar::new()
            .dir("data")
            .opaque("data")
            .sized("data/one", 100)
            .sized("data/three", 50)
            .bytes();
        let l2 = Tar::new()
            .dir("data")
            .opaque("data")
            .sized("data/three", 60)
            .sized("top", 11)
            .bytes();
        // dive ignores opaque markers: data/sub/two is no waste for it, and
        // the index agrees (while the filesystem itself drops it).
        cross_check("opaque", vec![l0.clone(), l1.clone(), l2.clone()], false);
        let fs = index(vec![l0, l1, l2]);
        assert!(fs.get("/data/sub/two").is_none());
        assert!(!fs
            .efficiency
            .inefficiencies
            .iter()
            .any(|i| i.path == "/data/sub/two"));
    }

    #[test]
    fn efficiency_matches_dive_in_its_corner_cases() {
        // A file replacing a directory without a whiteout, then deleted; a
        // whiteout of something that never existed (dive stops walking that
        // layer); parents no entry lists; a path twice in one layer; an empty
        // directory replaced by a file.
        let l0 = Tar::new()
            .dir("p")
            .sized("p/x", 900)
            .sized("implied/deep/file", 77)
            .dir("e")
            .sized("z", 5)
            .sized("twice", 1)
            .sized("twice", 2)
            .bytes();
        let l1 = Tar::new()
            .sized("p", 40)
            .whiteout("nothing-here")
            .sized("z", 6)
            .sized("e", 3)
            .bytes();
        let l2 = Tar::new()
            .whiteout("p")
            .sized("implied/deep/file", 78)
            .whiteout("implied/deep")
            .sized("twice", 9)
            .bytes();
        cross_check("corners", vec![l0, l1, l2], false);
    }
}
