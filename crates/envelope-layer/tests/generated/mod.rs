//! Tar layers generated while they are read, never held whole: for the
//! memory tests, whose layers are larger than the memory they may use.

use std::io::Read;

fn octal(field: &mut [u8], v: u64) {
    let w = field.len() - 1;
    let s = format!("{v:0w$o}");
    field[..w].copy_from_slice(s.as_bytes());
    field[w] = 0;
}

pub fn header(name: &str, typeflag: u8, size: u64) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 0);
    h[156] = typeflag;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

/// A tar produced on the fly from (header, data size) pairs, the data
/// zeros, ended by an end-of-archive marker.
pub struct Generated {
    entries: Box<dyn Iterator<Item = ([u8; 512], u64)> + Send>,
    head: Vec<u8>,
    head_at: usize,
    zeros_left: u64,
    ended: bool,
}

impl Generated {
    pub fn new(entries: Box<dyn Iterator<Item = ([u8; 512], u64)> + Send>) -> Self {
        Generated {
            entries,
            head: Vec::new(),
            head_at: 0,
            zeros_left: 0,
            ended: false,
        }
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if self.head_at < self.head.len() {
                let n = buf.len().min(self.head.len() - self.head_at);
                buf[..n].copy_from_slice(&self.head[self.head_at..self.head_at + n]);
                self.head_at += n;
                return Ok(n);
            }
            if self.zeros_left > 0 {
                let n = buf
                    .len()
                    .min(usize::try_from(self.zeros_left).unwrap_or(usize::MAX));
                buf[..n].fill(0);
                self.zeros_left -= n as u64;
                return Ok(n);
            }
            match self.entries.next() {
                Some((h, size)) => {
                    self.head = h.to_vec();
                    self.head_at = 0;
                    self.zeros_left = size + (512 - size % 512) % 512;
                }
                None if !self.ended => {
                    self.ended = true;
                    self.head = vec![0u8; 1024];
                    self.head_at = 0;
                }
                None => return Ok(0),
            }
        }
    }
}

/// The process's peak resident memory so far, in KiB (Linux).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
