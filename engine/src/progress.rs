//! Progress and logging for running stages.
//!
//! On a terminal each running stage gets an indicatif bar (rows or steps); otherwise
//! (CI, pipes) progress is plain log lines on stderr. Data goes to stdout, never here.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What a stage reports its progress to.
pub trait ProgressSink: Send + Sync {
    /// Total units of work (rows, steps, epochs).
    fn set_length(&self, _len: u64) {}
    /// Units done since the last call.
    fn inc(&self, _delta: u64) {}
    /// A short status ("epoch 3/20").
    fn set_message(&self, _message: &str) {}
    /// A log line.
    fn log(&self, _line: &str) {}
}

/// Discards everything (tests, `verify`).
#[derive(Debug, Default)]
pub struct NullProgress;

impl ProgressSink for NullProgress {}

/// How the run reports: bars on a terminal, lines otherwise, or nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportMode {
    Bars,
    Lines,
    Quiet,
}

impl ReportMode {
    /// Bars when stderr is a terminal, lines otherwise.
    pub fn detect() -> Self {
        if std::io::stderr().is_terminal() { Self::Bars } else { Self::Lines }
    }
}

/// The run-wide reporter: hands out one sink per running stage.
#[derive(Debug)]
pub struct Reporter {
    mode: ReportMode,
    multi: MultiProgress,
}

impl Reporter {
    pub fn new(mode: ReportMode) -> Self {
        let multi = match mode {
            ReportMode::Bars => MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            _ => MultiProgress::with_draw_target(ProgressDrawTarget::hidden()),
        };
        Self { mode, multi }
    }

    /// Prints a run-level line (above the bars, if any).
    pub fn line(&self, text: &str) {
        match self.mode {
            ReportMode::Bars => {
                let _ = self.multi.println(text);
            }
            ReportMode::Lines => eprintln!("{text}"),
            ReportMode::Quiet => {}
        }
    }

    /// A sink for one running stage.
    pub fn stage(&self, name: &str) -> StageProgress<'_> {
        let bar = (self.mode == ReportMode::Bars).then(|| {
            let bar = self.multi.add(ProgressBar::new(0));
            bar.set_style(
                ProgressStyle::with_template("{prefix:>20.bold} [{bar:30}] {pos}/{len} {msg} ({elapsed})").expect("valid template").progress_chars("=> "),
            );
            bar.set_prefix(name.to_owned());
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        StageProgress { reporter: self, name: name.to_owned(), bar, last_pct: Mutex::new(0), len: Mutex::new(0), pos: Mutex::new(0) }
    }
}

/// Progress of one stage.
#[derive(Debug)]
pub struct StageProgress<'r> {
    reporter: &'r Reporter,
    name: String,
    bar: Option<ProgressBar>,
    last_pct: Mutex<u64>,
    len: Mutex<u64>,
    pos: Mutex<u64>,
}

impl StageProgress<'_> {
    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
            self.reporter.multi.remove(bar);
        }
    }
}

impl ProgressSink for StageProgress<'_> {
    fn set_length(&self, len: u64) {
        *self.len.lock().expect("lock") = len;
        if let Some(bar) = &self.bar {
            bar.set_length(len);
        }
    }

    fn inc(&self, delta: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(delta);
            return;
        }
        if self.reporter.mode != ReportMode::Lines {
            return;
        }
        // Plain mode: a line every 25%.
        let len = *self.len.lock().expect("lock");
        let mut pos = self.pos.lock().expect("lock");
        *pos += delta;
        if len > 0 {
            let pct = (*pos * 100 / len).min(100) / 25 * 25;
            let mut last = self.last_pct.lock().expect("lock");
            if pct > *last && pct < 100 {
                *last = pct;
                eprintln!("[{}] {pct}% ({}/{len})", self.name, *pos);
            }
        }
    }

    fn set_message(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.to_owned());
        }
    }

    fn log(&self, line: &str) {
        self.reporter.line(&format!("[{}] {line}", self.name));
    }
}
