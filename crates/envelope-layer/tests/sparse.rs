//! A layer holding a Go binary as a sparse file, as GNU tar writes it
//! with `--sparse --format=posix`: indexed and visited by its real name
//! with its real bytes.

#![cfg(feature = "external-tools")]

use std::io::Read;
use std::process::Command;

use envelope_layer::{index_layers, ContentVisitor, LayerInput, Limits, Node, NodeKind};

/// Keeps the whole of every regular file it is offered.
#[derive(Default)]
struct Keep {
    files: Vec<(String, Vec<u8>)>,
}

impl ContentVisitor for Keep {
    fn wants(&mut self, _path: &str, _node: &Node) -> bool {
        true
    }

    fn visit(&mut self, path: &str, _node: &Node, data: &mut dyn Read) -> std::io::Result<()> {
        let mut buf = Vec::new();
        data.read_to_end(&mut buf)?;
        self.files.push((path.to_string(), buf));
        Ok(())
    }
}

#[test]
fn a_sparse_binary_is_indexed_by_its_real_name_and_bytes() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("root");
    let bin = root.join("usr/local/bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    // Made with holes: a head, 2 MiB of nothing, a tail.
    let size: u64 = (2 << 20) + 4096;
    let app = bin.join("app");
    let f = std::fs::File::create(&app).expect("create");
    f.set_len(size).expect("truncate");
    drop(f);
    for (seek, data) in [("0", "\x7fELF head"), ("2097152", "the tail")] {
        let mut dd = Command::new("dd")
            .arg(format!("of={}", app.display()))
            .args(["bs=1", "conv=notrunc", "status=none"])
            .arg(format!("seek={seek}"))
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("dd is required");
        std::io::Write::write_all(&mut dd.stdin.take().expect("stdin"), data.as_bytes())
            .expect("write");
        assert!(dd.wait().expect("dd").success());
    }
    let want = std::fs::read(&app).expect("read");
    assert_eq!(want.len() as u64, size);

    for version in ["1.0", "0.1", "0.0"] {
        let tar = dir.path().join(format!("layer-{version}.tar"));
        let status = Command::new("tar")
            .args(["--sparse", "--format=posix", "--no-recursion"])
            .arg(format!("--sparse-version={version}"))
            .arg("-cf")
            .arg(&tar)
            .arg("-C")
            .arg(&root)
            .args(["usr", "usr/local", "usr/local/bin", "usr/local/bin/app"])
            .status()
            .expect("GNU tar is required");
        assert!(status.success(), "{version}");
        let blob = std::fs::read(&tar).expect("read");
        assert!((blob.len() as u64) < size / 2, "{version}: stored sparse");

        for seekable in [false, true] {
            let input = if seekable {
                LayerInput::seekable(std::io::Cursor::new(blob.clone()))
            } else {
                LayerInput::new(std::io::Cursor::new(blob.clone()), None)
            };
            let mut keep = Keep::default();
            let fs = index_layers(vec![input], &mut keep, &Limits::default()).expect("index");
            let paths: Vec<String> = fs.iter().map(|(p, _)| p).collect();
            assert!(
                !paths.iter().any(|p| p.contains("GNUSparseFile")),
                "{version}: {paths:?}"
            );
            let node = fs.get("/usr/local/bin/app").expect("the binary");
            assert_eq!(node.kind, NodeKind::File, "{version}");
            assert_eq!(node.size, size, "{version}");
            assert!(fs.warnings.is_empty(), "{version}: {:?}", fs.warnings);
            assert_eq!(keep.files.len(), 1, "{version}");
            assert_eq!(keep.files[0].0, "/usr/local/bin/app");
            assert!(keep.files[0].1 == want, "{version}: the bytes differ");
        }
    }
}
