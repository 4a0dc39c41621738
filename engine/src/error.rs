//! Engine errors, grouped by cause.

use mlfactory_artifacts::StoreError;

use crate::spec::Diagnostics;
use crate::stage::StageError;

/// Everything the engine can fail with.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The spec is wrong (parse or plan): the user's input, with file:line:col.
    #[error("{0}")]
    Spec(#[from] Diagnostics),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stage failed.
    #[error("stage `{stage}` ({kind}) failed: {source}")]
    Stage {
        stage: String,
        kind: String,
        #[source]
        source: StageError,
    },
    /// Bad usage that is not a spec error (unknown run id, unknown stage in `--only`).
    #[error("{0}")]
    Usage(String),
    /// A broken invariant: our bug.
    #[error("internal error (a bug in mlfactory, please report it): {0}")]
    Internal(String),
}
