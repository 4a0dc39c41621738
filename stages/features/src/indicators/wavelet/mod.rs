//! Wavelet features: energies of a multi-level Haar decomposition of returns over a
//! trailing window.

pub mod haar;

pub use haar::HaarEnergy;
