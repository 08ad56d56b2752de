//! Any bytes as an in-toto statement and as a SLSA provenance predicate
//! (what `envelope verify` reads from an attestation): no panic; a
//! statement that parses prints back to one that parses the same; a
//! provenance that parses can be checked against an image's facts. The
//! same bytes as a verify policy (TOML) and the verified statement as what
//! a policy judges: no panic.
#![no_main]

use std::collections::BTreeMap;

use envelope_attest::image::{ImageBinary, ImageFacts};
use envelope_attest::policy::Policy;
use envelope_attest::verified::Proved;
use envelope_attest::{check, Provenance, Statement};
use envelope_oci::Digest;
use envelope_sbom::{GoBinary, Module};
use libfuzzer_sys::fuzz_target;

fn facts() -> ImageFacts {
    let module = |path: &str, version: &str| Module {
        path: path.into(),
        version: version.into(),
        sum: Some("h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into()),
        replace: None,
    };
    ImageFacts {
        manifest_digest: Digest::sha256(b"manifest"),
        platform: None,
        layers: Vec::new(),
        docker_manifest: false,
        annotations: BTreeMap::new(),
        labels: BTreeMap::new(),
        created: None,
        envelope_version: None,
        base_layer_count: None,
        binaries: vec![ImageBinary {
            package: "example.com/app".into(),
            binary: GoBinary {
                path: "/usr/local/bin/app".into(),
                sha256: None,
                go_version: "go1.26.0".into(),
                main: module("example.com/app", "(devel)"),
                deps: vec![module("example.com/greet", "v1.2.3")],
                settings: Vec::new(),
            },
            layer: 0,
        }],
        ca_bundle: None,
        tzdata_layer: None,
        os_packages: Vec::new(),
        warnings: Vec::new(),
    }
}

fuzz_target!(|data: &[u8]| {
    let policy = std::str::from_utf8(data)
        .ok()
        .and_then(|t| Policy::parse(t).ok());
    if let Some(p) = &policy {
        let _ = p.failures(&Proved::default());
    }
    if let Ok(s) = Statement::parse(data) {
        let mut proved = Proved::of(std::slice::from_ref(&s));
        proved.check(&[facts()]);
        if let Some(p) = &policy {
            let _ = p.failures(&proved);
        }
        let _ = serde_json::to_vec(&proved);
        let again = Statement::parse(&s.to_json()).expect("a printed statement parses");
        assert_eq!(again.subject, s.subject);
        if let Ok(p) = Provenance::from_value(s.predicate) {
            let _ = p.external();
            let _ = check(&facts(), &p);
        }
    }
    if let Ok(p) = Provenance::parse(data) {
        let _ = p.go_modules();
        let report = check(&facts(), &p);
        for m in &report.mismatches {
            let _ = m.to_string();
        }
    }
});
