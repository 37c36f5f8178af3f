//! The ready queue: which nodes may run now.
//!
//! Pure and synchronous, over plain integers `0..n`: the executor asks for the next ready
//! node, reports it done or failed, and a failure skips everything that depends on it,
//! transitively, while independent nodes go on. The lowest ready index runs first, so the
//! order is deterministic for a given sequence of completions.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// What became of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Waiting,
    Ready,
    Running,
    Done,
    Failed,
    /// A dependency failed.
    Skipped,
}

/// The ready queue over nodes `0..n`.
#[derive(Debug, Clone)]
pub struct Scheduler {
    waiting_on: Vec<usize>,
    dependents: Vec<Vec<usize>>,
    status: Vec<Status>,
    ready: BinaryHeap<Reverse<usize>>,
    open: usize,
}

impl Scheduler {
    /// `edges` are `(node, dependency)` pairs.
    pub fn new(n: usize, edges: &[(usize, usize)]) -> Self {
        let mut waiting_on = vec![0; n];
        let mut dependents = vec![Vec::new(); n];
        for &(node, dep) in edges {
            waiting_on[node] += 1;
            dependents[dep].push(node);
        }
        let mut status = vec![Status::Waiting; n];
        let mut ready = BinaryHeap::new();
        for i in (0..n).filter(|&i| waiting_on[i] == 0) {
            status[i] = Status::Ready;
            ready.push(Reverse(i));
        }
        Self {
            waiting_on,
            dependents,
            status,
            ready,
            open: n,
        }
    }

    /// The next node to run, if one is ready.
    pub fn next_ready(&mut self) -> Option<usize> {
        let Reverse(i) = self.ready.pop()?;
        self.status[i] = Status::Running;
        Some(i)
    }

    /// `node` finished; its dependents may become ready.
    pub fn done(&mut self, node: usize) {
        self.status[node] = Status::Done;
        self.open -= 1;
        for d in self.dependents[node].clone() {
            self.waiting_on[d] -= 1;
            if self.waiting_on[d] == 0 && self.status[d] == Status::Waiting {
                self.status[d] = Status::Ready;
                self.ready.push(Reverse(d));
            }
        }
    }

    /// `node` failed; returns every node skipped because of it, in index order.
    pub fn failed(&mut self, node: usize) -> Vec<usize> {
        self.status[node] = Status::Failed;
        self.open -= 1;
        let mut skipped = Vec::new();
        let mut stack = self.dependents[node].clone();
        while let Some(d) = stack.pop() {
            if matches!(self.status[d], Status::Waiting | Status::Ready) {
                self.status[d] = Status::Skipped;
                self.open -= 1;
                skipped.push(d);
                stack.extend(self.dependents[d].iter().copied());
            }
        }
        self.ready
            .retain(|Reverse(i)| self.status[*i] == Status::Ready);
        skipped.sort_unstable();
        skipped
    }

    /// Whether every node is done, failed or skipped.
    pub fn is_finished(&self) -> bool {
        self.open == 0
    }

    pub fn status(&self, node: usize) -> Status {
        self.status[node]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_in_dependency_order_lowest_first() {
        // 2 depends on 0 and 1; 3 depends on 2.
        let mut s = Scheduler::new(4, &[(2, 0), (2, 1), (3, 2)]);
        assert_eq!(s.next_ready(), Some(0));
        assert_eq!(s.next_ready(), Some(1));
        assert_eq!(s.next_ready(), None);
        s.done(1);
        assert_eq!(s.next_ready(), None, "2 still waits for 0");
        s.done(0);
        assert_eq!(s.next_ready(), Some(2));
        s.done(2);
        assert_eq!(s.next_ready(), Some(3));
        s.done(3);
        assert!(s.is_finished());
    }

    #[test]
    fn failure_skips_dependants_and_others_go_on() {
        // 1 and 2 depend on 0; 3 depends on 1; 4 is independent.
        let mut s = Scheduler::new(5, &[(1, 0), (2, 0), (3, 1)]);
        assert_eq!(s.next_ready(), Some(0));
        assert_eq!(s.next_ready(), Some(4));
        assert_eq!(s.failed(0), vec![1, 2, 3]);
        assert!(!s.is_finished());
        s.done(4);
        assert!(s.is_finished());
        assert_eq!(s.status(3), Status::Skipped);
        assert_eq!(s.next_ready(), None);
    }

    #[test]
    fn a_ready_node_is_dropped_when_skipped() {
        let mut s = Scheduler::new(3, &[(2, 0)]);
        assert_eq!(s.next_ready(), Some(0));
        assert_eq!(s.failed(0), vec![2]);
        assert_eq!(s.next_ready(), Some(1));
        s.done(1);
        assert!(s.is_finished());
    }
}
