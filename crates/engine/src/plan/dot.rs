//! The dependency graph as Graphviz dot or Mermaid.
//!
//! Input: a [`Playbook`] and its [`Dag`]. Output: text; edges point from a step to what it
//! depends on, labelled `depends_on` or `tenant` when not a template reference. Names are
//! escaped for each format: dot strings quote `"` and `\\`; Mermaid node ids that are
//! keywords (`end` breaks a flowchart) are capitalised, which no step id can be.

use std::fmt::Write;

use crate::playbook::graph::{Dag, EdgeKind, NodeId};
use crate::playbook::model::Playbook;

fn name(playbook: &Playbook, n: NodeId) -> String {
    match n {
        NodeId::Tenant => "tenant".to_owned(),
        NodeId::Step(i) => playbook.steps[i].id.clone(),
    }
}

fn label(playbook: &Playbook, n: NodeId) -> String {
    match n {
        NodeId::Tenant => "tenant".to_owned(),
        NodeId::Step(i) => format!("{}\\n{}", playbook.steps[i].id, playbook.steps[i].ty.name()),
    }
}

/// Mermaid keywords that cannot be node ids as they are.
const MERMAID_RESERVED: &[&str] = &[
    "end",
    "graph",
    "flowchart",
    "subgraph",
    "direction",
    "style",
    "class",
    "classdef",
    "click",
    "linkstyle",
    "default",
    "call",
    "href",
];

/// `s` inside a dot double-quoted string.
fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A Mermaid node id: the step id, capitalised when it is a keyword (step ids are lower case,
/// so the result cannot meet another step's id).
fn mermaid_id(playbook: &Playbook, n: NodeId) -> String {
    let id = name(playbook, n);
    if !MERMAID_RESERVED.contains(&id.as_str()) {
        return id;
    }
    let mut chars = id.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

pub fn dot(playbook: &Playbook, dag: &Dag) -> String {
    let mut out = format!(
        "digraph \"{}\" {{\n  rankdir=RL;\n  node [shape=box];\n",
        dot_escape(&crate::diag::printable(&playbook.name))
    );
    for &n in dag.order() {
        let _ = writeln!(
            out,
            "  \"{}\" [label=\"{}\"];",
            name(playbook, n),
            label(playbook, n)
        );
    }
    for e in dag.edges() {
        let attr = match e.kind {
            EdgeKind::Reference => String::new(),
            EdgeKind::DependsOn => " [style=dashed, label=\"depends_on\"]".to_owned(),
            EdgeKind::Tenant => " [style=dotted]".to_owned(),
        };
        let _ = writeln!(
            out,
            "  \"{}\" -> \"{}\"{attr};",
            name(playbook, e.from),
            name(playbook, e.to)
        );
    }
    out.push_str("}\n");
    out
}

pub fn mermaid(playbook: &Playbook, dag: &Dag) -> String {
    let mut out = String::from("flowchart RL\n");
    for &n in dag.order() {
        let _ = writeln!(
            out,
            "  {}[\"{}\"]",
            mermaid_id(playbook, n),
            label(playbook, n).replace("\\n", "<br/>")
        );
    }
    for e in dag.edges() {
        let arrow = match e.kind {
            EdgeKind::Reference => "-->",
            EdgeKind::DependsOn => "-. depends_on .->",
            EdgeKind::Tenant => "-.->",
        };
        let _ = writeln!(
            out,
            "  {} {arrow} {}",
            mermaid_id(playbook, e.from),
            mermaid_id(playbook, e.to)
        );
    }
    out
}
