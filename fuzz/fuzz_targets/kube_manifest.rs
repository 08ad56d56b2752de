//! What `envelope manifest` reads from an image — `config.User`, the
//! image's /etc/passwd and /etc/group — and the ports and names it takes:
//! no panic, and a user it resolves renders into a manifest that runs as
//! that user. Input: USER \0 PASSWD \0 GROUP.
#![no_main]

use envelope_kube::{check_name, render, Port, Workload};
use envelope_lint::audit::ImageFacts;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\0');
    let user = parts.next().unwrap_or_default();
    let mut facts = ImageFacts {
        config: serde_json::json!({"config": {"User": user}}),
        ..ImageFacts::default()
    };
    for file in ["/etc/passwd", "/etc/group"] {
        if let Some(bytes) = parts.next() {
            facts.files.insert(file.to_string(), bytes.as_bytes().to_vec());
        }
    }
    let _ = check_name(user);
    let ports: Vec<Port> = user.split(',').filter_map(|p| Port::parse(p).ok()).collect();
    let Some((uid, gid)) = facts.run_as() else {
        return;
    };
    let w = Workload {
        name: "app".into(),
        namespace: None,
        image: user.to_string(),
        source: user.to_string(),
        user: uid,
        group: gid,
        user_from: user.to_string(),
        ports,
        replicas: 2,
        writes_tmp: Some(user.to_string()),
        health_path: Some(format!("/{user}")),
        pdb: true,
        network_policy: true,
        service_account: true,
    };
    match render(&w) {
        Ok(yaml) => assert!(yaml.contains(&format!("runAsUser: {uid}\n")), "{yaml}"),
        Err(_) => assert!(uid == 0 || user.chars().any(|c| c.is_whitespace() || c.is_control())),
    }
});
