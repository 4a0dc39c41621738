//! `data.ingest` end to end on files: CSV and Parquet, mapping, time zones, stamps,
//! policies, the reference 6E file.

use std::path::Path;

use mlfactory_engine::Artifact;
use mlfactory_engine::progress::NullProgress;
use mlfactory_market::bars::{META_SYMBOL, timeframe_of};
use mlfactory_market::columns::{f64_column, str_column, ts_column};

use super::*;
use crate::ingest::validate::Policy;

fn run(p: &IngestParams) -> Result<(RecordBatch, serde_json::Value), StageError> {
    let progress = NullProgress;
    let ctx = StageContext::new(1, &progress);
    Ingest.check(p).map_err(|i| StageError::data(format!("{:?}: {}", i.path, i.message)))?;
    let out = Ingest.run(&ctx, p, &StageInputs::new())?;
    let Artifact::Table(t) = &out.artifacts["bars"] else { panic!("bars is not a table") };
    let Artifact::Json(r) = &out.artifacts["report"] else { panic!("report is not JSON") };
    Ok((t.as_ref().clone(), r.clone()))
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

const CSV: &str = "Date Time,O,H,L,C,Vol,contract\n\
2024-01-02 08:30:00,4800.00,4801.00,4799.50,4800.75,120,ESH4\n\
2024-01-02 08:31:00,4800.75,4802.25,4800.50,4802.00,80,ESH4\n\
2024-01-02 08:32:00,4802.00,4802.00,4800.00,4800.25,95,ESH4\n";

fn mapped(path: String) -> IngestParams {
    let columns = [("ts", "Date Time"), ("open", "O"), ("high", "H"), ("low", "L"), ("close", "C"), ("volume", "Vol")];
    IngestParams {
        path,
        columns: columns.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect(),
        timezone: "America/Chicago".into(),
        symbol: Some("ES".into()),
        ..IngestParams::default()
    }
}

#[test]
fn csv_with_mapping_timezone_and_extra_columns() {
    let dir = tempfile::tempdir().unwrap();
    let (t, report) = run(&mapped(write(dir.path(), "es.csv", CSV))).unwrap();
    let b = Bars::from_table(&t).unwrap();
    // 08:30 CST = 14:30 UTC.
    assert_eq!(b.ts[0], 1_704_205_800_000_000_000);
    assert_eq!(b.close, vec![4800.75, 4802.0, 4800.25]);
    assert_eq!(b.volume, vec![120.0, 80.0, 95.0]);
    assert_eq!(str_column(&t, "contract").unwrap()[0].as_deref(), Some("ESH4"));
    assert_eq!(t.schema().metadata()[META_SYMBOL], "ES");
    assert_eq!(timeframe_of(&t), Some("1m"));
    assert_eq!(report["rows_read"], 3);
    assert_eq!(report["rules"]["tick_grid"]["checked"], true);
}

#[test]
fn planted_bad_rows_are_reported_by_row_and_rule() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{CSV}2024-01-02 08:33:00,4800.25,4799.00,4801.00,4800.00,10,ESH4\n\
2024-01-02 08:34:00,4800.00,4801.00,4799.00,4800.10,10,ESH4\n\
2024-01-02 08:35:00,4800.00,4801.00,4799.00,4800.00,-4,ESH4\n\
2024-01-02 08:35:00,4800.00,4801.00,4799.00,4800.00,1,ESH4\n\
2024-01-02 08:36:00,abc,4801.00,4799.00,4800.00,1,ESH4\n"
    );
    let path = write(dir.path(), "bad.csv", &text);
    let err = run(&mapped(path.clone())).unwrap_err().to_string();
    for want in [
        "row 3: rule `high_low`: high 4799 < low 4801",
        "row 4: rule `tick_grid`: close 4800.1",
        "row 5: rule `volume`: volume -4",
        "row 7: rule `price`: open `abc` is not a number",
    ] {
        assert!(err.contains(want), "missing `{want}` in:\n{err}");
    }
    assert!(err.contains(&format!("`{path}`")), "{err}");
    let mut p = mapped(path);
    p.rules = Rules {
        price: Policy::Drop,
        volume: Policy::Repair,
        high_low: Policy::Repair,
        open_close: Policy::Drop,
        tick_grid: Policy::Repair,
        unsorted: Policy::Error,
        duplicate: Policy::Drop,
        gap: Policy::Error,
    };
    let (t, report) = run(&p).unwrap();
    assert_eq!(t.num_rows(), 6);
    let rules = &report["rules"];
    assert_eq!((rules["high_low"]["hits"].as_u64(), rules["high_low"]["repaired"].as_u64()), (Some(1), Some(1)));
    assert_eq!(rules["duplicate"]["samples"][0]["row"], 6);
    assert_eq!(rules["price"]["dropped"], 1);
    assert_eq!(report["rows_out"], 6);
    let v = f64_column(&t, "volume").unwrap();
    assert!(v[5].is_nan(), "negative volume repaired to null: {v:?}");
}

#[test]
fn truncated_and_garbled_files_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cut = write(dir.path(), "cut.csv", &CSV[..CSV.len() - 30]);
    let err = run(&mapped(cut)).unwrap_err().to_string();
    assert!(err.contains("cut.csv") && err.contains("row 2"), "{err}");
    let junk = dir.path().join("junk.parquet");
    std::fs::write(&junk, b"PAR1\x00\x01garbage-garbage-garbagePAR1").unwrap();
    let err = run(&IngestParams { path: junk.to_str().unwrap().into(), ..IngestParams::default() }).unwrap_err().to_string();
    assert!(err.contains("junk.parquet") && err.contains("not a readable Parquet file"), "{err}");
    let missing = run(&IngestParams { path: dir.path().join("none.csv").to_str().unwrap().into(), ..IngestParams::default() }).unwrap_err().to_string();
    assert!(missing.contains("none.csv"), "{missing}");
    let bad_ts = write(dir.path(), "ts.csv", "ts,open,high,low,close\n2024-01-02 08:30,1,1,1,1\nnot-a-time,1,1,1,1\n");
    let err = run(&IngestParams { path: bad_ts, ..IngestParams::default() }).unwrap_err().to_string();
    assert!(err.contains("row 1") && err.contains("`not-a-time` is not a timestamp"), "{err}");
}

#[test]
fn bar_close_stamps_price_scale_and_epoch_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "close.csv", "time,open,high,low,close\n1704205860,480000,480100,479950,480075\n1704205920,480075,480225,480050,480200\n");
    let p = IngestParams { path, stamp: Stamp::Close, price_scale: 0.01, symbol: Some("ES".into()), ..IngestParams::default() };
    let (t, _) = run(&p).unwrap();
    let b = Bars::from_table(&t).unwrap();
    assert_eq!(b.ts[0], 1_704_205_800_000_000_000, "stamped at the close: moved back one minute");
    assert_eq!(b.open[0], 4800.0);
    assert!(b.volume.iter().all(|v| v.is_nan()), "no volume column: null");
}

#[test]
fn any_table_with_schema_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "events.csv", "timestamp,side,size,note\n2024-01-02T14:30:00Z,1,2.5,a\n2024-01-02T14:31:00Z,-1,1,\n");
    let (t, report) = run(&IngestParams { path, schema: TableSchema::Table, ..IngestParams::default() }).unwrap();
    assert_eq!(ts_column(&t, "ts").unwrap()[0], 1_704_205_800_000_000_000);
    assert_eq!(t.schema().field_with_name("side").unwrap().data_type(), &DataType::Int64);
    assert_eq!(t.schema().field_with_name("size").unwrap().data_type(), &DataType::Float64);
    assert_eq!(t.schema().field_with_name("note").unwrap().data_type(), &DataType::Utf8);
    assert_eq!(report["rows_out"], 2);
}

/// The 6E file is stamped at the bar close: ingested with `stamp: close`, its first
/// bar opens at 23:00 UTC, the Globex open (17:00 CST).
#[test]
fn reference_6e_bars_stamped_at_close() {
    let Some(dir) = mlfactory_market::reference::dir(Path::new(env!("CARGO_MANIFEST_DIR")), "reference_6e_bars_stamped_at_close") else { return };
    let path = dir.join("data/6eh4_1m_202401.parquet");
    let p = IngestParams {
        path: path.to_str().unwrap().into(),
        stamp: Stamp::Close,
        symbol: Some("6E".into()),
        max_gap: Some("10m".into()),
        ..IngestParams::default()
    };
    let (t, report) = run(&p).unwrap();
    assert_eq!(t.num_rows(), 29_996);
    let ts = ts_column(&t, "ts").unwrap();
    assert_eq!(validate::fmt_ts(ts[0]), "2024-01-01T23:00:00Z");
    assert!(report["rules"].as_object().unwrap().values().all(|r| r["hits"] == 0), "{report}");
    let clock = mlfactory_market::Calendar::cme().clock();
    assert!(ts.iter().all(|&t| clock.is_open(t)), "every bar opens while Globex trades");
}
