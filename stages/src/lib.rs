//! # mlfactory-stages
//!
//! Every stage kind, registered in one [`Registry`]. Each domain lives in its own crate
//! under `stages/` (data, features, labels, splits, models, validate, backtest, report),
//! all sharing `mlfactory-market` for bars, instruments, the exchange calendar and the
//! column contracts between stages.

use mlfactory_engine::Registry;

/// The registry of every stage kind mlfactory ships.
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    mlfactory_data::register(&mut registry);
    mlfactory_features::register(&mut registry);
    mlfactory_labels::register(&mut registry);
    mlfactory_splits::register(&mut registry);
    mlfactory_models::register(&mut registry);
    mlfactory_validate::register(&mut registry);
    mlfactory_backtest::register(&mut registry);
    mlfactory_report::register(&mut registry);
    registry
}
