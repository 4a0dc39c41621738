use rstest::rstest;

use super::*;

const M: i64 = 60_000_000_000;

/// Five clean bars a minute apart on a Tuesday, 10:00 Chicago.
fn clean() -> Raw {
    let t0 = Calendar::cme().utc_ns(2024, 3, 12, 10, 0).unwrap();
    let n = 5;
    Raw {
        ts: (0..n).map(|i| t0 + i * M).collect(),
        open: vec![100.0, 100.25, 100.5, 100.75, 101.0],
        high: vec![100.5, 100.75, 101.0, 101.25, 101.5],
        low: vec![99.75, 100.0, 100.25, 100.5, 100.75],
        close: vec![100.25, 100.5, 100.75, 101.0, 101.25],
        volume: vec![10.0; 5],
        row: (0..n as u64).collect(),
        src: (0..n as u32).collect(),
        bad_text: BTreeMap::new(),
    }
}

fn all(policy: Policy) -> Rules {
    Rules { price: policy, volume: policy, high_low: policy, open_close: policy, tick_grid: policy, unsorted: policy, duplicate: policy, gap: policy }
}

fn check(raw: Raw, rules: &Rules) -> Result<(Raw, Report), StageError> {
    validate(raw, "bars.csv", rules, Some(0.25), Some(2 * M), M, 0)
}

#[test]
fn clean_bars_pass_untouched() {
    let (out, report) = check(clean(), &Rules::default()).unwrap();
    assert_eq!(out, clean());
    assert_eq!((report.rows_read, report.rows_out), (5, 5));
    assert!(report.rules.values().all(|r| r.hits == 0 && r.checked));
}

type Plant = fn(&mut Raw);

#[rstest]
#[case("price", (|r| r.close[2] = f64::NAN) as Plant, "close is missing")]
#[case("price", (|r| r.low[2] = -1.0) as Plant, "low -1")]
#[case("volume", (|r| r.volume[2] = -5.0) as Plant, "volume -5")]
#[case("high_low", (|r| { r.high[2] = 99.0; r.low[2] = 99.5; r.open[2] = 99.25; r.close[2] = 99.25; }) as Plant, "high 99 < low 99.5")]
#[case("open_close", (|r| r.open[2] = 102.0) as Plant, "open 102 / close 100.75 outside [low 100.25, high 101]")]
#[case("tick_grid", (|r| r.close[2] = 100.8) as Plant, "close 100.8 is not a multiple of the tick 0.25")]
#[case("unsorted", (|r| r.ts.swap(2, 3)) as Plant, "is earlier than")]
#[case("duplicate", (|r| r.ts[3] = r.ts[2]) as Plant, "repeats row 2")]
fn each_planted_row_is_named_with_its_row_and_rule(#[case] rule: &str, #[case] plant: Plant, #[case] detail: &str) {
    let mut raw = clean();
    plant(&mut raw);
    let err = check(raw.clone(), &Rules::default()).unwrap_err().to_string();
    assert!(err.contains("`bars.csv`") && err.contains(&format!("rule `{rule}`")) && err.contains(detail), "{err}");
    let row = if rule == "unsorted" || rule == "duplicate" { 3 } else { 2 };
    assert!(err.contains(&format!("row {row}:")), "{err}");
    assert!(err.contains("hint:"), "{err}");
    // drop: one row fewer, counted.
    let (out, report) = check(raw.clone(), &all(Policy::Drop)).unwrap();
    assert_eq!(out.len(), 4, "{rule}");
    assert_eq!((report.rules[rule].hits, report.rules[rule].dropped), (1, 1), "{rule}: {report:?}");
    assert_eq!(report.rules[rule].samples[0].row, row as u64);
    // repair: every row kept (a duplicate is merged), counted.
    let (out, report) = check(raw, &all(Policy::Repair)).unwrap();
    assert_eq!(out.len(), if rule == "duplicate" { 4 } else { 5 }, "{rule}");
    assert_eq!(report.rules[rule].repaired, 1, "{rule}");
    for i in 0..out.len() {
        assert!(out.low[i] <= out.open[i].min(out.close[i]) && out.high[i] >= out.open[i].max(out.close[i]) && out.low[i] > 0.0, "{rule} row {i}");
    }
    assert!(out.ts.windows(2).all(|w| w[0] < w[1]), "{rule}");
}

#[test]
fn gaps_error_drop_the_day_or_fill() {
    let mut raw = clean();
    for t in &mut raw.ts[3..] {
        *t += 10 * M; // 10 missing minutes before row 3
    }
    let err = check(raw.clone(), &Rules::default()).unwrap_err().to_string();
    assert!(err.contains("row 3: rule `gap`: 10 bar(s) missing"), "{err}");
    let (dropped, _) = check(raw.clone(), &all(Policy::Drop)).unwrap();
    assert!(dropped.is_empty());
    let (filled, report) = check(raw, &all(Policy::Repair)).unwrap();
    assert_eq!(filled.len(), 15);
    assert_eq!(report.rules["gap"].repaired, 10);
    assert!(filled.ts.windows(2).all(|w| w[1] - w[0] == M));
    assert_eq!((filled.close[3], filled.volume[3]), (100.75, 0.0));
}

#[test]
fn the_daily_break_is_not_a_gap_and_unparsed_text_is_shown() {
    let cal = Calendar::cme();
    let mut raw = clean();
    raw.ts = vec![
        cal.utc_ns(2024, 3, 12, 15, 58).unwrap(),
        cal.utc_ns(2024, 3, 12, 15, 59).unwrap(),
        cal.utc_ns(2024, 3, 12, 17, 0).unwrap(),
        cal.utc_ns(2024, 3, 12, 17, 1).unwrap(),
        cal.utc_ns(2024, 3, 12, 17, 2).unwrap(),
    ];
    assert!(check(raw.clone(), &Rules::default()).is_ok());
    raw.open[1] = f64::NAN;
    raw.bad_text.insert((1, "open"), "1O0.25".into());
    let err = check(raw, &Rules::default()).unwrap_err().to_string();
    assert!(err.contains("row 1: rule `price`: open `1O0.25` is not a number"), "{err}");
}

#[test]
fn bar_close_stamps_move_to_the_open() {
    let (out, _) = validate(clean(), "f", &Rules::default(), None, None, M, M).unwrap();
    assert_eq!(out.ts[0], clean().ts[0] - M);
}
