//! Times a cold open plus matching a few modules:
//! `cargo run --release -p envelope-vuln --example bench_open -- SOURCE [MODULE@VERSION...]`
//! (SOURCE: a folder, a vulndb.zip or a URL).

use std::time::Instant;

use envelope_vuln::{Database, OpenOptions, Source};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let source = args
        .next()
        .ok_or("usage: bench_open SOURCE [MODULE@VERSION...]")?;
    let mut wanted: Vec<(String, String)> = args
        .filter_map(|a| {
            a.split_once('@')
                .map(|(m, v)| (m.to_string(), v.to_string()))
        })
        .collect();
    if wanted.is_empty() {
        for m in [
            "stdlib",
            "golang.org/x/net",
            "golang.org/x/crypto",
            "golang.org/x/text",
        ] {
            wanted.push((m.to_string(), "v0.0.1".to_string()));
        }
    }
    for round in 0..3 {
        let start = Instant::now();
        let db = Database::open(Source::parse(&source), &OpenOptions::default())?;
        let opened = start.elapsed();
        db.prefetch(wanted.iter().map(|(m, _)| m.as_str()))?;
        let mut n = 0;
        for (m, v) in &wanted {
            n += db.matches(m, v)?.len();
        }
        println!(
            "round {round}: open {opened:?}, open + match {:?}, {n} matches",
            start.elapsed()
        );
    }
    Ok(())
}
