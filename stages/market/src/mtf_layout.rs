//! The tensor layout of a `features.mtf` `multi_resolution` table, as recorded in its
//! schema metadata under [`META_LAYOUT`], and read back by `dataset`, `features.select`
//! and the sequence models.
//!
//! One row holds, for each timeframe of the ladder (in order), the last `window` completed
//! bars of that timeframe, oldest first, each as its `fields` (`open, high, low, close,
//! volume`). Column `{field}_{tf}_l{lag}` holds the bar `lag` steps back (`l0` the most
//! recent), so a row read in column order reshapes to `[timeframes, window, fields]`.
//!
//! ```
//! use mlfactory_market::mtf_layout::MtfLayout;
//! let layout = MtfLayout::from_json(
//!     r#"{"timeframes": ["1m", "5m"], "window": 3, "fields": ["open", "high", "low", "close", "volume"]}"#,
//! )
//! .unwrap();
//! assert_eq!(layout.column(1, 2, 3), "close_5m_l0"); // timeframe 5m, last step, close
//! assert_eq!(layout.columns()[0], "open_1m_l2"); // the oldest step comes first
//! assert_eq!(layout.step_width(), 10);
//! ```

use std::collections::HashMap;

use mlfactory_engine::StageError;
use serde::{Deserialize, Serialize};

pub use crate::contracts::mtf::META_LAYOUT;

/// The layout of a `multi_resolution` tensor: which columns form it, in which order.
///
/// The JSON in the metadata carries more keys (`strategy`, `shape`, `order`, `normalize`);
/// they describe the same thing for a human reader and are ignored here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MtfLayout {
    /// The timeframes, outermost axis, in ladder order (`1m`, `5m`, …).
    pub timeframes: Vec<String>,
    /// Steps per timeframe (completed bars), oldest first.
    pub window: usize,
    /// The fields of each step, innermost axis (`open, high, low, close, volume`).
    pub fields: Vec<String>,
}

impl MtfLayout {
    /// Parses the layout JSON written by `features.mtf`.
    pub fn from_json(json: &str) -> Result<Self, StageError> {
        let layout: Self = serde_json::from_str(json).map_err(|e| {
            StageError::data_hint(
                format!("unreadable `{META_LAYOUT}` metadata: {e}"),
                "the layout is written by `features.mtf` with `mtf_strategy: multi_resolution`",
            )
        })?;
        if layout.timeframes.is_empty() || layout.window == 0 || layout.fields.is_empty() {
            return Err(StageError::data(format!(
                "`{META_LAYOUT}` metadata describes an empty tensor ({} timeframes x {} steps x {} fields)",
                layout.timeframes.len(),
                layout.window,
                layout.fields.len()
            )));
        }
        Ok(layout)
    }

    /// The layout recorded in a table's schema metadata, if any.
    pub fn from_metadata(metadata: &HashMap<String, String>) -> Result<Option<Self>, StageError> {
        metadata.get(META_LAYOUT).map(|json| Self::from_json(json)).transpose()
    }

    /// The name of the cell at timeframe `tf`, step `step` (0 = oldest, `window - 1` = the
    /// most recent, lag 0) and field `field`, each an index into this layout.
    pub fn column(&self, tf: usize, step: usize, field: usize) -> String {
        format!("{}_{}_l{}", self.fields[field], self.timeframes[tf], self.window - 1 - step)
    }

    /// Every column of the tensor in row order: timeframe, then step (oldest first), then field.
    pub fn columns(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.timeframes.len() * self.window * self.fields.len());
        for tf in 0..self.timeframes.len() {
            for step in 0..self.window {
                for field in 0..self.fields.len() {
                    out.push(self.column(tf, step, field));
                }
            }
        }
        out
    }

    /// Values per step of the sequence view (`timeframes x fields`).
    pub fn step_width(&self) -> usize {
        self.timeframes.len() * self.fields.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_features_mtf_writes_and_names_cells_by_lag() {
        // The JSON `features.mtf` writes (stages/features/src/mtf/multi_resolution.rs).
        let json = r#"{"strategy":"multi_resolution","shape":["rows",2,2,5],"timeframes":["1m","5m"],"window":2,
            "fields":["open","high","low","close","volume"],"order":"timeframe, then step (oldest first: lag window-1 .. 0), then field","normalize":"log_ratio"}"#;
        let layout = MtfLayout::from_json(json).unwrap();
        assert_eq!(layout.window, 2);
        let columns = layout.columns();
        assert_eq!(columns.len(), 20);
        assert_eq!(&columns[..6], ["open_1m_l1", "high_1m_l1", "low_1m_l1", "close_1m_l1", "volume_1m_l1", "open_1m_l0"]);
        assert_eq!(columns[19], "volume_5m_l0");
        let meta = HashMap::from([(META_LAYOUT.to_owned(), json.to_owned())]);
        assert_eq!(MtfLayout::from_metadata(&meta).unwrap(), Some(layout));
        assert_eq!(MtfLayout::from_metadata(&HashMap::new()).unwrap(), None);
    }

    #[test]
    fn rejects_unreadable_and_empty_layouts() {
        assert!(MtfLayout::from_json("{").unwrap_err().to_string().contains(META_LAYOUT));
        assert!(MtfLayout::from_json(r#"{"timeframes":[],"window":2,"fields":["close"]}"#).unwrap_err().to_string().contains("empty tensor"));
    }
}
