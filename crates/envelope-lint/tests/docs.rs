//! docs/rules/ is generated from the rules' doc comments; this test fails
//! when it is stale. `ENVELOPE_UPDATE_DOCS=1 cargo test -p envelope-lint
//! --test docs` rewrites it.

use std::collections::BTreeMap;
use std::path::Path;

use envelope_lint::all_infos;

fn expected() -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut index = String::from(
        "# Rules\n\nGenerated from the rules' doc comments; `envelope rules` lists them and\n`envelope rule CODE` prints one. Codes never change meaning. `DF` and `GO`\nrules lint Dockerfiles and `K8S` rules Kubernetes manifests (`envelope\nlint`, see [kubernetes.md](../kubernetes.md)); `IM` and `GB` checks audit\nimages and the binaries in them (`envelope audit`).\n\n| Code | Name | Severity | Fix | Default | What it does |\n|---|---|---|---|---|---|\n",
    );
    for i in all_infos() {
        index.push_str(&format!(
            "| [{code}]({code}.md) | {} | {} | {} | {} | {} |\n",
            i.name,
            i.severity.as_str(),
            if i.fixable { "yes" } else { "" },
            if i.enabled_by_default { "on" } else { "off" },
            i.summary().replace('|', "\\|"),
            code = i.code,
        ));
        files.insert(format!("{}.md", i.code), i.markdown());
    }
    files.insert("README.md".to_string(), index);
    files
}

#[test]
fn docs_rules_match_the_doc_comments() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules");
    let files = expected();
    if std::env::var_os("ENVELOPE_UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(&dir).expect("mkdir");
        for entry in std::fs::read_dir(&dir).expect("read").flatten() {
            if !files.contains_key(&entry.file_name().to_string_lossy().to_string()) {
                std::fs::remove_file(entry.path()).expect("remove stale");
            }
        }
        for (name, text) in &files {
            std::fs::write(dir.join(name), text).expect("write");
        }
        return;
    }
    let mut stale = Vec::new();
    for (name, text) in &files {
        if std::fs::read_to_string(dir.join(name)).ok().as_deref() != Some(text.as_str()) {
            stale.push(name.clone());
        }
    }
    let present = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    for p in present {
        if !files.contains_key(&p) {
            stale.push(format!("{p} (no such rule)"));
        }
    }
    assert!(
        stale.is_empty(),
        "docs/rules is stale: {stale:?}; run ENVELOPE_UPDATE_DOCS=1 cargo test -p envelope-lint --test docs"
    );
}
