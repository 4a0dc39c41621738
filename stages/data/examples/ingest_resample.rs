//! `data.ingest` + `data.clean` on a 1-minute bar Parquet file, in process: the Rust side
//! of the market-data benchmark (docs/performance.md). The Python side is
//! `benches/peers_ingest.py`; both print the number of 5-minute bars and the sum of their
//! closes.
//!
//! ```sh
//! cargo run --release -p mlfactory-data --example ingest_resample -- FILE.parquet
//! ```

#![allow(clippy::print_stdout)]

use mlfactory_data::clean::{Clean, CleanParams};
use mlfactory_data::ingest::{Ingest, IngestParams};
use mlfactory_engine::progress::NullProgress;
use mlfactory_engine::{Artifact, Stage, StageContext, StageInputs};
use mlfactory_market::columns::f64_column;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: ingest_resample FILE.parquet")?;
    let progress = NullProgress;
    let ctx = StageContext::new(0, &progress);
    let ingest = IngestParams { path, symbol: Some("MES".into()), ..IngestParams::default() };
    let bars = Ingest.run(&ctx, &ingest, &StageInputs::new())?;
    let Some(Artifact::Table(one)) = bars.artifacts.get("bars") else { return Err("no bars".into()) };
    let clean = CleanParams { timeframe: "5m".into(), tick_columns: false, ..CleanParams::default() };
    let out = Clean.run(&ctx, &clean, &StageInputs::new().with_table("bars", one.as_ref().clone()))?;
    let Some(Artifact::Table(five)) = out.artifacts.get("bars") else { return Err("no 5m bars".into()) };
    let close: f64 = f64_column(five, "close")?.iter().sum();
    println!("{} {close}", five.num_rows());
    Ok(())
}
