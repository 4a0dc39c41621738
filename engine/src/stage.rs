//! The stage plug-in interface.
//!
//! A stage kind is a Rust type implementing [`Stage`]: a name (`features.indicators`), a
//! version bumped whenever its output for the same inputs changes, typed `Params`
//! (serde with `deny_unknown_fields`, every field defaulted and documented, so the JSON
//! Schema and YAML reference come from them), declared input and output slots, and a
//! pure `run`. The context gives a seeded RNG, progress and logging — no clock, no
//! environment, no global state — so a stage's outputs are a function of its key.
//!
//! ```
//! use mlfactory_engine::stage::*;
//! use mlfactory_artifacts::Format;
//!
//! /// Counts the rows of a table.
//! struct RowCount;
//!
//! #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, Default)]
//! #[serde(deny_unknown_fields, default)]
//! struct Params {}
//!
//! impl Stage for RowCount {
//!     type Params = Params;
//!     const KIND: &'static str = "example.row_count";
//!     const VERSION: &'static str = "1";
//!     const ABOUT: &'static str = "Counts rows.";
//!     const INPUTS: &'static [InputSlot] = &[InputSlot::one("table", "any table")];
//!     const OUTPUTS: &'static [OutputSlot] = &[OutputSlot::new("count", Format::Json, "the count")];
//!
//!     fn run(&self, _ctx: &StageContext<'_>, _p: &Params, inputs: &StageInputs) -> Result<StageOutput, StageError> {
//!         let rows = inputs.table("table")?.num_rows();
//!         Ok(StageOutput::new().json("count", serde_json::json!(rows)).metric("rows", rows))
//!     }
//! }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use mlfactory_artifacts::Format;
use mlfactory_artifacts::table::Table;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::progress::ProgressSink;

/// How many upstream artifacts an input slot takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Arity {
    /// Exactly one (required).
    One,
    /// Zero or one.
    Optional,
    /// Any number, e.g. every variant of a matrix stage (fan-in).
    Many,
}

/// A declared input of a stage kind.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct InputSlot {
    pub name: &'static str,
    pub doc: &'static str,
    pub arity: Arity,
}

impl InputSlot {
    pub const fn one(name: &'static str, doc: &'static str) -> Self {
        Self { name, doc, arity: Arity::One }
    }
    pub const fn optional(name: &'static str, doc: &'static str) -> Self {
        Self { name, doc, arity: Arity::Optional }
    }
    pub const fn many(name: &'static str, doc: &'static str) -> Self {
        Self { name, doc, arity: Arity::Many }
    }
}

/// A declared output of a stage kind. The first one is the stage's primary output,
/// which `inputs: [stage]` refers to.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct OutputSlot {
    pub name: &'static str,
    pub format: Format,
    pub doc: &'static str,
}

impl OutputSlot {
    pub const fn new(name: &'static str, format: Format, doc: &'static str) -> Self {
        Self { name, format, doc }
    }
}

/// An artifact in memory: what a stage returns and what its inputs are.
#[derive(Clone, Debug)]
pub enum Artifact {
    Table(Table),
    Json(serde_json::Value),
    Blob { format: Format, bytes: Arc<Vec<u8>> },
}

impl Artifact {
    pub fn format(&self) -> Format {
        match self {
            Self::Table(_) => Format::Parquet,
            Self::Json(_) => Format::Json,
            Self::Blob { format, .. } => *format,
        }
    }

    /// Row count for tables.
    pub fn rows(&self) -> Option<u64> {
        match self {
            Self::Table(t) => Some(t.num_rows() as u64),
            _ => None,
        }
    }
}

/// What a stage run produces: named artifacts and metrics.
#[derive(Clone, Debug, Default)]
pub struct StageOutput {
    pub artifacts: BTreeMap<String, Artifact>,
    pub metrics: BTreeMap<String, serde_json::Value>,
}

impl StageOutput {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn table(mut self, name: &str, table: RecordBatch) -> Self {
        self.artifacts.insert(name.to_owned(), Artifact::Table(Arc::new(table)));
        self
    }

    pub fn json(mut self, name: &str, value: serde_json::Value) -> Self {
        self.artifacts.insert(name.to_owned(), Artifact::Json(value));
        self
    }

    pub fn blob(mut self, name: &str, format: Format, bytes: Vec<u8>) -> Self {
        self.artifacts.insert(name.to_owned(), Artifact::Blob { format, bytes: Arc::new(bytes) });
        self
    }

    /// Records a metric. Non-finite floats become `null` (JSON has no NaN).
    pub fn metric(mut self, name: &str, value: impl Serialize) -> Self {
        self.metrics.insert(name.to_owned(), serde_json::to_value(value).unwrap_or(serde_json::Value::Null));
        self
    }
}

/// One upstream artifact bound to an input slot.
#[derive(Clone, Debug)]
pub struct InputArtifact {
    /// The upstream stage's name (e.g. `train@gbdt`): lets fan-in stages label rows.
    pub label: String,
    pub artifact: Artifact,
}

/// A stage's inputs, by slot.
#[derive(Clone, Debug, Default)]
pub struct StageInputs {
    slots: BTreeMap<String, Vec<InputArtifact>>,
}

impl StageInputs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an artifact to a slot (used by the engine, and by tests calling stages).
    pub fn insert(&mut self, slot: &str, label: impl Into<String>, artifact: Artifact) {
        self.slots.entry(slot.to_owned()).or_default().push(InputArtifact { label: label.into(), artifact });
    }

    /// Builder form of [`Self::insert`] for a table.
    pub fn with_table(mut self, slot: &str, table: RecordBatch) -> Self {
        self.insert(slot, slot, Artifact::Table(Arc::new(table)));
        self
    }

    /// Builder form of [`Self::insert`] for JSON.
    pub fn with_json(mut self, slot: &str, value: serde_json::Value) -> Self {
        self.insert(slot, slot, Artifact::Json(value));
        self
    }

    /// Every artifact bound to `slot` (empty when none).
    pub fn all(&self, slot: &str) -> &[InputArtifact] {
        self.slots.get(slot).map_or(&[], Vec::as_slice)
    }

    fn single(&self, slot: &str) -> Result<Option<&Artifact>, StageError> {
        match self.all(slot) {
            [] => Ok(None),
            [one] => Ok(Some(&one.artifact)),
            many => Err(StageError::input(slot, format!("expected one artifact, got {}", many.len()))),
        }
    }

    /// The table bound to a slot that takes one.
    pub fn table(&self, slot: &str) -> Result<&Table, StageError> {
        self.opt_table(slot)?.ok_or_else(|| StageError::input(slot, "no table bound"))
    }

    /// The table bound to an optional slot, if any.
    pub fn opt_table(&self, slot: &str) -> Result<Option<&Table>, StageError> {
        match self.single(slot)? {
            None => Ok(None),
            Some(Artifact::Table(t)) => Ok(Some(t)),
            Some(other) => Err(StageError::input(slot, format!("expected a table, got {:?}", other.format()))),
        }
    }

    /// The JSON document bound to a slot that takes one.
    pub fn json(&self, slot: &str) -> Result<&serde_json::Value, StageError> {
        self.opt_json(slot)?.ok_or_else(|| StageError::input(slot, "no JSON bound"))
    }

    /// The JSON document bound to an optional slot, if any.
    pub fn opt_json(&self, slot: &str) -> Result<Option<&serde_json::Value>, StageError> {
        match self.single(slot)? {
            None => Ok(None),
            Some(Artifact::Json(v)) => Ok(Some(v)),
            Some(other) => Err(StageError::input(slot, format!("expected JSON, got {:?}", other.format()))),
        }
    }

    /// The bytes of a blob bound to a slot that takes one.
    pub fn blob(&self, slot: &str) -> Result<&[u8], StageError> {
        match self.single(slot)? {
            Some(Artifact::Blob { bytes, .. }) => Ok(bytes),
            Some(other) => Err(StageError::input(slot, format!("expected a blob, got {:?}", other.format()))),
            None => Err(StageError::input(slot, "no blob bound")),
        }
    }
}

/// A problem with a stage's params, located by its path inside `params:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamIssue {
    /// Keys / list indices from `params:` to the offending value (empty: the whole block).
    pub path: Vec<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl ParamIssue {
    pub fn new(path: &[&str], message: impl Into<String>) -> Self {
        Self { path: path.iter().map(|s| (*s).to_owned()).collect(), message: message.into(), hint: None }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Why a stage failed.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// An input is missing or of the wrong type.
    #[error("input `{slot}`: {message}")]
    Input { slot: String, message: String },
    /// The data is unusable (bad rows, too few rows, …): the user's to fix.
    #[error("{message}{}", hint.as_ref().map(|h| format!("\n  hint: {h}")).unwrap_or_default())]
    Data { message: String, hint: Option<String> },
    /// An operation failed; `context` says what we were doing.
    #[error("{context}: {source}")]
    Failed {
        context: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A broken invariant: a bug in mlfactory.
    #[error("internal error (a bug in mlfactory, please report it): {0}")]
    Internal(String),
}

impl StageError {
    pub fn input(slot: &str, message: impl Into<String>) -> Self {
        Self::Input { slot: slot.to_owned(), message: message.into() }
    }

    pub fn data(message: impl Into<String>) -> Self {
        Self::Data { message: message.into(), hint: None }
    }

    pub fn data_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::Data { message: message.into(), hint: Some(hint.into()) }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal(message.into())
    }
}

/// Adds context to any error while turning it into a [`StageError`].
pub trait ResultExt<T> {
    fn context(self, context: impl Into<String>) -> Result<T, StageError>;
    fn with_context<F: FnOnce() -> String>(self, f: F) -> Result<T, StageError>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> ResultExt<T> for Result<T, E> {
    fn context(self, context: impl Into<String>) -> Result<T, StageError> {
        self.map_err(|e| StageError::Failed { context: context.into(), source: Box::new(e) })
    }

    fn with_context<F: FnOnce() -> String>(self, f: F) -> Result<T, StageError> {
        self.map_err(|e| StageError::Failed { context: f(), source: Box::new(e) })
    }
}

/// What a running stage may use besides its params and inputs.
pub struct StageContext<'a> {
    seed: u64,
    progress: &'a dyn ProgressSink,
    lineage: Option<&'a serde_json::Value>,
    base_dir: Option<&'a Path>,
}

impl fmt::Debug for StageContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StageContext").field("seed", &self.seed).finish_non_exhaustive()
    }
}

impl<'a> StageContext<'a> {
    pub fn new(seed: u64, progress: &'a dyn ProgressSink) -> Self {
        Self { seed, progress, lineage: None, base_dir: None }
    }

    /// Sets the folder relative paths in params resolve against (the spec's folder).
    pub fn with_base_dir(mut self, base_dir: Option<&'a Path>) -> Self {
        self.base_dir = base_dir;
        self
    }

    /// The spec's folder, when running from a spec.
    pub fn base_dir(&self) -> Option<&Path> {
        self.base_dir
    }

    /// A path from params, resolved against the spec's folder when relative (the
    /// working directory when the stage runs outside a spec, as in tests).
    pub fn resolve(&self, path: &str) -> PathBuf {
        let p = Path::new(path);
        match self.base_dir {
            Some(base) if p.is_relative() => base.join(p),
            _ => p.to_path_buf(),
        }
    }

    /// Gives the stage its lineage (see [`Stage::LINEAGE`]).
    pub fn with_lineage(mut self, lineage: Option<&'a serde_json::Value>) -> Self {
        self.lineage = lineage;
        self
    }

    /// For kinds with [`Stage::LINEAGE`]: `{"pipeline": NAME, "stages": [{name, kind,
    /// version, params, seed, key, outputs: {NAME: HASH}}, …]}` for every stage upstream of
    /// this one, in run order. It is part of the stage's key, so it is as cacheable as
    /// any input. `None` for other kinds.
    pub fn lineage(&self) -> Option<&serde_json::Value> {
        self.lineage
    }

    /// The stage's seed (the spec's `seed`, or the stage's own).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A deterministic RNG for one named stream of random draws. Different streams are
    /// independent; the same (seed, stream) always gives the same sequence.
    pub fn rng(&self, stream: &str) -> ChaCha8Rng {
        let mut h = blake3::Hasher::new_derive_key("mlfactory stage rng v1");
        h.update(&self.seed.to_le_bytes());
        h.update(stream.as_bytes());
        ChaCha8Rng::from_seed(*h.finalize().as_bytes())
    }

    /// Progress reporting (rows or steps).
    pub fn progress(&self) -> &dyn ProgressSink {
        self.progress
    }

    /// Logs a line, prefixed with the stage's name.
    pub fn log(&self, message: impl fmt::Display) {
        self.progress.log(&message.to_string());
    }
}

/// A stage kind. Implement this; the engine uses it through [`DynStage`].
pub trait Stage: Send + Sync + 'static {
    /// Typed params: `#[serde(deny_unknown_fields, default)]`, every field documented.
    type Params: Serialize + DeserializeOwned + JsonSchema;
    /// `domain.name`, e.g. `labels.triple_barrier`.
    const KIND: &'static str;
    /// Bump whenever the output for the same inputs and params changes.
    const VERSION: &'static str;
    /// One line for `mlfactory kinds` and the docs.
    const ABOUT: &'static str;
    const INPUTS: &'static [InputSlot];
    const OUTPUTS: &'static [OutputSlot];
    /// Whether the stage reads its provenance through [`StageContext::lineage`] (reports
    /// do). The lineage then enters the stage's key.
    const LINEAGE: bool = false;

    /// Checks beyond types (ranges, consistency). Errors point at the param in the spec.
    fn check(&self, _params: &Self::Params) -> Result<(), ParamIssue> {
        Ok(())
    }

    /// The canonical params that enter the stage's key: by default the parsed params
    /// (defaults filled) once [`Self::check`] passes. Kinds with nested, dynamically
    /// typed params (a model spec) fill those defaults here too.
    fn canonical(&self, params: Self::Params) -> Result<Self::Params, ParamIssue> {
        self.check(&params)?;
        Ok(params)
    }

    /// What the stage reads from outside the store (files, URLs), fingerprinted: content
    /// hashes of local files, ETags or sizes and times of remote objects. The fingerprint
    /// enters the stage's key, so editing an input file reruns the stage and only it.
    /// Relative paths resolve against `base` (the spec's folder). Default: nothing.
    fn sources(&self, _params: &Self::Params, _base: &Path) -> Result<Option<serde_json::Value>, StageError> {
        Ok(None)
    }

    /// Computes the outputs. Must be a pure function of params, inputs and `ctx.seed()`.
    fn run(&self, ctx: &StageContext<'_>, params: &Self::Params, inputs: &StageInputs) -> Result<StageOutput, StageError>;
}

/// The object-safe face of [`Stage`], with params as JSON. Blanket-implemented.
pub trait DynStage: Send + Sync {
    fn kind(&self) -> &'static str;
    fn version(&self) -> &'static str;
    fn about(&self) -> &'static str;
    fn inputs(&self) -> &'static [InputSlot];
    fn outputs(&self) -> &'static [OutputSlot];
    fn wants_lineage(&self) -> bool;
    /// JSON Schema of the params.
    fn params_schema(&self, generator: &mut SchemaGenerator) -> Schema;
    /// Parses params, fills defaults and checks them; returns the canonical form.
    fn normalize(&self, params: &serde_json::Value) -> Result<serde_json::Value, ParamIssue>;
    /// Fingerprints what the stage reads from outside the store (see [`Stage::sources`]).
    fn sources_json(&self, params: &serde_json::Value, base: &Path) -> Result<Option<serde_json::Value>, StageError>;
    /// Runs on normalized params.
    fn run_json(&self, ctx: &StageContext<'_>, params: &serde_json::Value, inputs: &StageInputs) -> Result<StageOutput, StageError>;
}

fn parse_params<P: DeserializeOwned>(params: &serde_json::Value) -> Result<P, ParamIssue> {
    serde_path_to_error::deserialize::<_, P>(params).map_err(|e| {
        let path: Vec<String> = e
            .path()
            .iter()
            .filter_map(|seg| match seg {
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                serde_path_to_error::Segment::Enum { variant } => Some(variant.clone()),
                serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        ParamIssue { path, message: e.into_inner().to_string(), hint: None }
    })
}

impl<S: Stage> DynStage for S {
    fn kind(&self) -> &'static str {
        S::KIND
    }
    fn version(&self) -> &'static str {
        S::VERSION
    }
    fn about(&self) -> &'static str {
        S::ABOUT
    }
    fn inputs(&self) -> &'static [InputSlot] {
        S::INPUTS
    }
    fn outputs(&self) -> &'static [OutputSlot] {
        S::OUTPUTS
    }
    fn wants_lineage(&self) -> bool {
        S::LINEAGE
    }
    fn params_schema(&self, generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<S::Params>()
    }
    fn normalize(&self, params: &serde_json::Value) -> Result<serde_json::Value, ParamIssue> {
        let typed = self.canonical(parse_params(params)?)?;
        serde_json::to_value(&typed).map_err(|e| ParamIssue::new(&[], format!("params do not serialize: {e}")))
    }
    fn sources_json(&self, params: &serde_json::Value, base: &Path) -> Result<Option<serde_json::Value>, StageError> {
        let typed: S::Params = parse_params(params).map_err(|i| StageError::internal(format!("normalized params do not parse: {}", i.message)))?;
        self.sources(&typed, base)
    }
    fn run_json(&self, ctx: &StageContext<'_>, params: &serde_json::Value, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let typed: S::Params = parse_params(params).map_err(|i| StageError::internal(format!("normalized params do not parse: {}", i.message)))?;
        self.run(ctx, &typed, inputs)
    }
}
