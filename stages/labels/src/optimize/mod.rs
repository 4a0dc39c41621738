//! `labels.optimize`: a genetic search over barrier parameters, scored on the training
//! period only, whose best parameters feed `labels.triple_barrier` through the DAG.
//!
//! The bars are cut at the train/val boundary (`floor(train x n_bars)`, the rule `splits`
//! uses) **before** anything is computed, so no bar after it can reach the search: events,
//! targets and labels all come from the training bars, and an event whose label is not
//! known by the boundary is not scored.

mod direct;
pub mod ga;
mod grid;
pub mod objective;
pub mod paths;
mod ranks;

use mlfactory_artifacts::Format;
use mlfactory_engine::stage::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_market::Bars;
use mlfactory_market::columns::TableBuilder;
use serde::{Deserialize, Serialize};

use self::ga::GaConfig;
use self::objective::{Candidate, Objective, Score};
use self::paths::Paths;
use crate::barrier::{TieRule, TouchMode};
use crate::events::EventSource;
use crate::target::Volatility;
use crate::triple_barrier::{TripleBarrierParams, bar_events, check_labelling, prices, spec_and_rule};

/// Search bounds (inclusive); equal ends fix a parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Bounds {
    /// Profit-taking multiple of the target.
    pub pt: [f64; 2],
    /// Stop-loss multiple of the target.
    pub sl: [f64; 2],
    /// Vertical barrier in bars.
    pub horizon: [u32; 2],
    /// Dead zone of vertical-barrier returns labelled 0.
    pub min_ret: [f64; 2],
}

impl Default for Bounds {
    fn default() -> Self {
        Self { pt: [0.5, 4.0], sl: [0.5, 4.0], horizon: [5, 60], min_ret: [0.0, 0.0] }
    }
}

/// Params of `labels.optimize`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct OptimizeParams {
    /// Bounds of the searched parameters.
    pub bounds: Bounds,
    /// Individuals per generation.
    pub population: usize,
    /// Generations (evaluations = population x generations, less repeated genomes).
    pub generations: usize,
    /// Probability that each gene of a child mutates (Gaussian, sigma = 10% of its range).
    pub mutation: f64,
    /// Probability that two parents are crossed (BLX-0.5) rather than copied.
    pub crossover: f64,
    /// Best individuals carried unchanged into the next generation.
    pub elitism: usize,
    /// Tournament size for parent selection.
    pub tournament: usize,
    /// Fraction of the bars before the train/val boundary: the search only sees these
    /// (use the same value as the `splits` stage's `train`).
    pub train: f64,
    /// What is maximised.
    pub objective: Objective,
    /// Touch mode used while searching (must match the labels stage).
    pub mode: TouchMode,
    /// Tie rule used while searching (must match the labels stage).
    pub tie: TieRule,
    /// Volatility target (must match the labels stage).
    pub volatility: Volatility,
    /// Events whose target is not above this are skipped.
    pub min_target: f64,
    /// Event selection (must match the labels stage).
    pub events: EventSource,
}

impl Default for OptimizeParams {
    fn default() -> Self {
        let tb = TripleBarrierParams::default();
        Self {
            bounds: Bounds::default(),
            population: 50,
            generations: 20,
            mutation: 0.2,
            crossover: 0.9,
            elitism: 2,
            tournament: 3,
            train: 0.70,
            objective: Objective::default(),
            mode: tb.mode,
            tie: tb.tie,
            volatility: tb.volatility,
            min_target: tb.min_target,
            events: tb.events,
        }
    }
}

impl OptimizeParams {
    fn labelling(&self, pt: f64, sl: f64, horizon: u32, min_ret: f64) -> TripleBarrierParams {
        TripleBarrierParams {
            horizons: vec![horizon],
            pt,
            sl,
            mode: self.mode,
            tie: self.tie,
            min_ret,
            volatility: self.volatility,
            min_target: self.min_target,
            events: self.events.clone(),
        }
    }
}

/// The `labels.optimize` stage kind.
pub struct Optimize;

impl Stage for Optimize {
    type Params = OptimizeParams;
    const KIND: &'static str = "labels.optimize";
    const VERSION: &'static str = "2";
    const ABOUT: &'static str = "Genetic search over pt, sl, horizon and min_ret, scored on the training bars only; feeds labels.triple_barrier.";
    const INPUTS: &'static [InputSlot] = &[InputSlot::one("bars", "bars (ts, open, high, low, close)")];
    const OUTPUTS: &'static [OutputSlot] = &[
        OutputSlot::new("best", Format::Json, "the best parameters and the settings they were found under (bind to labels.triple_barrier `params`)"),
        OutputSlot::new("trace", Format::Parquet, "every individual: generation, index, pt, sl, horizon, min_ret, fitness, balance, sharpe, labelled, trades"),
    ];

    fn check(&self, p: &Self::Params) -> Result<(), ParamIssue> {
        let b = &p.bounds;
        for (name, [lo, hi]) in [("pt", b.pt), ("sl", b.sl), ("min_ret", b.min_ret)] {
            if !(lo.is_finite() && hi.is_finite() && lo >= 0.0 && lo <= hi) {
                return Err(ParamIssue::new(&["bounds", name], format!("needs 0 <= low <= high, got [{lo}, {hi}]")));
            }
        }
        if b.horizon[0] == 0 || b.horizon[0] > b.horizon[1] {
            return Err(ParamIssue::new(&["bounds", "horizon"], format!("needs 1 <= low <= high, got {:?}", b.horizon)));
        }
        if p.population < 2 || p.generations == 0 {
            return Err(ParamIssue::new(&["population"], "needs a population of at least 2 and at least 1 generation"));
        }
        if p.elitism >= p.population {
            return Err(ParamIssue::new(&["elitism"], format!("must be below the population ({})", p.population)));
        }
        for (name, v) in [("mutation", p.mutation), ("crossover", p.crossover)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(ParamIssue::new(&[name], format!("is a probability, got {v}")));
            }
        }
        if !(p.train > 0.0 && p.train < 1.0) {
            return Err(ParamIssue::new(&["train"], format!("must be in (0, 1), got {}", p.train)));
        }
        check_labelling(&p.labelling(b.pt[0], b.sl[0], b.horizon[0], b.min_ret[0]))
    }

    fn run(&self, ctx: &StageContext<'_>, p: &Self::Params, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let table = inputs.table("bars")?;
        let boundary = (p.train * table.num_rows() as f64).floor() as usize;
        // cut first: nothing after the boundary is ever read
        let train_table = table.slice(0, boundary);
        let bars = Bars::from_table(&train_table)?;
        let base = p.labelling(p.bounds.pt[0], p.bounds.sl[0], p.bounds.horizon[0], p.bounds.min_ret[0]);
        let (events, _, meta) = bar_events(&bars, &train_table, &base)?;
        if events.is_empty() {
            return Err(StageError::data_hint(format!("no events in the {boundary} training bars"), "use more bars or another event source"));
        }
        let px = prices(&bars);
        let b = &p.bounds;
        let bounds = [(b.pt[0], b.pt[1]), (b.sl[0], b.sl[1]), (f64::from(b.horizon[0]), f64::from(b.horizon[1])), (b.min_ret[0], b.min_ret[1])];
        let cfg = GaConfig {
            population: p.population,
            generations: p.generations,
            mutation: p.mutation,
            crossover: p.crossover,
            elitism: p.elitism,
            tournament: p.tournament,
        };
        ctx.log(format!("searching on {} events of {boundary} training bars", events.len()));
        let paths = Paths::build(&px, &events, b.horizon[1], p.mode);
        let evaluate = |genomes: &[Vec<f64>]| {
            let candidates: Vec<Candidate> = genomes
                .iter()
                .map(|g| {
                    let (spec, rule) = spec_and_rule(&p.labelling(g[0], g[1], g[2] as u32, g[3]), meta);
                    Candidate { spec, horizon: g[2] as u32, rule }
                })
                .collect();
            objective::score_all(&px, &events, &paths, &candidates, &p.objective).into_iter().map(|s| (s.fitness, s)).collect()
        };
        let trace = ga::run(&cfg, &bounds, &mut ctx.rng("ga"), |g| g[2] = g[2].round(), evaluate);
        let best = ga::best(&trace).ok_or_else(|| StageError::internal("empty GA trace"))?;
        if !best.fitness.is_finite() {
            return Err(StageError::data_hint("no candidate had a finite fitness (too few trades?)", "widen the bounds or use more training bars"));
        }
        let result = BestParams {
            pt: best.genes[0],
            sl: best.genes[1],
            horizon: best.genes[2] as u32,
            min_ret: best.genes[3],
            fitness: best.fitness,
            mode: p.mode,
            tie: p.tie,
            volatility: p.volatility,
            events: p.events.clone(),
        };
        let col = |f: &dyn Fn(&ga::Individual<Score>) -> f64| trace.iter().map(f).collect::<Vec<f64>>();
        let trace_table = TableBuilder::new()
            .i32("generation", trace.iter().map(|i| i.generation as i32).collect())
            .i32("index", trace.iter().map(|i| i.index as i32).collect())
            .f64("pt", col(&|i| i.genes[0]))
            .f64("sl", col(&|i| i.genes[1]))
            .i32("horizon", trace.iter().map(|i| i.genes[2] as i32).collect())
            .f64("min_ret", col(&|i| i.genes[3]))
            .f64("fitness", col(&|i| i.fitness))
            .f64("balance", col(&|i| i.detail.balance))
            .f64("sharpe", col(&|i| i.detail.sharpe))
            .i64("labelled", trace.iter().map(|i| i.detail.labelled as i64).collect())
            .i64("trades", trace.iter().map(|i| i.detail.trades as i64).collect())
            .build()?;
        let json = serde_json::to_value(&result).map_err(|e| StageError::internal(format!("best params to JSON: {e}")))?;
        Ok(StageOutput::new()
            .json("best", json)
            .table("trace", trace_table)
            .metric("individuals", trace.len())
            .metric("training_bars", boundary)
            .metric("events", events.len())
            .metric("best_fitness", best.fitness)
            .metric("best_pt", result.pt)
            .metric("best_sl", result.sl)
            .metric("best_horizon", result.horizon)
            .metric("best_min_ret", result.min_ret))
    }
}

/// The best parameters found, with the labelling settings they were found under
/// (`labels.optimize` output `best`; `labels.triple_barrier` input `params`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BestParams {
    pub pt: f64,
    pub sl: f64,
    pub horizon: u32,
    pub min_ret: f64,
    pub fitness: f64,
    pub mode: TouchMode,
    pub tie: TieRule,
    pub volatility: Volatility,
    pub events: EventSource,
}

impl BestParams {
    pub fn from_json(value: &serde_json::Value) -> Result<Self, StageError> {
        serde_json::from_value(value.clone()).map_err(|e| {
            StageError::data_hint(
                format!("input `params` is not a `labels.optimize` result: {e}"),
                "bind `params` to a labels.optimize stage (its output `best`)",
            )
        })
    }

    /// Replaces the searched parameters of `p`. The settings the search ran under must
    /// be the ones `p` labels with, or the best parameters would not mean the same thing.
    pub fn apply(&self, p: &mut TripleBarrierParams) -> Result<(), StageError> {
        let mismatch = |what: &str, theirs: String, ours: String| {
            StageError::data_hint(
                format!("labels.optimize searched with `{what}` = {theirs}, but this stage labels with {ours}"),
                format!("set the same `{what}` on both stages"),
            )
        };
        let show = |v: &dyn erased::Show| v.show();
        if self.mode != p.mode {
            return Err(mismatch("mode", show(&self.mode), show(&p.mode)));
        }
        if self.tie != p.tie {
            return Err(mismatch("tie", show(&self.tie), show(&p.tie)));
        }
        if self.volatility != p.volatility {
            return Err(mismatch("volatility", show(&self.volatility), show(&p.volatility)));
        }
        if self.events != p.events {
            return Err(mismatch("events", show(&self.events), show(&p.events)));
        }
        p.pt = self.pt;
        p.sl = self.sl;
        p.min_ret = self.min_ret;
        p.horizons = vec![self.horizon];
        Ok(())
    }
}

mod erased {
    /// JSON text of a settings value, for messages.
    pub(super) trait Show {
        fn show(&self) -> String;
    }

    impl<T: serde::Serialize> Show for T {
        fn show(&self) -> String {
            serde_json::to_string(self).unwrap_or_default()
        }
    }
}
