//! hadolint's suppression comments, honoured so that a project moving from
//! hadolint keeps its suppressions: `# hadolint ignore=DL3006,DL3008` above
//! an instruction and `# hadolint global ignore=DL3059` anywhere in the
//! file. Each hadolint code stands for the envelope rules that report the
//! same problem ([`EQUIVALENTS`], the table docs/lint-vs-hadolint.md shows);
//! codes with no equivalent (most DL codes, every ShellCheck SC code) silence
//! nothing and are not errors: they belong to another tool.

/// hadolint code → the envelope rules that report the same problem. One
/// envelope rule may cover several hadolint codes (DF010 is hadolint's
/// DL3004, DL3009, DL3015 and DL3019 together).
pub const EQUIVALENTS: &[(&str, &[&str])] = &[
    ("DL3002", &["DF003"]),
    ("DL3004", &["DF010"]),
    ("DL3006", &["DF002"]),
    ("DL3007", &["DF002"]),
    ("DL3009", &["DF010"]),
    ("DL3015", &["DF010"]),
    ("DL3019", &["DF010"]),
    ("DL3020", &["DF007"]),
    ("DL3025", &["DF006"]),
    ("DL3026", &["DF013"]),
    ("DL3049", &["DF009"]),
    ("DL3057", &["DF012"]),
    ("DL3062", &["GO007"]),
    ("DL3064", &["DF004"]),
];

/// The envelope codes a hadolint code stands for (none for most).
pub fn equivalents(code: &str) -> &'static [&'static str] {
    EQUIVALENTS
        .iter()
        .find(|(h, _)| *h == code)
        .map_or(&[], |(_, e)| e)
}

/// An ignore pragma: `global` or for the next line, and its codes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Pragma<'a> {
    pub global: bool,
    pub codes: Vec<&'a str>,
}

const SPACE: [char; 2] = [' ', '\t'];

/// Reads a comment's text (what follows `#`) as hadolint does: `hadolint`,
/// optionally `global`, `ignore`, `=`, then codes made of `DLSC0-9`
/// separated by commas, with spaces or tabs allowed around `=` and the
/// commas and an optional `# remark` at the end. Anything else is not a
/// pragma (hadolint ignores it too).
pub(crate) fn parse(comment: &str) -> Option<Pragma<'_>> {
    let rest = comment.trim_start_matches(SPACE).strip_prefix("hadolint")?;
    let mut rest = spaces1(rest)?;
    let global = match rest.strip_prefix("global") {
        Some(r) => {
            rest = spaces1(r)?;
            true
        }
        None => false,
    };
    let mut rest = rest
        .strip_prefix("ignore")?
        .trim_start_matches(SPACE)
        .strip_prefix('=')?
        .trim_start_matches(SPACE);
    let mut codes = Vec::new();
    loop {
        let end = rest
            .find(|c: char| !matches!(c, 'D' | 'L' | 'S' | 'C' | '0'..='9'))
            .unwrap_or(rest.len());
        if end == 0 {
            return None;
        }
        codes.push(&rest[..end]);
        rest = rest[end..].trim_start_matches(SPACE);
        if rest.starts_with('#') {
            rest = "";
        }
        match rest.strip_prefix(',') {
            Some(r) => rest = r.trim_start_matches(SPACE),
            None => break,
        }
    }
    rest.is_empty().then_some(Pragma { global, codes })
}

/// At least one space or tab, then what follows.
fn spaces1(s: &str) -> Option<&str> {
    let rest = s.trim_start_matches(SPACE);
    (rest.len() < s.len()).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(s: &str) -> Option<(bool, Vec<&str>)> {
        parse(s).map(|p| (p.global, p.codes))
    }

    #[test]
    fn pragmas_parse_as_hadolint_parses_them() {
        assert_eq!(
            codes("hadolint ignore=DL3006"),
            Some((false, vec!["DL3006"]))
        );
        assert_eq!(
            codes("hadolint ignore=DL3023, DL3021"),
            Some((false, vec!["DL3023", "DL3021"]))
        );
        assert_eq!(
            codes("hadolint global ignore = DL3023 , SC2086"),
            Some((true, vec!["DL3023", "SC2086"]))
        );
        assert_eq!(
            codes("hadolint ignore=DL3008 # pinned by the base image"),
            Some((false, vec!["DL3008"]))
        );
        assert_eq!(
            codes("\thadolint\tignore=DL3008"),
            Some((false, vec!["DL3008"]))
        );
        // Not pragmas, for hadolint either.
        for s in [
            "hadolint ignore=",
            "hadolint ignore=DL3008 because",
            "hadolint ignore=dl3008",
            "hadolint ignore=DL3008,",
            "hadolintignore=DL3008",
            "hadolint globalignore=DL3008",
            "hadolint shell=bash",
            "envelope: ignore=DF001",
            "hadolint ignore=crazy,DL3002",
            "",
        ] {
            assert_eq!(codes(s), None, "{s:?}");
        }
    }

    #[test]
    fn unmapped_codes_have_no_equivalent() {
        assert_eq!(equivalents("DL3006"), ["DF002"]);
        assert!(equivalents("DL3008").is_empty());
        assert!(equivalents("SC2086").is_empty());
        assert!(equivalents("").is_empty());
    }
}
