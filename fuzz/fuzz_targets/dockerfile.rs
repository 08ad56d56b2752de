//! Any bytes through the Dockerfile parser and every lint rule, fixes
//! included: no panic, spans inside the text, fixes that keep it parseable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let df = envelope_dockerfile::parse(data);
    for i in &df.instructions {
        assert!(i.span.end <= df.source.len());
        for c in i.commands() {
            for w in &c.words {
                assert!(w.span.end <= df.source.len());
            }
        }
    }
    let settings = envelope_lint::Settings {
        select: Some(vec!["ALL".into()]),
        // Every fix, the unsafe ones included.
        unsafe_fixes: true,
        ..Default::default()
    };
    if let Ok((text, _, _)) = envelope_lint::fix("Dockerfile", data, None, &settings) {
        let _ = envelope_dockerfile::parse(text.as_bytes());
    }
});
