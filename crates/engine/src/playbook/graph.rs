//! The dependency graph of a playbook.
//!
//! Input: a [`Playbook`] whose references are known to exist. Output: a [`Dag`] whose nodes
//! are the tenant and the steps, whose edges are template references, `depends_on` entries and
//! the implicit edge from every tenant-scoped step to the tenant, each edge with its source
//! location. A cycle is an error listing the whole cycle. The order is deterministic:
//! declaration order breaks ties (the tenant block counts as declared first).

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};

use crate::diag::Diag;
use crate::diag::source::Span;
use crate::playbook::model::{Playbook, StepScope};

/// A node of the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum NodeId {
    Tenant,
    /// The index of a step in `Playbook::steps`.
    Step(usize),
}

/// Why one node depends on another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    Reference,
    /// A reference in the `when` of an import that brought the step in (the step's `guards`,
    /// by index): written in the importing file.
    Guard(usize),
    DependsOn,
    /// A tenant-scoped step runs inside the tenant.
    Tenant,
}

/// An edge: `from` runs after `to`.
#[derive(Debug, Clone, Copy)]
pub struct Edge {
    pub from: NodeId,
    pub to: NodeId,
    pub kind: EdgeKind,
    pub span: Span,
}

/// The dependency graph, in a deterministic topological order.
#[derive(Debug, Clone)]
pub struct Dag {
    graph: DiGraph<NodeId, Edge>,
    order: Vec<NodeId>,
    levels: Vec<usize>,
    step_nodes: Vec<NodeIndex>,
    tenant_node: Option<NodeIndex>,
}

impl Dag {
    /// Build the graph; every reference must name an existing step.
    pub fn build(playbook: &Playbook) -> Result<Dag, Diag> {
        let mut graph = DiGraph::new();
        let tenant_node = playbook
            .tenant
            .as_ref()
            .map(|_| graph.add_node(NodeId::Tenant));
        let step_nodes: Vec<NodeIndex> = (0..playbook.steps.len())
            .map(|i| graph.add_node(NodeId::Step(i)))
            .collect();
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (i, step) in playbook.steps.iter().enumerate() {
            first.entry(step.id.as_str()).or_insert(i);
        }
        let index_of = |id: &str| first.get(id).copied();
        for edge in edges(playbook, &index_of) {
            let a = node_index(edge.from, tenant_node, &step_nodes);
            let b = node_index(edge.to, tenant_node, &step_nodes);
            if let (Some(a), Some(b)) = (a, b)
                && graph.find_edge(a, b).is_none()
            {
                graph.add_edge(a, b, edge);
            }
        }
        let mut dag = Dag {
            graph,
            order: Vec::new(),
            levels: Vec::new(),
            step_nodes,
            tenant_node,
        };
        dag.sort()
            .map_err(|cycle| cycle_diag(playbook, &dag, &cycle))?;
        Ok(dag)
    }

    /// Every node, dependencies first; ties broken by declaration order.
    pub fn order(&self) -> &[NodeId] {
        &self.order
    }

    /// Nodes grouped by depth: every node of a level depends only on earlier levels.
    pub fn levels(&self) -> Vec<Vec<NodeId>> {
        let mut out: Vec<Vec<NodeId>> = Vec::new();
        for &node in &self.order {
            let level = self.levels[self.index(node).index()];
            if out.len() <= level {
                out.resize(level + 1, Vec::new());
            }
            out[level].push(node);
        }
        out
    }

    /// What `node` depends on, sorted.
    pub fn dependencies(&self, node: NodeId) -> Vec<NodeId> {
        self.neighbours(node, Direction::Outgoing)
    }

    /// What depends on `node`, sorted.
    pub fn dependents(&self, node: NodeId) -> Vec<NodeId> {
        self.neighbours(node, Direction::Incoming)
    }

    /// Every edge, in a stable order.
    pub fn edges(&self) -> Vec<Edge> {
        let mut edges: Vec<Edge> = self.graph.edge_weights().copied().collect();
        edges.sort_by_key(|e| (e.from, e.to));
        edges
    }

    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    fn neighbours(&self, node: NodeId, dir: Direction) -> Vec<NodeId> {
        let set: BTreeSet<NodeId> = self
            .graph
            .neighbors_directed(self.index(node), dir)
            .map(|n| self.graph[n])
            .collect();
        set.into_iter().collect()
    }

    fn index(&self, node: NodeId) -> NodeIndex {
        match node {
            NodeId::Tenant => self
                .tenant_node
                .unwrap_or_else(|| unreachable!("no tenant node")),
            NodeId::Step(i) => self.step_nodes[i],
        }
    }

    /// Kahn's algorithm with a min-heap on declaration order. Err: the nodes left in cycles.
    fn sort(&mut self) -> Result<(), Vec<NodeIndex>> {
        let n = self.graph.node_count();
        let mut pending: Vec<usize> = (0..n)
            .map(|i| {
                self.graph
                    .neighbors_directed(NodeIndex::new(i), Direction::Outgoing)
                    .count()
            })
            .collect();
        let mut levels = vec![0usize; n];
        let mut heap: BinaryHeap<Reverse<(NodeId, usize)>> = (0..n)
            .filter(|&i| pending[i] == 0)
            .map(|i| Reverse((self.graph[NodeIndex::new(i)], i)))
            .collect();
        let mut order = Vec::with_capacity(n);
        while let Some(Reverse((id, i))) = heap.pop() {
            order.push(id);
            for dependent in self
                .graph
                .neighbors_directed(NodeIndex::new(i), Direction::Incoming)
            {
                let d = dependent.index();
                levels[d] = levels[d].max(levels[i] + 1);
                pending[d] -= 1;
                if pending[d] == 0 {
                    heap.push(Reverse((self.graph[dependent], d)));
                }
            }
        }
        if order.len() < n {
            return Err((0..n)
                .filter(|&i| pending[i] > 0)
                .map(NodeIndex::new)
                .collect());
        }
        self.order = order;
        self.levels = levels;
        Ok(())
    }
}

fn node_index(node: NodeId, tenant: Option<NodeIndex>, steps: &[NodeIndex]) -> Option<NodeIndex> {
    match node {
        NodeId::Tenant => tenant,
        NodeId::Step(i) => steps.get(i).copied(),
    }
}

/// Every dependency edge of the playbook, unresolvable references skipped.
fn edges(playbook: &Playbook, index_of: &dyn Fn(&str) -> Option<usize>) -> Vec<Edge> {
    let mut out = Vec::new();
    if let Some(t) = &playbook.tenant {
        let templates = [&t.name, &t.domain]
            .into_iter()
            .chain(t.group_templates.iter());
        for tpl in templates {
            for r in &tpl.refs {
                if let crate::playbook::template::Target::Step { id, .. } = &r.target
                    && let Some(j) = index_of(id)
                {
                    out.push(Edge {
                        from: NodeId::Tenant,
                        to: NodeId::Step(j),
                        kind: EdgeKind::Reference,
                        span: r.span,
                    });
                }
            }
        }
    }
    for (i, step) in playbook.steps.iter().enumerate() {
        let from = NodeId::Step(i);
        let own = step.own_templates().map(|t| (EdgeKind::Reference, t));
        let guards = (step.guards.iter().enumerate()).map(|(k, g)| (EdgeKind::Guard(k), &g.when));
        for (kind, tpl) in own.chain(guards) {
            for r in &tpl.refs {
                if let crate::playbook::template::Target::Step { id, .. } = &r.target
                    && let Some(j) = index_of(id)
                {
                    out.push(Edge {
                        from,
                        to: NodeId::Step(j),
                        kind,
                        span: r.span,
                    });
                }
                if let crate::playbook::template::Target::Tenant(_) = r.target
                    && playbook.tenant.is_some()
                {
                    out.push(Edge {
                        from,
                        to: NodeId::Tenant,
                        kind,
                        span: r.span,
                    });
                }
            }
        }
        for (dep, span) in &step.depends_on {
            if let Some(j) = index_of(dep) {
                out.push(Edge {
                    from,
                    to: NodeId::Step(j),
                    kind: EdgeKind::DependsOn,
                    span: *span,
                });
            }
        }
        if step.scope == StepScope::Tenant && playbook.tenant.is_some() {
            out.push(Edge {
                from,
                to: NodeId::Tenant,
                kind: EdgeKind::Tenant,
                span: step.id_span,
            });
        }
    }
    out
}

/// One cycle through the stuck nodes, reported with every edge's location (an edge written in
/// another file, a module's, is a related note at its place).
fn cycle_diag(playbook: &Playbook, dag: &Dag, stuck: &[NodeIndex]) -> Diag {
    let cycle = find_cycle(dag, stuck);
    let name = |n: NodeId| match n {
        NodeId::Tenant => "tenant".to_owned(),
        NodeId::Step(i) => playbook.steps[i].id.clone(),
    };
    // An edge is written in its step's file, or, for an import's `when`, in the importer's.
    let file = |e: &Edge| match (e.from, e.kind) {
        (NodeId::Tenant, _) => &playbook.file,
        (NodeId::Step(i), EdgeKind::Guard(k)) => &playbook.steps[i].guards[k].file,
        (NodeId::Step(i), _) => &playbook.steps[i].file,
    };
    let path: Vec<String> = cycle
        .iter()
        .map(|e| name(e.from))
        .chain(cycle.first().map(|e| name(e.from)))
        .collect();
    let first = cycle.first().map_or(Span::default(), |e| e.span);
    let home = cycle.first().map_or(&playbook.file, file);
    let mut diag = Diag::at(
        home,
        first,
        format!("dependency cycle: {}", path.join(" → ")),
        edge_label(&name, cycle.first()),
    )
    .help("remove one of these references or `depends_on` entries to break the cycle");
    for e in cycle.iter().skip(1) {
        let at = file(e);
        if at.same(home) {
            diag = diag.label(e.span, edge_label(&name, Some(e)));
        } else {
            let label = edge_label(&name, Some(e));
            diag = diag.related(Diag::at(at, e.span, label.clone(), label));
        }
    }
    diag
}

fn edge_label(name: &dyn Fn(NodeId) -> String, edge: Option<&Edge>) -> String {
    match edge {
        Some(e) if e.kind == EdgeKind::Tenant => {
            format!("`{}` runs inside the tenant", name(e.from))
        }
        Some(e) => format!("`{}` depends on `{}`", name(e.from), name(e.to)),
        None => String::new(),
    }
}

/// Walk from the smallest stuck node along stuck edges until a node repeats.
fn find_cycle(dag: &Dag, stuck: &[NodeIndex]) -> Vec<Edge> {
    let Some(&start) = stuck.iter().min_by_key(|n| dag.graph[**n]) else {
        return Vec::new();
    };
    let mut path: Vec<NodeIndex> = vec![start];
    let mut edges: Vec<Edge> = Vec::new();
    let mut current = start;
    loop {
        let next = dag
            .graph
            .edges_directed(current, Direction::Outgoing)
            .filter(|e| stuck.contains(&petgraph::visit::EdgeRef::target(e)))
            .min_by_key(|e| dag.graph[petgraph::visit::EdgeRef::target(e)]);
        let Some(e) = next else { return edges };
        let target = petgraph::visit::EdgeRef::target(&e);
        edges.push(*e.weight());
        if let Some(pos) = path.iter().position(|&n| n == target) {
            return edges.split_off(pos);
        }
        path.push(target);
        current = target;
    }
}
