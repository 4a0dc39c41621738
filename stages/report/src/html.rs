//! The page: one self-contained HTML document (inline CSS and SVG, no script, nothing
//! fetched), assembled from sections of blocks: headline cards, tables, charts, notes.

use std::fmt::Write;

use crate::plot::svg::escape;

/// The tone of a value: colours numbers that are good or bad news.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Good,
    Bad,
}

impl Tone {
    /// Good when `v > 0`, bad when `v < 0`.
    pub fn of(v: f64) -> Self {
        if v > 0.0 {
            Self::Good
        } else if v < 0.0 {
            Self::Bad
        } else {
            Self::Plain
        }
    }

    fn class(self) -> &'static str {
        match self {
            Self::Plain => "",
            Self::Good => " good",
            Self::Bad => " bad",
        }
    }
}

/// A table cell.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub text: String,
    pub numeric: bool,
    pub tone: Tone,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Self {
        Self { text: s.into(), numeric: false, tone: Tone::Plain }
    }

    pub fn num(s: impl Into<String>) -> Self {
        Self { text: s.into(), numeric: true, tone: Tone::Plain }
    }

    /// A number coloured by the sign of `v`.
    pub fn signed(s: impl Into<String>, v: f64) -> Self {
        Self { text: s.into(), numeric: true, tone: Tone::of(v) }
    }
}

/// A headline figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    pub label: String,
    pub value: String,
    pub note: String,
    pub tone: Tone,
}

impl Card {
    pub fn new(label: impl Into<String>, value: impl Into<String>, note: impl Into<String>, tone: Tone) -> Self {
        Self { label: label.into(), value: value.into(), note: note.into(), tone }
    }
}

/// A block of a section.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Cards(Vec<Card>),
    Table {
        caption: String,
        headers: Vec<String>,
        rows: Vec<Vec<Cell>>,
    },
    /// An SVG chart with a caption.
    Chart {
        caption: String,
        svg: String,
    },
    /// A paragraph of plain text.
    Note(String),
    /// Definitions (term, description).
    Facts(Vec<(String, String)>),
    /// Charts side by side.
    Row(Vec<Block>),
}

impl Block {
    pub fn table<S: Into<String>>(caption: impl Into<String>, headers: impl IntoIterator<Item = S>, rows: Vec<Vec<Cell>>) -> Self {
        Self::Table { caption: caption.into(), headers: headers.into_iter().map(Into::into).collect(), rows }
    }

    pub fn chart(caption: impl Into<String>, svg: String) -> Self {
        Self::Chart { caption: caption.into(), svg }
    }

    fn write(&self, out: &mut String) {
        match self {
            Self::Cards(cards) => {
                out.push_str("<div class=\"cards\">");
                for c in cards {
                    let _ = write!(
                        out,
                        "<div class=\"card\"><div class=\"label\">{}</div><div class=\"value{}\">{}</div><div class=\"note\">{}</div></div>",
                        escape(&c.label),
                        c.tone.class(),
                        escape(&c.value),
                        escape(&c.note)
                    );
                }
                out.push_str("</div>");
            }
            Self::Table { caption, headers, rows } => {
                out.push_str("<div class=\"table-wrap\"><table>");
                if !caption.is_empty() {
                    let _ = write!(out, "<caption>{}</caption>", escape(caption));
                }
                out.push_str("<thead><tr>");
                for (i, h) in headers.iter().enumerate() {
                    // A header sits over its column: right-aligned over numbers.
                    let numeric = rows.first().and_then(|r| r.get(i)).is_some_and(|c| c.numeric);
                    let _ = write!(out, "<th{}>{}</th>", if numeric { " class=\"num\"" } else { "" }, escape(h));
                }
                out.push_str("</tr></thead><tbody>");
                for row in rows {
                    out.push_str("<tr>");
                    for c in row {
                        let class = format!("{}{}", if c.numeric { "num" } else { "" }, c.tone.class());
                        let class = class.trim();
                        if class.is_empty() {
                            let _ = write!(out, "<td>{}</td>", escape(&c.text));
                        } else {
                            let _ = write!(out, "<td class=\"{class}\">{}</td>", escape(&c.text));
                        }
                    }
                    out.push_str("</tr>");
                }
                out.push_str("</tbody></table></div>");
            }
            Self::Chart { caption, svg } => {
                let _ = write!(out, "<figure>{svg}<figcaption>{}</figcaption></figure>", escape(caption));
            }
            Self::Note(text) => {
                let _ = write!(out, "<p class=\"note\">{}</p>", escape(text));
            }
            Self::Facts(facts) => {
                out.push_str("<dl class=\"facts\">");
                for (k, v) in facts {
                    let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
                }
                out.push_str("</dl>");
            }
            Self::Row(blocks) => {
                out.push_str("<div class=\"row\">");
                for b in blocks {
                    out.push_str("<div>");
                    b.write(out);
                    out.push_str("</div>");
                }
                out.push_str("</div>");
            }
        }
    }
}

/// A titled part of the page.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub blocks: Vec<Block>,
}

impl Section {
    pub fn new(id: &str, title: &str) -> Self {
        Self { id: id.to_owned(), title: title.to_owned(), blocks: Vec::new() }
    }

    pub fn push(&mut self, b: Block) -> &mut Self {
        self.blocks.push(b);
        self
    }
}

/// The whole page.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub title: String,
    pub subtitle: String,
    pub sections: Vec<Section>,
    pub footer: String,
}

impl Page {
    /// The HTML document. Deterministic: no clock, no randomness, no environment.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(64 * 1024);
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <link rel=\"icon\" href=\"data:,\"><title>{}</title><style>{CSS}</style></head><body>",
            escape(&self.title)
        );
        let _ = write!(out, "<header><h1>{}</h1><p class=\"subtitle\">{}</p><nav>", escape(&self.title), escape(&self.subtitle));
        for s in &self.sections {
            let _ = write!(out, "<a href=\"#{}\">{}</a>", escape(&s.id), escape(&s.title));
        }
        out.push_str("</nav></header><main>");
        for s in &self.sections {
            let _ = write!(out, "<section id=\"{}\"><h2>{}</h2>", escape(&s.id), escape(&s.title));
            for b in &s.blocks {
                b.write(&mut out);
            }
            out.push_str("</section>");
        }
        let _ = writeln!(out, "</main><footer>{}</footer></body></html>", escape(&self.footer));
        out
    }
}

/// The page's style sheet (series colours `s0`..`s7` are shared by every chart).
const CSS: &str = "\
:root{--fg:#1d2733;--muted:#5b6b7c;--line:#d9e0e7;--bg:#f6f8fa;--card:#fff;--good:#137333;--bad:#b3261e;--accent:#1f5fa8}\
*{box-sizing:border-box}\
body{margin:0;font:14px/1.5 -apple-system,BlinkMacSystemFont,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif;color:var(--fg);background:var(--bg)}\
header{background:#13293d;color:#fff;padding:20px 32px 0}\
header h1{margin:0;font-size:22px;font-weight:600}\
.subtitle{margin:4px 0 12px;color:#b9c7d6}\
nav{display:flex;flex-wrap:wrap;gap:2px}\
nav a{color:#dbe6f1;text-decoration:none;padding:6px 12px;border-radius:6px 6px 0 0}\
nav a:hover{background:#1f3d5a}\
main{max-width:1180px;margin:0 auto;padding:8px 24px 40px}\
section{background:var(--card);border:1px solid var(--line);border-radius:8px;margin:20px 0;padding:4px 24px 20px}\
h2{font-size:18px;margin:16px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}\
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(165px,1fr));gap:12px;margin:12px 0}\
.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:#fbfcfd}\
.card .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}\
.card .value{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}\
.card .note{color:var(--muted);font-size:12px}\
.good{color:var(--good)}.bad{color:var(--bad)}\
.table-wrap{overflow-x:auto;margin:12px 0}\
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}\
caption{text-align:left;font-weight:600;padding:4px 0 8px}\
th{text-align:left;font-weight:600;color:var(--muted);border-bottom:2px solid var(--line);padding:6px 10px;white-space:nowrap}th.num{text-align:right}\
td{border-bottom:1px solid #edf1f4;padding:5px 10px;white-space:nowrap}\
td.num{text-align:right}\
tbody tr:nth-child(even){background:#fafbfc}\
figure{margin:16px 0}\
figcaption{color:var(--muted);font-size:13px;margin-top:4px}\
.note{color:var(--muted)}\
.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:12px 0}\
.facts dt{color:var(--muted)}.facts dd{margin:0;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px;word-break:break-all}\
.row{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}\
footer{text-align:center;color:var(--muted);font-size:12px;padding:0 0 24px}\
svg.chart{width:100%;height:auto;display:block;font-size:11px}\
svg .grid{stroke:#e8edf1;stroke-width:1}\
svg .axis{stroke:#8a99a8;stroke-width:1}\
svg .ref{stroke:#8a99a8;stroke-width:1;stroke-dasharray:4 4}\
svg .marker{stroke:#b3261e;stroke-width:1.5;stroke-dasharray:5 3}\
svg .tick,svg .legend{fill:#5b6b7c}\
svg .axis-title{fill:#3d4b59;font-weight:600}\
svg .value{fill:#3d4b59;font-size:10px}\
svg .cell{fill:#1d2733;font-size:14px;font-weight:600}svg .cell.small{font-size:10px;font-weight:400}svg .cell.light{fill:#fff}\
svg .line{fill:none;stroke-width:1.6}\
svg .area{stroke:none;opacity:.18}\
svg .bar.neg{fill:#d1493f}\
svg .s0{stroke:#1f5fa8;fill:#1f5fa8}svg .s1{stroke:#e8710a;fill:#e8710a}svg .s2{stroke:#188038;fill:#188038}svg .s3{stroke:#c5221f;fill:#c5221f}\
svg .s4{stroke:#7b4fb3;fill:#7b4fb3}svg .s5{stroke:#8d6e63;fill:#8d6e63}svg .s6{stroke:#d01884;fill:#d01884}svg .s7{stroke:#5f6368;fill:#5f6368}\
svg .line.s0,svg .line.s1,svg .line.s2,svg .line.s3,svg .line.s4,svg .line.s5,svg .line.s6,svg .line.s7{fill:none}\
svg .area.s3{fill:#c5221f}\
svg .bar{stroke:none}svg .swatch{stroke:none}svg .dot{stroke:#fff;stroke-width:1}\
";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::svg::tests::assert_balanced;

    #[test]
    fn a_page_is_self_contained_balanced_and_escaped() {
        let mut s = Section::new("bt", "Backtest <1>");
        s.push(Block::Cards(vec![Card::new("Net PnL", "+1.00", "USD", Tone::Good)]));
        s.push(Block::table("t", ["a", "b"], vec![vec![Cell::text("x&y"), Cell::signed("-1", -1.0)]]));
        s.push(Block::Row(vec![Block::chart("c", "<svg class=\"chart\"></svg>".into()), Block::Note("n".into())]));
        s.push(Block::Facts(vec![("k".into(), "v".into())]));
        let page = Page { title: "mes".into(), subtitle: "sub".into(), sections: vec![s], footer: "f".into() };
        let html = page.render();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert_balanced(html.split_once('\n').unwrap().1);
        assert!(html.contains("Backtest &lt;1&gt;") && html.contains("x&amp;y"));
        assert!(html.contains("<td class=\"num bad\">-1</td>"));
        for banned in ["<script", "http://", "https://", "@import", "url("] {
            assert!(!html.replace("http://www.w3.org/2000/svg", "").contains(banned), "{banned}");
        }
        assert_eq!(html, page.render());
    }
}
