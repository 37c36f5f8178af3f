//! The fleet's plan: the customers of an inventory grouped by identical change sets, so that
//! a reviewer reads one change once, with the customers it touches.
//!
//! Input: the customers' [`Plan`]s, in inventory order. Output: [`Group`]s (JSON) and their
//! text and Markdown. A change set is what apply would do to a customer, without what differs
//! only by customer (request bodies, ids, names): the tenant's action, and per step instance
//! its action, address and field changes. Groups come largest first, then by their first
//! customer in inventory order: same plans, same bytes. Values shown are the plans' own, which
//! mask secrets and sensitive inputs; a field whose new value is masked has its old one masked
//! too.

use serde::Serialize;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::fmt::Write;

use crate::plan::report::show;
use crate::plan::{Action, FieldChange, Plan};
use crate::playbook::model::StepScope;
use crate::playbook::render::SENSITIVE;

/// One change of a change set.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Change {
    pub action: Action,
    /// `tenant`, or a step instance's address.
    pub address: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub scope: StepScope,
    /// For an update or a replacement: what differs, live → desired.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
}

/// The customers (run keys, inventory order) whose plans make the same changes.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub customers: Vec<String>,
    pub changes: Vec<Change>,
}

/// What a plan changes, as compared across customers.
pub fn changes(plan: &Plan) -> Vec<Change> {
    let mut out = Vec::new();
    if let Some(t) = &plan.tenant
        && t.action != Action::NoChange
    {
        out.push(Change {
            action: t.action,
            address: "tenant".into(),
            ty: "tenant".into(),
            scope: StepScope::Msp,
            fields: t.changes.iter().map(redacted).collect(),
        });
    }
    for s in &plan.steps {
        if matches!(s.action, Action::NoChange | Action::Read | Action::Skip) {
            continue;
        }
        out.push(Change {
            action: s.action,
            address: s.address.clone(),
            ty: s.ty.name().to_owned(),
            scope: s.scope,
            fields: s.changes.iter().map(redacted).collect(),
        });
    }
    out
}

/// A field change with its old value masked when its new one is.
fn redacted(c: &FieldChange) -> FieldChange {
    let masked = |v: &Json| v.to_string().contains(SENSITIVE);
    let hide = masked(&c.after) || masked(&c.before);
    let mask = |v: &Json| match hide {
        true => Json::String(SENSITIVE.into()),
        false => v.clone(),
    };
    FieldChange {
        field: c.field.clone(),
        before: mask(&c.before),
        after: mask(&c.after),
    }
}

/// The customers grouped by change set: largest group first, then by first customer.
pub fn groups(plans: &[Plan]) -> Vec<Group> {
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for plan in plans {
        let changes = changes(plan);
        let key = serde_json::to_string(&changes).unwrap_or_default();
        match index.get(&key) {
            Some(&i) => groups[i].customers.push(plan.run_key.clone()),
            None => {
                index.insert(key, groups.len());
                groups.push(Group {
                    customers: vec![plan.run_key.clone()],
                    changes,
                });
            }
        }
    }
    // Stable: equal sizes keep the order of their first customer.
    groups.sort_by_key(|g| std::cmp::Reverse(g.customers.len()));
    groups
}

/// `1 customer`, `38 customers`.
fn customers(n: usize) -> String {
    match n {
        1 => "1 customer".into(),
        n => format!("{n} customers"),
    }
}

/// A value in a summary: one line, at most about 60 characters; a list that only grows shows
/// its new items after `...`.
fn short(v: &Json) -> String {
    clip(show(v))
}

fn clip(text: String) -> String {
    match text.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

fn field_diff(c: &FieldChange) -> String {
    if let (Json::Array(before), Json::Array(after)) = (&c.before, &c.after)
        && !before.is_empty()
        && after.len() > before.len()
        && after.starts_with(before)
    {
        let added: Vec<String> = after[before.len()..].iter().map(show).collect();
        let added = clip(added.join(", "));
        return format!("{} {} → [..., {added}]", c.field, short(&c.before));
    }
    format!("{} {} → {}", c.field, short(&c.before), short(&c.after))
}

/// One change, one line: `~ admin_ssh rules[0].ports ["22"] → [..., "2222"]`.
fn change_line(c: &Change) -> String {
    let head = format!("{} {}", c.action.symbol(), c.address);
    match c.action {
        Action::Keep => format!("{head} {}", super::KEPT),
        Action::Delete => format!("{head} (deleted: `--prune`)"),
        Action::Replace if c.fields.is_empty() => format!("{head} (replaced)"),
        _ if c.fields.len() > 2 => {
            let names: Vec<&str> = c.fields.iter().map(|f| f.field.as_str()).collect();
            format!("{head} ({} fields: {})", names.len(), names.join(", "))
        }
        _ if !c.fields.is_empty() => {
            let diffs: Vec<String> = c.fields.iter().map(field_diff).collect();
            format!("{head} {}", diffs.join(", "))
        }
        _ => head,
    }
}

/// A change set in one line: its changes (a new tenant's creates counted, not listed).
pub fn describe(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "no changes".into();
    }
    let new_tenant = changes
        .iter()
        .any(|c| c.address == "tenant" && c.action == Action::Create);
    let mut parts = Vec::new();
    let mut listed: Vec<&Change> = changes.iter().collect();
    if new_tenant {
        let creates = changes
            .iter()
            .filter(|c| c.address != "tenant" && c.action == Action::Create)
            .count();
        parts.push(match creates {
            0 => "+ new tenant".to_owned(),
            n => format!("+ new tenant ({n} to create)"),
        });
        listed.retain(|c| c.action != Action::Create);
    }
    const SHOWN: usize = 3;
    parts.extend(listed.iter().take(SHOWN).map(|c| change_line(c)));
    if listed.len() > SHOWN {
        parts.push(format!("and {} more", listed.len() - SHOWN));
    }
    parts.join("; ")
}

/// The steps of `action` and the customers whose plans take it, one entry per address.
fn flagged(plans: &[Plan], action: Action) -> Vec<(String, Vec<String>)> {
    let mut by_address: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in plans {
        for s in p.steps.iter().filter(|s| s.action == action) {
            by_address
                .entry(s.address.clone())
                .or_default()
                .push(p.run_key.clone());
        }
    }
    by_address.into_iter().collect()
}

/// The warning lines: every replacement and deletion, with the customers it happens in.
fn warnings(plans: &[Plan], code: &dyn Fn(&str) -> String) -> Vec<String> {
    let mut out = Vec::new();
    for (action, what) in [(Action::Replace, "replaces"), (Action::Delete, "deletes")] {
        for (address, keys) in flagged(plans, action) {
            let names: Vec<String> = keys.iter().map(|k| code(k)).collect();
            out.push(format!(
                "{what} {} in {}: {}",
                code(&address),
                customers(keys.len()),
                names.join(", ")
            ));
        }
    }
    out
}

/// The summary that ends a text plan of an inventory.
pub fn text(plans: &[Plan], groups: &[Group]) -> String {
    let mut out = format!(
        "\nFleet: {}, {} change set{}\n",
        customers(plans.len()),
        groups.len(),
        if groups.len() == 1 { "" } else { "s" }
    );
    for w in warnings(plans, &|s| format!("`{s}`")) {
        let _ = writeln!(out, "  ! {w}");
    }
    const NAMED: usize = 10;
    for g in groups {
        let _ = writeln!(
            out,
            "  {}: {}",
            customers(g.customers.len()),
            describe(&g.changes)
        );
        let mut names = g.customers.iter().take(NAMED).cloned().collect::<Vec<_>>();
        if g.customers.len() > NAMED {
            names.push(format!("and {} more", g.customers.len() - NAMED));
        }
        let _ = writeln!(out, "    {}", names.join(", "));
    }
    out
}

/// The Markdown of an inventory's plan: the summary, warnings first, then one collapsed
/// section per group with its customers and its change rows. `cost`: the fleet's cost line.
pub fn markdown(plans: &[Plan], groups: &[Group], cost: Option<String>) -> String {
    use crate::plan::report::{md_cell, md_code};
    let mut out = String::new();
    let playbook = plans.first().map_or("", |p| p.playbook.as_str());
    let offline = match plans.first().is_some_and(|p| p.offline) {
        true => ", offline",
        false => "",
    };
    let _ = writeln!(
        out,
        "### onboard fleet plan for {} ({}{offline})\n",
        md_code(playbook),
        customers(plans.len())
    );
    let warnings = warnings(plans, &|s| md_code(s));
    if !warnings.is_empty() {
        let _ = writeln!(out, "> [!WARNING]");
        for w in &warnings {
            let _ = writeln!(out, "> {}  ", md_cell(w));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "| customers | changes |\n|---:|---|");
    for g in groups {
        let _ = writeln!(
            out,
            "| {} | {} |",
            g.customers.len(),
            md_cell(&describe(&g.changes))
        );
    }
    if let Some(cost) = cost {
        let _ = writeln!(out, "\n{cost}");
    }
    for g in groups {
        let _ = writeln!(
            out,
            "\n<details><summary>{}: {}</summary>\n",
            customers(g.customers.len()),
            html(&describe(&g.changes))
        );
        let names: Vec<String> = g.customers.iter().map(|c| md_code(c)).collect();
        let _ = writeln!(out, "{}\n", names.join(", "));
        if !g.changes.is_empty() {
            let _ = writeln!(
                out,
                "| | address | type | scope | note |\n|---|---|---|---|---|"
            );
            for c in &g.changes {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} | {} |",
                    c.action.symbol(),
                    md_code(&c.address),
                    c.ty,
                    c.scope.name(),
                    md_cell(&note(c))
                );
            }
            out.push('\n');
        }
        let _ = writeln!(out, "</details>");
    }
    out
}

/// The note column of a change row: its field diffs, or why it is kept or deleted.
fn note(c: &Change) -> String {
    match c.action {
        Action::Keep => super::KEPT.to_owned(),
        Action::Delete => "deleted: no longer in the playbook (`--prune`)".to_owned(),
        _ => crate::plan::report::diffs(&c.fields),
    }
}

/// Text inside an HTML element (`<summary>`).
fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

/// The JSON of an inventory's plan: the customers' plans and the groups.
pub fn json(plans: &[Plan], groups: &[Group]) -> String {
    let doc = serde_json::json!({
        "format_version": 1,
        "plans": plans,
        "groups": groups,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn load(text: &str) -> crate::playbook::Loaded {
        let file = crate::diag::source::SourceFile::new("t.yaml", text);
        crate::playbook::load(&file).unwrap_or_else(|e| panic!("{e:?}"))
    }

    const PB: &str = "version: 1\nname: t\nsteps:\n  - id: g\n    type: group\n    with: { name: G }\n  - id: p\n    type: policy\n    with:\n      name: P\n      rules:\n        - name: r\n          protocol: tcp\n          ports: [\"22\"]\n          bidirectional: false\n          sources: [\"{{ steps.g.id }}\"]\n          destinations: [\"{{ steps.g.id }}\"]\n";

    /// A plan of `key` where `p` is an update of its ports from `before`, or no change.
    fn plan(key: &str, before: Option<Json>) -> Plan {
        let loaded = load(PB);
        let mut plan = crate::plan::offline(
            &loaded.playbook,
            &loaded.dag,
            &crate::playbook::inputs::Inputs::default(),
            Some(key),
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        for s in &mut plan.steps {
            s.action = Action::NoChange;
            if let (Some(b), "p") = (&before, s.address.as_str()) {
                s.action = Action::Update;
                s.changes = vec![FieldChange {
                    field: "rules[0].ports".into(),
                    before: b.clone(),
                    after: json!(["22", "2222"]),
                }];
            }
        }
        plan.summary = crate::plan::summarize(&plan.steps);
        plan
    }

    #[test]
    fn customers_with_the_same_changes_share_a_group_largest_first() {
        let plans = vec![
            plan("a", None),
            plan("b", Some(json!(["22"]))),
            plan("c", Some(json!(["22"]))),
            plan("d", Some(json!(["23"]))),
        ];
        let groups = groups(&plans);
        let keys: Vec<Vec<&str>> = groups
            .iter()
            .map(|g| g.customers.iter().map(String::as_str).collect())
            .collect();
        assert_eq!(keys, vec![vec!["b", "c"], vec!["a"], vec!["d"]]);
        assert_eq!(
            describe(&groups[0].changes),
            "~ p rules[0].ports [\"22\"] → [..., \"2222\"]"
        );
        assert_eq!(describe(&groups[1].changes), "no changes");
        let text = text(&plans, &groups);
        assert!(text.contains("Fleet: 4 customers, 3 change sets"), "{text}");
        assert!(text.contains("  2 customers: ~ p rules[0].ports"), "{text}");
        // Same plans, same bytes.
        assert_eq!(json(&plans, &groups), json(&plans, &super::groups(&plans)));
    }

    #[test]
    fn a_masked_new_value_masks_the_old_one() {
        let c = redacted(&FieldChange {
            field: "key".into(),
            before: json!("live-secret-value"),
            after: json!(SENSITIVE),
        });
        assert_eq!(c.before, json!(SENSITIVE));
    }

    #[test]
    fn markdown_has_one_section_per_group_and_the_diffs_in_its_rows() {
        let plans: Vec<Plan> = (0..40)
            .map(|i| plan(&format!("c{i:02}"), Some(json!(["22"]))))
            .collect();
        let groups = groups(&plans);
        let md = markdown(&plans, &groups, None);
        assert_eq!(md.matches("<details>").count(), 1, "{md}");
        assert!(md.contains("40 customers"), "{md}");
        assert!(
            md.contains(
                "| `~` | `p` | policy | account | rules[0].ports: [\"22\"] → [\"22\", \"2222\"] |"
            ),
            "{md}"
        );
        assert!(md.lines().count() <= 60, "{md}");
    }
}
