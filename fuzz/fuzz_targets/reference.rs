//! Any text through the one image-reference parser and the platform
//! parser: no panic; what the strict readers accept prints back to a
//! reference that parses to the same value, and the lenient split never
//! loses a byte.
#![no_main]

use envelope_oci::{normalize_docker_reference, ImageRef, Platform, ReferenceParts, RegistryRef};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parts = ReferenceParts::split(text);
    let _ = parts.check();
    let joined = parts.host.map_or(0, |h| h.len() + 1)
        + parts.path.len()
        + parts.tag.map_or(0, |t| t.len() + 1)
        + parts.digest.map_or(0, |d| d.len() + 1);
    assert_eq!(joined, text.len(), "{text:?} split into {parts:?}");
    if let Ok(r) = text.parse::<RegistryRef>() {
        let again: RegistryRef = r.to_string().parse().expect("a printed reference parses");
        assert_eq!(again, r);
    }
    if let Ok(r) = text.parse::<ImageRef>() {
        let _ = r.to_string();
    }
    let _ = normalize_docker_reference(text);
    if let Ok(p) = text.parse::<Platform>() {
        assert_eq!(p.to_string().parse::<Platform>().expect("reparses"), p);
    }
});
