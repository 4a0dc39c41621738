//! Histograms: equal-width bins of a sample (or bins computed upstream), with an
//! optional marked value (0 for Sharpe ratios and PBO logits) splitting the bars into
//! two colours.

use super::frame::{Frame, XAxis, YAxis};
use super::svg::Svg;

/// Bin edges and counts.
#[derive(Clone, Debug, PartialEq)]
pub struct Bins {
    /// `counts.len() + 1` increasing edges.
    pub edges: Vec<f64>,
    pub counts: Vec<f64>,
}

impl Bins {
    /// `bins` equal-width bins over the finite values' range (the last bin closed).
    pub fn of(values: &[f64], bins: usize) -> Self {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let bins = bins.max(1);
        let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if finite.is_empty() {
            return Self { edges: vec![0.0, 1.0], counts: vec![0.0] };
        }
        let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 0.5, hi + 0.5) };
        let width = (hi - lo) / bins as f64;
        let edges: Vec<f64> = (0..=bins).map(|i| if i == bins { hi } else { lo + width * i as f64 }).collect();
        let mut counts = vec![0.0; bins];
        for v in finite {
            let i = (((v - lo) / width).floor() as usize).min(bins - 1);
            counts[i] += 1.0;
        }
        Self { edges, counts }
    }
}

/// A histogram chart.
#[derive(Clone, Debug)]
pub struct Histogram {
    pub bins: Bins,
    pub x_label: String,
    /// A vertical reference line at this value; bars left of it are drawn as losses.
    pub marker: Option<f64>,
    pub width: f64,
    pub height: f64,
}

impl Histogram {
    pub fn new(bins: Bins, x_label: impl Into<String>) -> Self {
        Self { bins, x_label: x_label.into(), marker: None, width: 900.0, height: 260.0 }
    }

    pub fn render(&self) -> String {
        let e = &self.bins.edges;
        let (x0, x1) = (e[0].min(self.marker.unwrap_or(e[0])), e[e.len() - 1].max(self.marker.unwrap_or(e[0])));
        let hi = self.bins.counts.iter().copied().fold(0.0, f64::max);
        let mut svg = Svg::new(self.width, self.height, &self.x_label);
        let y = YAxis { integer: true, ..YAxis::new("count", (0.0, hi)) };
        let frame = Frame::draw(&mut svg, (self.width, self.height), &XAxis::Linear(self.x_label.clone()), (x0, x1), &y);
        for (i, &c) in self.bins.counts.iter().enumerate() {
            if c <= 0.0 {
                continue;
            }
            let (a, b) = (frame.x.map(e[i]), frame.x.map(e[i + 1]));
            let (top, base) = (frame.y.map(c), frame.y.map(0.0));
            let below = self.marker.is_some_and(|m| e[i + 1] <= m);
            svg.rect(
                a + 0.5,
                top,
                (b - a - 1.0).max(1.0),
                base - top,
                if below { "bar neg" } else { "bar s0" },
                Some(&format!("[{:.3}, {:.3}): {c}", e[i], e[i + 1])),
            );
        }
        if let Some(m) = self.marker {
            let px = frame.x.map(m);
            svg.line(px, frame.top, px, frame.bottom, "marker");
        }
        svg.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::svg::tests::assert_balanced;

    #[test]
    fn equal_width_bins_count_every_finite_value() {
        let b = Bins::of(&[0.0, 0.1, 0.5, 0.99, 1.0, f64::NAN], 2);
        assert_eq!(b.edges, vec![0.0, 0.5, 1.0]);
        assert_eq!(b.counts, vec![2.0, 3.0]);
        let single = Bins::of(&[2.0, 2.0], 4);
        assert_eq!(single.counts.iter().sum::<f64>(), 2.0);
        assert_eq!(Bins::of(&[], 3).counts, vec![0.0]);
    }

    #[test]
    fn bars_left_of_the_marker_are_losses() {
        let mut h = Histogram::new(Bins::of(&[-2.0, -1.5, -0.2, 0.3, 0.4, 1.9], 4), "logit");
        h.marker = Some(0.0);
        let svg = h.render();
        assert_balanced(&svg);
        assert_eq!(svg.matches("bar neg").count(), 2, "{svg}");
        assert!(svg.contains("class=\"marker\""));
    }
}
