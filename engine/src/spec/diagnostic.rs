//! Spec diagnostics: an error that names the file, line and column, says what is wrong,
//! and offers a hint. Spec checks collect every diagnostic they find and report them
//! all at once.

use std::fmt;
use std::path::{Path, PathBuf};

use super::node::Pos;

/// One problem in a spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub pos: Pos,
    pub message: String,
    pub hint: Option<String>,
    /// The source line the position points into, for a caret display.
    pub source_line: Option<String>,
}

impl Diagnostic {
    pub fn new(pos: Pos, message: impl Into<String>) -> Self {
        Self { file: PathBuf::new(), pos, message: message.into(), hint: None, source_line: None }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn maybe_hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pos.is_cli() {
            write!(f, "{} (command line): error: {}", self.file.display(), self.message)?;
        } else {
            write!(f, "{}:{}: error: {}", self.file.display(), self.pos, self.message)?;
        }
        if let Some(line) = &self.source_line {
            let lineno = self.pos.line.to_string();
            let pad = " ".repeat(lineno.len());
            let caret = " ".repeat(self.pos.column.saturating_sub(1) as usize);
            write!(f, "\n {pad} |\n {lineno} | {line}\n {pad} | {caret}^")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Every problem found in one spec, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Fills in the file name and source lines, and sorts by position.
    pub fn attach_source(mut self, file: &Path, text: &str) -> Self {
        let lines: Vec<&str> = text.lines().collect();
        for d in &mut self.0 {
            d.file = file.to_path_buf();
            if !d.pos.is_cli() {
                d.source_line = lines.get(d.pos.line as usize - 1).map(|l| (*l).to_owned());
            }
        }
        self.0.sort_by_key(|d| d.pos);
        self.0.dedup();
        self
    }

    /// `Ok(())` when empty.
    pub fn into_result(self) -> Result<(), Self> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{d}")?;
        }
        let n = self.0.len();
        write!(f, "{n} error{} in spec", if n == 1 { "" } else { "s" })
    }
}

impl std::error::Error for Diagnostics {}

/// How alike two names are, in [0, 1]: Jaro-Winkler rewards a shared prefix
/// (`featurs` ~ `features.indicators`), Damerau-Levenshtein catches short swaps and drops
/// (`scr` ~ `src`, `ot` ~ `out`).
fn similarity(a: &str, b: &str) -> f64 {
    strsim::jaro_winkler(a, b).max(strsim::normalized_damerau_levenshtein(a, b) + 0.1)
}

/// The candidate closest to `name`, if any is close enough to be a plausible typo.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates.into_iter().map(|c| (similarity(name, c), c)).filter(|(score, _)| *score >= 0.7).max_by(|a, b| a.0.total_cmp(&b.0)).map(|(_, c)| c)
}

/// "did you mean `x`?" for the nearest candidate, if any.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    nearest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_name() {
        let kinds = ["features.indicators", "data.synth", "labels.triple_barrier"];
        assert_eq!(nearest("featurs", kinds), Some("features.indicators"));
        assert_eq!(nearest("features.indicatrs", kinds), Some("features.indicators"));
        assert_eq!(nearest("zzz", kinds), None);
        assert_eq!(nearest("scr", ["src", "m"]), Some("src"));
        assert_eq!(nearest("ot", ["out"]), Some("out"));
        assert_eq!(nearest("n", ["scale"]), None);
    }

    #[test]
    fn display_has_file_line_col_caret_and_hint() {
        let d = Diagnostic::new(Pos { line: 2, column: 9 }, "unknown stage kind `featurs`").hint("did you mean `features.indicators`?");
        let ds = Diagnostics(vec![d]).attach_source(Path::new("p.yaml"), "a: 1\n    kind: featurs\n");
        let text = ds.to_string();
        assert!(text.starts_with("p.yaml:2:9: error: unknown stage kind `featurs`"), "{text}");
        assert!(text.contains("        ^"), "{text}");
        assert!(text.contains("hint: did you mean"), "{text}");
    }
}
