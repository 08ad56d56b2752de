//! The `envelope` command: parses the command line, runs one command, and
//! maps the outcome to exit codes (0 success, 1 findings, 2 failure). A
//! closed stdout (`envelope ... | head`) is a success. SIGINT and SIGTERM
//! remove the files being written before exiting with 128 + the signal
//! (130, 143), as a shell reports a command a signal ended.

mod attesting;
mod commands;
mod findings;
mod image_lookup;
mod images;
mod manifests;
mod outputs;
mod parallel;
mod printer;
mod sboms;
mod signing;
mod vulndb;

use std::process::ExitCode;
use std::sync::atomic::{AtomicI32, Ordering};

use clap::{CommandFactory, FromArgMatches};
use envelope_cli::{Cli, Command};

use crate::printer::Printer;

fn main() -> ExitCode {
    handle_signals();
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let (Command::Build(args), Some(("build", m))) = (&mut cli.command, matches.subcommand()) {
        args.given = commands::build::given_flags(m);
    }
    let printer = Printer::new(&cli.global);
    images::set_timeout(cli.global.timeout);
    let result = match cli.command {
        Command::Build(args) => commands::build::run(args, &printer),
        Command::Package(args) => commands::package::run(args, &printer),
        Command::Copy(args) => commands::registry::copy(args, &printer),
        Command::Digest(args) => commands::registry::digest(args, &printer),
        Command::Login(args) => commands::registry::login(args, &printer),
        Command::Logout(args) => commands::registry::logout(args, &printer),
        Command::Pin(args) => commands::pin::run(args, &printer),
        Command::Resolve(args) => commands::resolve::run(args, &printer),
        Command::Apply(args) => commands::resolve::apply(args, &printer),
        Command::Lint(args) => commands::lint::run(args, &printer),
        Command::Rules(args) => commands::lint::rules(args, &printer),
        Command::Rule(args) => commands::lint::rule(args, &printer),
        Command::Init(args) => commands::init::run(args, &printer),
        Command::Audit(args) => commands::audit::run(args, &printer),
        Command::Inspect(args) => commands::audit::inspect(args, &printer),
        Command::Manifest(args) => commands::manifest::run(args, &printer),
        Command::Sbom(args) => commands::sbom::run(args, &printer),
        Command::Scan(args) => commands::scan::run(args, &printer),
        Command::Keygen(args) => commands::keygen::run(args, &printer),
        Command::Sign(args) => commands::sign::run(args, &printer),
        Command::Verify(args) => commands::sign::verify(args, &printer),
        Command::Attest(args) => commands::sign::attest(args, &printer),
    };
    // A signal that arrived while the command ran decides the exit code:
    // the command may have stopped on a write the signal refused.
    let signal = SIGNALLED.load(Ordering::SeqCst);
    if signal != 0 {
        std::process::exit(128 + signal);
    }
    match result {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            printer.error(&err);
            ExitCode::from(2)
        }
    }
}

/// The signal being handled, 0 before one arrives. Set before the
/// temporaries are removed, so a command that fails because a write was
/// refused finds it set and exits as the signal thread would.
static SIGNALLED: AtomicI32 = AtomicI32::new(0);

/// Waits for SIGINT or SIGTERM on a thread of its own (the handler only
/// wakes it), removes the temporaries being written, and exits. The
/// command starts once the thread has registered the signals; a thread
/// that cannot start leaves them their default action.
fn handle_signals() {
    let (ready, registered) = std::sync::mpsc::channel();
    let waiter = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let signals = signal_hook::iterator::Signals::new([
                signal_hook::consts::SIGINT,
                signal_hook::consts::SIGTERM,
            ]);
            let _ = ready.send(());
            if let Some(signal) = signals.ok().and_then(|mut s| s.forever().next()) {
                SIGNALLED.store(signal, Ordering::SeqCst);
                envelope_oci::atomic::remove_temporaries();
                std::process::exit(128 + signal);
            }
        });
    if waiter.is_ok() {
        let _ = registered.recv();
    }
}

/// A write to a closed stdout, however it reached us: an io::Error, or one
/// inside serde_json's error (JSON is written straight to stdout).
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || e.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == Some(std::io::ErrorKind::BrokenPipe)
    })
}
