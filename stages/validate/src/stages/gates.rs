//! `validate.gates`: win rate of signals with and without each boolean filter, and the
//! best filters' pairs and triplets, ranked on the validation split.

use arrow::datatypes::DataType;
use mlfactory_artifacts::Format;
use mlfactory_engine::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_market::columns::{TableBuilder, array_to_f64, f64_column, str_column, ts_column};
use mlfactory_market::contracts::{gates as gc, signals as sc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::calibration::gates::{candidate_gates, gate_stats};
use crate::calibration::regime::asof;

/// Gate analysis of boolean filters.
pub struct Gates;

/// `validate.gates` params.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Filter columns of `filters`; empty: every boolean column and every numeric column
    /// whose values are all 0 or 1 (nulls count as false).
    pub columns: Vec<String>,
    /// The split single filters are ranked on (never `test`).
    pub fit_split: String,
    /// How many of the best single filters are combined into pairs and triplets.
    pub top: usize,
    /// Fewest passing signals for a single filter to be ranked.
    pub min_samples: usize,
    /// Analyse only taken signals (`true`) or every candidate, taken and phantom (`false`).
    pub taken_only: bool,
}

impl Default for Params {
    fn default() -> Self {
        Self { columns: Vec::new(), fit_split: mlfactory_market::contracts::splits::VAL.to_owned(), top: 5, min_samples: 30, taken_only: false }
    }
}

impl Stage for Gates {
    type Params = Params;
    const KIND: &'static str = "validate.gates";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "Win rate with and without each boolean filter, and the best filters' pairs and triplets, with sample counts.";
    const INPUTS: &'static [InputSlot] = &[
        InputSlot::one("signals", "the signals of `validate.thresholds`"),
        InputSlot::one("filters", "a table with `ts` and boolean filter columns (e.g. features), joined as of each signal's time"),
    ];
    const OUTPUTS: &'static [OutputSlot] = &[OutputSlot::new("gates", Format::Parquet, "one row per gate and split (contracts::gates)")];

    fn check(&self, p: &Params) -> Result<(), ParamIssue> {
        if p.fit_split == mlfactory_market::contracts::splits::TEST {
            return Err(ParamIssue::new(&["fit_split"], "ranking filters on the test split leaks it").hint("rank on `val`"));
        }
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>, params: &Params, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let signals = inputs.table("signals")?;
        let filters = inputs.table("filters")?;
        let split = str_column(signals, sc::SPLIT)?.into_iter().map(Option::unwrap_or_default).collect::<Vec<_>>();
        let taken = array_to_f64(signals.column_by_name(sc::TAKEN).ok_or_else(|| StageError::input("signals", format!("no `{}` column", sc::TAKEN)))?)
            .ok_or_else(|| StageError::input("signals", format!("`{}` is not boolean", sc::TAKEN)))?;
        let trade_ret = f64_column(signals, sc::TRADE_RET)?;
        let win: Vec<bool> = trade_ret.iter().map(|r| *r > 0.0).collect();
        let at = asof(&ts_column(filters, "ts")?, &ts_column(signals, sc::TS)?);
        let names: Vec<String> = if params.columns.is_empty() {
            filters
                .schema_ref()
                .fields()
                .iter()
                .filter(|f| f.name() != "ts" && (f.data_type() == &DataType::Boolean || f.data_type().is_numeric()))
                .filter(|f| f64_column(filters, f.name()).is_ok_and(|v| v.iter().all(|x| x.is_nan() || *x == 0.0 || *x == 1.0)))
                .map(|f| f.name().clone())
                .collect()
        } else {
            params.columns.clone()
        };
        if names.is_empty() {
            return Err(StageError::data_hint("`filters` has no boolean (or 0/1) column", "add boolean filter columns, or name them in `columns`"));
        }
        let mut masks = Vec::with_capacity(names.len());
        for name in &names {
            let v = f64_column(filters, name)?;
            if let Some((row, bad)) = v.iter().enumerate().find(|(_, x)| !(x.is_nan() || **x == 0.0 || **x == 1.0)) {
                return Err(StageError::data_hint(format!("filter column `{name}` is {bad} at row {row}"), "filters are boolean: true/false or 0/1"));
            }
            masks.push(at.iter().map(|i| i.is_some_and(|i| v[i] == 1.0)).collect::<Vec<bool>>());
        }
        let keep = |i: usize| !params.taken_only || taken[i] == 1.0;
        let mut splits: Vec<String> = Vec::new();
        for s in &split {
            if !splits.contains(s) {
                splits.push(s.clone());
            }
        }
        let rows_of = |s: &str| (0..split.len()).filter(|&i| split[i] == s && keep(i)).collect::<Vec<usize>>();
        let fit_rows = rows_of(&params.fit_split);
        let gates = candidate_gates(&masks, &fit_rows, &win, &trade_ret, params.top, params.min_samples);
        let mut t = Columns::default();
        for s in &splits {
            let rows = rows_of(s);
            for g in &gates {
                let st = gate_stats(|i| g.iter().all(|&j| masks[j][i]), &rows, &win, &trade_ret);
                t.gate.push(g.iter().map(|&j| names[j].as_str()).collect::<Vec<_>>().join(" & "));
                t.size.push(g.len() as i64);
                t.split.push(s.clone());
                t.n_pass.push(st.n_pass as i64);
                t.win_pass.push(st.win_rate_pass);
                t.ret_pass.push(st.avg_ret_pass);
                t.n_fail.push(st.n_fail as i64);
                t.win_fail.push(st.win_rate_fail);
                t.ret_fail.push(st.avg_ret_fail);
                t.baseline.push(st.baseline);
                t.lift.push(st.lift);
            }
        }
        let best = (0..t.gate.len())
            .filter(|&i| t.split[i] == params.fit_split && t.n_pass[i] as usize >= params.min_samples && t.lift[i].is_finite())
            .max_by(|&a, &b| t.lift[a].total_cmp(&t.lift[b]).then(b.cmp(&a)));
        let mut out = StageOutput::new().metric("filters", names.len()).metric("gates", gates.len());
        if let Some(b) = best {
            ctx.log(format_args!("best gate on `{}`: {} (lift {:+.4}, {} signals)", params.fit_split, t.gate[b], t.lift[b], t.n_pass[b]));
            out = out.metric("best_gate", t.gate[b].clone()).metric("best_gate_lift", t.lift[b]);
        }
        let table = TableBuilder::new()
            .str(gc::GATE, &t.gate)
            .i64(gc::SIZE, t.size)
            .str(gc::SPLIT, &t.split)
            .i64(gc::N_PASS, t.n_pass)
            .f64(gc::WIN_RATE_PASS, t.win_pass)
            .f64(gc::AVG_RET_PASS, t.ret_pass)
            .i64(gc::N_FAIL, t.n_fail)
            .f64(gc::WIN_RATE_FAIL, t.win_fail)
            .f64(gc::AVG_RET_FAIL, t.ret_fail)
            .f64(gc::BASELINE, t.baseline)
            .f64(gc::LIFT, t.lift)
            .build()?;
        Ok(out.table("gates", table))
    }
}

/// The columns of the `gates` table.
#[derive(Default)]
struct Columns {
    gate: Vec<String>,
    size: Vec<i64>,
    split: Vec<String>,
    n_pass: Vec<i64>,
    win_pass: Vec<f64>,
    ret_pass: Vec<f64>,
    n_fail: Vec<i64>,
    win_fail: Vec<f64>,
    ret_fail: Vec<f64>,
    baseline: Vec<f64>,
    lift: Vec<f64>,
}

#[cfg(test)]
mod tests {
    use mlfactory_engine::Artifact;
    use mlfactory_engine::progress::NullProgress;

    use super::*;

    #[test]
    fn ranks_filters_on_validation_and_reports_every_split() {
        let n = 40;
        let ts: Vec<i64> = (0..n).collect();
        let split: Vec<&str> = (0..n).map(|i| if i < 30 { "val" } else { "test" }).collect();
        let trade_ret: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { 0.01 } else { -0.01 }).collect();
        let signals = TableBuilder::new()
            .ts(sc::TS, ts.clone())
            .str(sc::SPLIT, &split)
            .bool(sc::TAKEN, vec![true; n as usize])
            .f64(sc::TRADE_RET, trade_ret)
            .build()
            .unwrap();
        let filters = TableBuilder::new()
            .ts("ts", ts.clone())
            .bool("even", (0..n).map(|i| i % 2 == 0).collect())
            .f64("early", (0..n).map(|i| f64::from(u8::from(i < 20))).collect())
            .f64("rsi", (0..n).map(|i| i as f64 * 1.5).collect())
            .build()
            .unwrap();
        let progress = NullProgress;
        let out = Gates
            .run(
                &StageContext::new(0, &progress),
                &Params { min_samples: 5, ..Params::default() },
                &StageInputs::new().with_table("signals", signals).with_table("filters", filters),
            )
            .unwrap();
        assert_eq!(out.metrics["filters"], 2, "`rsi` is not boolean");
        assert_eq!(out.metrics["best_gate"], "even");
        let Artifact::Table(t) = &out.artifacts["gates"] else { panic!() };
        let gates = str_column(t, gc::GATE).unwrap();
        // Singles `even`, `early`, the pair, for val and test.
        assert_eq!(t.num_rows(), 6);
        assert_eq!(gates[2].as_deref(), Some("even & early"));
        assert_eq!(f64_column(t, gc::WIN_RATE_PASS).unwrap()[0], 1.0);
        assert_eq!(f64_column(t, gc::N_PASS).unwrap()[3], 5.0, "test rows 30..40: 5 even");
    }
}
