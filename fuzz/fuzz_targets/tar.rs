//! Any bytes through the one tar reader: entry by entry (data read in
//! part, the rest passed over, read through and by seeking), as an image
//! archive's member list, and as a layer of the filesystem index (read
//! through, and seekable). No panic, members that lie inside the input,
//! and both ways of passing over data agreeing.
#![no_main]

use std::io::{Cursor, Read};

use envelope_layer::fs::{index_layers, LayerInput, Limits, NoContent};
use envelope_oci::tar::read::{Reader, Seekable, Skip};
use envelope_oci::tar::{list_members, read_member};
use libfuzzer_sys::fuzz_target;

/// Entries (name, size, data offset) up to the end or the first error,
/// reading `part` bytes of each entry's data.
fn walk<S: Skip>(src: S, part: u64) -> (Vec<(Vec<u8>, u64, u64)>, bool) {
    let mut tar = Reader::new(src, 1 << 16);
    let mut out = Vec::new();
    loop {
        match tar.next_entry() {
            Ok(Some(e)) => {
                let mut sink = Vec::new();
                let _ = tar.data().take(part).read_to_end(&mut sink);
                assert!(sink.len() as u64 <= e.data_len.min(part));
                out.push((e.name, e.size, e.data_offset));
            }
            Ok(None) => return (out, true),
            Err(_) => return (out, false),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let len = data.len() as u64;
    let part = data.first().map_or(0, |&b| u64::from(b) * 7);
    let (read, read_ok) = walk(data, part);
    let (seeked, seeked_ok) = walk(Seekable::new(Cursor::new(data)), part);
    assert_eq!(read, seeked);
    assert_eq!(read_ok, seeked_ok);
    for (_, _, at) in &read {
        assert!(*at <= len);
    }

    if let Ok(members) = list_members(&mut Cursor::new(data), 10_000) {
        for m in members.values() {
            assert!(m.offset.checked_add(m.size).is_some_and(|end| end <= len));
            let bytes = read_member(&mut Cursor::new(data), m, len).expect("inside the input");
            assert_eq!(bytes.len() as u64, m.size);
        }
    }

    let limits = Limits {
        max_entries: 10_000,
        max_layer_bytes: 1 << 24,
        max_header_bytes: 1 << 16,
    };
    let _ = index_layers(
        vec![LayerInput::new(Cursor::new(data.to_vec()), None)],
        &mut NoContent,
        &limits,
    );
    let _ = index_layers(
        vec![LayerInput::seekable(Cursor::new(data.to_vec()))],
        &mut NoContent,
        &limits,
    );
});
