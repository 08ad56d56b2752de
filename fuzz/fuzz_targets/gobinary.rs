//! Any bytes through the Go binary readers: ELF/Mach-O/PE address spaces,
//! build info (section, segment scan, inline and pointer formats), the
//! pclntab function and file tables, runtime needs. No panic, no unbounded
//! allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    envelope_golang::fuzz_all(data);
});
