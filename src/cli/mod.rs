//! Argument definitions (clap derive; doc comments are the help text) and dispatch.

mod export;
mod inspect;
mod leakage;
mod models;
mod query;
mod run;
mod store;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use mlfactory_engine::EngineError;

/// Environment variable naming the store directory (same as `--cache-dir`).
pub(crate) const CACHE_DIR_ENV: &str = "MLFACTORY_CACHE_DIR";

/// mlfactory: declarative, cached, deterministic ML pipelines for futures research.
#[derive(Debug, Parser)]
#[command(name = "mlfactory", version, about, long_about = None, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Flags every command accepts.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// The artifact store. Default: `.mlfactory/` beside the spec; for commands without a
    /// spec, `./.mlfactory` or the only `*/.mlfactory` one level down.
    #[arg(long, global = true, env = CACHE_DIR_ENV, value_name = "DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
    /// Only errors on stderr (no progress, no log lines).
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,
}

/// Options shared by commands that read a spec.
#[derive(Debug, Args)]
pub(crate) struct SpecArgs {
    /// The pipeline spec (YAML).
    pub(crate) spec: PathBuf,
    /// Override a param: `STAGE.PARAM=VALUE`, `vars.NAME=VALUE` or `seed=VALUE`.
    #[arg(long = "set", value_name = "STAGE.PARAM=VALUE")]
    pub(crate) overrides: Vec<String>,
    /// Only this stage and its ancestors (repeatable; a matrix stage's name selects all
    /// its variants).
    #[arg(long, value_name = "STAGE")]
    pub(crate) only: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a pipeline: compute what is not cached, replay what is.
    Run {
        #[command(flatten)]
        spec: SpecArgs,
        /// Show what would run and why, without running.
        #[arg(long)]
        dry_run: bool,
        /// Stages computed at the same time (each also uses rayon threads inside).
        #[arg(long, short, value_name = "N")]
        jobs: Option<usize>,
        /// Print the run record as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// What a run would compute, and why.
    Status {
        #[command(flatten)]
        spec: SpecArgs,
        /// Also rehash cached artifacts (finds corruption that keeps the size).
        #[arg(long)]
        deep: bool,
        #[arg(long)]
        json: bool,
    },
    /// Print the pipeline's DAG.
    Dag {
        #[command(flatten)]
        spec: SpecArgs,
        #[arg(long, value_enum, default_value_t = DagFormatArg::Text)]
        format: DagFormatArg,
    },
    /// List the runs in the store, oldest first.
    Runs {
        #[arg(long)]
        json: bool,
    },
    /// Show one run: its stages, keys, outputs and metrics.
    Show {
        /// Run id, unique prefix, or `last`.
        #[arg(default_value = "last")]
        run: String,
        #[arg(long)]
        json: bool,
    },
    /// Compare two runs (ids) or two specs (run against the same store).
    Diff {
        a: String,
        b: String,
        #[arg(long, value_enum, default_value_t = DiffFormat::Md)]
        format: DiffFormat,
        /// Exit with 1 when anything changed beyond the tolerance.
        #[arg(long)]
        fail_on_change: bool,
        /// Numeric differences up to this (absolute) are not changes.
        #[arg(long, default_value_t = 0.0)]
        tolerance: f64,
    },
    /// Recompute a run's stages from their recorded inputs and compare output hashes.
    Verify {
        /// Run id, unique prefix, or `last`.
        #[arg(default_value = "last")]
        run: String,
        /// Only these stages.
        #[arg(long, value_name = "STAGE")]
        stage: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Rerun a stage with its inputs' future rewritten (several cuts and rewrites); exit 1
    /// if any value at or before a cut changes.
    CheckLeakage(leakage::LeakageArgs),
    /// Delete what the last N runs do not reference.
    Gc {
        /// Runs to keep.
        #[arg(long, default_value_t = 10)]
        keep: usize,
    },
    /// Copy an artifact out of the store.
    Export {
        /// `STAGE` (its primary output) or `STAGE.OUTPUT`.
        target: String,
        /// Destination file.
        #[arg(long)]
        to: PathBuf,
        /// Run id, unique prefix, or `last`.
        #[arg(long, default_value = "last")]
        run: String,
    },
    /// Run SQL (DataFusion) over a run's tables; each is registered as `stage` (primary
    /// output) and `stage__output`, with `@` and `-` in names written as `_`.
    Query {
        sql: String,
        #[arg(long, default_value = "last")]
        run: String,
        #[arg(long, value_enum, default_value_t = QueryFormat::Table)]
        format: QueryFormat,
    },
    /// Print the JSON Schema of pipeline specs.
    Schema,
    /// List model types (`model: {type, params}`), or describe one's params.
    Models {
        /// A model type, e.g. `gbdt`.
        name: Option<String>,
        /// Print every type's params as markdown.
        #[arg(long)]
        markdown: bool,
        #[arg(long)]
        json: bool,
    },
    /// List stage kinds, or describe one (inputs, outputs, params).
    Kinds {
        kind: Option<String>,
        /// Print the full stage reference as markdown (docs/stages.md).
        #[arg(long)]
        markdown: bool,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum DagFormatArg {
    Text,
    Dot,
    Mermaid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum DiffFormat {
    Md,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum QueryFormat {
    Table,
    Csv,
    Json,
}

/// A failed check (verify, diff gate) that has already printed its report.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct CheckFailed(pub String);

/// Runs a command.
pub(crate) fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let g = &cli.global;
    match cli.command {
        Command::Run { spec, dry_run, jobs, json } => run::run(g, &spec, dry_run, jobs, json),
        Command::Status { spec, deep, json } => run::status(g, &spec, deep, json),
        Command::Dag { spec, format } => run::dag(&spec, format),
        Command::Runs { json } => inspect::runs(g, json),
        Command::Show { run, json } => inspect::show(g, &run, json),
        Command::Diff { a, b, format, fail_on_change, tolerance } => inspect::diff(g, &a, &b, format, fail_on_change, tolerance),
        Command::Verify { run, stage, json } => verify::verify(g, &run, &stage, json),
        Command::CheckLeakage(args) => leakage::check_leakage(g, &args),
        Command::Gc { keep } => verify::gc(g, keep),
        Command::Export { target, to, run } => export::export(g, &target, &to, &run),
        Command::Query { sql, run, format } => query::query(g, &sql, &run, format),
        Command::Schema => inspect::schema(),
        Command::Kinds { kind, markdown } => inspect::kinds(kind.as_deref(), markdown),
        Command::Models { name, markdown, json } => models::models(name.as_deref(), markdown, json),
    }
}

/// Spec errors are the user's input: exit 2. Everything else: 1.
pub(crate) fn exit_code_for(err: &anyhow::Error) -> ExitCode {
    match err.downcast_ref::<EngineError>() {
        Some(EngineError::Spec(_)) => ExitCode::from(2),
        _ => ExitCode::from(1),
    }
}
