//! Volume: on-balance volume, the Chaikin accumulation/distribution line and oscillator,
//! Chaikin money flow, the money flow index, volume z-score and relative volume by time
//! of day. Every indicator here is skipped when the bars have no volume.

pub mod ad;
pub mod adosc;
pub mod cmf;
pub mod mfi;
pub mod obv;
pub mod relative_volume;
pub mod volume_zscore;

pub use ad::Ad;
pub use adosc::AdOsc;
pub use cmf::Cmf;
pub use mfi::Mfi;
pub use obv::Obv;
pub use relative_volume::RelativeVolume;
pub use volume_zscore::VolumeZScore;

/// The close location value `((C - L) - (H - C)) / (H - L)`, 0 when `H == L`.
pub(crate) fn clv(h: f64, l: f64, c: f64) -> f64 {
    let range = h - l;
    if range > 0.0 { ((c - l) - (h - c)) / range } else { 0.0 }
}
