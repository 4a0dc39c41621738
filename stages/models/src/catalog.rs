//! The catalog of model types: what `model: {type, params}` in a spec may name.
//!
//! A model type implements [`ModelKind`] (typed params with documented defaults, a
//! builder for an unfitted [`Model`], a loader for a saved one); the catalog holds them
//! behind the object-safe [`ModelType`] and is handed to every stage that trains models
//! (`models.train`, the cross-validation stages), so a type added once runs everywhere.
//! Ensembles build their members through the catalog they are given.
//!
//! ```
//! use mlfactory_models::catalog::{ModelCatalog, ModelSpec};
//! let catalog = ModelCatalog::new(); // `mlfactory_stages::model_catalog()` has every type
//! assert!(catalog.get("no_such_type").is_none());
//! let spec: ModelSpec = serde_json::from_value(serde_json::json!({"type": "logistic"})).unwrap();
//! assert_eq!(spec.params, serde_json::json!({}));
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use mlfactory_engine::{ParamIssue, StageError};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::model::Model;
use crate::saved::SavedModel;

/// `model: {type, params}` as written in a spec.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// The model type (`mlfactory models` lists them).
    #[serde(rename = "type")]
    pub model_type: String,
    /// The type's params; omitted ones take their defaults.
    #[serde(default = "empty_object")]
    pub params: serde_json::Value,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

impl Default for ModelSpec {
    fn default() -> Self {
        Self { model_type: "logistic".to_owned(), params: empty_object() }
    }
}

/// A model type, typed. Implement this; the catalog uses it through [`ModelType`].
pub trait ModelKind: Send + Sync + 'static {
    /// `#[serde(deny_unknown_fields, default)]`, every field documented.
    type Params: Serialize + DeserializeOwned + JsonSchema;
    /// The name a spec uses (`gbdt`, `lstm`, …).
    const NAME: &'static str;
    /// One line for `mlfactory models` and the docs.
    const ABOUT: &'static str;
    /// Whether it reads sequence windows (rows before each row within its segment).
    const SEQUENCE: bool = false;

    /// Checks beyond types (ranges, consistency); nested member specs of ensembles too.
    fn check(&self, _params: &Self::Params, _catalog: &ModelCatalog) -> Result<(), ParamIssue> {
        Ok(())
    }

    /// An unfitted model.
    fn build(&self, params: &Self::Params, catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError>;

    /// A fitted model from its saved state.
    fn load(&self, saved: &SavedModel, catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError>;

    /// Canonical params: for ensembles, members' params normalized too. Default: as is.
    fn canonical(&self, params: Self::Params, _catalog: &ModelCatalog) -> Result<Self::Params, ParamIssue> {
        Ok(params)
    }
}

/// The object-safe face of [`ModelKind`], params as JSON. Blanket-implemented.
pub trait ModelType: Send + Sync {
    fn name(&self) -> &'static str;
    fn about(&self) -> &'static str;
    fn sequence(&self) -> bool;
    fn params_schema(&self, generator: &mut SchemaGenerator) -> Schema;
    /// Parses params, fills defaults, checks them: the canonical JSON that enters keys.
    fn normalize(&self, params: &serde_json::Value, catalog: &ModelCatalog) -> Result<serde_json::Value, ParamIssue>;
    fn build_json(&self, params: &serde_json::Value, catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError>;
    fn load(&self, saved: &SavedModel, catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError>;
}

fn parse<P: DeserializeOwned>(params: &serde_json::Value) -> Result<P, ParamIssue> {
    serde_path_to_error::deserialize::<_, P>(params).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { Vec::new() } else { path.split('.').map(str::to_owned).collect() };
        ParamIssue { path, message: e.into_inner().to_string(), hint: None }
    })
}

impl<K: ModelKind> ModelType for K {
    fn name(&self) -> &'static str {
        K::NAME
    }
    fn about(&self) -> &'static str {
        K::ABOUT
    }
    fn sequence(&self) -> bool {
        K::SEQUENCE
    }
    fn params_schema(&self, generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<K::Params>()
    }
    fn normalize(&self, params: &serde_json::Value, catalog: &ModelCatalog) -> Result<serde_json::Value, ParamIssue> {
        let typed: K::Params = parse(params)?;
        self.check(&typed, catalog)?;
        let typed = self.canonical(typed, catalog)?;
        serde_json::to_value(&typed).map_err(|e| ParamIssue::new(&[], format!("params do not serialize: {e}")))
    }
    fn build_json(&self, params: &serde_json::Value, catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
        let typed: K::Params = parse(params).map_err(|i| StageError::internal(format!("normalized `{}` params do not parse: {}", K::NAME, i.message)))?;
        self.build(&typed, catalog)
    }
    fn load(&self, saved: &SavedModel, catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
        ModelKind::load(self, saved, catalog)
    }
}

/// Every model type a pipeline may name.
#[derive(Clone, Default)]
pub struct ModelCatalog {
    types: BTreeMap<&'static str, Arc<dyn ModelType>>,
}

impl std::fmt::Debug for ModelCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.types.keys()).finish()
    }
}

impl ModelCatalog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a type. Adding the same name twice is a bug.
    pub fn add<K: ModelKind>(&mut self, kind: K) -> &mut Self {
        let previous = self.types.insert(K::NAME, Arc::new(kind));
        assert!(previous.is_none(), "model type `{}` added twice", K::NAME);
        self
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn ModelType>> {
        self.types.get(name)
    }

    /// Types, sorted by name.
    pub fn types(&self) -> impl Iterator<Item = &Arc<dyn ModelType>> {
        self.types.values()
    }

    /// The type a spec names, or an issue (at `path`) suggesting the nearest name.
    pub fn resolve(&self, spec: &ModelSpec, path: &[&str]) -> Result<&Arc<dyn ModelType>, ParamIssue> {
        self.get(&spec.model_type).ok_or_else(|| {
            let mut path: Vec<&str> = path.to_vec();
            path.push("type");
            let nearest = self.types.keys().map(|n| (strsim::jaro_winkler(n, &spec.model_type), *n)).max_by(|a, b| a.0.total_cmp(&b.0));
            let issue = ParamIssue::new(&path, format!("unknown model type `{}`", spec.model_type));
            match nearest {
                Some((score, name)) if score > 0.8 => issue.hint(format!("did you mean `{name}`?")),
                _ => issue.hint(format!("model types: {}", self.types.keys().copied().collect::<Vec<_>>().join(", "))),
            }
        })
    }

    /// A spec with its params normalized (defaults filled, checked); issues point below `path`.
    pub fn normalize(&self, spec: &ModelSpec, path: &[&str]) -> Result<ModelSpec, ParamIssue> {
        let kind = self.resolve(spec, path)?;
        let params = kind.normalize(&spec.params, self).map_err(|mut issue| {
            let mut full: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
            full.push("params".to_owned());
            full.append(&mut issue.path);
            issue.path = full;
            issue
        })?;
        Ok(ModelSpec { model_type: spec.model_type.clone(), params })
    }

    /// An unfitted model for a normalized spec.
    pub fn build(&self, spec: &ModelSpec) -> Result<Box<dyn Model>, StageError> {
        let kind = self.get(&spec.model_type).ok_or_else(|| StageError::internal(format!("model type `{}` vanished from the catalog", spec.model_type)))?;
        kind.build_json(&spec.params, self)
    }

    /// A fitted model from its saved state.
    pub fn load(&self, saved: &SavedModel) -> Result<Box<dyn Model>, StageError> {
        let kind = self.get(&saved.model_type).ok_or_else(|| StageError::data(format!("saved model has unknown type `{}`", saved.model_type)))?;
        kind.load(saved, self)
    }
}
