//! Moving averages and price transforms: SMA, EMA, WMA, DEMA, TEMA, TRIMA, KAMA, T3,
//! HMA, the session-anchored VWAP, MIDPOINT/MIDPRICE and the typical/median/weighted
//! prices.

pub mod dema;
pub mod ema;
pub mod hma;
pub mod kama;
pub mod midpoint;
pub mod midprice;
pub mod price;
pub mod sma;
pub mod t3;
pub mod tema;
pub mod trima;
pub mod vwap;
pub mod wma;

pub use dema::Dema;
pub use ema::Ema;
pub use hma::Hma;
pub use kama::Kama;
pub use midpoint::MidPoint;
pub use midprice::MidPrice;
pub use price::{PriceKind, PriceTransform};
pub use sma::Sma;
pub use t3::T3;
pub use tema::Tema;
pub use trima::Trima;
pub use vwap::SessionVwap;
pub use wma::Wma;
