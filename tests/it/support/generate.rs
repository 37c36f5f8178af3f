//! Generated playbooks for the throughput tests and benchmarks (`tests/it/apply_rate_limit.rs`,
//! `benches/apply.rs`): standalone (no tenant block), so every step runs in the PAT's own
//! account, and every step makes exactly two requests on a first apply (a lookup, then a POST).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// `groups` groups `g000`, `g001`, ... and `policies` policies; policy `k` lets group
/// `k mod groups` reach group `k + 1 mod groups`, so it depends on two groups.
pub fn groups_and_policies(name: &str, groups: usize, policies: usize) -> String {
    let mut out = format!("version: 1\nname: {name}\nsteps:\n");
    for g in 0..groups {
        let _ = writeln!(
            out,
            "  - id: g{g:03}\n    type: group\n    with: {{ name: group-{g:03} }}"
        );
    }
    for p in 0..policies {
        let (src, dst) = (p % groups.max(1), (p + 1) % groups.max(1));
        let _ = writeln!(
            out,
            "  - id: p{p:03}\n    type: policy\n    with:\n      name: policy-{p:03}\n      rules:\n        - name: r{p:03}\n          protocol: tcp\n          ports: [\"22\"]\n          bidirectional: false\n          sources: [\"{{{{ steps.g{src:03}.id }}}}\"]\n          destinations: [\"{{{{ steps.g{dst:03}.id }}}}\"]"
        );
    }
    out
}

/// Writes `text` to `dir/<name>.yaml` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, text).expect("the generated playbook is written");
    path
}

/// An inventory of `customers` customers `c0000`, `c0001`, ... of `playbook` (an absolute
/// path; `playbooks/msp-customer.yaml` or a copy), each with its own name and domain and no
/// admins.
pub fn inventory(playbook: &Path, customers: usize) -> String {
    let mut out = format!("playbook: {}\ncustomers:\n", playbook.display());
    for i in 0..customers {
        let _ = writeln!(
            out,
            "  c{i:04}:\n    customer: Customer {i}\n    domain: c{i:04}.example"
        );
    }
    out
}
