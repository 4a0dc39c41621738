//! Axes: linear scales, "nice" tick values (1, 2, 5 x 10^k steps), and calendar ticks for
//! time axes (UTC nanoseconds).

use chrono::{DateTime, Datelike, NaiveDate};

/// Maps the domain `[d0, d1]` linearly onto the range `[r0, r1]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Linear {
    pub d0: f64,
    pub d1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl Linear {
    /// A scale over `[lo, hi]`, widened to a unit interval around a single value.
    pub fn new(lo: f64, hi: f64, r0: f64, r1: f64) -> Self {
        let (lo, hi) = if lo.is_finite() && hi.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 0.5, hi + 0.5) };
        Self { d0: lo, d1: hi, r0, r1 }
    }

    pub fn map(&self, v: f64) -> f64 {
        self.r0 + (v - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }
}

/// A "nice" step (1, 2 or 5 times a power of ten) giving about `count` intervals over `span`.
pub fn nice_step(span: f64, count: usize) -> f64 {
    let raw = span / count.max(1) as f64;
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f < 1.5 {
        1.0
    } else if f < 3.0 {
        2.0
    } else if f < 7.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// The domain `[lo, hi]` extended outwards to whole steps (at least `min_step`), and the
/// ticks on it.
pub fn nice_ticks(lo: f64, hi: f64, count: usize, min_step: f64) -> (f64, f64, Vec<f64>) {
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 0.5, hi + 0.5) };
    let step = nice_step(hi - lo, count).max(min_step);
    let start = (lo / step).floor();
    let end = (hi / step).ceil();
    let ticks: Vec<f64> = (0..=(end - start) as i64).map(|i| (start + i as f64) * step).map(|v| if v.abs() < step * 1e-9 { 0.0 } else { v }).collect();
    (start * step, end * step, ticks)
}

/// Decimals needed to tell ticks `step` apart.
pub fn decimals_for(step: f64) -> usize {
    if step >= 1.0 || step <= 0.0 { 0 } else { (-step.log10().floor()) as usize }
}

/// Tick label of `v` on an axis with tick spacing `step`: from 10,000 on as `k`, from a
/// million on as `M`, with the decimals the step needs.
pub fn tick_label(v: f64, step: f64) -> String {
    let size = v.abs().max(step.abs());
    if size >= 1e6 {
        format!("{:.*}M", decimals_for(step / 1e6), v / 1e6)
    } else if size >= 1e4 {
        format!("{:.*}k", decimals_for(step / 1e3), v / 1e3)
    } else {
        format!("{:.*}", decimals_for(step), v)
    }
}

const NS_PER_DAY: i64 = 86_400_000_000_000;

/// Calendar ticks for a time axis over `[t0, t1]` (UTC ns): months (every 1, 2, 3, 6
/// or 12) for long spans, else days; labelled `YYYY-MM` or `MM-DD`.
pub fn time_ticks(t0: i64, t1: i64, count: usize) -> Vec<(i64, String)> {
    let days = (t1 - t0) / NS_PER_DAY;
    let date = |t: i64| DateTime::from_timestamp_nanos(t).date_naive();
    let ns = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map_or(0, |dt| dt.and_utc().timestamp_nanos_opt().unwrap_or(0));
    let mut out = Vec::new();
    if days >= 60 {
        let months = days / 30;
        let every: i32 = [1, 2, 3, 6, 12].into_iter().find(|m| months / i64::from(*m) <= count as i64).unwrap_or(24);
        let (d0, d1) = (date(t0), date(t1));
        let mut y = d0.year();
        let mut m = d0.month() as i32;
        loop {
            m += 1;
            if m > 12 {
                m = 1;
                y += 1;
            }
            let Some(d) = NaiveDate::from_ymd_opt(y, m as u32, 1) else { break };
            if d > d1 {
                break;
            }
            if (m - 1) % every == 0 {
                out.push((ns(d), if every >= 12 { format!("{y}") } else { format!("{y}-{m:02}") }));
            }
        }
    } else {
        let every = [1, 2, 5, 7, 14, 30].into_iter().find(|e| days / e <= count as i64).unwrap_or(30);
        let mut d = date(t0).succ_opt();
        let mut i = 0;
        while let Some(day) = d {
            let t = ns(day);
            if t > t1 {
                break;
            }
            if i % every == 0 {
                out.push((t, format!("{:02}-{:02}", day.month(), day.day())));
            }
            i += 1;
            d = day.succ_opt();
        }
    }
    out
}

/// Keeps at most about `max` points of a series for drawing: each bucket of consecutive
/// points contributes its first, lowest and highest point (in x order), so drawdowns and
/// peaks survive the thinning.
pub fn thin(points: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max || max < 3 {
        return points.to_vec();
    }
    let buckets = max / 3;
    let size = points.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(buckets * 3 + 1);
    for chunk in points.chunks(size) {
        let lo = chunk.iter().enumerate().min_by(|a, b| a.1.1.total_cmp(&b.1.1)).map_or(0, |x| x.0);
        let hi = chunk.iter().enumerate().max_by(|a, b| a.1.1.total_cmp(&b.1.1)).map_or(0, |x| x.0);
        let mut idx = [0, lo, hi];
        idx.sort_unstable();
        for (k, &i) in idx.iter().enumerate() {
            if k == 0 || i != idx[k - 1] {
                out.push(chunk[i]);
            }
        }
    }
    if out.last() != points.last() {
        out.push(points[points.len() - 1]);
    }
    out
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case(0.0, 1.0, 5, 0.2)]
    #[case(0.0, 97.0, 5, 20.0)]
    #[case(-3.2, 4.1, 6, 1.0)]
    #[case(24_000.0, 26_500.0, 5, 500.0)]
    fn nice_steps(#[case] lo: f64, #[case] hi: f64, #[case] count: usize, #[case] want: f64) {
        assert_eq!(nice_step(hi - lo, count), want);
    }

    #[test]
    fn ticks_cover_the_domain_on_whole_steps() {
        let (lo, hi, ticks) = nice_ticks(-0.13, 0.42, 5, 0.0);
        assert_eq!((lo, hi), (-0.2, 0.5));
        assert_eq!(ticks.len(), 8);
        assert!(ticks.contains(&0.0));
        assert_eq!(tick_label(0.1, 0.1), "0.1");
        assert_eq!(nice_ticks(0.0, 3.0, 5, 1.0).2, vec![0.0, 1.0, 2.0, 3.0], "counts tick at whole numbers");
        assert_eq!(tick_label(25_500.0, 500.0), "25.5k");
        assert_eq!(tick_label(3_000_000.0, 1_000_000.0), "3M");
        assert_eq!(tick_label(2_500.0, 500.0), "2500");
    }

    #[test]
    fn scales_map_and_survive_empty_domains() {
        let s = Linear::new(0.0, 10.0, 100.0, 200.0);
        assert_eq!(s.map(5.0), 150.0);
        let flat = Linear::new(3.0, 3.0, 0.0, 1.0);
        assert_eq!(flat.map(3.0), 0.5);
    }

    #[test]
    fn time_ticks_are_calendar_boundaries() {
        let ns = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_nanos_opt().unwrap();
        let t = time_ticks(ns(2024, 1, 15), ns(2024, 12, 20), 6);
        assert_eq!(t.first().unwrap().1, "2024-03"); // every other month, from January
        assert_eq!(t[1].1, "2024-05");
        assert!(t.iter().all(|(_, l)| l.len() == 7));
        assert!(t.len() <= 7, "{t:?}");
        let d = time_ticks(ns(2024, 3, 1), ns(2024, 3, 10), 10);
        assert_eq!(d[0], (ns(2024, 3, 2), "03-02".to_owned()));
    }

    #[test]
    fn thinning_keeps_extremes_and_ends() {
        let pts: Vec<(f64, f64)> = (0..10_000).map(|i| (f64::from(i), if i == 5_001 { -100.0 } else { f64::from(i % 7) })).collect();
        let t = thin(&pts, 300);
        assert!(t.len() <= 301);
        assert!(t.contains(&(5001.0, -100.0)));
        assert_eq!(t.first(), pts.first());
        assert_eq!(t.last(), pts.last());
        assert!(t.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
