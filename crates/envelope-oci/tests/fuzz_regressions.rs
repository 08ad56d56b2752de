//! Inputs the fuzz targets (fuzz/) found to crash envelope-oci, kept so
//! they never do again.

use std::io::Cursor;

use envelope_oci::tar::{list_members, read_member, write_end, write_header, EntryType, Header};

/// A name too long for ustar whose 100th byte falls inside a character:
/// the header writer sliced the str there and panicked.
#[test]
fn a_long_name_cut_inside_a_character() {
    let name = format!("{}é{}", "a".repeat(99), "b".repeat(60));
    assert!(!name.is_char_boundary(100));
    let mut tar = Vec::new();
    write_header(
        &mut tar,
        &Header {
            path: &name,
            entry: EntryType::File { size: 3 },
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 0,
        },
    )
    .expect("written");
    tar.extend_from_slice(b"abc");
    tar.resize(tar.len().next_multiple_of(512), 0);
    write_end(&mut tar).expect("written");
    let members = list_members(&mut Cursor::new(&tar), 10).expect("lists");
    let m = members
        .get(&name)
        .expect("the whole name, from the PAX header");
    assert_eq!(
        read_member(&mut Cursor::new(&tar), m, 10).expect("reads"),
        b"abc"
    );
}
