//! Our own small plotting library: charts rendered as inline SVG strings, styled by the
//! page's CSS (classes `s0`..`s7` pick series colours), with no script and nothing
//! fetched from the network, so a report opens anywhere and its bytes are reproducible.
//!
//! - [`svg`]: the writer (escaping, fixed coordinate formatting);
//! - [`scale`]: linear scales, nice ticks, calendar ticks, thinning long series;
//! - [`frame`]: axes, grid and legend shared by x/y charts;
//! - [`line`], [`bar`], [`histogram`], [`heatmap`]: the chart types.

pub mod bar;
pub mod frame;
pub mod heatmap;
pub mod histogram;
pub mod line;
pub mod scale;
pub mod svg;

pub use bar::{Columns, HBars};
pub use frame::XAxis;
pub use heatmap::Heatmap;
pub use histogram::{Bins, Histogram};
pub use line::{LineChart, Series};
