//! Calendar features in the exchange's time zone: cyclical minute of day and day of
//! week, the session id and minutes since the trading day opened.

pub mod cyclical;
pub mod session;

pub use cyclical::{Cycle, Cyclical};
pub use session::SessionClock;
