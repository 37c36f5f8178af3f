//! Plans as text, JSON and Markdown.
//!
//! Input: a [`Plan`]. Output: a `String`; only the CLI prints it. Every format is
//! deterministic: same plan, same bytes. A plan quotes inputs, names and API answers, so its
//! text is made printable ([`crate::diag::printable`], [`crate::diag::printable_json`]): a
//! control character in a value shows as `\u{1b}`, never reaches the terminal raw.

use serde_json::Value as Json;
use std::fmt::Write;

use crate::plan::{Action, FieldChange, Plan, PlannedStep};
use crate::playbook::render::SENSITIVE;

/// Output formats of plan and apply reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

pub fn plan(plan: &Plan, format: Format) -> String {
    use crate::diag::{printable, printable_json};
    match format {
        Format::Text => printable(&text(plan)).into_owned(),
        Format::Json => printable_json(&json(plan)).into_owned(),
        Format::Markdown => printable(&markdown(plan)).into_owned(),
    }
}

fn json(plan: &Plan) -> String {
    let mut s =
        serde_json::to_string_pretty(plan).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

fn heading(plan: &Plan) -> String {
    let mode = if plan.offline { ", offline" } else { "" };
    format!(
        "plan for `{}` (run key `{}`{mode})",
        plan.playbook, plan.run_key
    )
}

fn text(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", heading(plan));
    if let Some(t) = &plan.template {
        let _ = writeln!(out, "template: {}\n", t.line());
    }
    if let Some(t) = &plan.tenant {
        let _ = writeln!(
            out,
            "{:>3} tenant {} ({})",
            t.action.symbol(),
            show(&t.name),
            show(&t.domain)
        );
        // An update says what changes, as a step's does; otherwise the groups as written.
        for c in &t.changes {
            let _ = writeln!(
                out,
                "      {}: {} → {}",
                c.field,
                show(&c.before),
                show(&c.after)
            );
        }
        if t.changes.is_empty() && t.groups.as_array().is_some_and(|g| !g.is_empty()) {
            let _ = writeln!(out, "      groups: {}", show(&t.groups));
        }
    }
    for step in &plan.steps {
        let _ = writeln!(
            out,
            "{:>3} {} ({}{})",
            step.action.symbol(),
            step.address,
            step.ty.name(),
            scope_note(step)
        );
        if let Some(from) = &step.moved_from {
            let _ = writeln!(out, "      # moved from `{from}`: the object is kept");
        }
        if let Some(note) = &step.note {
            let _ = writeln!(out, "      # {note}");
        }
        for c in &step.changes {
            let _ = writeln!(
                out,
                "      {}: {} → {}",
                c.field,
                show(&c.before),
                show(&c.after)
            );
        }
        let offline_detail = plan.offline && matches!(step.action, Action::Read);
        if (step.action == Action::Create || offline_detail)
            && let Some(body) = step.body.as_object()
        {
            for (k, v) in body {
                let _ = writeln!(out, "      {k}: {}", show(v));
            }
        }
    }
    if !plan.outputs.is_empty() {
        let _ = writeln!(out, "\noutputs:");
        for o in &plan.outputs {
            let v = if o.sensitive {
                Json::String(SENSITIVE.into())
            } else {
                o.value.clone()
            };
            let _ = writeln!(out, "  {} = {}", o.name, show(&v));
        }
    }
    let _ = writeln!(out, "\n{}", summary_line(plan));
    if let Some(cost) = &plan.cost {
        let _ = writeln!(out, "{}", crate::plan::cost::line(cost));
    }
    out
}

fn scope_note(step: &PlannedStep) -> String {
    use crate::playbook::model::StepScope;
    match step.scope {
        StepScope::Tenant => String::new(),
        other => format!(", scope {}", other.name()),
    }
}

/// A value in one line; unknown and sensitive markers unquoted.
pub fn show(v: &Json) -> String {
    match v {
        Json::String(s) if s == crate::playbook::template::UNKNOWN || s == SENSITIVE => s.clone(),
        Json::Array(items) => format!(
            "[{}]",
            items.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
        Json::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{k}: {}", show(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// `Plan: 3 to create, 1 to read, ...`
pub fn summary_line(plan: &Plan) -> String {
    let s = &plan.summary;
    let tenant = |action| match &plan.tenant {
        Some(t) if t.action == action => 1,
        _ => 0,
    };
    let mut parts = vec![format!("{} to create", s.create + tenant(Action::Create))];
    for (n, what) in [
        (s.adopt, "to adopt"),
        (s.update + tenant(Action::Update), "to update"),
        (s.replace, "to replace"),
        (s.delete, "to delete"),
        (s.read, "to read"),
        (s.deferred, "deferred"),
        (s.skip, "skipped"),
        (s.keep, "kept (no longer in the playbook)"),
        (s.no_change, "unchanged"),
        (s.moved, "moved"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    format!("Plan: {}.", parts.join(", "))
}

fn markdown(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### onboard {}\n", md_cell(&heading(plan)));
    if let Some(t) = &plan.template {
        let _ = writeln!(out, "template: {}\n", md_cell(&t.line()));
    }
    let _ = writeln!(
        out,
        "| | address | type | scope | note |\n|---|---|---|---|---|"
    );
    if let Some(t) = &plan.tenant {
        let what = format!("{} ({})", show(&t.name), show(&t.domain));
        let note = [what, diffs(&t.changes)]
            .into_iter()
            .filter(|n| !n.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        let _ = writeln!(
            out,
            "| `{}` | tenant | tenant | msp | {} |",
            t.action.symbol(),
            md_cell(&note)
        );
    }
    for step in &plan.steps {
        // An update or a replacement says what changes, as the text plan does.
        let moved = (step.moved_from.as_ref())
            .map(|f| format!("moved from `{f}`: the object is kept"))
            .unwrap_or_default();
        let note = [
            moved,
            step.note.clone().unwrap_or_default(),
            diffs(&step.changes),
        ]
        .into_iter()
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            step.action.symbol(),
            md_code(&step.address),
            step.ty.name(),
            step.scope.name(),
            md_cell(&note)
        );
    }
    if !plan.outputs.is_empty() {
        let _ = writeln!(out, "\n| output | value |\n|---|---|");
        for o in &plan.outputs {
            let v = if o.sensitive {
                SENSITIVE.to_owned()
            } else {
                show(&o.value)
            };
            let _ = writeln!(out, "| {} | {} |", md_code(&o.name), md_code(&v));
        }
    }
    let _ = writeln!(out, "\n**{}**\n", summary_line(plan));
    if let Some(cost) = &plan.cost {
        let _ = writeln!(out, "{}\n", crate::plan::cost::line(cost));
    }
    let bodies: Vec<String> = plan
        .steps
        .iter()
        .filter(|s| s.body.is_object())
        .map(|step| {
            format!(
                "{} {}: {}",
                step.action.symbol(),
                step.address,
                show(&step.body)
            )
        })
        .collect();
    // A fence longer than any run of backticks in the bodies, so none can close it.
    let fence = "`".repeat(3.max(longest_backtick_run(&bodies.concat()) + 1));
    let _ = writeln!(
        out,
        "<details><summary>request bodies</summary>\n\n{fence}text"
    );
    for line in bodies {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out, "{fence}\n\n</details>");
    out
}

/// Field changes in one line: `field: before → after; ...`.
pub fn diffs(changes: &[FieldChange]) -> String {
    changes
        .iter()
        .map(|c| format!("{}: {} → {}", c.field, show(&c.before), show(&c.after)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Text inside a Markdown table cell: `|` escaped, one line.
pub(crate) fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Text as a code span inside a table cell, with enough backticks around it.
pub(crate) fn md_code(s: &str) -> String {
    let ticks = "`".repeat(longest_backtick_run(s) + 1);
    let pad = if ticks.len() > 1 { " " } else { "" };
    format!("{ticks}{pad}{}{pad}{ticks}", md_cell(s))
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}
