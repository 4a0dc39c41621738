//! End-to-end tests of the `mlfactory` binary: spec errors, caching, determinism, crash
//! safety, concurrent runs and every read command. One test binary, many modules, to keep
//! link time down.

mod cache;
mod commands;
mod concurrent;
mod crash;
mod determinism;
mod docs;
mod factory;
mod leakage;
mod sequences;
mod sources;
mod spec_errors;
mod support;
