//! The frame every x/y chart shares: plot area, grid, ticks, axis titles and legend.

use super::scale::{Linear, nice_step, nice_ticks, tick_label, time_ticks};
use super::svg::{Anchor, Svg};

/// The horizontal axis of a chart.
#[derive(Clone, Debug, PartialEq)]
pub enum XAxis {
    /// UTC nanoseconds, ticked at calendar boundaries.
    Time,
    /// Numbers, with this title.
    Linear(String),
}

/// The vertical axis of a chart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct YAxis<'a> {
    pub label: &'a str,
    pub domain: (f64, f64),
    /// Tick labels as percentages (values are fractions).
    pub percent: bool,
    /// Keep the domain as given instead of widening it to whole ticks.
    pub fixed: bool,
    /// Counts: ticks at whole numbers only.
    pub integer: bool,
}

impl<'a> YAxis<'a> {
    pub fn new(label: &'a str, domain: (f64, f64)) -> Self {
        Self { label, domain, percent: false, fixed: false, integer: false }
    }
}

/// Margins around the plot area.
pub const LEFT: f64 = 70.0;
pub const RIGHT: f64 = 20.0;
pub const TOP: f64 = 26.0;
pub const BOTTOM: f64 = 44.0;

/// The plot area of a drawn frame and its scales.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub x: Linear,
    pub y: Linear,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

impl Frame {
    /// Draws grid, ticks and axis titles for the domains given (the y domain widened to
    /// nice ticks unless `y.fixed`) and returns the scales.
    pub fn draw(svg: &mut Svg, (width, height): (f64, f64), x: &XAxis, (x0, x1): (f64, f64), y: &YAxis<'_>) -> Self {
        let (left, right, top, bottom) = (LEFT, width - RIGHT, TOP, height - BOTTOM);
        let (y0, y1) = if y.domain.0.is_finite() && y.domain.1.is_finite() { y.domain } else { (0.0, 1.0) };
        let min_step = if y.integer { 1.0 } else { 0.0 };
        let (lo, hi, yticks) = if y.fixed {
            let step = nice_step(y1 - y0, 5).max(min_step);
            let first = (y0 / step).ceil() as i64;
            let last = (y1 / step).floor() as i64;
            (y0, y1, (first..=last).map(|k| k as f64 * step).collect())
        } else {
            nice_ticks(y0, y1, 5, min_step)
        };
        let ys = Linear::new(lo, hi, bottom, top);
        let step = if yticks.len() > 1 { yticks[1] - yticks[0] } else { 1.0 };
        for &t in &yticks {
            let py = ys.map(t);
            svg.line(left, py, right, py, if t == 0.0 { "axis" } else { "grid" });
            let label = if y.percent { format!("{}%", tick_label(t * 100.0, step * 100.0)) } else { tick_label(t, step) };
            svg.text(left - 6.0, py + 4.0, Anchor::End, "tick", &label);
        }
        svg.vtext(14.0, f64::midpoint(top, bottom), "axis-title", y.label);
        let (x0, x1) = if x0.is_finite() && x1.is_finite() { (x0, x1) } else { (0.0, 1.0) };
        let xs = match x {
            XAxis::Time => {
                let xs = Linear::new(x0, x1, left, right);
                for (t, label) in time_ticks(x0 as i64, x1 as i64, 8) {
                    let px = xs.map(t as f64);
                    svg.line(px, top, px, bottom, "grid");
                    svg.text(px, bottom + 16.0, Anchor::Middle, "tick", &label);
                }
                xs
            }
            XAxis::Linear(title) => {
                let (lo, hi, ticks) = nice_ticks(x0, x1, 8, 0.0);
                let xs = Linear::new(lo, hi, left, right);
                let step = if ticks.len() > 1 { ticks[1] - ticks[0] } else { 1.0 };
                for &t in &ticks {
                    let px = xs.map(t);
                    svg.line(px, top, px, bottom, if t == 0.0 { "axis" } else { "grid" });
                    svg.text(px, bottom + 16.0, Anchor::Middle, "tick", &tick_label(t, step));
                }
                svg.text(f64::midpoint(left, right), height - 6.0, Anchor::Middle, "axis-title", title);
                xs
            }
        };
        svg.line(left, bottom, right, bottom, "axis");
        svg.line(left, top, left, bottom, "axis");
        Self { x: xs, y: ys, left, right, top, bottom }
    }

    /// A legend along the top edge of the plot area.
    pub fn legend<'a>(&self, svg: &mut Svg, names: impl Iterator<Item = &'a str>, first_colour: usize) {
        legend(svg, self.left, names, first_colour);
    }
}

/// A legend along the top edge of a chart, from `left`, one swatch per name in series
/// order, colours from `first_colour` on.
pub fn legend<'a>(svg: &mut Svg, left: f64, names: impl Iterator<Item = &'a str>, first_colour: usize) {
    let mut x = left + 4.0;
    for (i, name) in names.enumerate() {
        svg.rect(x, 6.0, 12.0, 12.0, &format!("swatch s{}", (i + first_colour) % 8), None);
        svg.text(x + 16.0, 16.0, Anchor::Start, "legend", name);
        x += 28.0 + 7.0 * name.chars().count() as f64;
    }
}
