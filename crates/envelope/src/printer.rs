//! Everything the binary shows a person: data on stdout, messages and
//! progress on stderr, colors only where wanted (`--color`, `NO_COLOR`), and
//! a spinner only when stderr is a terminal.

use std::io::Write;
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use envelope_cli::{ColorChoice, GlobalArgs};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub const BOLD: Style = Style::new().bold();
pub const GREEN: Style = AnsiColor::Green.on_default();
pub const YELLOW: Style = AnsiColor::Yellow.on_default();
pub const RED: Style = AnsiColor::Red.on_default().bold();
pub const DIM: Style = Style::new().dimmed();
pub const CYAN: Style = AnsiColor::Cyan.on_default();

pub struct Printer {
    pub quiet: bool,
    pub verbose: bool,
}

impl Printer {
    pub fn new(args: &GlobalArgs) -> Printer {
        let choice = match args.color {
            ColorChoice::Auto => anstream::ColorChoice::Auto,
            ColorChoice::Always => anstream::ColorChoice::Always,
            ColorChoice::Never => anstream::ColorChoice::Never,
        };
        choice.write_global();
        Printer {
            quiet: args.quiet,
            verbose: args.verbose,
        }
    }

    /// Command output: the report, or the JSON document.
    pub fn stdout(&self) -> anstream::AutoStream<std::io::StdoutLock<'static>> {
        anstream::AutoStream::auto(std::io::stdout().lock())
    }

    /// Data on stdout with no styles to strip (JSON, SARIF): buffered, so
    /// a large document is written in a few calls rather than a line at a
    /// time. Flush it when done.
    pub fn data(&self) -> std::io::BufWriter<std::io::StdoutLock<'static>> {
        std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock())
    }

    /// A status message on stderr, unless --quiet.
    pub fn status(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            let _ = writeln!(anstream::stderr(), "{msg}");
        }
    }

    pub fn warn(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            let _ = writeln!(anstream::stderr(), "{YELLOW}warning{YELLOW:#}: {msg}");
        }
    }

    /// Detail only shown with --verbose.
    pub fn detail(&self, msg: impl std::fmt::Display) {
        if self.verbose {
            let _ = writeln!(anstream::stderr(), "{DIM}{msg}{DIM:#}");
        }
    }

    /// The error, its cause chain and, where one exists, a hint.
    pub fn error(&self, err: &anyhow::Error) {
        let mut out = anstream::stderr();
        let _ = writeln!(out, "{RED}error{RED:#}: {err}");
        for cause in err.chain().skip(1) {
            let _ = writeln!(out, "  caused by: {cause}");
        }
        let hint = err
            .chain()
            .find_map(|e| {
                e.downcast_ref::<envelope_build::BuildError>()
                    .and_then(|b| b.hint())
            })
            .or_else(|| {
                err.chain()
                    .find_map(|e| e.downcast_ref::<Hinted>().map(|h| h.hint.clone()))
            })
            .or_else(|| {
                err.chain()
                    .any(|e| e.is::<envelope_http::TimedOut>())
                    .then(|| TIMEOUT_HINT.to_string())
            });
        if let Some(hint) = hint {
            let _ = writeln!(out, "{CYAN}hint{CYAN:#}: {hint}");
        }
    }

    /// A spinner with elapsed time on a terminal; hidden otherwise.
    pub fn spinner(&self, msg: String) -> ProgressBar {
        let target = if self.quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed:.dim}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(msg);
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    }
}

/// One progress bar per blob while pushing, on a terminal; elsewhere
/// nothing, and the caller prints a line per blob.
pub struct BlobBars {
    multi: Option<indicatif::MultiProgress>,
    bars: std::sync::Mutex<std::collections::HashMap<String, ProgressBar>>,
}

impl BlobBars {
    pub fn start(&self, digest: &envelope_oci::Digest, size: u64) {
        let Some(multi) = &self.multi else { return };
        let bar = multi.add(ProgressBar::new(size));
        bar.set_style(
            ProgressStyle::with_template(
                "  {prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix(short(digest));
        if let Ok(mut m) = self.bars.lock() {
            m.insert(digest.to_string(), bar);
        }
    }

    pub fn set(&self, digest: &envelope_oci::Digest, sent: u64) {
        if let Some(bar) = self
            .bars
            .lock()
            .ok()
            .and_then(|m| m.get(&digest.to_string()).cloned())
        {
            bar.set_position(sent);
        }
    }

    /// Ends a blob's bar with `line`; false when there are no bars (the
    /// caller prints the line itself).
    pub fn done(&self, digest: &envelope_oci::Digest, line: &str, keep: bool) -> bool {
        let Some(multi) = &self.multi else {
            return false;
        };
        let bar = self
            .bars
            .lock()
            .ok()
            .and_then(|mut m| m.remove(&digest.to_string()));
        if let Some(bar) = bar {
            bar.finish_and_clear();
            multi.remove(&bar);
        }
        if keep {
            let _ = multi.println(line);
        }
        true
    }
}

fn short(d: &envelope_oci::Digest) -> String {
    format!("{}:{}", d.algorithm(), &d.hex()[..12.min(d.hex().len())])
}

impl Printer {
    /// Bars when stderr is a terminal and not --quiet.
    pub fn blob_bars(&self) -> BlobBars {
        use std::io::IsTerminal;
        let multi = (!self.quiet && std::io::stderr().is_terminal())
            .then(|| indicatif::MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        BlobBars {
            multi,
            bars: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }
}

/// The hint of a network timeout.
pub const TIMEOUT_HINT: &str =
    "a slow network or registry may need more time: --timeout SECONDS (or ENVELOPE_TIMEOUT); see `envelope --help`";

/// An error of the binary's own with a hint for the user; the printer
/// shows the message as the error and the hint on its own line.
#[derive(Debug)]
pub struct Hinted {
    pub message: String,
    pub hint: String,
}

impl std::fmt::Display for Hinted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Hinted {}

pub fn hinted(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Hinted {
        message: message.into(),
        hint: hint.into(),
    })
}

/// Bytes for people: 1.2 MB, 340 KB, 512 B (SI units, as registries show).
pub fn human_size(n: u64) -> String {
    if n < 1000 {
        return format!("{n} B");
    }
    let units = ["KB", "MB", "GB", "TB"];
    let mut v = n as f64 / 1000.0;
    for unit in units {
        if v < 999.95 {
            return if v < 10.0 {
                format!("{v:.2} {unit}")
            } else if v < 100.0 {
                format!("{v:.1} {unit}")
            } else {
                format!("{v:.0} {unit}")
            };
        }
        v /= 1000.0;
    }
    format!("{n} B")
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn sizes() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1000), "1.00 KB");
        assert_eq!(human_size(123_456), "123 KB");
        assert_eq!(human_size(5_432_100), "5.43 MB");
        assert_eq!(human_size(54_321_000), "54.3 MB");
    }
}
