//! Times `data.synth` making N one-minute bars (default 1,000,000) in process, and prints
//! the stylized facts of the result: the simulator's speed figure in docs/performance.md.
//!
//! ```sh
//! cargo run --release -p mlfactory-data --example synth_million -- 1000000
//! ```

#![allow(clippy::print_stdout)]

use std::time::Instant;

use mlfactory_data::synth::{Synth, SynthParams};
use mlfactory_engine::progress::NullProgress;
use mlfactory_engine::{Stage, StageContext, StageInputs};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u64 = std::env::args().nth(1).map_or(Ok(1_000_000), |s| s.parse())?;
    let progress = NullProgress;
    let ctx = StageContext::new(42, &progress);
    let params = SynthParams { bars: Some(n), ..SynthParams::default() };
    let start = Instant::now();
    let out = Synth.run(&ctx, &params, &StageInputs::new())?;
    let elapsed = start.elapsed();
    println!("{n} bars in {:.3} s ({:.1} M bars/s)", elapsed.as_secs_f64(), n as f64 / elapsed.as_secs_f64() / 1e6);
    println!("{}", serde_json::to_string_pretty(&out.metrics)?);
    Ok(())
}
