//! Locating `shared/reference/` (real market data and golden outputs) for tests.
//!
//! The folder sits beside the checkout (`../shared/reference`), which a user's fresh
//! clone does not have: tests that need it call [`dir`] and skip with a printed notice
//! when it is absent, unless the `CI` environment variable is set, in which case its
//! absence is a failure (CI must check everything).

use std::path::{Path, PathBuf};

/// Overrides where the reference folder is.
pub const REFERENCE_DIR_ENV: &str = "MLFACTORY_REFERENCE_DIR";

/// The reference folder: `$MLFACTORY_REFERENCE_DIR`, else the first `shared/reference`
/// found beside an ancestor of the package being tested, `CARGO_MANIFEST_DIR` as `cargo
/// test` sets it at run time (a test binary reused from a shared build cache may have been
/// compiled in another checkout), or else of `start` (pass `env!("CARGO_MANIFEST_DIR")`).
pub fn find(start: &Path) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(REFERENCE_DIR_ENV) {
        let dir = PathBuf::from(dir);
        return dir.is_dir().then_some(dir);
    }
    let runtime = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    runtime.iter().flat_map(|d| d.ancestors()).chain(start.ancestors()).map(|a| a.join("shared").join("reference")).find(|p| p.is_dir())
}

/// The directory of the package under test: `CARGO_MANIFEST_DIR` as `cargo test` sets it
/// at run time (a test binary reused from a shared build cache may have been compiled in
/// another checkout), else `compiled` (pass `env!("CARGO_MANIFEST_DIR")`).
pub fn package_dir(compiled: &str) -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(compiled), PathBuf::from)
}

/// The reference folder for a test named `test`, or `None` (with a notice on stderr)
/// when it is absent outside CI.
///
/// # Panics
/// When the folder is absent and `CI` is set.
pub fn dir(start: &Path, test: &str) -> Option<PathBuf> {
    match find(start) {
        Some(d) => Some(d),
        None if std::env::var_os("CI").is_some() => {
            panic!("{test}: shared/reference not found (set {REFERENCE_DIR_ENV}); CI must run every reference test")
        }
        None => {
            eprintln!("note: skipping {test}: shared/reference not found beside the checkout (set {REFERENCE_DIR_ENV} to run it)");
            None
        }
    }
}

/// A reference CSV file: its header and rows of fields, as text (the goldens use no
/// quoting; an empty field means missing).
pub fn read_csv(path: &Path) -> std::io::Result<(Vec<String>, Vec<Vec<String>>)> {
    let text = std::fs::read_to_string(path)?;
    let mut lines = text.lines().filter(|l| !l.is_empty());
    let split = |l: &str| l.split(',').map(str::to_owned).collect::<Vec<String>>();
    let header = lines.next().map(split).unwrap_or_default();
    Ok((header, lines.map(split).collect()))
}

/// A naive timestamp of the goldens (`2015-01-08T01:48:57.964000`, `2015-01-01 23:00:23.723`)
/// as nanoseconds since the epoch.
pub fn parse_naive_ts(s: &str) -> Option<i64> {
    let s = s.trim().replace(' ', "T");
    let t = chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    t.and_utc().timestamp_nanos_opt()
}
