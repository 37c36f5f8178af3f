//! The dependency graph as Graphviz dot or Mermaid.
//!
//! Input: a [`Playbook`] and its [`Dag`]. Output: text; edges point from a step to what it
//! depends on, labelled `depends_on` or `tenant` when not a template reference.

use std::fmt::Write;

use crate::graph::{Dag, EdgeKind, NodeId};
use crate::model::Playbook;

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

pub fn dot(playbook: &Playbook, dag: &Dag) -> String {
    let mut out = format!(
        "digraph \"{}\" {{\n  rankdir=RL;\n  node [shape=box];\n",
        playbook.name
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
            name(playbook, n),
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
            name(playbook, e.from),
            name(playbook, e.to)
        );
    }
    out
}
