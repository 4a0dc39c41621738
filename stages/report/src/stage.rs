//! The `report` stage kind.

use mlfactory_artifacts::Format;
use mlfactory_engine::{InputSlot, OutputSlot, Stage, StageContext, StageError, StageInputs, StageOutput};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::html::Page;
use crate::inputs::{SLOTS, Wired};
use crate::json;
use crate::sections::{backtest, calibration, model, overfitting, provenance, summary, sweep};
use crate::tables::{EquityCurve, PredictionRows, TradeLog};

/// Params of `report`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ReportParams {
    /// The page title; empty: `<pipeline>: research report`.
    pub title: String,
}

/// One self-contained HTML page (inline SVG charts and CSS, no script, nothing fetched)
/// and metrics.json, from whatever a pipeline wires into it.
pub struct Report;

impl Stage for Report {
    type Params = ReportParams;
    const KIND: &'static str = "report";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str =
        "A self-contained HTML report (equity, drawdown, labels, importance, confusion, calibration, CPCV, PBO, regimes, sweeps, provenance) and metrics.json.";
    const INPUTS: &'static [InputSlot] = SLOTS;
    const OUTPUTS: &'static [OutputSlot] = &[
        OutputSlot::new("html", Format::Html, "the report: one HTML file that opens offline in any browser"),
        OutputSlot::new("metrics", Format::Json, "the report's figures (backtest, model, calibration, overfitting, sweep) and the run's provenance"),
    ];
    const LINEAGE: bool = true;

    fn run(&self, ctx: &StageContext<'_>, params: &ReportParams, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let w = Wired::read(inputs)?;
        let trades = w.trades.map(|t| TradeLog::read(t)).transpose()?;
        let equity = w.equity.map(|t| EquityCurve::read(t)).transpose()?;
        let predictions = w.predictions.map(|t| PredictionRows::read(t, "predictions")).transpose()?;
        let lineage = ctx.lineage();
        let pipeline = lineage.and_then(|l| json::text(l, &["pipeline"])).unwrap_or("mlfactory");

        let mut sections = Vec::new();
        let mut doc = serde_json::Map::new();
        doc.insert("pipeline".into(), json!(pipeline));
        let bt = backtest::section(trades.as_ref(), equity.as_ref(), w.backtest);
        let md = model::section(w.evaluation, predictions.as_ref(), w.labels.map(AsRef::as_ref), w.model)?;
        let cal =
            calibration::section(w.calibration.map(AsRef::as_ref), w.calibration_metrics, predictions.as_ref(), w.thresholds, w.gates.map(AsRef::as_ref))?;
        let ov = overfitting::section(w.cpcv, w.pbo, w.pbo_logits.map(AsRef::as_ref), w.dsr, &w.cv)?;
        let sw = sweep::section(&w.variants, w.comparison.map(AsRef::as_ref))?;
        let (prov, lineage_doc) = provenance::section(lineage);

        let figures = summary::Figures {
            backtest: bt.as_ref().map(|b| &b.1),
            backtest_doc: w.backtest,
            model: md.as_ref().map(|m| &m.1),
            overfitting: ov.as_ref().map(|o| &o.1),
        };
        let missing = w.missing();
        sections.push(summary::section(&figures, &missing));
        for (name, part) in [("backtest", bt), ("model", md), ("calibration", cal), ("overfitting", ov), ("sweep", sw)] {
            if let Some((section, figures)) = part {
                sections.push(section);
                doc.insert(name.into(), figures);
            }
        }
        sections.push(prov);
        doc.insert("provenance".into(), lineage_doc);

        let title = if params.title.is_empty() { format!("{pipeline}: research report") } else { params.title.clone() };
        let stages = lineage.and_then(|l| json::at(l, &["stages"])).and_then(Value::as_array).map_or(0, Vec::len);
        let page = Page {
            title,
            subtitle: format!("pipeline `{pipeline}`, {stages} stages upstream; every figure below is reproducible from the provenance at the end"),
            sections,
            footer: format!("mlfactory `{}` v{}: no clock, no network, same inputs give the same bytes", Self::KIND, Self::VERSION),
        };
        let html = page.render();
        ctx.log(format!("{} sections, {} KiB", page.sections.len(), html.len() / 1024));
        Ok(StageOutput::new().blob("html", Format::Html, html.into_bytes()).json("metrics", Value::Object(doc)).metric("sections", page.sections.len()))
    }
}
