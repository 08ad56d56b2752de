//! Provenance from image facts without I/O: the same facts in any order
//! give the same bytes, replacements are named by what replaces them, the
//! check follows, and the parsers take any bytes without panicking.

use std::collections::BTreeMap;

use envelope_attest::image::{ImageBinary, ImageFacts};
use envelope_attest::provenance::{Provenance, ProvenanceInput};
use envelope_attest::{check, check_images, Mismatch, Statement, Subject};
use envelope_oci::{Descriptor, Digest};
use envelope_sbom::{GoBinary, Module};
use proptest::prelude::*;

fn module(path: &str, version: &str, sum: &str) -> Module {
    Module {
        path: path.into(),
        version: version.into(),
        sum: Some(sum.into()),
        replace: None,
    }
}

const SUM_A: &str = "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
const SUM_B: &str = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

fn facts(deps: Vec<Module>) -> ImageFacts {
    let layer = |s: &str| Descriptor {
        media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
        digest: Digest::sha256(s.as_bytes()),
        size: 1,
        urls: None,
        annotations: None,
        platform: None,
        artifact_type: None,
    };
    ImageFacts {
        manifest_digest: Digest::sha256(b"manifest"),
        platform: Some(envelope_oci::Platform::linux_amd64()),
        layers: vec![layer("base"), layer("app")],
        docker_manifest: false,
        annotations: BTreeMap::from([
            (
                "org.opencontainers.image.base.digest".to_string(),
                Digest::sha256(b"base manifest").to_string(),
            ),
            (
                "org.opencontainers.image.base.name".to_string(),
                "registry.example/base".to_string(),
            ),
        ]),
        labels: BTreeMap::from([(
            "org.opencontainers.image.source".to_string(),
            "https://github.com/example/app".to_string(),
        )]),
        created: Some("2024-05-06T07:08:09Z".into()),
        envelope_version: Some("0.1.0".into()),
        base_layer_count: Some(1),
        binaries: vec![ImageBinary {
            package: "example.com/app/cmd/app".into(),
            binary: GoBinary {
                path: "/usr/local/bin/app".into(),
                sha256: None,
                go_version: "go1.26.0".into(),
                main: Module {
                    path: "example.com/app".into(),
                    version: "(devel)".into(),
                    sum: None,
                    replace: None,
                },
                deps,
                settings: vec![
                    ("-tags".into(), "b,a".into()),
                    ("-trimpath".into(), "true".into()),
                    ("CGO_ENABLED".into(), "0".into()),
                    ("GOARCH".into(), "amd64".into()),
                    ("GOOS".into(), "linux".into()),
                    ("vcs.revision".into(), "a".repeat(40)),
                ],
            },
            layer: 1,
        }],
        ca_bundle: None,
        tzdata_layer: None,
        os_packages: Vec::new(),
        warnings: Vec::new(),
    }
}

fn deps() -> Vec<Module> {
    let mut replaced = module("example.com/old", "v1.0.0", SUM_B);
    replaced.replace = Some(Box::new(module("example.com/new", "v1.1.0", SUM_A)));
    vec![
        module("example.com/z", "v0.1.0", SUM_A),
        replaced,
        module("example.com/a", "v2.0.0+incompatible", SUM_B),
    ]
}

#[test]
fn the_same_facts_in_any_order_give_the_same_bytes() {
    let one = facts(deps());
    let mut reversed = deps();
    reversed.reverse();
    let two = facts(reversed);
    let json = |f: &ImageFacts| {
        let p = ProvenanceInput::from_images(std::slice::from_ref(f), None).provenance();
        Statement::new(
            vec![Subject::new("app", &f.manifest_digest)],
            "https://slsa.dev/provenance/v1",
            p.to_value(),
        )
        .to_json()
    };
    assert_eq!(json(&one), json(&two));
    // A program of the base (layer 0) is not this build's.
    let mut with_base_program = one.clone();
    let mut base_program = one.binaries[0].clone();
    base_program.layer = 0;
    base_program.package = "example.com/base/tool".into();
    base_program.binary.path = "/bin/tool".into();
    base_program.binary.go_version = "go1.19".into();
    base_program.binary.deps = vec![module("example.com/other", "v0.0.1", SUM_A)];
    with_base_program.binaries.push(base_program);
    assert_eq!(json(&with_base_program), json(&one));
    let p = ProvenanceInput::from_images(std::slice::from_ref(&one), None).provenance();
    assert!(check(&with_base_program, &p).passed());
    let p = ProvenanceInput::from_images(std::slice::from_ref(&one), None).provenance();
    let v = p.to_value();
    let ext = &v["buildDefinition"]["externalParameters"];
    assert_eq!(ext["flags"]["tags"], serde_json::json!(["a", "b"]));
    assert_eq!(ext["flags"]["trimpath"], true);
    assert_eq!(ext["source"]["revision"], "a".repeat(40));
    assert_eq!(
        ext["base"],
        format!("registry.example/base@{}", Digest::sha256(b"base manifest"))
    );
    assert_eq!(
        v["runDetails"]["metadata"]["startedOn"],
        "2024-05-06T07:08:09Z"
    );
    let modules: Vec<(String, String)> = p
        .go_modules()
        .into_iter()
        .map(|m| (m.path, m.version))
        .collect();
    assert_eq!(
        modules,
        [
            (
                "example.com/a".to_string(),
                "v2.0.0+incompatible".to_string()
            ),
            ("example.com/new".to_string(), "v1.1.0".to_string()),
            ("example.com/z".to_string(), "v0.1.0".to_string()),
        ]
    );
    let ext = p.external().expect("envelope's build type");
    assert_eq!(ext.packages, ["example.com/app/cmd/app"]);
    assert_eq!(ext.platforms, ["linux/amd64"]);
    assert_eq!(
        ext.flags.env.get("CGO_ENABLED").map(String::as_str),
        Some("0")
    );
    let check_ok = check(&one, &p);
    assert!(check_ok.passed(), "{:#?}", check_ok.mismatches);
    assert_eq!(check_ok.base_layers, 1);
}

#[test]
fn an_image_with_other_modules_fails_the_check() {
    let p = ProvenanceInput::from_images(&[facts(deps())], None).provenance();
    let mut other = deps();
    other[0].sum = Some(SUM_B.into());
    let report = check(&facts(other), &p);
    assert_eq!(
        report.mismatches,
        [Mismatch::ModuleHash {
            binary: "/usr/local/bin/app".into(),
            path: "example.com/z".into(),
            version: "v0.1.0".into(),
            expected: Some(SUM_A.into()),
            found: Some(SUM_B.into()),
        }]
    );
    assert!(report.mismatches[0]
        .to_string()
        .contains("example.com/z v0.1.0"));
    // The report's JSON, as `--format json` would print it.
    let v = serde_json::to_value(&report).expect("JSON");
    assert_eq!(v["mismatches"][0]["kind"], "module_hash");
    assert_eq!(v["mismatches"][0]["expected"], SUM_A);
    let mut no_binary = facts(deps());
    no_binary.binaries.clear();
    assert_eq!(check(&no_binary, &p).mismatches, [Mismatch::NoGoBinary]);
}

#[test]
fn another_build_type_is_parsed_but_not_read_as_envelope_s() {
    let v = serde_json::json!({
        "buildDefinition": {"buildType": "https://example.com/other", "externalParameters": {"x": 1}},
        "runDetails": {"builder": {"id": "https://example.com/builder"}}
    });
    let p = Provenance::from_value(v).expect("a provenance");
    assert!(p.external().is_err());
    assert!(p.go_modules().is_empty());
    let no_builder = serde_json::json!({
        "buildDefinition": {"buildType": "x", "externalParameters": {}},
        "runDetails": {"builder": {"id": ""}}
    });
    assert!(Provenance::from_value(no_builder).is_err());
}

proptest! {
    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Statement::parse(&bytes);
        let _ = Provenance::parse(&bytes);
    }

    #[test]
    fn parsers_never_panic_on_near_misses(
        ty in "[a-z:/.0-9]{0,12}",
        hex in "[0-9a-fA-F]{0,70}",
        resolved in proptest::collection::vec(("[a-z./]{0,10}", "[a-z:/@.0-9]{0,16}"), 0..4),
    ) {
        let statement = serde_json::json!({
            "_type": format!("https://in-toto.io/Statement/{ty}"),
            "subject": [{"name": "x", "digest": {"sha256": hex}}],
            "predicateType": ty,
            "predicate": {
                "buildDefinition": {
                    "buildType": ty,
                    "externalParameters": {"packages": ty},
                    "resolvedDependencies": resolved.iter().map(|(n, u)| serde_json::json!({"name": n, "uri": u, "annotations": {"version": 1}})).collect::<Vec<_>>(),
                },
                "runDetails": {"builder": {"id": ty}}
            }
        });
        if let Ok(s) = Statement::parse(&serde_json::to_vec(&statement).unwrap_or_default()) {
            if let Ok(p) = Provenance::from_value(s.predicate) {
                let _ = p.external();
                let _ = check(&facts(deps()), &p);
            }
        }
    }
}

#[test]
fn a_multi_platform_build_names_each_platform_s_base_layers() {
    let amd64 = facts(deps());
    let mut arm64 = facts(deps());
    arm64.platform = Some(envelope_oci::Platform::new("linux", "arm64"));
    arm64.layers[0].digest = Digest::sha256(b"arm64 base");
    arm64.binaries[0]
        .binary
        .deps
        .push(module("example.com/armonly", "v1.0.0", SUM_A));
    let images = [amd64.clone(), arm64.clone()];
    let p = ProvenanceInput::from_images(&images, None).provenance();
    let v = p.to_value();
    let bases: Vec<&serde_json::Value> = v["buildDefinition"]["resolvedDependencies"]
        .as_array()
        .expect("deps")
        .iter()
        .filter(|d| d["name"] == "base-image")
        .collect();
    assert_eq!(bases.len(), 2, "{v:#}");
    assert_eq!(bases[0]["annotations"]["platform"], "linux/amd64");
    assert_eq!(bases[1]["annotations"]["platform"], "linux/arm64");
    assert_eq!(
        bases[1]["annotations"]["layers"][0],
        Digest::sha256(b"arm64 base").to_string()
    );
    assert_eq!(
        v["buildDefinition"]["externalParameters"]["platforms"],
        serde_json::json!(["linux/amd64", "linux/arm64"])
    );
    let report = check_images(&images, &p);
    assert!(report.passed(), "{:#?}", report.mismatches);
    assert_eq!(report.base_layers, 2);
    // One platform alone does not link the other's module.
    assert_eq!(
        check(&amd64, &p).mismatches,
        [Mismatch::ModuleNotInImage {
            path: "example.com/armonly".into(),
            version: "v1.0.0".into(),
        }]
    );
    // Swapped platforms: each image's first layer is not its base's.
    let mut swapped = [amd64, arm64];
    let (a, b) = (swapped[0].layers[0].clone(), swapped[1].layers[0].clone());
    swapped[0].layers[0] = b;
    swapped[1].layers[0] = a;
    let report = check_images(&swapped, &p);
    assert_eq!(report.mismatches.len(), 2, "{:#?}", report.mismatches);
    assert!(report
        .mismatches
        .iter()
        .all(|m| matches!(m, Mismatch::BaseLayer { index: 0, .. })));
}
