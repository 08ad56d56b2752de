//! Every output format on one small report: two findings in one file, one
//! with a fix, messages and a path holding characters each format must
//! escape (quotes, `%`, newlines, `:` and `,`, a space). Each format is a
//! snapshot; the tests around them check that the output does not depend on
//! the order the findings were produced in, and that escaped text reads
//! back as it was written.

use envelope_diagnostics::{
    render, Diagnostic, Edit, Fix, Format, Report, RuleInfo, Severity, Source,
};

const PATH: &str = "svc a/Dockerfile,v1:x";
const TEXT: &str = "FROM golang:1.23 AS build\nRUN go build -o /out/app .\nFROM alpine:latest\nCOPY --from=build /out/app /app\n";

const DF002: RuleInfo = RuleInfo {
    code: "DF002",
    name: "latest-or-no-tag",
    severity: Severity::Warning,
    fixable: false,
    enabled_by_default: true,
    doc: " Base image by a moving tag.\n\n ## What it does\n\n Flags `latest` and missing tags.\n\n ## Why\n\n They move.\n\n ## Example\n\n FROM alpine\n\n ## Fix\n\n Pin a version.\n",
};

const GO003: RuleInfo = RuleInfo {
    code: "GO003",
    name: "no-trimpath",
    severity: Severity::Error,
    fixable: true,
    enabled_by_default: true,
    doc: " Build without -trimpath.\n\n ## What it does\n\n Flags `go build` without `-trimpath`.\n\n ## Why\n\n Paths leak.\n\n ## Example\n\n RUN go build .\n\n ## Fix\n\n Add -trimpath.\n",
};

fn source() -> Source {
    Source::new(PATH, TEXT)
}

/// The finding on line 3: `alpine:latest`.
fn latest() -> Diagnostic {
    let start = TEXT.find("alpine:latest").expect("in text");
    let mut d = Diagnostic::new(
        DF002.code,
        DF002.severity,
        "base \"alpine:latest\" moves: 100% <unpinned>",
    )
    .with_help("pin a version:\nFROM alpine:3.20");
    d.path = PATH.to_string();
    d.span = Some((start, start + "alpine:latest".len()));
    source().locate(&mut d);
    d
}

/// The finding on line 2: `go build`, with a fix.
fn trimpath() -> Diagnostic {
    let start = TEXT.find("go build").expect("in text");
    let end = start + "go build".len();
    let mut d = Diagnostic::new(GO003.code, GO003.severity, "go build without -trimpath")
        .with_help("add -trimpath")
        .with_fix(Fix::safe(
            "add -trimpath",
            vec![Edit::insert(end, " -trimpath")],
        ));
    d.path = PATH.to_string();
    d.span = Some((start, end));
    source().locate(&mut d);
    d
}

fn report(diagnostics: Vec<Diagnostic>) -> Report {
    let mut r = Report {
        diagnostics,
        sources: vec![source()],
        rules: vec![DF002, GO003],
        files_checked: 1,
        skipped: Default::default(),
        tool_version: "0.0.0-test".to_string(),
    };
    r.sort();
    r
}

fn rendered(r: &Report, format: Format, color: bool) -> String {
    let mut out = Vec::new();
    render(r, format, color, &mut out).expect("render");
    String::from_utf8(out).expect("utf-8")
}

const FORMATS: [Format; 5] = [
    Format::Human,
    Format::Concise,
    Format::Json,
    Format::Sarif,
    Format::Github,
];

#[test]
fn human() {
    let out = rendered(&report(vec![latest(), trimpath()]), Format::Human, false);
    assert!(!out.contains('\x1b'), "no color asked:\n{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn human_in_color_styles_without_changing_the_text() {
    let r = report(vec![latest(), trimpath()]);
    let colored = rendered(&r, Format::Human, true);
    assert!(colored.contains("\x1b["), "{colored}");
    let mut plain = String::new();
    let mut rest = colored.as_str();
    while let Some(i) = rest.find("\x1b[") {
        plain.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after.find('m').expect("an SGR sequence ends with m");
        rest = &after[end + 1..];
    }
    plain.push_str(rest);
    assert_eq!(plain, rendered(&r, Format::Human, false));
}

/// A snapshot test per machine-readable format, named after it.
macro_rules! snapshots {
    ($($name:ident: $format:ident,)*) => {$(
        #[test]
        fn $name() {
            let out = rendered(&report(vec![latest(), trimpath()]), Format::$format, false);
            insta::assert_snapshot!(out);
        }
    )*};
}

snapshots! {
    concise: Concise,
    json: Json,
    sarif: Sarif,
    github: Github,
}

#[test]
fn output_does_not_depend_on_the_order_findings_came_in() {
    let ab = report(vec![latest(), trimpath()]);
    let ba = report(vec![trimpath(), latest()]);
    for format in FORMATS {
        let first = rendered(&ab, format, false);
        assert_eq!(first, rendered(&ba, format, false), "{format:?}");
        assert_eq!(first, rendered(&ab, format, false), "{format:?} twice");
        // By position: line 2 (GO003) before line 3 (DF002).
        let go = first.find("GO003").expect("GO003 shown");
        let df = first.find("DF002").expect("DF002 shown");
        let (go, df) = if format == Format::Sarif {
            // The rules come first in SARIF, in the report's order; look
            // at the results.
            let results = first.find("\"results\"").expect("results");
            (
                results + first[results..].find("GO003").expect("GO003 result"),
                results + first[results..].find("DF002").expect("DF002 result"),
            )
        } else {
            (go, df)
        };
        assert!(
            go < df,
            "{format:?}: line 2 must come before line 3:\n{first}"
        );
    }
}

#[test]
fn json_and_sarif_text_reads_back_as_written() {
    let r = report(vec![latest(), trimpath()]);
    let json: serde_json::Value =
        serde_json::from_str(&rendered(&r, Format::Json, false)).expect("JSON parses");
    let messages: Vec<&str> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(messages.contains(&latest().message.as_str()), "{json:#}");
    let sarif: serde_json::Value =
        serde_json::from_str(&rendered(&r, Format::Sarif, false)).expect("SARIF parses");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    let texts: Vec<&str> = results
        .iter()
        .filter_map(|r| r["message"]["text"].as_str())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with(latest().message.as_str())),
        "{texts:?}"
    );
    // A relative path as a URI: the space escaped.
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "svc%20a/Dockerfile,v1:x"
    );
}

#[test]
fn github_annotations_escape_data_and_properties() {
    let out = rendered(&report(vec![latest(), trimpath()]), Format::Github, false);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "one line per finding, newlines escaped:\n{out}"
    );
    let df = lines
        .iter()
        .find(|l| l.contains("title=DF002"))
        .expect("DF002 annotation");
    assert!(
        df.starts_with("::warning file=svc a/Dockerfile%2Cv1%3Ax,"),
        "{df}"
    );
    assert!(df.contains("100%25 <unpinned>"), "{df}");
    assert!(df.contains("%0AFROM alpine:3.20"), "{df}");
    assert!(lines.iter().any(|l| l.starts_with("::error ")), "{out}");
}

#[test]
fn structured_locations_in_every_format() {
    let mut d = latest().with_object_path(2, "spec.template.spec.hostNetwork");
    d.code = DF002.code;
    let mut r = report(vec![d]);
    r.skipped.insert("Service".into(), 2);
    let human = rendered(&r, Format::Human, false);
    assert!(
        human.contains("(document 2, spec.template.spec.hostNetwork)"),
        "{human}"
    );
    assert!(
        human.contains("2 objects of kinds without rules skipped: Service 2"),
        "{human}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&rendered(&r, Format::Json, false)).expect("json");
    assert_eq!(json["diagnostics"][0]["document"], 2);
    assert_eq!(
        json["diagnostics"][0]["object_path"],
        "spec.template.spec.hostNetwork"
    );
    assert_eq!(json["summary"]["skipped"]["Service"], 2);
    let sarif: serde_json::Value =
        serde_json::from_str(&rendered(&r, Format::Sarif, false)).expect("sarif");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(
        result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "spec.template.spec.hostNetwork"
    );
    assert_eq!(result["properties"]["document"], 2);
    let github = rendered(&r, Format::Github, false);
    assert!(
        github.contains("(document 2, spec.template.spec.hostNetwork)"),
        "{github}"
    );
    // Findings without them render as before: no new keys.
    let plain = rendered(&report(vec![latest()]), Format::Json, false);
    assert!(!plain.contains("object_path") && !plain.contains("skipped"));
}
