//! Checking the query text, and running it on one partition.

use std::fmt::Write as _;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::{DFParser, Statement};
use datafusion::sql::sqlparser::ast::Statement as SqlStatement;
use mlfactory_artifacts::table::Table;
use mlfactory_engine::StageError;

use crate::lookahead;
use crate::position::{Position, bare_parser_message, excerpt};

/// Why a query was refused before running, with where in the query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct QueryIssue {
    pub(crate) message: String,
    pub(crate) hint: String,
}

const EXAMPLE: &str = "SELECT ts, close / LAG(close, 1) OVER (ORDER BY ts) - 1 AS ret_1 FROM bars";

/// Parses `sql`: one query, and (unless allowed) nothing that reads later rows.
pub(crate) fn check(sql: &str, allow_lookahead: bool) -> Result<(), QueryIssue> {
    if sql.trim().is_empty() {
        return Err(QueryIssue { message: "the query is empty".into(), hint: format!("for example `{EXAMPLE}`") });
    }
    let statements = DFParser::parse_sql(sql).map_err(|e| {
        let text = e.strip_backtrace();
        let message = match Position::from_parser_message(&text) {
            Some(at) => format!("SQL syntax error at {}\n  {}", excerpt(sql, at), bare_parser_message(&text)),
            None => format!("SQL syntax error: {}", bare_parser_message(&text)),
        };
        QueryIssue { message, hint: "DataFusion SQL is close to PostgreSQL: https://datafusion.apache.org/user-guide/sql/".into() }
    })?;
    let query = match (statements.len(), statements.front()) {
        (1, Some(Statement::Statement(s))) => match s.as_ref() {
            SqlStatement::Query(q) => q.clone(),
            other => return Err(not_a_query(&other.to_string())),
        },
        (1, Some(other)) => return Err(not_a_query(&other.to_string())),
        (n, _) => {
            return Err(QueryIssue { message: format!("expected one SQL statement, found {n}"), hint: "write one `SELECT` (use `WITH` for steps)".into() });
        }
    };
    if allow_lookahead {
        return Ok(());
    }
    let found = lookahead::find(&query);
    if found.is_empty() {
        return Ok(());
    }
    let mut message =
        format!("the query reads later rows ({} place{}), so its features would leak the future", found.len(), if found.len() == 1 { "" } else { "s" });
    for l in &found {
        match l.at {
            Some(at) => {
                let _ = write!(message, "\n  {} at {}", l.what, excerpt(sql, at));
            }
            None => {
                let _ = write!(message, "\n  {}", l.what);
            }
        }
    }
    Err(QueryIssue {
        message,
        hint: "use LAG and frames ending at CURRENT ROW, over `ORDER BY ts`; set `allow_lookahead: true` only for a deliberately leaky control".into(),
    })
}

fn not_a_query(statement: &str) -> QueryIssue {
    let head: String = statement.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    QueryIssue { message: format!("expected a query (`SELECT …`), found `{head} …`"), hint: format!("for example `{EXAMPLE}`") }
}

/// A DataFusion error as a stage error, pointing into the query where DataFusion knows.
fn sql_error(sql: &str, e: &DataFusionError) -> StageError {
    let text = e.strip_backtrace();
    let at = e
        .diagnostic()
        .and_then(|d| d.span.or_else(|| d.notes.iter().find_map(|n| n.span)))
        .and_then(|s| Position::new(s.start.line, s.start.column))
        .or_else(|| Position::from_parser_message(&text));
    let message = match at {
        Some(at) => format!("features.sql: {} at {}", text.lines().next().unwrap_or_default(), excerpt(sql, at)),
        None => format!("features.sql: {text}"),
    };
    StageError::data_hint(message, "check the names against the input tables' columns (`mlfactory query` helps try a query on a run's tables)")
}

/// Runs `sql` over `tables` (name, table) on one partition; returns the result's schema and
/// rows.
pub(crate) fn run(sql: &str, tables: &[(String, Table)]) -> Result<(SchemaRef, Vec<RecordBatch>), StageError> {
    let mut config = SessionConfig::new().with_target_partitions(1).with_information_schema(false);
    config.options_mut().sql_parser.collect_spans = true;
    let ctx = SessionContext::new_with_config(config);
    for (name, table) in tables {
        let mem =
            MemTable::try_new(table.schema(), vec![vec![table.as_ref().clone()]]).map_err(|e| StageError::internal(format!("registering `{name}`: {e}")))?;
        ctx.register_table(name.as_str(), Arc::new(mem)).map_err(|e| StageError::internal(format!("registering `{name}`: {e}")))?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread().build().map_err(|e| StageError::internal(format!("starting the SQL runtime: {e}")))?;
    runtime.block_on(async {
        let frame = ctx.sql(sql).await.map_err(|e| sql_error(sql, &e))?;
        let schema: SchemaRef = frame.schema().inner().clone();
        let batches = frame.collect().await.map_err(|e| sql_error(sql, &e))?;
        Ok((schema, batches))
    })
}

#[cfg(test)]
mod tests {
    use mlfactory_market::columns::TableBuilder;

    use super::*;

    #[test]
    fn syntax_errors_point_into_the_query() {
        let issue = check("SELECT ts, close\nFRM bars", false).unwrap_err();
        assert!(issue.message.contains("line 2, column 5"), "{}", issue.message);
        assert!(issue.message.contains("FRM bars\n        ^"), "{}", issue.message);
    }

    #[test]
    fn one_query_only() {
        assert!(check("", false).unwrap_err().message.contains("empty"));
        assert!(check("SELECT 1; SELECT 2", false).unwrap_err().message.contains("one SQL statement, found 2"));
        let issue = check("CREATE TABLE t (x INT)", false).unwrap_err();
        assert!(issue.message.contains("expected a query"), "{}", issue.message);
        assert!(check("DELETE FROM bars", false).is_err());
    }

    #[test]
    fn lookahead_is_refused_unless_allowed() {
        let sql = "SELECT ts, LEAD(close) OVER (ORDER BY ts) AS next FROM bars";
        let issue = check(sql, false).unwrap_err();
        assert!(issue.message.contains("`LEAD` reads a later row at line 1, column 12"), "{}", issue.message);
        assert!(issue.hint.contains("allow_lookahead"));
        assert_eq!(check(sql, true), Ok(()));
    }

    #[test]
    fn unknown_columns_are_located() {
        let bars = TableBuilder::new().ts("ts", vec![1, 2]).f64("close", vec![1.0, 2.0]).build().unwrap();
        let sql = "SELECT ts,\n       clse * 2 AS x FROM bars";
        let err = run(sql, &[("bars".into(), Arc::new(bars))]).unwrap_err().to_string();
        assert!(err.contains("clse"), "{err}");
        assert!(err.contains("line 2, column 8"), "{err}");
    }
}
