//! Printing a plan's DAG as text, Graphviz DOT or Mermaid.

use std::fmt::Write as _;

use crate::plan::Plan;

/// Output formats of `mlfactory dag`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DagFormat {
    Text,
    Dot,
    Mermaid,
}

fn edges(plan: &Plan) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    for (i, s) in plan.stages.iter().enumerate() {
        for b in &s.bindings {
            for src in &b.sources {
                let from_output = plan.stages[src.stage].kind.outputs().first().map(|o| o.name) != Some(src.output);
                let label = if from_output { format!("{} -> {}", src.output, b.slot.name) } else { b.slot.name.to_owned() };
                out.push((src.stage, i, label));
            }
        }
    }
    out
}

/// Renders the plan in `format`.
pub fn render(plan: &Plan, format: DagFormat) -> String {
    let mut s = String::new();
    match format {
        DagFormat::Text => {
            let _ = writeln!(s, "pipeline {} ({} stages)", plan.pipeline, plan.stages.len());
            for stage in &plan.stages {
                let _ = write!(s, "{} [{}]", stage.name, stage.kind.kind());
                let ins: Vec<String> = stage
                    .bindings
                    .iter()
                    .filter(|b| !b.sources.is_empty())
                    .map(|b| {
                        let from: Vec<String> = b.sources.iter().map(|src| format!("{}.{}", plan.stages[src.stage].name, src.output)).collect();
                        format!("{} <- {}", b.slot.name, from.join(", "))
                    })
                    .collect();
                if !ins.is_empty() {
                    let _ = write!(s, "\n    {}", ins.join("\n    "));
                }
                s.push('\n');
            }
        }
        DagFormat::Dot => {
            let _ = writeln!(s, "digraph \"{}\" {{\n  rankdir=LR;\n  node [shape=box, style=rounded];", plan.pipeline);
            for st in &plan.stages {
                let _ = writeln!(s, "  \"{}\" [label=\"{}\\n{}\"];", st.name, st.name, st.kind.kind());
            }
            for (a, b, label) in edges(plan) {
                let _ = writeln!(s, "  \"{}\" -> \"{}\" [label=\"{label}\"];", plan.stages[a].name, plan.stages[b].name);
            }
            s.push_str("}\n");
        }
        DagFormat::Mermaid => {
            s.push_str("flowchart LR\n");
            for (i, st) in plan.stages.iter().enumerate() {
                let _ = writeln!(s, "  s{i}[\"{}<br/><small>{}</small>\"]", st.name, st.kind.kind());
            }
            for (a, b, label) in edges(plan) {
                let _ = writeln!(s, "  s{a} -->|{label}| s{b}");
            }
        }
    }
    s
}
