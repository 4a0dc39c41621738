//! Fractal and regime features: the Hurst exponent by rescaled range, the fractal
//! dimension, rolling autocorrelation of returns, and volatility- and trend-regime
//! buckets.

pub mod autocorr;
pub mod fractal_dimension;
pub mod hurst;
pub mod trend_regime;
pub mod vol_regime;

pub use autocorr::AutoCorr;
pub use fractal_dimension::FractalDimension;
pub use hurst::Hurst;
pub use trend_regime::TrendRegime;
pub use vol_regime::VolRegime;
