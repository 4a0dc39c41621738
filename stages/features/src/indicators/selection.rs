//! Which features to compute: a named set and/or explicit lists with parameters.
//!
//! ```yaml
//! params: {set: minimal}                       # ~10 indicators
//! params: {rsi: [7, 14, 21], macd: [[12, 26, 9]]}   # only these
//! params: {set: default, hurst: [256]}         # a set plus extras
//! ```
//!
//! The named set's features come first, then the explicit lists in the order of the
//! fields below; a feature asked for twice is computed once.

use std::collections::BTreeSet;

use mlfactory_engine::ParamIssue;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Indicator;
use super::average::{Dema, Ema, Hma, Kama, MidPoint, MidPrice, PriceKind, PriceTransform, SessionVwap, Sma, T3, Tema, Trima, Wma};
use super::microstructure::{Amihud, CorwinSchultz, KyleLambda, RollSpread};
use super::momentum::{
    Bop, Cci, Cmo, MaType, Macd, Mom, PriceOscillator, PriceOscillatorKind, Roc, RocKind, Rsi, Stoch, StochF, StochRsi, Trix, UltOsc, WillR,
};
use super::regime::{AutoCorr, FractalDimension, Hurst, TrendRegime, VolRegime};
use super::returns::{Gap, Kurtosis, RealizedVol, ReturnKind, Returns, Skewness, ZScore};
use super::time::{Cycle, Cyclical, SessionClock};
use super::trend::{Aroon, AroonOsc, Breakout, Dmi, DmiOutput, EmaStack, LinReg, LinRegOutput, Sar};
use super::volatility::{Atr, Bbands, Donchian, GarmanKlass, Keltner, Parkinson, RogersSatchell, StdDev, TrueRange, Var, YangZhang};
use super::volume::{Ad, AdOsc, Cmf, Mfi, Obv, RelativeVolume, VolumeZScore};
use super::wavelet::HaarEnergy;

/// A named feature set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeatureSet {
    /// Nothing: only the explicit lists.
    None,
    /// About ten core indicators (RSI, MACD, stochastic, ADX, ATR/NATR, Bollinger, CCI,
    /// log returns, z-score, MFI): a fast baseline.
    Minimal,
    /// A broad, mostly scale-free set across every family (about 70 columns).
    Default,
    /// Every feature family, including every TA-Lib golden column (over 150 columns).
    All,
}

/// The features to compute (the params of `features.indicators`). Every list field takes
/// parameter values or tuples; the column names follow TA-Lib's function name and
/// parameters (`rsi_14`, `macd_12_26_9_signal`, `bbands_20_2_upper`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Selection {
    /// Named set to start from (`none`, `minimal`, `default`, `all`). When omitted:
    /// `default` if no explicit list below is given, otherwise `none`.
    pub set: Option<FeatureSet>,

    // ---- moving averages -------------------------------------------------------------
    /// Simple moving averages of the close: periods (`sma_{n}`).
    pub sma: Vec<usize>,
    /// Exponential moving averages, SMA-seeded (TA-Lib): periods (`ema_{n}`).
    pub ema: Vec<usize>,
    /// Linearly weighted moving averages: periods (`wma_{n}`).
    pub wma: Vec<usize>,
    /// Double EMAs: periods (`dema_{n}`).
    pub dema: Vec<usize>,
    /// Triple EMAs: periods (`tema_{n}`).
    pub tema: Vec<usize>,
    /// Triangular moving averages: periods (`trima_{n}`).
    pub trima: Vec<usize>,
    /// Kaufman adaptive moving averages (fast 2, slow 30): periods (`kama_{n}`).
    pub kama: Vec<usize>,
    /// Tillson T3: `[period, vfactor]` pairs (`t3_{n}_{v}`).
    pub t3: Vec<(usize, f64)>,
    /// Hull moving averages: periods (`hma_{n}`).
    pub hma: Vec<usize>,
    /// Midpoint of the close over a window: periods (`midpoint_{n}`).
    pub midpoint: Vec<usize>,
    /// Midpoint of the high-low range over a window: periods (`midprice_{n}`).
    pub midprice: Vec<usize>,
    /// Session-anchored VWAP and the close's distance from it (`vwap_session`,
    /// `vwap_session_dist`); needs volume.
    pub vwap_session: bool,
    /// (O + H + L + C) / 4 (`avgprice`).
    pub avgprice: bool,
    /// (H + L) / 2 (`medprice`).
    pub medprice: bool,
    /// (H + L + C) / 3 (`typprice`).
    pub typprice: bool,
    /// (H + L + 2C) / 4 (`wclprice`).
    pub wclprice: bool,

    // ---- momentum ---------------------------------------------------------------------
    /// Wilder RSI: periods (`rsi_{n}`).
    pub rsi: Vec<usize>,
    /// MACD: `[fast, slow, signal]` (`macd_{f}_{s}_{g}_{macd,signal,hist}`).
    pub macd: Vec<[usize; 3]>,
    /// Slow stochastic: `[fastk, slowk, slowd]` (`stoch_{..}_{slowk,slowd}`).
    pub stoch: Vec<[usize; 3]>,
    /// Fast stochastic: `[fastk, fastd]` (`stochf_{..}_{fastk,fastd}`).
    pub stochf: Vec<[usize; 2]>,
    /// Stochastic RSI: `[rsi period, fastk, fastd]` (`stochrsi_{..}_{fastk,fastd}`).
    pub stochrsi: Vec<[usize; 3]>,
    /// Williams %R: periods (`willr_{n}`).
    pub willr: Vec<usize>,
    /// Rate of change in percent: lags (`roc_{n}`).
    pub roc: Vec<usize>,
    /// Rate of change as a fraction: lags (`rocp_{n}`).
    pub rocp: Vec<usize>,
    /// Price ratio to n bars ago: lags (`rocr_{n}`).
    pub rocr: Vec<usize>,
    /// Momentum `C - C[-n]`: lags (`mom_{n}`).
    pub mom: Vec<usize>,
    /// Commodity channel index: periods (`cci_{n}`).
    pub cci: Vec<usize>,
    /// Ultimate oscillator: `[p1, p2, p3]` (`ultosc_{..}`).
    pub ultosc: Vec<[usize; 3]>,
    /// TRIX: periods (`trix_{n}`).
    pub trix: Vec<usize>,
    /// Balance of power (`bop`).
    pub bop: bool,
    /// Chande momentum oscillator (TA-Lib's Wilder form): periods (`cmo_{n}`).
    pub cmo: Vec<usize>,
    /// Absolute price oscillator, SMA (TA-Lib default): `[fast, slow]` (`apo_{f}_{s}`).
    pub apo: Vec<[usize; 2]>,
    /// Percentage price oscillator, SMA (TA-Lib default): `[fast, slow]` (`ppo_{f}_{s}`).
    pub ppo: Vec<[usize; 2]>,
    /// Absolute price oscillator on EMAs: `[fast, slow]` (`apo_ema_{f}_{s}`).
    pub apo_ema: Vec<[usize; 2]>,
    /// Percentage price oscillator on EMAs: `[fast, slow]` (`ppo_ema_{f}_{s}`).
    pub ppo_ema: Vec<[usize; 2]>,

    // ---- trend ------------------------------------------------------------------------
    /// Average directional index: periods (`adx_{n}`).
    pub adx: Vec<usize>,
    /// ADX rating: periods (`adxr_{n}`).
    pub adxr: Vec<usize>,
    /// Directional movement index: periods (`dx_{n}`).
    pub dx: Vec<usize>,
    /// +DI: periods (`plus_di_{n}`).
    pub plus_di: Vec<usize>,
    /// -DI: periods (`minus_di_{n}`).
    pub minus_di: Vec<usize>,
    /// Smoothed +DM: periods (`plus_dm_{n}`).
    pub plus_dm: Vec<usize>,
    /// Smoothed -DM: periods (`minus_dm_{n}`).
    pub minus_dm: Vec<usize>,
    /// Aroon down and up: periods (`aroon_{n}_{down,up}`).
    pub aroon: Vec<usize>,
    /// Aroon oscillator: periods (`aroonosc_{n}`).
    pub aroonosc: Vec<usize>,
    /// Linear regression value at the newest bar: periods (`linearreg_{n}`).
    pub linearreg: Vec<usize>,
    /// Linear regression slope per bar: periods (`linearreg_slope_{n}`).
    pub linearreg_slope: Vec<usize>,
    /// Linear regression angle in degrees: periods (`linearreg_angle_{n}`).
    pub linearreg_angle: Vec<usize>,
    /// Linear regression intercept (oldest bar): periods (`linearreg_intercept_{n}`).
    pub linearreg_intercept: Vec<usize>,
    /// Time series forecast, one bar ahead: periods (`tsf_{n}`).
    pub tsf: Vec<usize>,
    /// Linear regression r²: periods (`linearreg_r2_{n}`).
    pub linearreg_r2: Vec<usize>,
    /// Parabolic SAR: `[acceleration, maximum]` (`sar_{a}_{m}`).
    pub sar: Vec<(f64, f64)>,
    /// EMA-stack score (-1..1) of a ladder of EMA periods (`ema_stack_{p1}_{p2}_…`).
    pub ema_stack: Vec<Vec<usize>>,
    /// Breakout distance in ATRs: `[period, atr period]` (`breakout_{n}_{a}_{up,down}`).
    pub breakout: Vec<[usize; 2]>,

    // ---- volatility -------------------------------------------------------------------
    /// Average true range (Wilder): periods (`atr_{n}`).
    pub atr: Vec<usize>,
    /// ATR in percent of the close: periods (`natr_{n}`).
    pub natr: Vec<usize>,
    /// True range (`trange`).
    pub trange: bool,
    /// Bollinger bands: `[period, nbdev]` (`bbands_{n}_{k}_{upper,middle,lower,width,pctb}`).
    pub bbands: Vec<(usize, f64)>,
    /// Population standard deviation of the close: `[period, nbdev]` (`stddev_{n}_{k}`).
    pub stddev: Vec<(usize, f64)>,
    /// Population variance of the close: `[period, nbdev]`, nbdev ignored as in TA-Lib
    /// (`var_{n}_{k}`).
    pub var: Vec<(usize, f64)>,
    /// Keltner channel: `[ema period, atr period, multiplier]`
    /// (`keltner_{n}_{a}_{m}_{upper,middle,lower}`).
    pub keltner: Vec<(usize, usize, f64)>,
    /// Donchian channel: periods (`donchian_{n}_{upper,middle,lower}`).
    pub donchian: Vec<usize>,
    /// Parkinson high-low volatility: periods (`parkinson_{n}`).
    pub parkinson: Vec<usize>,
    /// Garman-Klass volatility: periods (`garman_klass_{n}`).
    pub garman_klass: Vec<usize>,
    /// Rogers-Satchell volatility: periods (`rogers_satchell_{n}`).
    pub rogers_satchell: Vec<usize>,
    /// Yang-Zhang volatility: periods (`yang_zhang_{n}`).
    pub yang_zhang: Vec<usize>,

    // ---- volume (skipped when the bars have no volume) --------------------------------
    /// On-balance volume (`obv`).
    pub obv: bool,
    /// Chaikin accumulation/distribution line (`ad`).
    pub ad: bool,
    /// Chaikin A/D oscillator: `[fast, slow]` (`adosc_{f}_{s}`).
    pub adosc: Vec<[usize; 2]>,
    /// Chaikin money flow: periods (`cmf_{n}`).
    pub cmf: Vec<usize>,
    /// Money flow index: periods (`mfi_{n}`).
    pub mfi: Vec<usize>,
    /// Volume z-score: periods (`volume_zscore_{n}`).
    pub volume_zscore: Vec<usize>,
    /// Relative volume by time of day against the previous n days (`relvol_tod_{n}`).
    pub relvol_tod: Vec<usize>,

    // ---- returns and distribution -----------------------------------------------------
    /// Simple returns: lags (`ret_{n}`).
    pub ret: Vec<usize>,
    /// Log returns: lags (`logret_{n}`).
    pub logret: Vec<usize>,
    /// Opening gap `ln(O / C[-1])` (`gap`).
    pub gap: bool,
    /// Realised volatility of one-bar log returns: periods (`rvol_{n}`).
    pub rvol: Vec<usize>,
    /// Rolling skewness of log returns: periods (`skew_{n}`).
    pub skew: Vec<usize>,
    /// Rolling excess kurtosis of log returns: periods (`kurt_{n}`).
    pub kurt: Vec<usize>,
    /// Z-score of the close: periods (`zscore_{n}`).
    pub zscore: Vec<usize>,

    // ---- microstructure ---------------------------------------------------------------
    /// Amihud illiquidity: periods (`amihud_{n}`); needs volume.
    pub amihud: Vec<usize>,
    /// Roll spread: periods (`roll_{n}`).
    pub roll: Vec<usize>,
    /// Corwin-Schultz spread: periods (`corwin_schultz_{n}`).
    pub corwin_schultz: Vec<usize>,
    /// Kyle's lambda: periods (`kyle_lambda_{n}`); needs volume.
    pub kyle_lambda: Vec<usize>,

    // ---- fractal and regime -----------------------------------------------------------
    /// Hurst exponent (R/S): windows, powers of two >= 16 (`hurst_{n}`).
    pub hurst: Vec<usize>,
    /// Fractal dimension: even periods >= 4 (`fractal_dim_{n}`).
    pub fractal_dim: Vec<usize>,
    /// Autocorrelation of returns: `[period, lag]` (`autocorr_{n}_{lag}`).
    pub autocorr: Vec<[usize; 2]>,
    /// Volatility regime 0/1/2: `[short, long]` (`vol_regime_{s}_{l}`).
    pub vol_regime: Vec<[usize; 2]>,
    /// Trend regime -1/0/+1: periods (`trend_regime_{n}`).
    pub trend_regime: Vec<usize>,

    // ---- wavelet ----------------------------------------------------------------------
    /// Haar detail energies: `[window, levels]` (`wavelet_{w}_d1` … `d{levels}`).
    pub wavelet: Vec<[usize; 2]>,

    // ---- time -------------------------------------------------------------------------
    /// Cyclical local minute of day (`minute_of_day_{sin,cos}`).
    pub minute_of_day: bool,
    /// Cyclical day of week (`day_of_week_{sin,cos}`).
    pub day_of_week: bool,
    /// Session id and minutes since the trading day opened (`session_id`,
    /// `minutes_since_open`).
    pub session: bool,
}

/// The largest period accepted (TA-Lib's limit).
const MAX_PERIOD: usize = 100_000;

type Boxed = Box<dyn Indicator>;

fn issue(field: &str, index: Option<usize>, message: String) -> ParamIssue {
    let i = index.map(|i| i.to_string());
    let mut path = vec![field];
    if let Some(i) = &i {
        path.push(i);
    }
    ParamIssue::new(&path, message)
}

fn check_period(field: &str, index: usize, p: usize, min: usize) -> Result<(), ParamIssue> {
    if p < min || p > MAX_PERIOD {
        return Err(issue(field, Some(index), format!("`{field}` period `{p}` is out of range: expected {min}..={MAX_PERIOD}")));
    }
    Ok(())
}

/// Adds one indicator per period, each checked to be at least `min`.
fn periods(out: &mut Vec<Boxed>, field: &str, list: &[usize], min: usize, make: impl Fn(usize) -> Boxed) -> Result<(), ParamIssue> {
    for (i, &p) in list.iter().enumerate() {
        check_period(field, i, p, min)?;
        out.push(make(p));
    }
    Ok(())
}

/// Adds one indicator per tuple of periods, each checked to be at least `min`.
fn tuples<const N: usize>(out: &mut Vec<Boxed>, field: &str, list: &[[usize; N]], min: usize, make: impl Fn([usize; N]) -> Boxed) -> Result<(), ParamIssue> {
    for (i, t) in list.iter().enumerate() {
        for &p in t {
            check_period(field, i, p, min)?;
        }
        out.push(make(*t));
    }
    Ok(())
}

fn flag(out: &mut Vec<Boxed>, on: bool, make: impl Fn() -> Boxed) {
    if on {
        out.push(make());
    }
}

fn check_mult(field: &str, index: usize, v: f64) -> Result<(), ParamIssue> {
    if !(v.is_finite() && v > 0.0) {
        return Err(issue(field, Some(index), format!("`{field}` multiplier `{v}` must be a positive number")));
    }
    Ok(())
}

impl Selection {
    /// The effective named set (see [`Selection::set`]).
    pub fn effective_set(&self) -> FeatureSet {
        self.set.unwrap_or_else(|| {
            let bare = Self { set: None, ..self.clone() };
            if bare == Self::default() { FeatureSet::Default } else { FeatureSet::None }
        })
    }

    /// The indicators to compute, in order, without duplicates; errors name the
    /// offending param.
    pub fn indicators(&self) -> Result<Vec<Boxed>, ParamIssue> {
        let mut all = Vec::new();
        match self.effective_set() {
            FeatureSet::None => {}
            FeatureSet::Minimal => minimal().push_lists(&mut all)?,
            FeatureSet::Default => default_set().push_lists(&mut all)?,
            FeatureSet::All => all_set().push_lists(&mut all)?,
        }
        self.push_lists(&mut all)?;
        let mut seen = BTreeSet::new();
        all.retain(|ind| seen.insert(ind.columns().join(",")));
        Ok(all)
    }

    /// The output column names (all of them; volume columns are dropped at compute time
    /// when the bars have no volume).
    pub fn columns(&self) -> Result<Vec<String>, ParamIssue> {
        Ok(self.indicators()?.iter().flat_map(|i| i.columns()).collect())
    }

    /// Expands this selection's explicit lists (not its set).
    fn push_lists(&self, out: &mut Vec<Boxed>) -> Result<(), ParamIssue> {
        self.push_averages(out)?;
        self.push_momentum(out)?;
        self.push_trend(out)?;
        self.push_volatility(out)?;
        self.push_volume(out)?;
        self.push_returns(out)?;
        self.push_regime(out)?;
        Ok(())
    }

    fn push_averages(&self, out: &mut Vec<Boxed>) -> Result<(), ParamIssue> {
        periods(out, "sma", &self.sma, 1, |period| Box::new(Sma { period }))?;
        periods(out, "ema", &self.ema, 1, |period| Box::new(Ema { period }))?;
        periods(out, "wma", &self.wma, 1, |period| Box::new(Wma { period }))?;
        periods(out, "dema", &self.dema, 1, |period| Box::new(Dema { period }))?;
        periods(out, "tema", &self.tema, 1, |period| Box::new(Tema { period }))?;
        periods(out, "trima", &self.trima, 2, |period| Box::new(Trima { period }))?;
        periods(out, "kama", &self.kama, 1, |period| Box::new(Kama { period }))?;
        for (i, &(period, vfactor)) in self.t3.iter().enumerate() {
            check_period("t3", i, period, 1)?;
            if !(0.0..=1.0).contains(&vfactor) {
                return Err(issue("t3", Some(i), format!("`t3` vfactor `{vfactor}` must be in 0..=1")));
            }
            out.push(Box::new(T3 { period, vfactor }));
        }
        periods(out, "hma", &self.hma, 4, |period| Box::new(Hma { period }))?;
        periods(out, "midpoint", &self.midpoint, 1, |period| Box::new(MidPoint { period }))?;
        periods(out, "midprice", &self.midprice, 1, |period| Box::new(MidPrice { period }))?;
        flag(out, self.vwap_session, || Box::new(SessionVwap));
        flag(out, self.avgprice, || Box::new(PriceTransform { kind: PriceKind::Average }));
        flag(out, self.medprice, || Box::new(PriceTransform { kind: PriceKind::Median }));
        flag(out, self.typprice, || Box::new(PriceTransform { kind: PriceKind::Typical }));
        flag(out, self.wclprice, || Box::new(PriceTransform { kind: PriceKind::WeightedClose }));
        Ok(())
    }

    fn push_momentum(&self, out: &mut Vec<Boxed>) -> Result<(), ParamIssue> {
        periods(out, "rsi", &self.rsi, 1, |period| Box::new(Rsi { period }))?;
        tuples(out, "macd", &self.macd, 2, |[fast, slow, signal]| Box::new(Macd { fast, slow, signal }))?;
        tuples(out, "stoch", &self.stoch, 1, |[fastk, slowk, slowd]| Box::new(Stoch { fastk, slowk, slowd }))?;
        tuples(out, "stochf", &self.stochf, 1, |[fastk, fastd]| Box::new(StochF { fastk, fastd }))?;
        tuples(out, "stochrsi", &self.stochrsi, 1, |[period, fastk, fastd]| Box::new(StochRsi { period, fastk, fastd }))?;
        periods(out, "willr", &self.willr, 1, |period| Box::new(WillR { period }))?;
        periods(out, "roc", &self.roc, 1, |period| Box::new(Roc { period, kind: RocKind::Percent }))?;
        periods(out, "rocp", &self.rocp, 1, |period| Box::new(Roc { period, kind: RocKind::Fraction }))?;
        periods(out, "rocr", &self.rocr, 1, |period| Box::new(Roc { period, kind: RocKind::Ratio }))?;
        periods(out, "mom", &self.mom, 1, |period| Box::new(Mom { period }))?;
        periods(out, "cci", &self.cci, 2, |period| Box::new(Cci { period }))?;
        tuples(out, "ultosc", &self.ultosc, 1, |periods| Box::new(UltOsc { periods }))?;
        periods(out, "trix", &self.trix, 1, |period| Box::new(Trix { period }))?;
        flag(out, self.bop, || Box::new(Bop));
        periods(out, "cmo", &self.cmo, 1, |period| Box::new(Cmo { period }))?;
        for (field, list, ma, kind) in [
            ("apo", &self.apo, MaType::Sma, PriceOscillatorKind::Absolute),
            ("ppo", &self.ppo, MaType::Sma, PriceOscillatorKind::Percentage),
            ("apo_ema", &self.apo_ema, MaType::Ema, PriceOscillatorKind::Absolute),
            ("ppo_ema", &self.ppo_ema, MaType::Ema, PriceOscillatorKind::Percentage),
        ] {
            tuples(out, field, list, 2, |[fast, slow]| Box::new(PriceOscillator { fast, slow, ma, kind }))?;
        }
        Ok(())
    }

    fn push_trend(&self, out: &mut Vec<Boxed>) -> Result<(), ParamIssue> {
        for (field, list, output) in [
            ("adx", &self.adx, DmiOutput::Adx),
            ("adxr", &self.adxr, DmiOutput::Adxr),
            ("dx", &self.dx, DmiOutput::Dx),
            ("plus_di", &self.plus_di, DmiOutput::PlusDi),
            ("minus_di", &self.minus_di, DmiOutput::MinusDi),
            ("plus_dm", &self.plus_dm, DmiOutput::PlusDm),
            ("minus_dm", &self.minus_dm, DmiOutput::MinusDm),
        ] {
            periods(out, field, list, 2, |period| Box::new(Dmi { period, output }))?;
        }
        periods(out, "aroon", &self.aroon, 2, |period| Box::new(Aroon { period }))?;
        periods(out, "aroonosc", &self.aroonosc, 2, |period| Box::new(AroonOsc { period }))?;
        for (field, list, output) in [
            ("linearreg", &self.linearreg, LinRegOutput::Value),
            ("linearreg_slope", &self.linearreg_slope, LinRegOutput::Slope),
            ("linearreg_angle", &self.linearreg_angle, LinRegOutput::Angle),
            ("linearreg_intercept", &self.linearreg_intercept, LinRegOutput::Intercept),
            ("tsf", &self.tsf, LinRegOutput::Forecast),
            ("linearreg_r2", &self.linearreg_r2, LinRegOutput::R2),
        ] {
            periods(out, field, list, 2, |period| Box::new(LinReg { period, output }))?;
        }
        for (i, &(acceleration, maximum)) in self.sar.iter().enumerate() {
            check_mult("sar", i, acceleration)?;
            check_mult("sar", i, maximum)?;
            out.push(Box::new(Sar { acceleration, maximum }));
        }
        for (i, ladder) in self.ema_stack.iter().enumerate() {
            if ladder.len() < 2 {
                return Err(issue("ema_stack", Some(i), "`ema_stack` needs at least two EMA periods".into()));
            }
            for &p in ladder {
                check_period("ema_stack", i, p, 1)?;
            }
            out.push(Box::new(EmaStack { periods: ladder.clone() }));
        }
        tuples(out, "breakout", &self.breakout, 1, |[period, atr_period]| Box::new(Breakout { period, atr_period }))?;
        Ok(())
    }

    fn push_volatility(&self, out: &mut Vec<Boxed>) -> Result<(), ParamIssue> {
        periods(out, "atr", &self.atr, 1, |period| Box::new(Atr { period, normalized: false }))?;
        periods(out, "natr", &self.natr, 1, |period| Box::new(Atr { period, normalized: true }))?;
        flag(out, self.trange, || Box::new(TrueRange));
        for (field, list) in [("bbands", &self.bbands), ("stddev", &self.stddev), ("var", &self.var)] {
            for (i, &(period, nbdev)) in list.iter().enumerate() {
                check_period(field, i, period, 2)?;
                check_mult(field, i, nbdev)?;
                out.push(match field {
                    "bbands" => Box::new(Bbands { period, nbdev }),
                    "stddev" => Box::new(StdDev { period, nbdev }),
                    _ => Box::new(Var { period, nbdev }),
                });
            }
        }
        for (i, &(period, atr_period, mult)) in self.keltner.iter().enumerate() {
            check_period("keltner", i, period, 1)?;
            check_period("keltner", i, atr_period, 1)?;
            check_mult("keltner", i, mult)?;
            out.push(Box::new(Keltner { period, atr_period, mult }));
        }
        periods(out, "donchian", &self.donchian, 1, |period| Box::new(Donchian { period }))?;
        periods(out, "parkinson", &self.parkinson, 1, |period| Box::new(Parkinson { period }))?;
        periods(out, "garman_klass", &self.garman_klass, 1, |period| Box::new(GarmanKlass { period }))?;
        periods(out, "rogers_satchell", &self.rogers_satchell, 1, |period| Box::new(RogersSatchell { period }))?;
        periods(out, "yang_zhang", &self.yang_zhang, 2, |period| Box::new(YangZhang { period }))?;
        Ok(())
    }

    fn push_volume(&self, out: &mut Vec<Boxed>) -> Result<(), ParamIssue> {
        flag(out, self.obv, || Box::new(Obv));
        flag(out, self.ad, || Box::new(Ad));
        tuples(out, "adosc", &self.adosc, 1, |[fast, slow]| Box::new(AdOsc { fast, slow }))?;
        periods(out, "cmf", &self.cmf, 1, |period| Box::new(Cmf { period }))?;
        periods(out, "mfi", &self.mfi, 1, |period| Box::new(Mfi { period }))?;
        periods(out, "volume_zscore", &self.volume_zscore, 2, |period| Box::new(VolumeZScore { period }))?;
        periods(out, "relvol_tod", &self.relvol_tod, 1, |days| Box::new(RelativeVolume { days }))?;
        Ok(())
    }

    fn push_returns(&self, out: &mut Vec<Boxed>) -> Result<(), ParamIssue> {
        periods(out, "ret", &self.ret, 1, |lag| Box::new(Returns { lag, kind: ReturnKind::Simple }))?;
        periods(out, "logret", &self.logret, 1, |lag| Box::new(Returns { lag, kind: ReturnKind::Log }))?;
        flag(out, self.gap, || Box::new(Gap));
        periods(out, "rvol", &self.rvol, 2, |period| Box::new(RealizedVol { period }))?;
        periods(out, "skew", &self.skew, 3, |period| Box::new(Skewness { period }))?;
        periods(out, "kurt", &self.kurt, 4, |period| Box::new(Kurtosis { period }))?;
        periods(out, "zscore", &self.zscore, 2, |period| Box::new(ZScore { period }))?;
        periods(out, "amihud", &self.amihud, 1, |period| Box::new(Amihud { period }))?;
        periods(out, "roll", &self.roll, 2, |period| Box::new(RollSpread { period }))?;
        periods(out, "corwin_schultz", &self.corwin_schultz, 1, |period| Box::new(CorwinSchultz { period }))?;
        periods(out, "kyle_lambda", &self.kyle_lambda, 2, |period| Box::new(KyleLambda { period }))?;
        Ok(())
    }

    fn push_regime(&self, out: &mut Vec<Boxed>) -> Result<(), ParamIssue> {
        for (i, &w) in self.hurst.iter().enumerate() {
            if w < 16 || !w.is_power_of_two() || w > MAX_PERIOD {
                return Err(issue("hurst", Some(i), format!("`hurst` window `{w}` must be a power of two >= 16 (e.g. 64, 128, 256)")));
            }
            out.push(Box::new(Hurst { window: w }));
        }
        for (i, &p) in self.fractal_dim.iter().enumerate() {
            check_period("fractal_dim", i, p, 4)?;
            if p % 2 != 0 {
                return Err(issue("fractal_dim", Some(i), format!("`fractal_dim` period `{p}` must be even")));
            }
            out.push(Box::new(FractalDimension { period: p }));
        }
        tuples(out, "autocorr", &self.autocorr, 1, |[period, lag]| Box::new(AutoCorr { period: period.max(2), lag }))?;
        tuples(out, "vol_regime", &self.vol_regime, 2, |[short, long]| Box::new(VolRegime { short, long }))?;
        periods(out, "trend_regime", &self.trend_regime, 1, |period| Box::new(TrendRegime { period }))?;
        for (i, &[window, levels]) in self.wavelet.iter().enumerate() {
            check_period("wavelet", i, window, 1)?;
            if !(1..=12).contains(&levels) {
                return Err(issue("wavelet", Some(i), format!("`wavelet` levels `{levels}` must be in 1..=12")));
            }
            out.push(Box::new(HaarEnergy { window, levels }));
        }
        flag(out, self.minute_of_day, || Box::new(Cyclical { cycle: Cycle::MinuteOfDay }));
        flag(out, self.day_of_week, || Box::new(Cyclical { cycle: Cycle::DayOfWeek }));
        flag(out, self.session, || Box::new(SessionClock));
        Ok(())
    }
}

/// `set: minimal`.
pub fn minimal() -> Selection {
    Selection {
        set: Some(FeatureSet::None),
        rsi: vec![14],
        macd: vec![[12, 26, 9]],
        stoch: vec![[14, 3, 3]],
        adx: vec![14],
        atr: vec![14],
        natr: vec![14],
        bbands: vec![(20, 2.0)],
        cci: vec![20],
        logret: vec![1, 5, 20],
        zscore: vec![20],
        mfi: vec![14],
        ..Selection::default()
    }
}

/// `set: default`.
pub fn default_set() -> Selection {
    Selection {
        set: Some(FeatureSet::None),
        rsi: vec![7, 14, 21],
        macd: vec![[12, 26, 9]],
        stoch: vec![[14, 3, 3]],
        stochrsi: vec![[14, 14, 3]],
        willr: vec![14],
        roc: vec![10],
        cci: vec![20],
        ultosc: vec![[7, 14, 28]],
        trix: vec![15],
        bop: true,
        cmo: vec![14],
        ppo: vec![[12, 26]],
        adx: vec![14],
        plus_di: vec![14],
        minus_di: vec![14],
        aroonosc: vec![25],
        linearreg_r2: vec![20],
        ema_stack: vec![vec![8, 21, 55, 144]],
        breakout: vec![[20, 14]],
        natr: vec![14],
        bbands: vec![(20, 2.0)],
        parkinson: vec![20],
        garman_klass: vec![20],
        rogers_satchell: vec![20],
        yang_zhang: vec![20],
        vwap_session: true,
        cmf: vec![20],
        mfi: vec![14],
        volume_zscore: vec![20],
        relvol_tod: vec![5],
        logret: vec![1, 2, 5, 10, 20, 60],
        gap: true,
        rvol: vec![20, 60],
        skew: vec![60],
        kurt: vec![60],
        zscore: vec![20, 60],
        amihud: vec![20],
        roll: vec![50],
        corwin_schultz: vec![20],
        kyle_lambda: vec![50],
        hurst: vec![128],
        fractal_dim: vec![30],
        autocorr: vec![[50, 1], [50, 5]],
        vol_regime: vec![[20, 100]],
        trend_regime: vec![50],
        wavelet: vec![[64, 4]],
        minute_of_day: true,
        day_of_week: true,
        session: true,
        ..Selection::default()
    }
}

/// `set: all`: every TA-Lib golden column (with the goldens' parameters) and every other
/// family.
pub fn all_set() -> Selection {
    Selection {
        set: Some(FeatureSet::None),
        sma: vec![5, 10, 20, 50, 200],
        ema: vec![5, 10, 20, 50, 200],
        wma: vec![10, 20, 50],
        dema: vec![10, 20, 50],
        tema: vec![10, 20, 50],
        trima: vec![20],
        kama: vec![10, 30],
        t3: vec![(5, 0.7)],
        hma: vec![9, 20],
        midpoint: vec![14],
        midprice: vec![14],
        vwap_session: true,
        avgprice: true,
        medprice: true,
        typprice: true,
        wclprice: true,
        rsi: vec![7, 14, 21, 28],
        macd: vec![[12, 26, 9]],
        stoch: vec![[14, 3, 3]],
        stochf: vec![[14, 3]],
        stochrsi: vec![[14, 14, 3]],
        willr: vec![14, 50],
        roc: vec![10],
        rocp: vec![10],
        rocr: vec![10],
        mom: vec![10],
        cci: vec![14, 20, 50],
        ultosc: vec![[7, 14, 28]],
        trix: vec![15],
        bop: true,
        cmo: vec![14],
        apo: vec![[12, 26]],
        ppo: vec![[12, 26]],
        apo_ema: vec![[12, 26]],
        ppo_ema: vec![[12, 26]],
        adx: vec![14, 28],
        adxr: vec![14],
        dx: vec![14],
        plus_di: vec![14],
        minus_di: vec![14],
        plus_dm: vec![14],
        minus_dm: vec![14],
        aroon: vec![14],
        aroonosc: vec![14],
        linearreg: vec![14],
        linearreg_slope: vec![14],
        linearreg_angle: vec![14],
        linearreg_intercept: vec![14],
        tsf: vec![14],
        linearreg_r2: vec![14],
        sar: vec![(0.02, 0.2)],
        ema_stack: vec![vec![8, 21, 55, 144]],
        breakout: vec![[20, 14]],
        atr: vec![14],
        natr: vec![14, 50],
        trange: true,
        bbands: vec![(20, 2.0)],
        stddev: vec![(20, 1.0)],
        var: vec![(20, 1.0)],
        keltner: vec![(20, 10, 2.0)],
        donchian: vec![20],
        parkinson: vec![20, 60],
        garman_klass: vec![20, 60],
        rogers_satchell: vec![20, 60],
        yang_zhang: vec![20, 60],
        obv: true,
        ad: true,
        adosc: vec![[3, 10]],
        cmf: vec![20],
        mfi: vec![14],
        volume_zscore: vec![20],
        relvol_tod: vec![20],
        ret: vec![1, 5, 20],
        logret: vec![1, 2, 5, 10, 20, 60],
        gap: true,
        rvol: vec![5, 20, 60],
        skew: vec![20, 60],
        kurt: vec![20, 60],
        zscore: vec![20, 60, 200],
        amihud: vec![20],
        roll: vec![50],
        corwin_schultz: vec![20],
        kyle_lambda: vec![50],
        hurst: vec![64, 128],
        fractal_dim: vec![30],
        autocorr: vec![[50, 1], [50, 2], [50, 5]],
        vol_regime: vec![[20, 100]],
        trend_regime: vec![50],
        wavelet: vec![[64, 5]],
        minute_of_day: true,
        day_of_week: true,
        session: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(v: serde_json::Value) -> Selection {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn explicit_lists_replace_the_default_set() {
        let s = sel(serde_json::json!({"rsi": [7, 14], "macd": [[12, 26, 9]]}));
        assert_eq!(s.effective_set(), FeatureSet::None);
        assert_eq!(s.columns().unwrap(), ["rsi_7", "rsi_14", "macd_12_26_9_macd", "macd_12_26_9_signal", "macd_12_26_9_hist"]);
        assert_eq!(Selection::default().effective_set(), FeatureSet::Default);
    }

    #[test]
    fn sets_have_the_promised_sizes_and_no_duplicates() {
        let count = |set| sel(serde_json::json!({ "set": set })).columns().unwrap();
        let minimal = count("minimal");
        assert!((15..=25).contains(&minimal.len()), "{}", minimal.len());
        assert!(count("default").len() >= 60);
        let all = count("all");
        assert!(all.len() >= 150, "{}", all.len());
        let unique: BTreeSet<&String> = all.iter().collect();
        assert_eq!(unique.len(), all.len());
        // A set plus a list that repeats part of it computes each column once.
        let both = sel(serde_json::json!({"set": "minimal", "rsi": [14, 21]})).columns().unwrap();
        assert_eq!(both.len(), minimal.len() + 1);
    }

    #[test]
    fn bad_params_name_the_field_and_index() {
        let err = sel(serde_json::json!({"rsi": [14, 0]})).indicators().unwrap_err();
        assert_eq!(err.path, ["rsi", "1"]);
        assert!(err.message.contains("`rsi` period `0`"), "{}", err.message);
        let err = sel(serde_json::json!({"hurst": [100]})).indicators().unwrap_err();
        assert!(err.message.contains("power of two"), "{}", err.message);
        assert!(serde_json::from_value::<Selection>(serde_json::json!({"rsj": [14]})).is_err());
    }
}
