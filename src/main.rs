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
            eprintln!("error: {err:#}");
            cli::exit_code_for(&err)
        }
    }
}
