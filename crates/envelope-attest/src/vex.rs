//! OpenVEX 0.2.0 from a vulnerability scan: one writer for
//! `envelope scan --format openvex` and the VEX attestation.
//!
//! Per finding, the product is the binary's main module (by PURL, a
//! generic PURL of the file name without one) and the vulnerable module a
//! subcomponent; the status is `affected` when a vulnerable symbol is
//! called, `under_investigation` when a package is linked but inlined
//! calls could not be read, else `not_affected` with justification
//! `vulnerable_code_not_in_execute_path` (package linked, symbols not) or
//! `vulnerable_code_not_present` (module only).

use envelope_vuln::scan::{Finding, Reach};
use envelope_vuln::semver::shown;
use serde_json::{json, Value};

/// What the VEX document says of one scanned binary.
#[derive(Debug, Clone, Copy)]
pub struct VexBinary<'a> {
    /// Path in the image, or the file given.
    pub path: &'a str,
    /// The main module, when the build info names one.
    pub main_module: Option<&'a str>,
    /// Whether inlined functions could be read.
    pub inline_trees: bool,
    /// Whether the function table could be read.
    pub symbols_known: bool,
    pub findings: &'a [Finding],
}

fn statement(b: &VexBinary<'_>, f: &Finding) -> Value {
    // The main module's PURL; a binary without one is named by its file
    // name.
    let purl = match b.main_module {
        Some(m) => envelope_sbom::purl::golang(m, None),
        None => envelope_sbom::purl::build(
            "generic",
            b.path.rsplit('/').next().unwrap_or(b.path),
            None,
            &[],
        ),
    };
    let product = json!({
        "@id": purl,
        "identifiers": { "purl": purl },
        "subcomponents": [ { "@id": if f.module == "stdlib" {
            format!("pkg:golang/stdlib@{}", f.version.trim_start_matches('v'))
        } else {
            envelope_sbom::purl::golang(&f.module, Some(&f.version))
        } } ],
    });
    let mut map = serde_json::Map::new();
    map.insert(
        "vulnerability".into(),
        json!({ "name": f.id, "aliases": f.aliases, "description": f.summary }),
    );
    map.insert("products".into(), json!([product]));
    if f.reachability == Reach::Called {
        map.insert("status".into(), json!("affected"));
        map.insert(
            "action_statement".into(),
            json!(match &f.fixed {
                Some(v) if f.module == "stdlib" => {
                    format!("rebuild with Go {} or later", shown(&f.module, v))
                }
                Some(v) => format!("upgrade {} to {v} or later", f.module),
                None => format!(
                    "no fixed version of {} yet; avoid {}",
                    f.module,
                    f.symbols.join(", ")
                ),
            }),
        );
    } else if f.reachability == Reach::Imported && !(b.inline_trees && b.symbols_known) {
        // Inlined calls could not be seen: not proven either way.
        map.insert("status".into(), json!("under_investigation"));
        map.insert(
            "status_notes".into(),
            json!(format!(
                "{} links {} but its inlined functions could not be read",
                b.path,
                f.packages.join(", ")
            )),
        );
    } else {
        map.insert("status".into(), json!("not_affected"));
        map.insert(
            "justification".into(),
            json!(if f.reachability == Reach::Module {
                "vulnerable_code_not_present"
            } else {
                "vulnerable_code_not_in_execute_path"
            }),
        );
        map.insert(
            "impact_statement".into(),
            json!(format!(
                "{} is in {} but {}: none of the vulnerable symbols is in the binary",
                f.module,
                b.path,
                match f.reachability {
                    Reach::Imported => "only its package is linked",
                    _ => "none of its vulnerable packages is linked",
                }
            )),
        );
    }
    Value::Object(map)
}

/// The OpenVEX document of `binaries`' findings. `timestamp` is RFC 3339
/// (SOURCE_DATE_EPOCH or the database's modified time, never the clock);
/// `tool_version` names the envelope that wrote it. The `@id` is derived
/// from the statements, so the same findings give the same document.
pub fn openvex(binaries: &[VexBinary<'_>], timestamp: &str, tool_version: &str) -> Value {
    let statements: Vec<Value> = binaries
        .iter()
        .flat_map(|b| b.findings.iter().map(move |f| statement(b, f)))
        .collect();
    let body = serde_json::to_vec(&statements).unwrap_or_default();
    let id = envelope_oci::Digest::sha256(&body).hex().to_string();
    json!({
        "@context": crate::predicates::OPENVEX_CONTEXT,
        "@id": format!("https://envelope.dev/vex/{id}"),
        "author": "envelope",
        "timestamp": timestamp,
        "version": 1,
        "tooling": format!("envelope {tool_version}"),
        "statements": statements,
    })
}

/// [`openvex`] as envelope prints it: pretty JSON and a newline.
pub fn openvex_json(binaries: &[VexBinary<'_>], timestamp: &str, tool_version: &str) -> Vec<u8> {
    let mut out =
        serde_json::to_vec_pretty(&openvex(binaries, timestamp, tool_version)).unwrap_or_default();
    out.push(b'\n');
    out
}
