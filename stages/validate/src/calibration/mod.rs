//! Probability calibration and the choice of trading thresholds:
//!
//! - [`isotonic`]: weighted isotonic regression (pool adjacent violators) as a monotone
//!   map from a score to a probability;
//! - [`reliability`]: reliability-curve bins (mean predicted vs observed frequency);
//! - [`regime`]: session and volatility-regime buckets of each event;
//! - [`thresholds`]: a win-probability threshold per bucket, chosen for positive expected
//!   value, with floor, ceiling and static fallback;
//! - [`gates`]: win rate with and without boolean filters, their pairs and triplets.

pub mod gates;
pub mod isotonic;
pub mod regime;
pub mod reliability;
pub mod thresholds;
