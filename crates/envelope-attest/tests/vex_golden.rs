//! The OpenVEX writer's output, byte for byte, for findings of every
//! status: the document `envelope scan --format openvex` printed before
//! the writer moved here (tests/fixtures/openvex.json).

use envelope_attest::vex::{openvex_json, VexBinary};
use envelope_vuln::scan::{Finding, Reach};

fn finding(id: &str, module: &str, version: &str, fixed: Option<&str>, reach: Reach) -> Finding {
    Finding {
        id: id.into(),
        aliases: vec![format!("CVE-{id}")],
        summary: format!("summary of {id}"),
        module: module.into(),
        version: version.into(),
        fixed: fixed.map(str::to_string),
        reachability: reach,
        symbols: if reach == Reach::Called {
            vec!["pkg.Sym".into()]
        } else {
            Vec::new()
        },
        packages: vec![format!("{module}/pkg")],
        url: format!("https://pkg.go.dev/vuln/{id}"),
    }
}

fn findings() -> (Vec<Finding>, Vec<Finding>) {
    let a = vec![
        finding("GO-1", "stdlib", "v1.23.4", Some("v1.23.5"), Reach::Called),
        finding(
            "GO-2",
            "example.com/Mod",
            "v1.0.0+incompatible",
            Some("v1.2.0"),
            Reach::Called,
        ),
        finding("GO-3", "example.com/nofix", "v0.1.0", None, Reach::Called),
        finding(
            "GO-4",
            "example.com/imp",
            "v0.3.0",
            Some("v0.4.0"),
            Reach::Imported,
        ),
        finding("GO-5", "example.com/mod", "v2.0.0", None, Reach::Module),
    ];
    let b = vec![finding(
        "GO-6",
        "example.com/imp",
        "v0.3.0",
        None,
        Reach::Imported,
    )];
    (a, b)
}

fn binaries<'a>(a: &'a [Finding], b: &'a [Finding]) -> Vec<VexBinary<'a>> {
    vec![
        VexBinary {
            path: "/usr/local/bin/app",
            main_module: Some("example.com/app"),
            inline_trees: true,
            symbols_known: true,
            findings: a,
        },
        VexBinary {
            path: "/usr/local/bin/tool",
            main_module: None,
            inline_trees: false,
            symbols_known: true,
            findings: b,
        },
    ]
}

#[test]
fn openvex_is_byte_identical_to_the_scan_command_output() {
    let (a, b) = findings();
    let got = openvex_json(&binaries(&a, &b), "2024-01-02T03:04:05Z", "0.1.0");
    let want = include_bytes!("fixtures/openvex.json");
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));

    // The attestation carries the same document under cosign's type.
    let p = envelope_attest::predicates::vex_predicate(
        &binaries(&a, &b),
        "2024-01-02T03:04:05Z",
        "0.1.0",
    );
    assert_eq!(p.predicate_type, "https://openvex.dev/ns");
    assert_eq!(p.document, got);
    assert_eq!(p.predicate["@context"], "https://openvex.dev/ns/v0.2.0");
}
