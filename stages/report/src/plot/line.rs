//! Line charts: one or more series over a numeric or time axis, with optional area
//! fill, reference lines and the `y = x` diagonal (reliability diagrams).

use super::frame::{Frame, XAxis, YAxis};
use super::scale::thin;
use super::svg::Svg;

/// Points drawn at most per series; longer series are thinned keeping extremes.
const MAX_POINTS: usize = 1800;

/// One line.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Draw a dot at each point (with its value as a tooltip).
    pub markers: bool,
}

impl Series {
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self { name: name.into(), points, markers: false }
    }

    pub fn with_markers(mut self) -> Self {
        self.markers = true;
        self
    }
}

/// A line chart.
#[derive(Clone, Debug)]
pub struct LineChart {
    pub x: XAxis,
    pub y_label: String,
    pub series: Vec<Series>,
    pub width: f64,
    pub height: f64,
    /// Fill between the first series and this level (e.g. 0 for drawdowns).
    pub fill_to: Option<f64>,
    /// Draw `y = x` (reliability diagrams).
    pub diagonal: bool,
    /// Fixed domains instead of the data's.
    pub x_domain: Option<(f64, f64)>,
    pub y_domain: Option<(f64, f64)>,
    /// Show y tick labels as percentages (values are fractions).
    pub y_percent: bool,
    /// The colour of the first series (`s0`..`s7`); the others follow.
    pub first_colour: usize,
    /// Draw the lines (false: markers only, a scatter plot).
    pub lines: bool,
}

impl LineChart {
    pub fn new(x: XAxis, y_label: impl Into<String>, series: Vec<Series>) -> Self {
        Self {
            x,
            y_label: y_label.into(),
            series,
            width: 900.0,
            height: 300.0,
            fill_to: None,
            diagonal: false,
            x_domain: None,
            y_domain: None,
            y_percent: false,
            first_colour: 0,
            lines: true,
        }
    }

    pub fn render(&self) -> String {
        let all = || self.series.iter().flat_map(|s| s.points.iter()).filter(|p| p.0.is_finite() && p.1.is_finite());
        let bounds = |f: fn(&(f64, f64)) -> f64| all().map(f).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let (x0, x1) = self.x_domain.unwrap_or_else(|| bounds(|p| p.0));
        let (mut y0, mut y1) = self.y_domain.unwrap_or_else(|| bounds(|p| p.1));
        if let Some(base) = self.fill_to {
            (y0, y1) = (y0.min(base), y1.max(base));
        }
        let label = format!("{} ({})", self.y_label, self.series.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", "));
        let mut svg = Svg::new(self.width, self.height, &label);
        let y = YAxis { percent: self.y_percent, fixed: self.y_domain.is_some(), ..YAxis::new(&self.y_label, (y0, y1)) };
        let frame = Frame::draw(&mut svg, (self.width, self.height), &self.x, (x0, x1), &y);
        if self.diagonal {
            let (a, b) = (x0.max(frame.y.d0), x1.min(frame.y.d1));
            svg.line(frame.x.map(a), frame.y.map(a), frame.x.map(b), frame.y.map(b), "ref");
        }
        for (i, s) in self.series.iter().enumerate() {
            let raw: Vec<(f64, f64)> = thin(&s.points, MAX_POINTS).into_iter().filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
            let pts: Vec<(f64, f64)> = raw.iter().map(|&(x, y)| (frame.x.map(x), frame.y.map(y))).collect();
            let class = format!("s{}", (i + self.first_colour) % 8);
            if i == 0
                && let Some(base) = self.fill_to
            {
                svg.area(&pts, frame.y.map(base), &format!("area {class}"));
            }
            if self.lines {
                svg.polyline(&pts, &format!("line {class}"));
            }
            if s.markers {
                for ((x, y), (px, py)) in raw.iter().zip(&pts) {
                    svg.circle(*px, *py, 3.0, &format!("dot {class}"), Some(&format!("{}: ({x:.3}, {y:.3})", s.name)));
                }
            }
        }
        if self.series.len() > 1 {
            frame.legend(&mut svg, self.series.iter().map(|s| s.name.as_str()), self.first_colour);
        }
        svg.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::svg::tests::assert_balanced;

    #[test]
    fn renders_series_fills_and_legends() {
        let a = Series::new("equity", (0..100).map(|i| (f64::from(i), f64::from(i).sin())).collect());
        let b = Series::new("bench", vec![(0.0, 0.0), (99.0, 1.0)]).with_markers();
        let mut chart = LineChart::new(XAxis::Linear("bar".into()), "value", vec![a, b]);
        chart.fill_to = Some(0.0);
        chart.diagonal = true;
        let svg = chart.render();
        assert_balanced(&svg);
        assert_eq!(svg.matches("class=\"line s").count(), 2);
        assert!(svg.contains("class=\"area s0\""));
        assert!(svg.contains("class=\"ref\""));
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains(">bench</text>"), "legend");
        assert_eq!(svg, chart.render(), "deterministic");
    }

    #[test]
    fn empty_and_degenerate_series_still_render() {
        let svg = LineChart::new(XAxis::Linear("x".into()), "y", vec![Series::new("none", vec![])]).render();
        assert_balanced(&svg);
        let svg = LineChart::new(XAxis::Linear("x".into()), "y", vec![Series::new("one", vec![(1.0, 1.0), (1.0, 1.0)])]).render();
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }
}
