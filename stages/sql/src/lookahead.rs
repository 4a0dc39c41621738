//! A static check for SQL that reads later rows.
//!
//! Catches the obvious ways a window expression looks ahead, before anything runs:
//!
//! - `LEAD(…)`;
//! - a frame bound `… FOLLOWING` (`ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING`);
//! - a window without `ORDER BY` (its frame is the whole partition: every later row);
//! - a window ordered `DESC` (its "preceding" rows are the later ones).
//!
//! Lookahead hidden elsewhere (a subquery averaging the whole table, a join on a later
//! timestamp, a `GROUP BY day` joined back onto the bars) is not visible to a syntax
//! check; `mlfactory check-leakage` finds those by rerunning the stage on rewritten
//! futures.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Function, NamedWindowExpr, ObjectNamePart, Query, SetExpr, Spanned, Visit, Visitor, WindowFrameBound, WindowSpec, WindowType,
};

use crate::position::Position;

/// One construct that reads later rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Lookahead {
    pub(crate) what: String,
    pub(crate) at: Option<Position>,
}

#[derive(Default)]
struct Finder {
    found: Vec<Lookahead>,
}

impl Finder {
    fn push(&mut self, what: String, span: datafusion::sql::sqlparser::tokenizer::Span) {
        self.found.push(Lookahead { what, at: Position::new(span.start.line, span.start.column) });
    }

    fn check_spec(&mut self, name: &str, spec: &WindowSpec, span: datafusion::sql::sqlparser::tokenizer::Span) {
        if spec.window_name.is_some() && spec.order_by.is_empty() && spec.window_frame.is_none() {
            // `OVER (w)`: the named definition is checked where it is defined.
            return;
        }
        if spec.order_by.is_empty() {
            self.push(format!("`{name}` over a window without ORDER BY sees the whole partition, later rows included"), span);
        }
        if let Some(desc) = spec.order_by.iter().find(|o| o.options.asc == Some(false)) {
            self.push(format!("`{name}` over a window ordered by `{}` DESC: its preceding rows are the later ones", desc.expr), desc.expr.span());
        }
        if let Some(frame) = &spec.window_frame {
            let bounds = std::iter::once(&frame.start_bound).chain(frame.end_bound.as_ref());
            if let Some(bound) = bounds.into_iter().find(|b| matches!(b, WindowFrameBound::Following(_))) {
                self.push(format!("`{name}` over a frame ending `{bound}` reads later rows"), span);
            }
        }
    }
}

fn function_name(f: &Function) -> String {
    f.name
        .0
        .last()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => ident.value.to_ascii_lowercase(),
            ObjectNamePart::Function(func) => func.name.value.to_ascii_lowercase(),
        })
        .unwrap_or_default()
}

impl Visitor for Finder {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let SetExpr::Select(select) = query.body.as_ref() {
            for def in &select.named_window {
                if let NamedWindowExpr::WindowSpec(spec) = &def.1 {
                    self.check_spec(&format!("WINDOW {}", def.0.value), spec, def.0.span);
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        if let Expr::Function(f) = expr {
            let name = function_name(f);
            if name == "lead" {
                self.push("`LEAD` reads a later row".to_owned(), expr.span());
            }
            if let Some(WindowType::WindowSpec(spec)) = &f.over {
                self.check_spec(&name, spec, expr.span());
            }
        }
        ControlFlow::Continue(())
    }
}

/// Every lookahead construct in a parsed query, in the order they appear.
pub(crate) fn find(query: &Query) -> Vec<Lookahead> {
    let mut finder = Finder::default();
    let _ = query.visit(&mut finder);
    finder.found
}

#[cfg(test)]
mod tests {
    use datafusion::sql::parser::{DFParser, Statement};
    use datafusion::sql::sqlparser::ast::Statement as SqlStatement;
    use rstest::rstest;

    use super::*;

    fn lookaheads(sql: &str) -> Vec<Lookahead> {
        let mut statements = DFParser::parse_sql(sql).unwrap();
        let Some(Statement::Statement(s)) = statements.pop_front() else { panic!("not a statement") };
        let SqlStatement::Query(q) = *s else { panic!("not a query") };
        find(&q)
    }

    #[rstest]
    #[case("SELECT ts, close - LAG(close, 1) OVER (ORDER BY ts) AS d FROM bars")]
    #[case("SELECT ts, AVG(close) OVER (ORDER BY ts ROWS BETWEEN 19 PRECEDING AND CURRENT ROW) AS sma FROM bars")]
    #[case("SELECT ts, SUM(volume) OVER (PARTITION BY session ORDER BY ts) AS cum FROM bars")]
    #[case("SELECT ts, AVG(close) OVER w AS sma FROM bars WINDOW w AS (ORDER BY ts ROWS 9 PRECEDING)")]
    #[case("WITH r AS (SELECT ts, ln(close) AS lc FROM bars) SELECT ts, lc - LAG(lc) OVER (ORDER BY ts) AS ret FROM r")]
    fn causal_queries_pass(#[case] sql: &str) {
        assert_eq!(lookaheads(sql), vec![]);
    }

    #[rstest]
    #[case("SELECT ts, LEAD(close) OVER (ORDER BY ts) AS next FROM bars", "`LEAD`", 12)]
    #[case("SELECT ts, AVG(close) OVER (ORDER BY ts ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING) AS c FROM bars", "2 FOLLOWING", 12)]
    #[case("SELECT ts, close - AVG(close) OVER () AS demeaned FROM bars", "without ORDER BY", 20)]
    #[case("SELECT ts, LAG(close) OVER (ORDER BY ts DESC) AS x FROM bars", "DESC", 38)]
    #[case("SELECT ts, AVG(close) OVER w AS c FROM bars WINDOW w AS (ORDER BY ts ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)", "WINDOW w", 52)]
    #[case("SELECT ts, x FROM (SELECT ts, LEAD(close, 3) OVER (ORDER BY ts) AS x FROM bars)", "`LEAD`", 31)]
    fn lookahead_is_found_with_its_position(#[case] sql: &str, #[case] needle: &str, #[case] column: u64) {
        let found = lookaheads(sql);
        assert!(!found.is_empty(), "{sql}");
        assert!(found[0].what.contains(needle), "{:?}", found[0]);
        assert_eq!(found[0].at, Some(Position { line: 1, column }), "{:?}", found[0]);
    }
}
