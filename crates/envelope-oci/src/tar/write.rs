//! The POSIX ustar header encoder every tar envelope writes goes through
//! (layers and archives): explicit mode, owner and mtime, empty user and
//! group names, a PAX extended header only when a path or link target is
//! too long for ustar or a size too large, and correct checksums.

use std::io::{self, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryType<'a> {
    File { size: u64 },
    Dir,
    Symlink { target: &'a str },
    Hardlink { target: &'a str },
}

#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    /// Relative path; directories end with '/'.
    pub path: &'a str,
    pub entry: EntryType<'a>,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: u64,
}

const MAX_OCTAL_11: u64 = 0o77_777_777_777;

fn octal(field: &mut [u8], value: u64) {
    // width-1 digits then NUL, as GNU tar writes them.
    let digits = field.len() - 1;
    let s = format!("{value:0digits$o}");
    field[..digits].copy_from_slice(&s.as_bytes()[s.len() - digits..]);
    field[digits] = 0;
}

/// Splits a long path into ustar's prefix (155) and name (100) fields.
fn split_ustar(path: &str) -> Option<(&str, &str)> {
    if path.len() <= 100 {
        return Some(("", path));
    }
    let bytes = path.as_bytes();
    // The split must be at a '/', with the name part non-empty.
    for i in (0..bytes.len().min(156)).rev() {
        if bytes[i] == b'/' && path.len() - i - 1 <= 100 && i <= 155 && i + 1 < path.len() {
            return Some((&path[..i], &path[i + 1..]));
        }
    }
    None
}

fn raw_header(
    name: &str,
    prefix: &str,
    typeflag: u8,
    size: u64,
    h: &Header<'_>,
    link: &str,
) -> [u8; 512] {
    let mut b = [0u8; 512];
    let n = name.as_bytes();
    b[..n.len().min(100)].copy_from_slice(&n[..n.len().min(100)]);
    octal(&mut b[100..108], u64::from(h.mode & 0o7777));
    octal(&mut b[108..116], u64::from(h.uid));
    octal(&mut b[116..124], u64::from(h.gid));
    octal(&mut b[124..136], size.min(MAX_OCTAL_11));
    octal(&mut b[136..148], h.mtime.min(MAX_OCTAL_11));
    b[156] = typeflag;
    let l = link.as_bytes();
    b[157..157 + l.len().min(100)].copy_from_slice(&l[..l.len().min(100)]);
    b[257..263].copy_from_slice(b"ustar\0");
    b[263..265].copy_from_slice(b"00");
    octal(&mut b[329..337], 0);
    octal(&mut b[337..345], 0);
    let p = prefix.as_bytes();
    b[345..345 + p.len().min(155)].copy_from_slice(&p[..p.len().min(155)]);
    b[148..156].copy_from_slice(b"        ");
    let sum: u32 = b.iter().map(|&x| u32::from(x)).sum();
    let s = format!("{sum:06o}\0 ");
    b[148..156].copy_from_slice(s.as_bytes());
    b
}

fn pax_record(key: &str, value: &str) -> String {
    // The length prefix counts itself.
    let base = key.len() + value.len() + 3;
    let mut len = base + base.to_string().len();
    if len.to_string().len() != base.to_string().len() {
        len = base + len.to_string().len();
    }
    format!("{len} {key}={value}\n")
}

/// Writes the header (and a PAX header before it when needed). The caller
/// writes the file data and then `padding(size)` zero bytes.
pub fn write_header(w: &mut impl Write, h: &Header<'_>) -> io::Result<u64> {
    let (typeflag, size, link) = match h.entry {
        EntryType::File { size } => (b'0', size, ""),
        EntryType::Dir => (b'5', 0, ""),
        EntryType::Symlink { target } => (b'2', 0, target),
        EntryType::Hardlink { target } => (b'1', 0, target),
    };
    let split = split_ustar(h.path);
    let mut pax = String::new();
    if split.is_none() {
        pax.push_str(&pax_record("path", h.path));
    }
    if link.len() > 100 {
        pax.push_str(&pax_record("linkpath", link));
    }
    if size > MAX_OCTAL_11 {
        pax.push_str(&pax_record("size", &size.to_string()));
    }
    let mut written = 0u64;
    if !pax.is_empty() {
        let pax_name: String = format!("PaxHeaders/{}", h.path.trim_end_matches('/'))
            .chars()
            .rev()
            .take(99)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let ph = raw_header(&pax_name, "", b'x', pax.len() as u64, h, "");
        w.write_all(&ph)?;
        w.write_all(pax.as_bytes())?;
        w.write_all(&vec![0u8; padding(pax.len() as u64)])?;
        written += 512 + pax.len() as u64 + padding(pax.len() as u64) as u64;
    }
    // A name too long for ustar is in the PAX header; raw_header keeps
    // the first 100 bytes of it (slicing the str could split a character).
    let (prefix, name) = split.unwrap_or(("", h.path));
    w.write_all(&raw_header(name, prefix, typeflag, size, h, link))?;
    Ok(written + 512)
}

/// Zero bytes after `size` bytes of data, to the next 512-byte block.
pub fn padding(size: u64) -> usize {
    ((512 - size % 512) % 512) as usize
}

/// The end-of-archive marker: two zero blocks.
pub fn write_end(w: &mut impl Write) -> io::Result<u64> {
    w.write_all(&[0u8; 1024])?;
    Ok(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_lengths_count_themselves() {
        for v in ["a", &"x".repeat(90), &"y".repeat(95), &"z".repeat(1000)] {
            let r = pax_record("path", v);
            let (n, _) = r.split_once(' ').expect("space");
            assert_eq!(n.parse::<usize>().expect("number"), r.len(), "{r}");
        }
    }

    #[test]
    fn long_paths_split_or_use_pax() {
        let p = format!("{}/{}", "d".repeat(120), "f".repeat(50));
        assert_eq!(split_ustar(&p), Some((&p[..120], &p[121..])));
        assert_eq!(split_ustar(&"x".repeat(300)), None);
    }
}
