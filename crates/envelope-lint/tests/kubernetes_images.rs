//! The image-aware Kubernetes rules (K8S023-K8S029) on hand-made images:
//! layers written by envelope-layer's `LayerBuilder` and indexed by the
//! streaming reader with the audit's `Collector`, as `envelope lint
//! --image-dir` sees them. Each rule's hit and no-hit; without a lookup
//! none of them says anything.

use std::collections::BTreeMap;
use std::sync::Arc;

use envelope_golang::RuntimeNeeds;
use envelope_layer::fs::{index_layers, LayerInput, Limits};
use envelope_layer::{FileData, LayerBuilder};
use envelope_lint::audit::{Binary, Collector, ImageFacts};
use envelope_lint::kubernetes::{self, ImageLookup, ImageMissing, Looked};
use envelope_lint::Settings;
use serde_json::json;

/// Images by reference; any other is missing (not found when by digest).
struct Images(BTreeMap<String, Looked>);

impl ImageLookup for Images {
    fn look(&self, reference: &str, platform: Option<&str>) -> Looked {
        // A pinned platform is looked up as `REF PLATFORM`.
        let key = match platform {
            Some(p) => format!("{reference} {p}"),
            None => reference.to_string(),
        };
        self.0.get(&key).cloned().unwrap_or_else(|| {
            Arc::new(Err(ImageMissing {
                not_found: reference.contains('@'),
                reason: "no layout holds it".into(),
            }))
        })
    }
}

const PASSWD: &str = "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n";

/// A shell-less image as envelope builds one: /app owned by root, mode
/// 0755 (or `app_mode`), user 65532, port 8080, /app writes temp files
/// when `temp` is set.
fn image(shell: bool, app_mode: u32, temp: bool) -> ImageFacts {
    let mut b = LayerBuilder::new(0);
    b.dir("tmp", 0o1777, 0, 0).expect("dir");
    let files: Vec<(&str, &[u8], u32)> = vec![
        ("etc/passwd", PASSWD.as_bytes(), 0o644),
        ("etc/group", b"root:x:0:\nnonroot:x:65532:\n", 0o644),
        ("app", b"\x7fELF-not-really", app_mode),
    ];
    for (p, data, mode) in files {
        b.file(p, FileData::Bytes(Arc::new(data.to_vec())), mode, 0, 0)
            .expect("file");
    }
    if shell {
        b.file(
            "bin/busybox",
            FileData::Bytes(Arc::new(b"bb".to_vec())),
            0o755,
            0,
            0,
        )
        .expect("file");
        b.symlink("bin/sh", "busybox", 0, 0).expect("symlink");
    }
    let mut tar = Vec::new();
    b.write_tar(&mut tar).expect("tar");
    let mut collector = Collector::new();
    let fs = index_layers(
        vec![LayerInput::new(std::io::Cursor::new(tar), None)],
        &mut collector,
        &Limits::default(),
    )
    .expect("index");
    collector.keep_final(&fs);
    let binaries = vec![Binary {
        path: "/app".into(),
        size: 15,
        facts: Err("hand-made".into()),
        needs: Some(RuntimeNeeds {
            ca_certs: false,
            ca_reason: None,
            tzdata: false,
            tz_reason: None,
            embedded_tzdata: false,
            fallback_roots: false,
            temp_files: temp.then(|| "os.CreateTemp".to_string()),
        }),
    }];
    ImageFacts {
        reference: "example.com/app:1".into(),
        is_image: true,
        mutable_tag: None,
        config: json!({"config": {
            "User": "65532:65532",
            "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"],
            "Entrypoint": ["/app"],
            "ExposedPorts": {"8080/tcp": {}},
        }}),
        fs,
        files: collector.files,
        secret_files: Vec::new(),
        binaries,
    }
}

const APP: &str = "example.com/app:1";

/// The findings of `code` for a Deployment whose container is `container`
/// (YAML lines below `- name: app`, indented by 8), `pod` lines in the pod
/// spec (indented by 6), with `facts` as the image `example.com/app:1`.
fn findings(code: &str, facts: ImageFacts, pod: &str, container: &str) -> Vec<String> {
    findings_of(code, Some(facts), APP, pod, container)
}

fn findings_of(
    code: &str,
    facts: Option<ImageFacts>,
    image: &str,
    pod: &str,
    container: &str,
) -> Vec<String> {
    let yaml = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n{pod}      containers:\n      - name: app\n        image: {image}\n{container}"
    );
    let settings = Settings {
        select: Some(vec![code.to_string()]),
        ..Settings::default()
    };
    let images = Images(
        facts
            .map(|f| (APP.to_string(), Arc::new(Ok(f))))
            .into_iter()
            .collect(),
    );
    let r = kubernetes::lint_with_images("m.yaml", yaml.as_bytes(), &settings, Some(&images))
        .expect("lint");
    let without = kubernetes::lint("m.yaml", yaml.as_bytes(), &settings).expect("lint");
    assert!(
        without.file.diagnostics.is_empty(),
        "{code} said something without images"
    );
    r.file
        .diagnostics
        .iter()
        .map(|d| {
            assert_eq!(d.code, code);
            format!(
                "{} {} {}",
                d.severity.as_str(),
                d.object_path.as_deref().unwrap_or("-"),
                d.message
            )
        })
        .collect()
}

fn one(found: Vec<String>, path: &str, words: &[&str]) {
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].contains(path), "{found:#?}");
    for w in words {
        assert!(found[0].contains(w), "{w}: {found:#?}");
    }
}

const SH_PROBE: &str =
    "        livenessProbe:\n          exec:\n            command: [sh, -c, 'true']\n";

#[test]
fn k8s024_shell_the_image_lacks() {
    one(
        findings("K8S024", image(false, 0o755, false), "", SH_PROBE),
        "containers[0].livenessProbe.exec.command",
        &["error", "`sh`", "no /bin/sh"],
    );
    let hook = "        lifecycle:\n          preStop:\n            exec:\n              command: [/bin/bash, -c, 'sleep 5']\n";
    one(
        findings("K8S024", image(true, 0o755, false), "", hook),
        "lifecycle.preStop.exec.command",
        &["`/bin/bash`"],
    );
    // A shell the image has.
    assert!(findings("K8S024", image(true, 0o755, false), "", SH_PROBE).is_empty());
}

#[test]
fn k8s025_program_the_image_lacks() {
    one(
        findings(
            "K8S025",
            image(false, 0o755, false),
            "",
            "        command: [/server]\n",
        ),
        "containers[0].command",
        &["error", "`/server`", "; it runs `/app`"],
    );
    one(
        findings(
            "K8S025",
            image(false, 0o755, false),
            "",
            "        command: [server]\n",
        ),
        "containers[0].command",
        &["in its PATH (/usr/local/bin:/usr/bin:/bin)"],
    );
    assert!(findings(
        "K8S025",
        image(false, 0o755, false),
        "",
        "        command: [/app]\n"
    )
    .is_empty());
    // No command: args are run only when the image has no entrypoint.
    assert!(findings(
        "K8S025",
        image(false, 0o755, false),
        "",
        "        args: [/nope]\n"
    )
    .is_empty());
    let mut bare = image(false, 0o755, false);
    bare.config["config"]["Entrypoint"] = serde_json::Value::Null;
    one(
        findings("K8S025", bare, "", "        args: [/nope, -v]\n"),
        "containers[0].args",
        &["the args (the image has no entrypoint)", "`/nope`"],
    );
    // Shells are K8S024's.
    assert!(findings("K8S025", image(false, 0o755, false), "", SH_PROBE).is_empty());
}

#[test]
fn k8s026_user_disagrees_with_image() {
    let root = "      securityContext:\n        runAsUser: 0\n";
    one(
        findings("K8S026", image(false, 0o755, false), root, ""),
        "spec.template.spec.securityContext.runAsUser",
        &["warning", "runs as root", "user 65532"],
    );
    // /app readable by its owner only: user 1000 cannot run it.
    let other = "        securityContext:\n          runAsUser: 1000\n          runAsGroup: 1000\n";
    one(
        findings("K8S026", image(false, 0o700, false), "", other),
        "containers[0].securityContext.runAsUser",
        &["1000:1000", "`/app`", "mode 0700"],
    );
    // Another user who can run it, or the image's own user.
    assert!(findings("K8S026", image(false, 0o755, false), "", other).is_empty());
    let same = "        securityContext:\n          runAsUser: 65532\n";
    assert!(findings("K8S026", image(false, 0o700, false), "", same).is_empty());
}

#[test]
fn k8s027_read_only_root_without_tmp() {
    let ro = "        securityContext:\n          readOnlyRootFilesystem: true\n";
    one(
        findings("K8S027", image(false, 0o755, true), "", ro),
        "containers[0].securityContext.readOnlyRootFilesystem",
        &["warning", "os.CreateTemp", "`/app`"],
    );
    let tmp =
        format!("{ro}        volumeMounts:\n        - name: tmp\n          mountPath: /tmp\n");
    let vol = "      volumes:\n      - name: tmp\n        emptyDir: {}\n";
    assert!(findings("K8S027", image(false, 0o755, true), vol, &tmp).is_empty());
    // A configMap at /tmp is not writable.
    let cm = "      volumes:\n      - name: tmp\n        configMap:\n          name: x\n";
    assert_eq!(
        findings("K8S027", image(false, 0o755, true), cm, &tmp).len(),
        1
    );
    // $TMPDIR elsewhere: the volume must be there (or above it).
    let moved =
        format!("{ro}        env:\n        - name: TMPDIR\n          value: /scratch/tmp\n");
    one(
        findings(
            "K8S027",
            image(false, 0o755, true),
            vol,
            &format!(
                "{moved}        volumeMounts:\n        - name: tmp\n          mountPath: /tmp\n"
            ),
        ),
        "readOnlyRootFilesystem",
        &["no writable volume at /scratch/tmp"],
    );
    let mounted = format!(
        "{moved}        volumeMounts:\n        - name: tmp\n          mountPath: /scratch\n"
    );
    assert!(findings("K8S027", image(false, 0o755, true), vol, &mounted).is_empty());
    // A binary that writes no temporary file.
    assert!(findings("K8S027", image(false, 0o755, false), "", ro).is_empty());
}

#[test]
fn k8s028_port_not_exposed() {
    let ports = "        ports:\n        - containerPort: 8080\n        - containerPort: 9090\n        - containerPort: 8080\n          protocol: UDP\n";
    let found = findings("K8S028", image(false, 0o755, false), "", ports);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].starts_with("info") && found[0].contains("ports[1].containerPort"));
    assert!(found[0].contains("9090/tcp") && found[0].contains("exposes 8080/tcp"));
    assert!(found[1].contains("8080/udp"));
    let served = "        ports:\n        - containerPort: 8080\n";
    assert!(findings("K8S028", image(false, 0o755, false), "", served).is_empty());
}

#[test]
fn k8s023_and_k8s029_images_not_found() {
    let digest =
        "example.com/app@sha256:0000000000000000000000000000000000000000000000000000000000000000";
    // By digest: does not exist, an error (and not also K8S023).
    one(
        findings_of("K8S029", None, digest, "", ""),
        "containers[0].image",
        &["error", "does not exist", "no layout holds it"],
    );
    assert!(findings_of("K8S023", None, digest, "", "").is_empty());
    // By tag: could not look, info, once per image in a file.
    let twice = "      - name: side\n        image: example.com/other:2\n      - name: side2\n        image: example.com/other:2\n";
    let found = findings_of("K8S023", None, "example.com/other:2", "", twice);
    one(
        found,
        "containers[0].image",
        &["info", "could not look at `example.com/other:2`"],
    );
    // Found: neither.
    assert!(findings("K8S023", image(false, 0o755, false), "", "").is_empty());
    assert!(findings("K8S029", image(false, 0o755, false), "", "").is_empty());
}

#[test]
fn a_missing_image_leaves_the_other_rules_running() {
    let yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: example.com/gone:1\n";
    let images = Images(BTreeMap::new());
    let r = kubernetes::lint_with_images(
        "m.yaml",
        yaml.as_bytes(),
        &Settings::default(),
        Some(&images),
    )
    .expect("lint");
    let codes: Vec<&str> = r.file.diagnostics.iter().map(|d| d.code).collect();
    assert!(codes.contains(&"K8S023"), "{codes:?}");
    assert!(codes.contains(&"K8S012"), "{codes:?}");
}

#[test]
fn envelope_references_are_not_looked_up() {
    let found = findings_of("K8S023", None, "envelope://./cmd/server", "", "");
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_containers_own_working_directory_and_path_find_its_program() {
    // The image's WorkingDir is /srv, where there is no ./app; the
    // container's workingDir / has it.
    let mut facts = image(false, 0o755, false);
    facts.config["config"]["WorkingDir"] = json!("/srv");
    one(
        findings("K8S025", facts.clone(), "", "        command: [./app]\n"),
        "containers[0].command",
        &["`./app`"],
    );
    assert!(findings(
        "K8S025",
        facts,
        "",
        "        workingDir: /\n        command: [./app]\n"
    )
    .is_empty());
    // `app` is in / only: the image's PATH lacks it, the container's has it.
    let bare = "        command: [app]\n";
    one(
        findings("K8S025", image(false, 0o755, false), "", bare),
        "containers[0].command",
        &["in its PATH (/usr/local/bin:/usr/bin:/bin)"],
    );
    let own_path =
        "        env:\n        - name: PATH\n          value: /bin:/\n        command: [app]\n";
    assert!(findings("K8S025", image(false, 0o755, false), "", own_path).is_empty());
    let own_missing =
        "        env:\n        - name: PATH\n          value: /opt/bin\n        command: [app]\n";
    one(
        findings("K8S025", image(false, 0o755, false), "", own_missing),
        "containers[0].command",
        &["in its PATH (/opt/bin)"],
    );
    // `$(NAME)` is expanded from the entries before it, as the kubelet
    // does; a name not defined stays as written.
    let base = "        env:\n        - name: BASE\n          value: /\n        - name: PATH\n          value: $(BASE)\n        command: [app]\n";
    assert!(findings("K8S025", image(false, 0o755, false), "", base).is_empty());
    let literal = "        env:\n        - name: PATH\n          value: /opt/bin:$(PATH)\n        command: [app]\n";
    one(
        findings("K8S025", image(false, 0o755, false), "", literal),
        "containers[0].command",
        &["in its PATH (/opt/bin:$(PATH))"],
    );
    // From a ConfigMap or a Secret: not known, so a bare name is not judged.
    for unknown in [
        "        env:\n        - name: PATH\n          valueFrom:\n            configMapKeyRef: {name: paths, key: path}\n        command: [app]\n",
        "        envFrom:\n        - configMapRef: {name: paths}\n        command: [app]\n",
    ] {
        assert!(findings("K8S025", image(false, 0o755, false), "", unknown).is_empty());
    }
    // A path names its file whatever the PATH.
    let envfrom_abs =
        "        envFrom:\n        - configMapRef: {name: paths}\n        command: [/nope]\n";
    one(
        findings("K8S025", image(false, 0o755, false), "", envfrom_abs),
        "containers[0].command",
        &["`/nope`"],
    );
}

#[test]
fn a_pod_pinned_to_a_platform_is_checked_against_that_platforms_image() {
    // The amd64 image has a shell, the arm64 one has none.
    let images = Images(BTreeMap::from([
        (
            format!("{APP} linux/amd64"),
            Arc::new(Ok(image(true, 0o755, false))),
        ),
        (
            format!("{APP} linux/arm64"),
            Arc::new(Ok(image(false, 0o755, false))),
        ),
    ]));
    let lint = |pod: &str| {
        let yaml = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n{pod}      containers:\n      - name: app\n        image: {APP}\n{SH_PROBE}"
        );
        let settings = Settings {
            select: Some(vec!["K8S023".into(), "K8S024".into()]),
            ..Settings::default()
        };
        kubernetes::lint_with_images("m.yaml", yaml.as_bytes(), &settings, Some(&images))
            .expect("lint")
            .file
            .diagnostics
            .iter()
            .map(|d| format!("{} {}", d.code, d.message))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        lint("      nodeSelector:\n        kubernetes.io/arch: amd64\n"),
        Vec::<String>::new()
    );
    let arm = lint("      nodeSelector:\n        kubernetes.io/arch: arm64\n");
    assert!(arm.len() == 1 && arm[0].starts_with("K8S024"), "{arm:#?}");
    let affinity = "      affinity:\n        nodeAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n            nodeSelectorTerms:\n            - matchExpressions:\n              - {key: kubernetes.io/arch, operator: In, values: [arm64]}\n";
    assert_eq!(lint(affinity), arm);
    // A platform the image lacks: K8S023 names it.
    let s390x = lint("      nodeSelector:\n        kubernetes.io/arch: s390x\n");
    assert!(
        s390x.len() == 1 && s390x[0].contains(&format!("`{APP} for linux/s390x`")),
        "{s390x:#?}"
    );
    // Not pinned: the image's default, looked up by reference alone
    // (missing here).
    let free = lint("");
    assert!(
        free.len() == 1 && free[0].starts_with("K8S023"),
        "{free:#?}"
    );
}
