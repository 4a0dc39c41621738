//! Trend: the Wilder directional movement family (ADX, ADXR, DX, +DI, -DI, +DM, -DM),
//! Aroon, linear regression (value, slope, angle, intercept, forecast, r2), the
//! parabolic SAR, the EMA-stack score and breakout distance in ATRs.

pub mod aroon;
pub mod aroonosc;
pub mod breakout;
pub mod dmi;
pub mod ema_stack;
pub mod linreg;
pub mod sar;

pub use aroon::Aroon;
pub use aroonosc::AroonOsc;
pub use breakout::Breakout;
pub use dmi::{Dmi, DmiOutput};
pub use ema_stack::EmaStack;
pub use linreg::{LinReg, LinRegOutput};
pub use sar::Sar;
