//! Fitting the simulator to real 1-minute bars.
//!
//! 1. **Intraday profile and day of week**: the squared mean absolute 1-minute change
//!    (in ticks) per 30-minute slot of the trading day, and the mean squared change per
//!    weekday after removing the profile, both over their mean: the variance of a
//!    compound Poisson minute is proportional to its activity.
//! 2. **Pattern library**: every real hour becomes a pattern (signed efficiency with
//!    respect to the day's move, log activity relative to the profile, range over
//!    realised volatility), standardised and clustered by k-means (`fit_clusters`,
//!    k-means++ seeding from the stage's RNG). Each cluster is named after the hour phase
//!    whose simulated patterns' centroid is nearest, so every real hour gets a phase;
//!    days likewise get the regime whose simulated day patterns are nearest.
//! 3. **Transitions**: hour-phase and day-regime transition matrices are the counts of
//!    consecutive real labels plus the default matrix's rows as a prior (2 pseudo-counts
//!    a row); phase and regime activities are rescaled by real over simulated activity.
//! 4. **Scale and clustering**: the ticks of every state are scaled so the simulated
//!    mean squared change matches the real one; the clustering `(phi, sigma)` is the grid
//!    point whose pilot simulation best matches the real excess kurtosis and the
//!    autocorrelation of |returns| at lags 1, 5 and 30 (simulated moments), after the
//!    states' directional bias is shrunk to match the lag-1 autocorrelation of returns;
//!    the volume
//!    scale matches the real mean volume when the real bars have volume.
//!
//! Pilot simulations draw from the stage's RNG, so the fit is deterministic.

use chrono::Datelike;
use rand::RngCore;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::engine::{DayBars, DayPlan, pick, simulate_day, uniform};
use super::model::{Clustering, DAY_MINUTES, Model, SLOTS};
use super::states::{DayRegime, HourPhase};
use mlfactory_engine::StageError;
use mlfactory_market::{Bars, Calendar};

use crate::stats::StylizedFacts;

/// Trading days per pilot simulation.
const PILOT_DAYS: usize = 20;
/// Clustering grid searched by simulated moments.
const PHI_GRID: [f64; 3] = [0.95, 0.985, 0.995];
const SIGMA_GRID: [f64; 4] = [0.0, 0.06, 0.12, 0.2];
/// Shrink factors of the states' directional bias searched by simulated moments.
const DRIFT_GRID: [f64; 5] = [1.0, 0.6, 0.35, 0.2, 0.1];

/// One trading day of bars in ticks, with its weekday.
struct Day {
    weekday: u8,
    /// Close-to-close change per minute (first minute: close - open), ticks.
    d: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    open: f64,
    /// 30-minute slot of each minute.
    slot: Vec<usize>,
    /// Hour of the trading day of each minute.
    hour: Vec<usize>,
}

/// A pattern: the features of one hour or one day.
type Pattern = [f64; 3];

fn days_of_real(bars: &Bars, tick: f64) -> Vec<Day> {
    let clock = Calendar::cme().clock();
    let mut out: Vec<Day> = Vec::new();
    let mut current = i64::MIN;
    for i in 0..bars.len() {
        let t = bars.ts[i];
        let day = clock.trading_day(t);
        let into = clock.minutes_into_day(t).clamp(0, DAY_MINUTES as i64 - 1) as usize;
        if day == current {
            out.last_mut().expect("a day is open").d.push((bars.close[i] - bars.close[i - 1]) / tick);
        } else {
            current = day;
            out.push(Day {
                weekday: clock.local(t).weekday.min(4),
                d: vec![(bars.close[i] - bars.open[i]) / tick],
                high: Vec::new(),
                low: Vec::new(),
                open: bars.open[i] / tick,
                slot: Vec::new(),
                hour: Vec::new(),
            });
        }
        let d = out.last_mut().expect("a day is open");
        d.high.push(bars.high[i] / tick);
        d.low.push(bars.low[i] / tick);
        d.slot.push(into / 30);
        d.hour.push(into / 60);
    }
    out.retain(|d| d.d.len() >= 120);
    out
}

fn days_of_sim(sim: &[(DayPlan, DayBars)]) -> Vec<Day> {
    sim.iter()
        .map(|(plan, b)| Day {
            weekday: plan.weekday,
            d: (0..b.close.len()).map(|i| if i == 0 { (b.close[0] - b.open[0]) as f64 } else { (b.close[i] - b.close[i - 1]) as f64 }).collect(),
            high: b.high.iter().map(|&v| v as f64).collect(),
            low: b.low.iter().map(|&v| v as f64).collect(),
            open: b.open.first().map_or(0.0, |&v| v as f64),
            slot: (0..b.close.len()).map(|m| m / 30).collect(),
            hour: (0..b.close.len()).map(|m| m / 60).collect(),
        })
        .collect()
}

/// Activity per slot over its mean, from the mean absolute change (squared: variance is
/// proportional to activity; the first moment is robust to the rare huge minute).
fn profile(days: &[Day]) -> [f64; SLOTS] {
    let mut s = [0.0; SLOTS];
    let mut n = [0usize; SLOTS];
    for day in days {
        for (d, &slot) in day.d.iter().zip(&day.slot) {
            s[slot] += d.abs();
            n[slot] += 1;
        }
    }
    let mean: Vec<f64> = s.iter().zip(&n).map(|(s, &n)| if n > 30 { (s / n as f64).powi(2) } else { f64::NAN }).collect();
    let finite: Vec<f64> = mean.iter().copied().filter(|v| v.is_finite() && *v > 0.0).collect();
    let overall = finite.iter().sum::<f64>() / finite.len().max(1) as f64;
    std::array::from_fn(|k| if mean[k].is_finite() && mean[k] > 0.0 && overall > 0.0 { mean[k] / overall } else { 1.0 })
}

fn mean_sq(days: &[Day]) -> f64 {
    let (s, n) = days.iter().flat_map(|d| d.d.iter()).fold((0.0, 0usize), |(s, n), d| (s + d * d, n + 1));
    s / n.max(1) as f64
}

/// Features of each hour (`(day index, hour, pattern)`) and of each day.
fn patterns(days: &[Day], prof: &[f64; SLOTS], level: f64) -> (Vec<(usize, usize, Pattern)>, Vec<Pattern>) {
    let mut hours = Vec::new();
    let mut daily = Vec::new();
    for (k, day) in days.iter().enumerate() {
        let net: f64 = day.d.iter().sum();
        let sign = if net >= 0.0 { 1.0 } else { -1.0 };
        let mut start = 0;
        while start < day.d.len() {
            let h = day.hour[start];
            let end = (start..day.d.len()).find(|&i| day.hour[i] != h).unwrap_or(day.d.len());
            if end - start >= 30 {
                let r = start..end;
                let s2: f64 = day.d[r.clone()].iter().map(|d| d * d).sum();
                let abs: f64 = day.d[r.clone()].iter().map(|d| d.abs()).sum();
                let hnet: f64 = day.d[r.clone()].iter().sum();
                let expected: f64 = r.clone().map(|i| prof[day.slot[i]] * level).sum();
                let hi = day.high[r.clone()].iter().copied().fold(f64::MIN, f64::max);
                let lo = day.low[r.clone()].iter().copied().fold(f64::MAX, f64::min);
                if s2 > 0.0 && abs > 0.0 {
                    hours.push((k, h, [sign * hnet / abs, (s2 / expected).ln(), (hi - lo) / s2.sqrt() / 3.0]));
                }
            }
            start = end;
        }
        let s2: f64 = day.d.iter().map(|d| d * d).sum();
        let expected: f64 = day.slot.iter().map(|&s| prof[s] * level).sum();
        let hi = day.high.iter().copied().fold(f64::MIN, f64::max);
        let lo = day.low.iter().copied().fold(f64::MAX, f64::min);
        let close = day.open + net;
        let excursion = (hi - day.open).max(day.open - lo);
        if s2 > 0.0 && hi > lo {
            daily.push([net.abs() / s2.sqrt(), (s2 / expected).ln(), (excursion - (close - day.open).abs()) / (hi - lo)]);
        }
    }
    (hours, daily)
}

fn dist(a: &Pattern, b: &Pattern, scale: &Pattern) -> f64 {
    (0..3).map(|i| ((a[i] - b[i]) / scale[i]).powi(2)).sum()
}

fn nearest(p: &Pattern, centroids: &[Option<Pattern>], scale: &Pattern) -> usize {
    let mut best = (f64::INFINITY, 0);
    for (i, c) in centroids.iter().enumerate() {
        if let Some(c) = c {
            let d = dist(p, c, scale);
            if d < best.0 {
                best = (d, i);
            }
        }
    }
    best.1
}

fn std_of(points: &[Pattern]) -> Pattern {
    std::array::from_fn(|i| {
        let n = points.len().max(1) as f64;
        let m = points.iter().map(|p| p[i]).sum::<f64>() / n;
        (points.iter().map(|p| (p[i] - m).powi(2)).sum::<f64>() / n).sqrt().max(1e-9)
    })
}

/// k-means with k-means++ seeding; returns (centroids, assignment).
pub fn kmeans(points: &[Pattern], k: usize, scale: &Pattern, rng: &mut ChaCha8Rng) -> (Vec<Pattern>, Vec<usize>) {
    let k = k.min(points.len()).max(1);
    let mut centroids: Vec<Pattern> = vec![points[(rng.next_u64() % points.len() as u64) as usize]];
    while centroids.len() < k {
        let weights: Vec<f64> = points.iter().map(|p| centroids.iter().map(|c| dist(p, c, scale)).fold(f64::INFINITY, f64::min)).collect();
        centroids.push(points[pick(&weights, uniform(rng))]);
    }
    let mut assign = vec![0usize; points.len()];
    for _ in 0..100 {
        let opt: Vec<Option<Pattern>> = centroids.iter().copied().map(Some).collect();
        let new: Vec<usize> = points.iter().map(|p| nearest(p, &opt, scale)).collect();
        let changed = new != assign;
        assign = new;
        for (c, centroid) in centroids.iter_mut().enumerate() {
            let members: Vec<&Pattern> = points.iter().zip(&assign).filter(|(_, a)| **a == c).map(|(p, _)| p).collect();
            if !members.is_empty() {
                *centroid = std::array::from_fn(|i| members.iter().map(|p| p[i]).sum::<f64>() / members.len() as f64);
            }
        }
        if !changed {
            break;
        }
    }
    (centroids, assign)
}

/// Simulates `n` trading days (Monday..Friday cycling) from the model's day chain.
fn pilot(model: &Model, n: usize, rng: &mut ChaCha8Rng) -> Vec<(DayPlan, DayBars)> {
    let mut regime = DayRegime::ALL[pick(&[1.0; 6], uniform(rng))];
    (0..n)
        .map(|i| {
            if i > 0 {
                regime = DayRegime::ALL[pick(&model.day_matrix[regime.index()], uniform(rng))];
            }
            let plan = DayPlan { weekday: (i % 5) as u8, regime, direction: if uniform(rng) < 0.5 { 1 } else { -1 }, minutes: DAY_MINUTES };
            let bars = simulate_day(model, &plan, &[], rng);
            (plan, bars)
        })
        .collect()
}

fn to_bars(sim: &[(DayPlan, DayBars)]) -> Bars {
    // Consecutive trading days from a fixed Monday; prices stitched.
    let cal = Calendar::cme();
    let sunday = chrono::NaiveDate::from_ymd_opt(2024, 3, 3).unwrap_or_default();
    let mut b = Bars::default();
    let mut level = 100_000i64;
    for (k, (_, day)) in sim.iter().enumerate() {
        let eve = sunday + chrono::Days::new((k / 5 * 7 + k % 5) as u64);
        let open = cal.utc_ns(eve.year(), eve.month(), eve.day(), 17, 0).unwrap_or(0);
        for m in 0..day.close.len() {
            b.ts.push(open + m as i64 * 60_000_000_000);
            b.open.push((level + day.open[m]) as f64);
            b.high.push((level + day.high[m]) as f64);
            b.low.push((level + day.low[m]) as f64);
            b.close.push((level + day.close[m]) as f64);
            b.volume.push(day.volume[m]);
        }
        level += day.close.last().copied().unwrap_or(0);
    }
    b
}

/// The fitted model and what the fit found.
#[derive(Clone, Debug, Serialize)]
pub struct Fitted {
    #[serde(skip)]
    pub model: Model,
    pub real_days: usize,
    pub real_hours: usize,
    /// Pattern library: cluster centroids `[signed efficiency, log activity, range / volatility / 3]`, their share of hours and the phase each maps to.
    pub patterns: Vec<(Pattern, f64, String)>,
    pub profile: Vec<f64>,
    pub day_of_week: [f64; 5],
    pub tick_scale: f64,
    /// Factor applied to every state's bias `up - 1/2`.
    pub drift_scale: f64,
    pub clustering: Clustering,
    pub volume_per_tick: f64,
    pub hour_phase_share: Vec<(String, f64)>,
    pub day_regime_share: Vec<(String, f64)>,
}

/// Transition matrix from label sequences: counts plus the prior's rows (2 pseudo-counts each).
fn transitions<const N: usize>(pairs: &[(usize, usize)], prior: &[[f64; N]; N]) -> [[f64; N]; N] {
    let mut m = [[0.0; N]; N];
    for (i, row) in prior.iter().enumerate() {
        let s: f64 = row.iter().sum();
        for j in 0..N {
            m[i][j] = 2.0 * row[j] / s;
        }
    }
    for &(a, b) in pairs {
        m[a][b] += 1.0;
    }
    m
}

/// Fits a model to real 1-minute bars, starting from `base`.
#[allow(clippy::needless_range_loop)] // phase and regime tables indexed side by side
pub fn fit(real: &Bars, tick: f64, clusters: usize, base: &Model, rng: &mut ChaCha8Rng) -> Result<Fitted, StageError> {
    let days = days_of_real(real, tick);
    if days.len() < 5 {
        return Err(StageError::data_hint(
            format!("fitting needs at least 5 trading days of 1-minute bars, the `real` input has {}", days.len()),
            "give more real bars, or drop the `real` input",
        ));
    }
    let mut model = base.clone();
    // 1. Profile and weekday.
    model.profile = profile(&days);
    let level = mean_sq(&days);
    let mut dow_s = [0.0; 5];
    let mut dow_n = [0.0; 5];
    for d in &days {
        for (x, &slot) in d.d.iter().zip(&d.slot) {
            dow_s[usize::from(d.weekday)] += x * x / model.profile[slot];
            dow_n[usize::from(d.weekday)] += 1.0;
        }
    }
    let dow_mean: Vec<f64> = (0..5).map(|i| if dow_n[i] > 0.0 { dow_s[i] / dow_n[i] } else { f64::NAN }).collect();
    let dow_overall = dow_mean.iter().filter(|v| v.is_finite()).sum::<f64>() / dow_mean.iter().filter(|v| v.is_finite()).count().max(1) as f64;
    model.dow = std::array::from_fn(|i| if dow_mean[i].is_finite() && dow_overall > 0.0 { dow_mean[i] / dow_overall } else { 1.0 });

    // 4a. Scale (first pass, so the pilot's patterns are on the real scale).
    let scale_ticks = |model: &mut Model, rng: &mut ChaCha8Rng| -> f64 {
        let sim = days_of_sim(&pilot(model, PILOT_DAYS, rng));
        let s = (level / mean_sq(&sim)).clamp(0.01, 100.0);
        for st in &mut model.states {
            st.ticks *= s;
        }
        s
    };
    let mut tick_scale = scale_ticks(&mut model, rng);

    // 2. Patterns: simulated centroids per phase and regime.
    let sim_pairs = pilot(&model, PILOT_DAYS * 2, rng);
    let sim_days = days_of_sim(&sim_pairs);
    let sim_level = mean_sq(&sim_days);
    let (sim_hours, sim_daily) = patterns(&sim_days, &model.profile, sim_level);
    let mut phase_centroid: Vec<Option<Pattern>> = vec![None; 6];
    let mut phase_activity_sim = [f64::NAN; 6];
    for p in HourPhase::ALL {
        let members: Vec<&Pattern> = sim_hours.iter().filter(|(k, h, _)| sim_pairs[*k].1.phase[h * 60] == p).map(|(_, _, f)| f).collect();
        if !members.is_empty() {
            phase_centroid[p.index()] = Some(std::array::from_fn(|i| members.iter().map(|f| f[i]).sum::<f64>() / members.len() as f64));
            phase_activity_sim[p.index()] = members.iter().map(|f| f[1].exp()).sum::<f64>() / members.len() as f64;
        }
    }
    let mut regime_centroid: Vec<Option<Pattern>> = vec![None; 6];
    let mut regime_activity_sim = [f64::NAN; 6];
    for r in DayRegime::ALL {
        let members: Vec<&Pattern> = sim_daily.iter().zip(&sim_pairs).filter(|(_, (plan, _))| plan.regime == r).map(|(f, _)| f).collect();
        if !members.is_empty() {
            regime_centroid[r.index()] = Some(std::array::from_fn(|i| members.iter().map(|f| f[i]).sum::<f64>() / members.len() as f64));
            regime_activity_sim[r.index()] = members.iter().map(|f| f[1].exp()).sum::<f64>() / members.len() as f64;
        }
    }
    let (real_hours, real_daily) = patterns(&days, &model.profile, level);
    let hour_points: Vec<Pattern> = real_hours.iter().map(|h| h.2).collect();
    let hscale = std_of(&hour_points);
    let (centroids, assign) = kmeans(&hour_points, clusters, &hscale, rng);
    let cluster_phase: Vec<usize> = centroids.iter().map(|c| nearest(c, &phase_centroid, &hscale)).collect();
    let hour_label: Vec<usize> = assign.iter().map(|&a| cluster_phase[a]).collect();
    let mut pairs = Vec::new();
    for w in 0..real_hours.len().saturating_sub(1) {
        let (a, b) = (&real_hours[w], &real_hours[w + 1]);
        if a.0 == b.0 && b.1 == a.1 + 1 {
            pairs.push((hour_label[w], hour_label[w + 1]));
        }
    }
    model.hour_matrix = transitions(&pairs, &model.hour_matrix);
    let dscale = std_of(&real_daily);
    let day_label: Vec<usize> = real_daily.iter().map(|d| nearest(d, &regime_centroid, &dscale)).collect();
    let day_pairs: Vec<(usize, usize)> = day_label.windows(2).map(|w| (w[0], w[1])).collect();
    model.day_matrix = transitions(&day_pairs, &model.day_matrix);
    // 3. Activities: real over simulated, per label.
    for p in 0..6 {
        let real: Vec<f64> = hour_points.iter().zip(&hour_label).filter(|(_, l)| **l == p).map(|(f, _)| f[1].exp()).collect();
        if real.len() >= 5 && phase_activity_sim[p].is_finite() {
            let ratio = real.iter().sum::<f64>() / real.len() as f64 / phase_activity_sim[p];
            model.phases[p].activity = (model.phases[p].activity * ratio).clamp(0.2, 5.0);
        }
    }
    for r in 0..6 {
        let real: Vec<f64> = real_daily.iter().zip(&day_label).filter(|(_, l)| **l == r).map(|(f, _)| f[1].exp()).collect();
        if real.len() >= 2 && regime_activity_sim[r].is_finite() {
            let ratio = real.iter().sum::<f64>() / real.len() as f64 / regime_activity_sim[r];
            model.regimes[r].activity = (model.regimes[r].activity * ratio).clamp(0.2, 5.0);
        }
    }
    // 4b. Scale again after the activities moved; then clustering by simulated moments.
    tick_scale *= scale_ticks(&mut model, rng);
    let real_facts = StylizedFacts::of(real, tick);
    // 4c. Drift: shrink every state's bias `up - 1/2` so the simulated lag-1 return
    // autocorrelation matches the real one (persistent biased states make returns
    // predictable; real 1-minute returns are close to unpredictable).
    let mut best_drift = (f64::INFINITY, 1.0);
    for c in DRIFT_GRID {
        let mut m = model.clone();
        for st in &mut m.states {
            st.up = 0.5 + (st.up - 0.5) * c;
        }
        let facts = StylizedFacts::of(&to_bars(&pilot(&m, PILOT_DAYS, rng)), 1.0);
        let err = (facts.return_acf1 - real_facts.return_acf1).abs();
        if err.is_finite() && err < best_drift.0 {
            best_drift = (err, c);
        }
    }
    for st in &mut model.states {
        st.up = 0.5 + (st.up - 0.5) * best_drift.1;
    }
    let target_acf: Vec<f64> = real_facts.abs_acf.iter().filter(|(l, _)| [1, 5, 30].contains(l)).map(|a| a.1).collect();
    let mut best = (f64::INFINITY, model.clustering);
    for phi in PHI_GRID {
        for sigma in SIGMA_GRID {
            let mut m = model.clone();
            m.clustering = Clustering { phi, sigma };
            let facts = StylizedFacts::of(&to_bars(&pilot(&m, PILOT_DAYS, rng)), 1.0);
            let acf: Vec<f64> = facts.abs_acf.iter().filter(|(l, _)| [1, 5, 30].contains(l)).map(|a| a.1).collect();
            let k_err = ((facts.returns.excess_kurtosis - real_facts.returns.excess_kurtosis) / (1.0 + real_facts.returns.excess_kurtosis.abs())).powi(2);
            let a_err: f64 = acf.iter().zip(&target_acf).map(|(s, r)| ((s - r) / 0.05).powi(2)).sum();
            let score = k_err + a_err;
            if score.is_finite() && score < best.0 {
                best = (score, m.clustering);
            }
        }
    }
    model.clustering = best.1;
    // Volume scale.
    let real_vol: Vec<f64> = real.volume.iter().copied().filter(|v| v.is_finite()).collect();
    if !real_vol.is_empty() {
        let sim = to_bars(&pilot(&model, PILOT_DAYS, rng));
        let sim_mean = sim.volume.iter().sum::<f64>() / sim.volume.len().max(1) as f64;
        let real_mean = real_vol.iter().sum::<f64>() / real_vol.len() as f64;
        if sim_mean > 0.0 {
            model.volume_per_tick = (model.volume_per_tick * real_mean / sim_mean).max(0.01);
        }
    }
    let share = |labels: &[usize], names: &[&str]| -> Vec<(String, f64)> {
        names.iter().enumerate().map(|(i, n)| ((*n).to_owned(), labels.iter().filter(|l| **l == i).count() as f64 / labels.len().max(1) as f64)).collect()
    };
    let patterns_out = centroids
        .iter()
        .enumerate()
        .map(|(c, centroid)| {
            (*centroid, assign.iter().filter(|a| **a == c).count() as f64 / assign.len().max(1) as f64, HourPhase::ALL[cluster_phase[c]].name().to_owned())
        })
        .collect();
    Ok(Fitted {
        real_days: days.len(),
        real_hours: real_hours.len(),
        patterns: patterns_out,
        profile: model.profile.to_vec(),
        day_of_week: model.dow,
        tick_scale,
        drift_scale: best_drift.1,
        clustering: model.clustering,
        volume_per_tick: model.volume_per_tick,
        hour_phase_share: share(&hour_label, &HourPhase::ALL.map(HourPhase::name)),
        day_regime_share: share(&day_label, &DayRegime::ALL.map(DayRegime::name)),
        model,
    })
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn kmeans_separates_clear_clusters() {
        let mut pts = Vec::new();
        for i in 0..50 {
            let e = f64::from(i % 5) * 0.01;
            pts.push([0.0 + e, 0.0, 0.0]);
            pts.push([5.0 + e, 5.0, 0.0]);
        }
        let (c, a) = kmeans(&pts, 2, &[1.0; 3], &mut ChaCha8Rng::seed_from_u64(1));
        assert_eq!(c.len(), 2);
        assert!(a.chunks(2).all(|p| p[0] != p[1]));
    }

    #[test]
    fn fitting_recovers_a_known_scale_and_profile() {
        // Real = the default model with every state's ticks doubled; the fit starts from
        // a flat profile and must find the U-shape.
        let mut truth = Model::default();
        for s in &mut truth.states {
            s.ticks *= 2.0;
        }
        let real = to_bars(&pilot(&truth, 100, &mut ChaCha8Rng::seed_from_u64(5)));
        let flat = Model { profile: [1.0; SLOTS], ..Model::default() };
        let fitted = fit(&real, 1.0, 6, &flat, &mut ChaCha8Rng::seed_from_u64(6)).unwrap();
        let corr = crate::stats::correlation(&fitted.profile, &super::super::model::PROFILE);
        assert!(corr > 0.8, "profile correlation {corr}: {:?}", fitted.profile);
        let real_level = mean_sq(&days_of_real(&real, 1.0));
        let sim_level = mean_sq(&days_of_sim(&pilot(&fitted.model, 30, &mut ChaCha8Rng::seed_from_u64(7))));
        assert!((sim_level / real_level - 1.0).abs() < 0.25, "fitted variance {sim_level} vs real {real_level}");
        assert!(fitted.tick_scale > 1.3, "the real market is twice as active: scale {}", fitted.tick_scale);
        let shares: f64 = fitted.hour_phase_share.iter().map(|s| s.1).sum();
        assert!((shares - 1.0).abs() < 1e-9);
    }
}
