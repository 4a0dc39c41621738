//! `query`: DataFusion SQL over a run's tables.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use arrow::util::pretty::pretty_format_batches;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use mlfactory_artifacts::table::decode_parquet;
use mlfactory_artifacts::{BlobRef, Format};
use mlfactory_engine::EngineError;
use mlfactory_engine::runs::find;

use super::store::{print_text, store_without_spec};
use super::{GlobalArgs, QueryFormat};

/// A SQL-friendly table name.
fn table_name(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect()
}

pub(crate) fn query(g: &GlobalArgs, sql: &str, run: &str, format: QueryFormat) -> anyhow::Result<ExitCode> {
    let store = store_without_spec(g)?;
    let record = find(&store, run).map_err(EngineError::Usage)?;
    let registry = mlfactory_stages::registry();
    let ctx = SessionContext::new();
    for stage in &record.stages {
        let primary = registry.get(&stage.kind).and_then(|k| k.outputs().first().map(|o| o.name));
        for (name, o) in &stage.outputs {
            if o.format != Format::Parquet {
                continue;
            }
            let batch = decode_parquet(store.read(&BlobRef { hash: o.hash, bytes: o.bytes })?)?;
            let table = Arc::new(MemTable::try_new(batch.schema(), vec![vec![batch]])?);
            ctx.register_table(table_name(&format!("{}__{name}", stage.name)), table.clone())?;
            if primary == Some(name.as_str()) {
                ctx.register_table(table_name(&stage.name), table)?;
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let batches = runtime.block_on(async { ctx.sql(sql).await?.collect().await }).with_context(|| format!("running `{sql}`"))?;
    match format {
        QueryFormat::Table => print_text(&pretty_format_batches(&batches)?.to_string()),
        QueryFormat::Csv => {
            let mut w = arrow::csv::Writer::new(std::io::stdout());
            for b in &batches {
                w.write(b)?;
            }
        }
        QueryFormat::Json => {
            let mut w = arrow::json::ArrayWriter::new(std::io::stdout());
            for b in &batches {
                w.write(b)?;
            }
            w.finish()?;
            print_text("");
        }
    }
    Ok(ExitCode::SUCCESS)
}
