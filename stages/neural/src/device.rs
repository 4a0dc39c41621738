//! Resolving `device: cpu | cuda | auto` to a candle [`Device`].
//!
//! The CUDA backend is compiled only with the `cuda` cargo feature (root `--features cuda`,
//! which needs nvcc). Without it, candle's stub backend stands in and `device: cuda` is a
//! clear error; `auto` falls back to the CPU.

use candle_core::Device;
use mlfactory_engine::StageError;

use crate::params::DeviceChoice;

/// Whether this build carries candle's CUDA backend.
pub const CUDA_COMPILED: bool = cfg!(feature = "cuda");

/// The candle device for `choice`.
pub fn resolve(choice: DeviceChoice) -> Result<Device, StageError> {
    match choice {
        DeviceChoice::Cuda if !CUDA_COMPILED => Err(StageError::data_hint(
            "`device: cuda`: mlfactory was not compiled with CUDA support; rebuild with --features cuda",
            "use `device: cpu` or `device: auto`, or build with `cargo build --release --features cuda` (needs nvcc)",
        )),
        DeviceChoice::Cuda => Device::new_cuda(0).map_err(|e| {
            StageError::data_hint(format!("`device: cuda`: no usable CUDA GPU: {e}"), "use `device: auto` to fall back to the CPU when no GPU is present")
        }),
        DeviceChoice::Auto if CUDA_COMPILED => Ok(Device::new_cuda(0).unwrap_or(Device::Cpu)),
        DeviceChoice::Cpu | DeviceChoice::Auto => Ok(Device::Cpu),
    }
}

/// A short name for logs and saved configs.
pub fn name(device: &Device) -> &'static str {
    if device.is_cuda() { "cuda" } else { "cpu" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_and_auto_resolve_without_a_gpu() {
        assert!(resolve(DeviceChoice::Cpu).unwrap().is_cpu());
        if !CUDA_COMPILED {
            assert!(resolve(DeviceChoice::Auto).unwrap().is_cpu());
            let err = resolve(DeviceChoice::Cuda).unwrap_err().to_string();
            assert!(err.contains("not compiled with CUDA support; rebuild with --features cuda"), "{err}");
        }
    }
}
