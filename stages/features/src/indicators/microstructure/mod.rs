//! Market microstructure estimated from bars: Amihud illiquidity, the Roll spread, the
//! Corwin-Schultz high-low spread and Kyle's lambda.

pub mod amihud;
pub mod corwin_schultz;
pub mod kyle_lambda;
pub mod roll;

pub use amihud::Amihud;
pub use corwin_schultz::CorwinSchultz;
pub use kyle_lambda::KyleLambda;
pub use roll::RollSpread;
