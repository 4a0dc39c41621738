//! Bar charts: horizontal bars for ranked values (feature importance, a metric across
//! sweep variants) and grouped columns for counts per category (label distributions).

use super::frame::{BOTTOM, LEFT, RIGHT, TOP, legend};
use super::scale::{Linear, nice_ticks, tick_label};
use super::svg::{Anchor, Svg};

/// Horizontal bars, one per label, in the order given; negative values extend left of zero.
#[derive(Clone, Debug)]
pub struct HBars {
    pub labels: Vec<String>,
    pub values: Vec<f64>,
    pub x_label: String,
    pub width: f64,
}

impl HBars {
    pub fn new(labels: Vec<String>, values: Vec<f64>, x_label: impl Into<String>) -> Self {
        Self { labels, values, x_label: x_label.into(), width: 900.0 }
    }

    pub fn render(&self) -> String {
        const ROW: f64 = 22.0;
        let longest = self.labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64;
        let left = (longest * 7.0 + 16.0).clamp(80.0, 320.0);
        let height = TOP + ROW * self.labels.len().max(1) as f64 + BOTTOM;
        let finite = || self.values.iter().copied().filter(|v| v.is_finite());
        let lo = finite().fold(0.0f64, f64::min);
        let hi = finite().fold(0.0f64, f64::max);
        let (lo, hi, ticks) = nice_ticks(lo, hi, 6, 0.0);
        let xs = Linear::new(lo, hi, left, self.width - RIGHT - 50.0);
        let mut svg = Svg::new(self.width, height, &self.x_label);
        let bottom = height - BOTTOM;
        let step = if ticks.len() > 1 { ticks[1] - ticks[0] } else { 1.0 };
        for &t in &ticks {
            let px = xs.map(t);
            svg.line(px, TOP, px, bottom, if t == 0.0 { "axis" } else { "grid" });
            svg.text(px, bottom + 16.0, Anchor::Middle, "tick", &tick_label(t, step));
        }
        svg.text(f64::midpoint(left, self.width - RIGHT), height - 6.0, Anchor::Middle, "axis-title", &self.x_label);
        for (i, (label, &v)) in self.labels.iter().zip(&self.values).enumerate() {
            let y = TOP + ROW * i as f64;
            svg.text(left - 6.0, y + ROW * 0.68, Anchor::End, "tick", label);
            if !v.is_finite() {
                continue;
            }
            let (a, b) = (xs.map(0.0), xs.map(v));
            let class = if v < 0.0 { "bar neg" } else { "bar s0" };
            svg.rect(a.min(b), y + 3.0, (b - a).abs(), ROW - 6.0, class, Some(&format!("{label}: {v:.4}")));
            let text_x = if v < 0.0 { a + 4.0 } else { b + 4.0 };
            svg.text(text_x, y + ROW * 0.68, Anchor::Start, "value", &format_value(v));
        }
        svg.finish()
    }
}

/// Grouped columns: for each category, one column per group.
#[derive(Clone, Debug)]
pub struct Columns {
    pub categories: Vec<String>,
    /// (group name, one value per category).
    pub groups: Vec<(String, Vec<f64>)>,
    pub y_label: String,
    pub width: f64,
    pub height: f64,
}

impl Columns {
    pub fn new(categories: Vec<String>, groups: Vec<(String, Vec<f64>)>, y_label: impl Into<String>) -> Self {
        Self { categories, groups, y_label: y_label.into(), width: 900.0, height: 280.0 }
    }

    pub fn render(&self) -> String {
        let hi = self.groups.iter().flat_map(|g| g.1.iter().copied()).filter(|v| v.is_finite()).fold(0.0f64, f64::max);
        let mut svg = Svg::new(self.width, self.height, &self.y_label);
        let (top, bottom, right) = (TOP, self.height - BOTTOM, self.width - RIGHT);
        let (lo, hi, ticks) = nice_ticks(0.0, hi, 5, 1.0);
        let ys = Linear::new(lo, hi, bottom, top);
        let step = if ticks.len() > 1 { ticks[1] - ticks[0] } else { 1.0 };
        for &t in &ticks {
            let py = ys.map(t);
            svg.line(LEFT, py, right, py, if t == 0.0 { "axis" } else { "grid" });
            svg.text(LEFT - 6.0, py + 4.0, Anchor::End, "tick", &tick_label(t, step));
        }
        svg.vtext(14.0, f64::midpoint(top, bottom), "axis-title", &self.y_label);
        let band = (right - LEFT) / self.categories.len().max(1) as f64;
        let col = band * 0.8 / self.groups.len().max(1) as f64;
        for (c, cat) in self.categories.iter().enumerate() {
            let x0 = LEFT + band * c as f64 + band * 0.1;
            for (k, (name, values)) in self.groups.iter().enumerate() {
                let v = values.get(c).copied().unwrap_or(f64::NAN);
                if !v.is_finite() {
                    continue;
                }
                let (py, base) = (ys.map(v), ys.map(0.0));
                let x = x0 + col * k as f64;
                svg.rect(x, py, col - 2.0, base - py, &format!("bar s{}", k % 8), Some(&format!("{name} / {cat}: {}", format_value(v))));
                svg.text(x + col / 2.0 - 1.0, py - 4.0, Anchor::Middle, "value", &format_value(v));
            }
            svg.text(x0 + band * 0.4, bottom + 16.0, Anchor::Middle, "tick", cat);
        }
        svg.line(LEFT, bottom, right, bottom, "axis");
        if self.groups.len() > 1 {
            legend(&mut svg, LEFT, self.groups.iter().map(|g| g.0.as_str()), 0);
        }
        svg.finish()
    }
}

/// A value label: integers as integers, else 3 significant decimals.
pub fn format_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::svg::tests::assert_balanced;

    #[test]
    fn horizontal_bars_extend_both_ways() {
        let svg = HBars::new(vec!["rsi_14".into(), "ret_1".into(), "bad".into()], vec![0.3, -0.1, f64::NAN], "importance").render();
        assert_balanced(&svg);
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("bar neg") && svg.contains(">rsi_14</text>"));
    }

    #[test]
    fn grouped_columns_have_one_bar_per_group_and_category() {
        let c = Columns::new(
            vec!["short".into(), "neutral".into(), "long".into()],
            vec![("val".into(), vec![10.0, 20.0, 12.0]), ("test".into(), vec![9.0, 25.0, 11.0])],
            "rows",
        );
        let svg = c.render();
        assert_balanced(&svg);
        assert_eq!(svg.matches("class=\"bar s").count(), 6);
        assert!(svg.contains(">test</text>"), "legend");
    }

    #[test]
    fn value_labels() {
        assert_eq!(format_value(12.0), "12");
        assert_eq!(format_value(0.12345), "0.123");
        assert_eq!(format_value(1234.56), "1234.6");
    }
}
