//! The registry of stage kinds, by name.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::stage::{DynStage, Stage};

/// Every stage kind a spec may use.
#[derive(Clone, Default)]
pub struct Registry {
    kinds: BTreeMap<&'static str, Arc<dyn DynStage>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.kinds.keys()).finish()
    }
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a kind. Registering the same name twice is a bug.
    pub fn register<S: Stage>(&mut self, stage: S) -> &mut Self {
        let previous = self.kinds.insert(S::KIND, Arc::new(stage));
        assert!(previous.is_none(), "stage kind `{}` registered twice", S::KIND);
        self
    }

    pub fn get(&self, kind: &str) -> Option<&Arc<dyn DynStage>> {
        self.kinds.get(kind)
    }

    /// Kind names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.kinds.keys().copied()
    }

    /// Kinds, sorted by name.
    pub fn kinds(&self) -> impl Iterator<Item = &Arc<dyn DynStage>> {
        self.kinds.values()
    }
}
