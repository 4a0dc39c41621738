//! # mlfactory-stages
//!
//! Every stage kind, registered in one [`Registry`]. Each domain lives in its own crate
//! under `stages/` (data, features, labels, splits, models, validate, backtest, report),
//! all sharing `mlfactory-market` for bars, instruments, the exchange calendar and the
//! column contracts between stages.

use std::sync::Arc;

use mlfactory_engine::Registry;
use mlfactory_models::ModelCatalog;

/// Every model type a pipeline may name (`model: {type, params}`).
pub fn model_catalog() -> ModelCatalog {
    let mut catalog = ModelCatalog::new();
    mlfactory_models::add_types(&mut catalog);
    mlfactory_neural::add_types(&mut catalog);
    catalog
}

/// The registry of every stage kind mlfactory ships.
pub fn registry() -> Registry {
    let catalog = Arc::new(model_catalog());
    let mut registry = Registry::new();
    mlfactory_data::register(&mut registry);
    mlfactory_features::register(&mut registry);
    mlfactory_sql::register(&mut registry);
    mlfactory_labels::register(&mut registry);
    mlfactory_splits::register(&mut registry);
    mlfactory_models::register(&mut registry, catalog.clone());
    mlfactory_validate::register(&mut registry, catalog);
    mlfactory_backtest::register(&mut registry);
    mlfactory_report::register(&mut registry);
    registry
}
