//! The `mlfactory` command line: a thin layer over `mlfactory-engine`.
//!
//! Data (JSON records, tables, diffs, schemas) goes to stdout; logs, progress and errors
//! go to stderr. Spec errors exit with 2, failed runs and failed checks with 1.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::dispatch(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", message(&err));
            cli::exit_code_for(&err)
        }
    }
}

/// The error and its causes, each cause once: a cause whose text an outer message
/// already quotes (`stage `x` failed: <cause>`) is not repeated.
fn message(err: &anyhow::Error) -> String {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}
