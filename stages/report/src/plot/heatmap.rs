//! Heat maps of small matrices (confusion matrices): each cell shaded by its share of
//! its row, with the count and that share written in it.

use super::svg::{Anchor, Svg};

/// A matrix with row and column names.
#[derive(Clone, Debug)]
pub struct Heatmap {
    pub rows: Vec<String>,
    pub cols: Vec<String>,
    pub values: Vec<Vec<f64>>,
    pub row_title: String,
    pub col_title: String,
}

impl Heatmap {
    pub fn render(&self) -> String {
        const CELL_W: f64 = 110.0;
        const CELL_H: f64 = 54.0;
        let left = 120.0;
        let top = 56.0;
        let width = left + CELL_W * self.cols.len() as f64 + 20.0;
        let height = top + CELL_H * self.rows.len() as f64 + 16.0;
        let mut svg = Svg::new(width, height, &format!("{} by {}", self.row_title, self.col_title));
        svg.text(left + CELL_W * self.cols.len() as f64 / 2.0, 16.0, Anchor::Middle, "axis-title", &self.col_title);
        for (j, c) in self.cols.iter().enumerate() {
            svg.text(left + CELL_W * (j as f64 + 0.5), top - 10.0, Anchor::Middle, "tick", c);
        }
        svg.vtext(14.0, top + CELL_H * self.rows.len() as f64 / 2.0, "axis-title", &self.row_title);
        for (i, r) in self.rows.iter().enumerate() {
            let y = top + CELL_H * i as f64;
            svg.text(left - 8.0, y + CELL_H / 2.0 + 4.0, Anchor::End, "tick", r);
            let row = &self.values[i];
            let total: f64 = row.iter().copied().filter(|v| v.is_finite()).sum();
            for (j, &v) in row.iter().enumerate() {
                let share = if total > 0.0 { v / total } else { 0.0 };
                let x = left + CELL_W * j as f64;
                svg.rect_fill(
                    x,
                    y,
                    CELL_W - 2.0,
                    CELL_H - 2.0,
                    &shade(share),
                    Some(&format!("{r} -> {}: {v} ({:.1}% of the row)", self.cols[j], share * 100.0)),
                );
                let class = if share > 0.55 { "cell light" } else { "cell" };
                svg.text(x + CELL_W / 2.0, y + CELL_H / 2.0 - 2.0, Anchor::Middle, class, &format!("{v}"));
                svg.text(x + CELL_W / 2.0, y + CELL_H / 2.0 + 14.0, Anchor::Middle, &format!("{class} small"), &format!("{:.1}%", share * 100.0));
            }
        }
        svg.finish()
    }
}

/// A blue of intensity `share` (0: near white, 1: deep blue), as `#rrggbb`.
pub fn shade(share: f64) -> String {
    let s = share.clamp(0.0, 1.0);
    let mix = |light: f64, dark: f64| (light + (dark - light) * s).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(241.0, 8.0), mix(245.0, 69.0), mix(250.0, 148.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::svg::tests::assert_balanced;

    #[test]
    fn cells_show_counts_and_row_shares() {
        let h = Heatmap {
            rows: vec!["short".into(), "long".into()],
            cols: vec!["short".into(), "long".into()],
            values: vec![vec![3.0, 1.0], vec![0.0, 0.0]],
            row_title: "true".into(),
            col_title: "predicted".into(),
        };
        let svg = h.render();
        assert_balanced(&svg);
        assert!(svg.contains(">75.0%</text>") && svg.contains(">25.0%</text>"));
        assert_eq!(svg.matches("<rect").count(), 4);
        assert_eq!(shade(0.0), "#f1f5fa");
        assert_eq!(shade(1.0), "#084594");
    }
}
