//! Go semver ordering and conversions, table-driven, plus properties of
//! `compare` on random strings.

use std::cmp::Ordering;

use envelope_vuln::semver::{
    canonical, compare, compare_osv, go_toolchain_to_semver, is_valid, semver_to_go_toolchain,
};
use proptest::prelude::*;

/// Groups of equal versions, in ascending order.
const ORDER: &[&[&str]] = &[
    // Invalid strings: all equal, below everything valid.
    &[
        "",
        "v",
        "1.0.0",
        "bad",
        "v01.0.0",
        "v1.2.3.4",
        "v1.2-pre",
        "v1.0.0-01",
        "v1.0.0-",
        "go1.21.0",
        "(devel)",
    ],
    &["v0.0.0-20191109021931-daa7c04131f5"],
    &["v0.0.0-20200101000000-abcdefabcdef"],
    &["v0", "v0.0", "v0.0.0", "v0.0.0+meta"],
    &["v0.1.0"],
    &["v0.3.7"],
    &["v0.3.8-0.20220101000000-0123456789ab"],
    &["v0.3.8"],
    &["v0.9.99"],
    &["v1.0.0-0"],
    &["v1.0.0-0.3.7"],
    &["v1.0.0-9"],
    &["v1.0.0-10"],
    &["v1.0.0-1a"],
    &["v1.0.0-alpha"],
    &["v1.0.0-alpha.1"],
    &["v1.0.0-alpha.beta"],
    &["v1.0.0-beta"],
    &["v1.0.0-beta.2"],
    &["v1.0.0-beta.11"],
    &["v1.0.0-rc.1", "v1.0.0-rc.1+build.5"],
    &[
        "v1",
        "v1.0",
        "v1.0.0",
        "v1.0.0+build",
        "v1.0.0+incompatible",
    ],
    &["v1.0.1-0.20191109021931-daa7c04131f5"],
    &["v1.0.1"],
    &["v1.1.0"],
    &["v1.2", "v1.2.0"],
    &["v1.2.3-pre"],
    &["v1.2.3-pre.0.20191109021931-daa7c04131f5"],
    &["v1.2.3-pre.1"],
    &["v1.2.3"],
    &["v1.2.4-0.20191109021931-daa7c04131f5"],
    &["v1.2.4-rc.1"],
    &["v1.2.4"],
    &["v1.9.0"],
    &["v1.10.0"],
    &["v1.21.0-rc.2"],
    &["v1.21.0"],
    &["v2", "v2.0.0", "v2.0.0+incompatible"],
    &["v10.0.0"],
    &["v18446744073709551616.0.0"],
    &["v99999999999999999999999.0.0"],
];

#[test]
fn ordering_table() {
    let flat: Vec<(usize, &str)> = ORDER
        .iter()
        .enumerate()
        .flat_map(|(i, g)| g.iter().map(move |v| (i, *v)))
        .collect();
    let mut checked = 0;
    for &(i, a) in &flat {
        for &(j, b) in &flat {
            assert_eq!(compare(a, b), i.cmp(&j), "compare({a:?}, {b:?})");
            checked += 1;
        }
        assert_eq!(is_valid(a), i > 0, "is_valid({a:?})");
    }
    assert!(checked > 3000);
}

#[test]
fn pseudo_versions_are_prereleases() {
    // A pseudo-version for a commit after v1.2.3 sorts after it and
    // before v1.2.4, so a fix released as v1.2.4 covers it only once
    // released.
    let pseudo = "v1.2.4-0.20191109021931-daa7c04131f5";
    assert_eq!(compare(pseudo, "v1.2.3"), Ordering::Greater);
    assert_eq!(compare(pseudo, "v1.2.4"), Ordering::Less);
    assert_eq!(compare_osv(pseudo, "1.2.4"), Ordering::Less);
    // Later commits sort later.
    assert_eq!(
        compare(pseudo, "v1.2.4-0.20200101000000-000000000000"),
        Ordering::Less
    );
    // With no tag before it.
    assert_eq!(
        compare("v0.0.0-20191109021931-daa7c04131f5", "v0.0.1"),
        Ordering::Less
    );
    assert_eq!(
        compare_osv("v0.0.0-20191109021931-daa7c04131f5", "0"),
        Ordering::Less
    );
}

#[test]
fn osv_versions() {
    let cases = [
        ("v0.3.7", "0.3.8", Ordering::Less),
        ("v0.3.8", "0.3.8", Ordering::Equal),
        ("v0.3.9", "0.3.8", Ordering::Greater),
        ("v0.0.0", "0", Ordering::Equal),
        ("v0.0.1", "0", Ordering::Greater),
        ("v1.24.0-rc.1", "1.24.0-rc.2", Ordering::Less),
        ("v1.24.0-rc.1", "1.24.0-0", Ordering::Greater),
        ("v2.0.0+incompatible", "2.0.0", Ordering::Equal),
        ("v1.2.3", "v1.2.3", Ordering::Equal),
        ("bad", "1.0.0", Ordering::Less),
    ];
    for (m, o, want) in cases {
        assert_eq!(compare_osv(m, o), want, "compare_osv({m:?}, {o:?})");
    }
}

#[test]
fn toolchain_to_semver() {
    let cases = [
        ("go1", Some("v1.0.0")),
        ("go1.0", Some("v1.0.0")),
        ("go1.9.2", Some("v1.9.2")),
        ("go1.20", Some("v1.20.0")),
        ("go1.21.0", Some("v1.21.0")),
        ("go1.21.3", Some("v1.21.3")),
        ("go1.21rc2", Some("v1.21.0-rc.2")),
        ("go1.19beta1", Some("v1.19.0-beta.1")),
        ("go1.9.2rc2", Some("v1.9.2-rc.2")),
        ("go1.23.5 X:boringcrypto", Some("v1.23.5")),
        ("go1.22.0-bigcorp", Some("v1.22.0")),
        (
            "go1.24.1-20250301-RC00 cl/123 +abc X:fieldtrack",
            Some("v1.24.1"),
        ),
        ("devel go1.24-3f2a1b Tue Jan 1 00:00:00 2025 +0000", None),
        ("devel +b7a1b7e", None),
        ("", None),
        ("go", None),
        ("go1.", None),
        ("go1.21.", None),
        ("go1.021", None),
        ("go1.21gamma1", None),
        ("go1.21rc", None),
        ("1.21.0", None),
    ];
    for (tag, want) in cases {
        assert_eq!(
            go_toolchain_to_semver(tag).as_deref(),
            want,
            "go_toolchain_to_semver({tag:?})"
        );
    }
}

#[test]
fn semver_to_toolchain() {
    let cases = [
        ("v1.0.0", Some("go1")),
        ("v1.9.2", Some("go1.9.2")),
        ("v1.20.0", Some("go1.20")),
        ("v1.21.0", Some("go1.21.0")),
        ("v1.23.6", Some("go1.23.6")),
        ("v1.21.0-rc.2", Some("go1.21rc2")),
        ("v1.19.0-beta.1", Some("go1.19beta1")),
        ("v1.9.2-rc.2", Some("go1.9.2rc2")),
        ("v1.2.3-pre", None),
        ("bad", None),
    ];
    for (v, want) in cases {
        assert_eq!(
            semver_to_go_toolchain(v).as_deref(),
            want,
            "semver_to_go_toolchain({v:?})"
        );
        if let Some(tag) = want {
            // Round trip.
            assert_eq!(
                go_toolchain_to_semver(tag).as_deref(),
                canonical(v).as_deref()
            );
        }
    }
}

/// Version-like strings: mostly valid, with the pitfalls (leading zeros,
/// empty identifiers, shorthands) mixed in, and some noise.
fn version_strategy() -> impl Strategy<Value = String> {
    let num = prop_oneof![
        Just("0".to_string()),
        Just("1".to_string()),
        Just("2".to_string()),
        Just("10".to_string()),
        Just("01".to_string()),
        "[0-9]{1,3}",
        "[0-9]{19,22}",
    ];
    let ident = prop_oneof![
        "[0-9]{1,2}",
        "[a-z]{1,3}",
        Just("rc".to_string()),
        Just("0".to_string()),
        Just("20191109021931-daa7c04131f5".to_string()),
        Just(String::new()),
        "[a-zA-Z0-9-]{1,4}",
    ];
    let pre = proptest::collection::vec(ident.clone(), 0..4);
    let build = proptest::collection::vec(ident, 0..2);
    let structured = (
        prop_oneof![4 => Just("v"), 1 => Just(""), 1 => Just("V")],
        num.clone(),
        proptest::option::of(num.clone()),
        proptest::option::of(num),
        proptest::option::of(pre),
        proptest::option::of(build),
    )
        .prop_map(|(v, major, minor, patch, pre, build)| {
            let mut s = format!("{v}{major}");
            if let Some(m) = minor {
                s.push('.');
                s.push_str(&m);
                if let Some(p) = patch {
                    s.push('.');
                    s.push_str(&p);
                }
            }
            if let Some(p) = pre {
                s.push('-');
                s.push_str(&p.join("."));
            }
            if let Some(b) = build {
                s.push('+');
                s.push_str(&b.join("."));
            }
            s
        });
    prop_oneof![9 => structured, 1 => ".{0,12}"]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn compare_is_antisymmetric_and_reflexive(a in version_strategy(), b in version_strategy()) {
        prop_assert_eq!(compare(&a, &a), Ordering::Equal);
        prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
        if let Some(c) = canonical(&a) {
            prop_assert!(is_valid(&c));
            prop_assert_eq!(compare(&a, &c), Ordering::Equal);
        } else {
            prop_assert!(!is_valid(&a));
        }
    }

    #[test]
    fn compare_is_transitive(a in version_strategy(), b in version_strategy(), c in version_strategy()) {
        let (ab, bc, ac) = (compare(&a, &b), compare(&b, &c), compare(&a, &c));
        if ab != Ordering::Greater && bc != Ordering::Greater {
            prop_assert_ne!(ac, Ordering::Greater, "{} <= {} <= {}", a, b, c);
        }
        if ab == Ordering::Equal && bc == Ordering::Equal {
            prop_assert_eq!(ac, Ordering::Equal);
        }
        if ab == Ordering::Less && bc != Ordering::Greater {
            prop_assert_eq!(ac, Ordering::Less);
        }
    }

    #[test]
    fn toolchain_conversion_never_panics(s in ".{0,24}") {
        if let Some(v) = go_toolchain_to_semver(&s) {
            prop_assert!(is_valid(&v), "{} -> {}", s, v);
        }
        let _ = semver_to_go_toolchain(&s);
    }

    #[test]
    fn toolchain_roundtrip(minor in 0u32..40, patch in 0u32..20, pre in proptest::option::of((prop_oneof![Just("rc"), Just("beta")], 1u32..5))) {
        let tag = match pre {
            Some((kind, n)) if patch == 0 => format!("go1.{minor}{kind}{n}"),
            Some(_) | None => if patch == 0 && minor < 21 { format!("go1.{minor}") } else { format!("go1.{minor}.{patch}") },
        };
        let tag = if tag == "go1.0" { "go1".to_string() } else { tag };
        let v = go_toolchain_to_semver(&tag).expect("converts");
        prop_assert_eq!(semver_to_go_toolchain(&v), Some(tag));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn sorting_is_consistent(mut vs in proptest::collection::vec(version_strategy(), 0..24)) {
        vs.sort_by(|a, b| compare(a, b));
        for i in 0..vs.len() {
            for j in i + 1..vs.len() {
                prop_assert_ne!(compare(&vs[i], &vs[j]), Ordering::Greater, "{} vs {}", &vs[i], &vs[j]);
            }
        }
    }
}
