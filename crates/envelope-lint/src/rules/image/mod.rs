//! Image audit checks. `IM` codes are about the image: its config and
//! files; `GB` codes are about the Go (and other ELF) binaries inside.

pub mod gb001;
pub mod gb002;
pub mod gb003;
pub mod gb004;
pub mod gb005;
pub mod gb006;
pub mod gb007;
pub mod im001;
pub mod im002;
pub mod im003;
pub mod im004;
pub mod im005;
pub mod im006;
pub mod im007;
pub mod im008;
pub mod im009;
pub mod im010;
pub mod im011;
pub mod im012;
pub mod im013;
pub mod im014;
