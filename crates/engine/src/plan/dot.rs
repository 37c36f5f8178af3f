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
    // A module's step `base.servers` is `base__servers` (Mermaid ids have no dots), with `_`
    // added while a playbook's step has that id.
    let name = name(playbook, n);
    let mut id = name.replace('.', "__");
    while name.contains('.') && playbook.steps.iter().any(|s| s.id == id) {
        id.push('_');
    }
    if !MERMAID_RESERVED.contains(&id.as_str()) {
        return id;
    }
    let mut chars = id.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// The nodes of module instance `ns` (None: the playbook's own), in graph order, each with
/// the clusters of the instances it imports after them, written by `node` and `cluster`.
fn clustered(
    playbook: &Playbook,
    dag: &Dag,
    ns: Option<usize>,
    depth: usize,
    out: &mut String,
    node: &dyn Fn(&mut String, NodeId, usize),
    cluster: &dyn Fn(&mut String, usize, usize, bool),
) {
    for &n in dag.order() {
        let here = match n {
            NodeId::Tenant => None,
            NodeId::Step(i) => playbook.steps[i].namespace,
        };
        if here == ns {
            node(out, n, depth);
        }
    }
    for (i, _) in playbook
        .namespaces
        .iter()
        .enumerate()
        .filter(|(_, m)| m.parent == ns)
    {
        cluster(out, i, depth, true);
        clustered(playbook, dag, Some(i), depth + 1, out, node, cluster);
        cluster(out, i, depth, false);
    }
}

/// A module instance's title: `base: baseline 1.4.0`.
fn title(playbook: &Playbook, ns: usize) -> String {
    let m = &playbook.namespaces[ns];
    crate::diag::printable(&format!("{}: {} {}", m.path, m.module, m.version)).into_owned()
}

pub fn dot(playbook: &Playbook, dag: &Dag) -> String {
    let mut out = format!(
        "digraph \"{}\" {{\n  rankdir=RL;\n  node [shape=box];\n",
        dot_escape(&crate::diag::printable(&playbook.name))
    );
    let node = |out: &mut String, n: NodeId, depth: usize| {
        let _ = writeln!(
            out,
            "{}\"{}\" [label=\"{}\"];",
            "  ".repeat(depth + 1),
            name(playbook, n),
            label(playbook, n)
        );
    };
    // A module instance is a cluster: `subgraph "cluster_base" { label="base: baseline 1.4.0"; ... }`.
    let cluster = |out: &mut String, ns: usize, depth: usize, open: bool| {
        let pad = "  ".repeat(depth + 1);
        if open {
            let path = &playbook.namespaces[ns].path;
            let _ = writeln!(
                out,
                "{pad}subgraph \"cluster_{}\" {{\n{pad}  label=\"{}\";",
                dot_escape(path),
                dot_escape(&title(playbook, ns))
            );
        } else {
            let _ = writeln!(out, "{pad}}}");
        }
    };
    clustered(playbook, dag, None, 0, &mut out, &node, &cluster);
    for e in dag.edges() {
        let attr = match e.kind {
            EdgeKind::Reference => String::new(),
            EdgeKind::Guard(_) => " [label=\"when\"]".to_owned(),
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
    let node = |out: &mut String, n: NodeId, depth: usize| {
        let _ = writeln!(
            out,
            "{}{}[\"{}\"]",
            "  ".repeat(depth + 1),
            mermaid_id(playbook, n),
            label(playbook, n).replace("\\n", "<br/>")
        );
    };
    // A module instance is a subgraph: `subgraph m_base["base: baseline 1.4.0"] ... end`.
    let cluster = |out: &mut String, ns: usize, depth: usize, open: bool| {
        let pad = "  ".repeat(depth + 1);
        if open {
            let mut id = format!("m_{}", playbook.namespaces[ns].path.replace('.', "__"));
            while playbook.steps.iter().any(|s| s.id == id) {
                id.push('_');
            }
            let _ = writeln!(
                out,
                "{pad}subgraph {id}[\"{}\"]",
                title(playbook, ns).replace('"', "#quot;")
            );
        } else {
            let _ = writeln!(out, "{pad}end");
        }
    };
    clustered(playbook, dag, None, 0, &mut out, &node, &cluster);
    for e in dag.edges() {
        let arrow = match e.kind {
            EdgeKind::Reference => "-->",
            EdgeKind::Guard(_) => "-- when -->",
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
