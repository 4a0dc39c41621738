//! Per-bar price transforms (TA-Lib `AVGPRICE`, `MEDPRICE`, `TYPPRICE`, `WCLPRICE`).

use crate::indicators::{Indicator, Input};

/// Which price transform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceKind {
    /// `avgprice`: (O + H + L + C) / 4.
    Average,
    /// `medprice`: (H + L) / 2.
    Median,
    /// `typprice`: (H + L + C) / 3.
    Typical,
    /// `wclprice`: (H + L + 2C) / 4.
    WeightedClose,
}

/// One of the four price transforms.
#[derive(Clone, Debug)]
pub struct PriceTransform {
    pub kind: PriceKind,
}

impl Indicator for PriceTransform {
    fn columns(&self) -> Vec<String> {
        let name = match self.kind {
            PriceKind::Average => "avgprice",
            PriceKind::Median => "medprice",
            PriceKind::Typical => "typprice",
            PriceKind::WeightedClose => "wclprice",
        };
        vec![name.to_owned()]
    }
    fn lookback(&self) -> usize {
        0
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (o, h, l, c) = (input.open(), input.high(), input.low(), input.close());
        let out = (0..c.len())
            .map(|i| match self.kind {
                PriceKind::Average => (o[i] + h[i] + l[i] + c[i]) / 4.0,
                PriceKind::Median => (h[i] + l[i]) / 2.0,
                PriceKind::Typical => (h[i] + l[i] + c[i]) / 3.0,
                PriceKind::WeightedClose => (h[i] + l[i] + c[i] * 2.0) / 4.0,
            })
            .collect();
        vec![out]
    }
}
