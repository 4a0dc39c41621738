//! The statistics behind the validation stages, free of Arrow and of the engine so they
//! can be tested and benchmarked on plain slices:
//!
//! - [`normal`]: the standard normal CDF and its inverse, to double precision;
//! - [`moments`]: mean, standard deviation, skewness and (non-excess) kurtosis, biased
//!   or bias-corrected;
//! - [`sharpe`]: the Probabilistic and Deflated Sharpe Ratios, the expected maximum
//!   Sharpe of N trials and the minimum track record length (Bailey & López de Prado);
//! - [`cscv`]: the probability of backtest overfitting by combinatorially symmetric
//!   cross-validation (Bailey, Borwein, López de Prado & Zhu 2015);
//! - [`classification`]: accuracy, log loss, precision / recall / F1, confusion matrix;
//! - [`trading`]: the per-trade and daily-annualised Sharpe of trading a signal.

pub mod classification;
pub mod cscv;
pub mod moments;
pub mod normal;
pub mod sharpe;
pub mod trading;
