//! The documents validate against the official schemas: SPDX 2.3
//! (tests/schemas/spdx-schema.json) and CycloneDX 1.6 with the two schemas
//! it references (as redistributed by cyclonedx-python-lib), offline.

mod common;

use std::path::Path;
use std::sync::OnceLock;

use jsonschema::{Registry, Validator};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/schemas")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

fn spdx_validator() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| {
        jsonschema::options()
            .offline()
            .should_validate_formats(true)
            .build(&load("spdx-schema.json"))
            .expect("SPDX schema compiles")
    })
}

fn cdx_validator() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| {
        // bom-1.6's $id is http://cyclonedx.org/schema/bom-1.6.schema.json;
        // its relative $refs resolve next to it.
        let registry = Registry::new()
            .add(
                "http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json",
                load("spdx.SNAPSHOT.schema.json"),
            )
            .and_then(|r| {
                r.add(
                    "http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json",
                    load("jsf-0.82.SNAPSHOT.schema.json"),
                )
            })
            .and_then(|r| r.prepare())
            .expect("CycloneDX registry");
        jsonschema::options()
            .offline()
            .should_validate_formats(true)
            .with_registry(&registry)
            .build(&load("bom-1.6.SNAPSHOT.schema.json"))
            .expect("CycloneDX schema compiles")
    })
}

fn errors(v: &Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn assert_valid(v: &Validator, doc: &Value, what: &str) {
    let errs = errors(v, doc);
    assert!(
        errs.is_empty(),
        "{what} is invalid:\n{}\n{doc:#}",
        errs.join("\n")
    );
}

#[test]
fn spdx_documents_are_valid() {
    for (name, input) in common::all() {
        assert_valid(
            spdx_validator(),
            &common::spdx(&input),
            &format!("SPDX of {name}"),
        );
    }
}

#[test]
fn cyclonedx_documents_are_valid() {
    for (name, input) in common::all() {
        assert_valid(
            cdx_validator(),
            &common::cdx(&input),
            &format!("CycloneDX of {name}"),
        );
    }
}

#[test]
fn golden_files_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let read = |f: &str| -> Value {
        serde_json::from_slice(&std::fs::read(dir.join(f)).expect("golden file")).expect("json")
    };
    assert_valid(
        spdx_validator(),
        &read("image.spdx.json"),
        "image.spdx.json",
    );
    assert_valid(cdx_validator(), &read("image.cdx.json"), "image.cdx.json");
}

/// The validators are not vacuous: broken documents fail.
#[test]
fn broken_documents_are_rejected() {
    let input = common::image();

    let good = common::spdx(&input);
    let mut no_version = good.clone();
    no_version
        .as_object_mut()
        .expect("object")
        .remove("spdxVersion");
    assert!(!errors(spdx_validator(), &no_version).is_empty());
    let mut no_pkg_name = good.clone();
    no_pkg_name["packages"][1]
        .as_object_mut()
        .expect("package")
        .remove("name");
    assert!(!errors(spdx_validator(), &no_pkg_name).is_empty());
    let mut bad_relationship = good;
    bad_relationship["relationships"][0]["relationshipType"] = "USES".into();
    assert!(!errors(spdx_validator(), &bad_relationship).is_empty());

    let good = common::cdx(&input);
    let mut no_format = good.clone();
    no_format
        .as_object_mut()
        .expect("object")
        .remove("bomFormat");
    assert!(!errors(cdx_validator(), &no_format).is_empty());
    let mut no_name = good.clone();
    no_name["components"][0]
        .as_object_mut()
        .expect("component")
        .remove("name");
    assert!(!errors(cdx_validator(), &no_name).is_empty());
    let mut bad_hash = good.clone();
    bad_hash["metadata"]["component"]["hashes"][0]["content"] = "xyz".into();
    assert!(!errors(cdx_validator(), &bad_hash).is_empty());
    let mut bad_serial = good.clone();
    bad_serial["serialNumber"] = "urn:uuid:not-a-uuid".into();
    assert!(!errors(cdx_validator(), &bad_serial).is_empty());
    let mut bad_time = good.clone();
    bad_time["metadata"]["timestamp"] = "yesterday".into();
    assert!(
        !errors(cdx_validator(), &bad_time).is_empty(),
        "formats are checked"
    );
    // A license id only the referenced SPDX license schema knows about.
    let mut license = good.clone();
    license["components"][0]["licenses"] = serde_json::json!([{"license": {"id": "MIT"}}]);
    assert!(
        errors(cdx_validator(), &license).is_empty(),
        "spdx.SNAPSHOT resolves"
    );
    license["components"][0]["licenses"] =
        serde_json::json!([{"license": {"id": "Not-A-License"}}]);
    assert!(
        !errors(cdx_validator(), &license).is_empty(),
        "spdx.SNAPSHOT applies"
    );
    // A signature goes through the JSF schema.
    let mut signed = good;
    signed["signature"] = serde_json::json!({"algorithm": "ES256"});
    assert!(!errors(cdx_validator(), &signed).is_empty(), "jsf applies");
}
