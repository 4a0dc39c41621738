//! Integration tests of the indicator library: TA-Lib goldens, StockCharts sheets,
//! causality and determinism (one binary, many modules, to keep link time down).

mod causality;
mod common;
mod determinism;
mod golden;
mod stage;
mod stockcharts;
