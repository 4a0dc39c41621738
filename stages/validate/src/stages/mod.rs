//! The stage kinds, one module each; [`crate::register`] adds them to the registry.

pub mod calibrate;
pub mod cpcv;
pub mod deflated_sharpe;
pub mod evaluate;
pub mod gates;
pub mod pbo;
pub mod purged_kfold;
pub mod thresholds;
pub mod walk_forward;
