//! The tick engine: simulates one trading day of 1-minute bars from tick events.
//!
//! Each minute draws its number of price-change events from a Poisson law with mean
//! `ticks(state) x activity`, where activity = session profile x day of week x day
//! regime x hour phase x volatility clustering. Each event moves the price by
//! `1 + Poisson(vol - 1)` ticks, up with probability `up` (in the day's direction for
//! directional states). Open, high, low and close are tracked in integer ticks, so they
//! are on the tick grid and consistent by construction. Volume is
//! `volume_per_tick x (events + 1/2)` times log-normal noise, at least 1.
//!
//! A day is simulated from its own RNG stream, with prices relative to its open; the
//! stage stitches the days together. Days are independent given the day plan, so they
//! run in parallel with identical results for any thread count.

use rand::RngCore;
use rand_chacha::ChaCha8Rng;

use super::model::{DAY_MINUTES, Model};
use super::states::{DayRegime, HourPhase, MinuteState};

/// One pinned minute state: from minute `at` of the trading day (0 = 17:00 open) on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pin {
    pub at: usize,
    pub state: MinuteState,
    /// The direction directional states trade in while this pin holds (default: the
    /// day's, as oriented by the hour phase).
    pub direction: Option<i8>,
}

/// What is decided about a day before its minutes are simulated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DayPlan {
    /// Monday = 0 .. Friday = 4 (of the trading day's date).
    pub weekday: u8,
    pub regime: DayRegime,
    /// +1 or -1: the direction the day starts with.
    pub direction: i8,
    /// Minutes to simulate (1380, fewer for a truncated last day).
    pub minutes: usize,
}

/// A simulated day, prices in ticks relative to its open.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DayBars {
    pub open: Vec<i64>,
    pub high: Vec<i64>,
    pub low: Vec<i64>,
    pub close: Vec<i64>,
    pub volume: Vec<f64>,
    pub state: Vec<MinuteState>,
    pub phase: Vec<HourPhase>,
}

/// A uniform draw in [0, 1).
pub(crate) fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A standard normal draw (Box-Muller, one of the pair).
pub(crate) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = uniform(rng).max(f64::MIN_POSITIVE);
    let u2 = uniform(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A Poisson draw by inversion (one uniform); a rounded normal approximation past 500.
pub(crate) fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 500.0 {
        return (lambda + lambda.sqrt() * normal(rng)).round().max(0.0) as u32;
    }
    let u = uniform(rng);
    let mut p = (-lambda).exp();
    let mut cdf = p;
    let mut k = 0u32;
    while u > cdf && k < 10_000 {
        k += 1;
        p *= lambda / f64::from(k);
        cdf += p;
        if p == 0.0 {
            break;
        }
    }
    k
}

/// Index drawn from unnormalised weights.
pub(crate) fn pick(weights: &[f64], u: f64) -> usize {
    let total: f64 = weights.iter().sum();
    let mut target = u * total;
    for (i, &w) in weights.iter().enumerate() {
        if target < w {
            return i;
        }
        target -= w;
    }
    weights.iter().rposition(|&w| w > 0.0).unwrap_or(0)
}

/// Event-size table of a state: cumulative probabilities of `size - 1` scaled to u32.
fn size_table(vol: f64) -> [u32; 16] {
    let lambda = (vol - 1.0).max(0.0);
    let mut table = [u32::MAX; 16];
    let mut p = (-lambda).exp();
    let mut cdf = 0.0;
    for (k, slot) in table.iter_mut().enumerate().take(15) {
        if k > 0 {
            p *= lambda / k as f64;
        }
        cdf += p;
        *slot = (cdf.min(1.0) * f64::from(u32::MAX)) as u32;
    }
    table
}

/// Per-state constants precomputed for the inner loop.
struct StateTables {
    up_threshold: [[u32; 2]; 7],
    sizes: [[u32; 16]; 7],
}

impl StateTables {
    fn new(model: &Model) -> Self {
        let mut up_threshold = [[0; 2]; 7];
        let mut sizes = [[0; 16]; 7];
        for s in MinuteState::ALL {
            let p = model.states[s.index()];
            let up_for = |direction: f64| {
                let up = if s.is_directional() { 0.5 + (p.up - 0.5) * direction } else { p.up };
                (up.clamp(0.0, 1.0) * f64::from(u32::MAX)) as u32
            };
            up_threshold[s.index()] = [up_for(1.0), up_for(-1.0)];
            sizes[s.index()] = size_table(p.vol);
        }
        Self { up_threshold, sizes }
    }
}

/// The next hour phase given the current one (`None` at the day's start).
fn next_phase(model: &Model, regime: DayRegime, current: Option<HourPhase>, u: f64) -> HourPhase {
    let affinity = model.regimes[regime.index()].phases;
    let weights: [f64; 6] = match current {
        None => affinity,
        Some(c) => std::array::from_fn(|j| model.hour_matrix[c.index()][j] * affinity[j]),
    };
    HourPhase::ALL[pick(&weights, u)]
}

/// The minute state entered when leaving `current` (or at a phase change when `None`).
fn next_state(model: &Model, phase: HourPhase, direction: i8, current: Option<MinuteState>, u: f64) -> MinuteState {
    let affinity = model.phases[phase.index()].states;
    let weights: [f64; 7] = std::array::from_fn(|j| {
        let to = MinuteState::ALL[j];
        let a = affinity[to.oriented(direction).index()];
        match current {
            None => a,
            Some(c) if c == to => 0.0,
            Some(c) => model.minute_matrix[c.index()][j] * a,
        }
    });
    MinuteState::ALL[pick(&weights, u)]
}

/// Simulates one trading day.
pub fn simulate_day(model: &Model, plan: &DayPlan, pins: &[Pin], rng: &mut ChaCha8Rng) -> DayBars {
    let n = plan.minutes.min(DAY_MINUTES);
    let tables = StateTables::new(model);
    let mut day = DayBars {
        open: Vec::with_capacity(n),
        high: Vec::with_capacity(n),
        low: Vec::with_capacity(n),
        close: Vec::with_capacity(n),
        volume: Vec::with_capacity(n),
        state: Vec::with_capacity(n),
        phase: Vec::with_capacity(n),
    };
    let regime = model.regimes[plan.regime.index()];
    let dow = model.dow[usize::from(plan.weekday.min(4))];
    let cl = model.clustering;
    let sv_var = cl.variance();
    let sv_sd = sv_var.sqrt();
    // Start the clustering process in its stationary law.
    let mut x = if sv_sd > 0.0 { sv_sd * normal(rng) } else { 0.0 };
    let mut direction = plan.direction;
    let mut phase = next_phase(model, plan.regime, None, uniform(rng));
    if phase == HourPhase::Reversal {
        direction = -direction;
    }
    let mut state = next_state(model, phase, direction * model.phases[phase.index()].orientation, None, uniform(rng));
    let mut pin_idx = 0usize;
    let mut price: i64 = 0;
    for m in 0..n {
        if m > 0 && m % 60 == 0 {
            let new = next_phase(model, plan.regime, Some(phase), uniform(rng));
            if new == HourPhase::Reversal {
                direction = -direction;
            }
            if new != phase && uniform(rng) < 0.5 {
                state = next_state(model, new, direction * model.phases[new.index()].orientation, None, uniform(rng));
            }
            phase = new;
        } else if m > 0 {
            let u = uniform(rng);
            if u >= model.states[state.index()].persistence {
                let oriented = direction * model.phases[phase.index()].orientation;
                state = next_state(model, phase, oriented, Some(state), uniform(rng));
            }
        }
        while pin_idx < pins.len() && pins[pin_idx].at <= m {
            pin_idx += 1;
        }
        let pin = pin_idx.checked_sub(1).map(|i| pins[i]);
        if let Some(pin) = pin {
            state = pin.state;
        }
        if sv_sd > 0.0 {
            x = cl.phi * x + cl.sigma * normal(rng);
        }
        let sv = if sv_sd > 0.0 { (x - 0.5 * sv_var).exp() } else { 1.0 };
        let phase_params = model.phases[phase.index()];
        let activity = model.profile[m / 30] * dow * regime.activity * phase_params.activity * sv;
        let sp = model.states[state.index()];
        let events = poisson(rng, sp.ticks * activity);
        let oriented = pin.and_then(|p| p.direction).unwrap_or(direction * phase_params.orientation);
        let threshold = tables.up_threshold[state.index()][usize::from(oriented < 0)];
        let sizes = &tables.sizes[state.index()];
        let open = price;
        let (mut hi, mut lo) = (price, price);
        for _ in 0..events {
            let w = rng.next_u64();
            let size = 1 + sizes.iter().position(|&c| (w as u32) < c).unwrap_or(15) as i64;
            if ((w >> 32) as u32) < threshold {
                price += size;
                hi = hi.max(price);
            } else {
                price -= size;
                lo = lo.min(price);
            }
        }
        let noise = (0.35 * normal(rng) - 0.06125).exp();
        let volume = (model.volume_per_tick * (f64::from(events) + 0.5) * noise).round().max(1.0);
        day.open.push(open);
        day.high.push(hi);
        day.low.push(lo);
        day.close.push(price);
        day.volume.push(volume);
        day.state.push(state);
        day.phase.push(phase);
    }
    day
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn poisson_mean_and_variance() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for lambda in [0.5, 4.0, 20.0, 800.0] {
            let n = 40_000;
            let draws: Vec<f64> = (0..n).map(|_| f64::from(poisson(&mut rng, lambda))).collect();
            let mean = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / n as f64;
            let se = (lambda / n as f64).sqrt();
            assert!((mean - lambda).abs() < 5.0 * se, "lambda {lambda}: mean {mean}");
            assert!((var / lambda - 1.0).abs() < 0.05, "lambda {lambda}: var {var}");
        }
    }

    #[test]
    fn ohlc_is_consistent_and_days_are_deterministic() {
        let model = Model::default();
        let plan = DayPlan { weekday: 2, regime: DayRegime::Volatile, direction: 1, minutes: DAY_MINUTES };
        let a = simulate_day(&model, &plan, &[], &mut ChaCha8Rng::seed_from_u64(7));
        let b = simulate_day(&model, &plan, &[], &mut ChaCha8Rng::seed_from_u64(7));
        assert_eq!(a, b);
        assert_eq!(a.open.len(), DAY_MINUTES);
        for i in 0..a.open.len() {
            assert!(a.low[i] <= a.open[i].min(a.close[i]) && a.high[i] >= a.open[i].max(a.close[i]));
            assert!(a.volume[i] >= 1.0);
            if i > 0 {
                assert_eq!(a.open[i], a.close[i - 1]);
            }
        }
    }

    #[test]
    fn pins_override_the_chain() {
        let model = Model::default();
        let plan = DayPlan { weekday: 0, regime: DayRegime::Range, direction: -1, minutes: 200 };
        let pins = [
            Pin { at: 0, state: MinuteState::Ranging, direction: None },
            Pin { at: 100, state: MinuteState::Breakout, direction: Some(1) },
            Pin { at: 130, state: MinuteState::Rally, direction: None },
        ];
        let day = simulate_day(&model, &plan, &pins, &mut ChaCha8Rng::seed_from_u64(3));
        assert!(day.state[..100].iter().all(|&s| s == MinuteState::Ranging));
        assert!(day.state[100..130].iter().all(|&s| s == MinuteState::Breakout));
        assert!(day.state[130..].iter().all(|&s| s == MinuteState::Rally));
    }
}
