//! Pointing at a place in the query: `line L, column C` plus the line with a caret, so
//! a researcher sees where the SQL went wrong without counting characters.

use std::fmt::Write as _;

/// A 1-based line and column in the query text (column in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Position {
    pub(crate) line: u64,
    pub(crate) column: u64,
}

impl Position {
    /// `None` for sqlparser's empty location (line 0).
    pub(crate) fn new(line: u64, column: u64) -> Option<Self> {
        (line > 0 && column > 0).then_some(Self { line, column })
    }

    /// The position sqlparser writes at the end of its messages (`… at Line: 2, Column: 9`).
    pub(crate) fn from_parser_message(message: &str) -> Option<Self> {
        let rest = &message[message.rfind("Line: ")? + "Line: ".len()..];
        let (line, rest) = rest.split_once(", Column: ")?;
        let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
        Self::new(line.trim().parse().ok()?, column.parse().ok()?)
    }
}

/// `line L, column C` and the query line under it with a caret, indented for a message.
pub(crate) fn excerpt(query: &str, at: Position) -> String {
    let mut out = format!("line {}, column {}", at.line, at.column);
    let Some(text) = query.lines().nth(usize::try_from(at.line - 1).unwrap_or(usize::MAX)) else { return out };
    let text = text.trim_end();
    let pad: String = text.chars().take(usize::try_from(at.column - 1).unwrap_or(0)).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    let _ = write!(out, ":\n    {text}\n    {pad}^");
    out
}

/// sqlparser's message without its `sql parser error: ` prefix and position suffix.
pub(crate) fn bare_parser_message(message: &str) -> &str {
    let message = message.trim_start_matches("SQL error: ParserError(\"").trim_start_matches("sql parser error: ");
    let message = message.rfind(" at Line: ").map_or(message, |i| &message[..i]);
    message.trim_end_matches("\")").trim_end_matches(" at")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_parser_position_and_draws_a_caret() {
        let msg = "sql parser error: Expected: end of statement, found: bars at Line: 2, Column: 6";
        let at = Position::from_parser_message(msg).unwrap();
        assert_eq!(at, Position { line: 2, column: 6 });
        assert_eq!(bare_parser_message(msg), "Expected: end of statement, found: bars");
        let query = "SELECT ts, close\nFRM  bars";
        assert_eq!(excerpt(query, at), "line 2, column 6:\n    FRM  bars\n         ^");
        assert!(Position::from_parser_message("no position here").is_none());
        assert!(Position::new(0, 0).is_none());
    }

    #[test]
    fn a_position_past_the_text_still_names_line_and_column() {
        assert_eq!(excerpt("SELECT 1", Position { line: 3, column: 1 }), "line 3, column 1");
    }
}
