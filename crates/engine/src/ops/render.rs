//! Reporters: what a frontend shows of an op's outcome, as text, JSON or Markdown, the same
//! bytes for every frontend. Plans have theirs in [`crate::plan::report`]; here are the run
//! reports of apply, the progress lines, destroy's removals, state lists and drift. Events
//! carry no secrets; outputs marked sensitive are masked here unless `show_secrets`.
//! Everything here quotes names, inputs and API answers, so it goes through `printable`
//! (JSON: `printable_json`).

use onboard_netbird::{ClientEvent, RateLimit};
use serde_json::{Value as Json, json};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::diag::{printable, printable_json};
use crate::plan::cost;
use crate::plan::report::{self, Format};
use crate::plan::{Action, Cost, Plan};
use crate::playbook::render::SENSITIVE;
use crate::run::destroy::{Outcome, Removal};
use crate::run::execute::{Event, LostSecret, RunReport};
use crate::store::state::StateSummary;

/// The plans as `plan` prints them: JSON one list of plans (one shape for one customer or
/// many), text and Markdown one after the other (text: with what they cost together).
pub fn plans(plans: &[Plan], format: Format) -> String {
    if format == Format::Json {
        let all = serde_json::to_string_pretty(plans).unwrap_or_default();
        return format!("{}\n", printable_json(&all));
    }
    let text: Vec<String> = plans.iter().map(|p| report::plan(p, format)).collect();
    let mut out = text.join("\n");
    if format == Format::Text {
        out.push_str(&total(plans));
    }
    out
}

/// `plan --inventory` (text and Markdown): which customers do not run the template on disk,
/// a count and their run keys. Nothing for an offline plan (no state read), and nothing in
/// JSON, where each plan's `template.behind` says it.
pub fn behind(plans: &[Plan], format: Format) -> String {
    let known: Vec<&Plan> = plans.iter().filter(|p| p.template.is_some()).collect();
    if format == Format::Json || known.is_empty() {
        return String::new();
    }
    let keys: Vec<String> = known
        .iter()
        .filter(|p| p.template.as_ref().is_some_and(|t| t.behind))
        .map(|p| printable(&p.run_key).into_owned())
        .collect();
    let new = known
        .first()
        .and_then(|p| p.template.as_ref())
        .map(|t| t.new.short())
        .unwrap_or_default();
    if keys.is_empty() {
        return format!(
            "\nbehind the template on disk ({new}): none of {} customers\n",
            known.len()
        );
    }
    format!(
        "\nbehind the template on disk ({new}): {} of {} customers: {}\n",
        keys.len(),
        known.len(),
        keys.join(", ")
    )
}

/// What `plan` prints: [`plans`], and for an inventory the fleet's summary too (text: after
/// the customers' plans; Markdown: instead of them, one section per change set; JSON: an
/// object with the `plans` and the `groups`).
pub fn planned(planned: &crate::ops::plan::Planned, format: Format) -> String {
    use crate::plan::fleet;
    let all = &planned.plans;
    if !planned.fleet {
        return plans(all, format);
    }
    let groups = fleet::groups(all);
    match format {
        Format::Json => printable_json(&fleet::json(all, &groups)).into_owned(),
        Format::Markdown => {
            let costs: Vec<Cost> = all.iter().filter_map(|p| p.cost).collect();
            let cost = costs.first().map(|first| {
                let total = Cost::total(&costs, first.budget());
                format!("**All {} customers:** {}", all.len(), cost::line(&total))
            });
            printable(&fleet::markdown(all, &groups, cost)).into_owned()
        }
        Format::Text => {
            let mut out = plans(all, format);
            out.push_str(&printable(&fleet::text(all, &groups)));
            out
        }
    }
}

/// The plans as `apply` shows them before it asks.
pub fn plans_before_apply(plans: &[Plan]) -> String {
    let mut out: String = plans
        .iter()
        .map(|p| report::plan(p, Format::Text))
        .collect();
    out.push_str(&total(plans));
    out
}

/// With several customers, what they cost together under the one budget of the PAT.
pub fn total(plans: &[Plan]) -> String {
    let costs: Vec<Cost> = plans.iter().filter_map(|p| p.cost).collect();
    if let ([_, _, ..], Some(first)) = (plans, costs.first()) {
        let total = Cost::total(&costs, first.budget());
        return format!("\nAll {} customers: {}\n", plans.len(), cost::line(&total));
    }
    String::new()
}

/// A retry of the client, one line (the default verbosity shows it).
pub fn retry(event: &ClientEvent) -> Option<String> {
    let ClientEvent::Retry {
        method,
        path,
        reason,
        attempt,
        delay_ms,
    } = event
    else {
        return None;
    };
    let line = format!(
        "retrying {method} {path} in {:.1} s: {reason} (attempt {attempt})",
        *delay_ms as f64 / 1000.0
    );
    Some(printable(&line).into_owned())
}

/// The calls the plans said apply would make, and how many are still to come: with the rate
/// budget, the least time the rest needs (every run shares one PAT's budget).
pub struct Eta {
    total: usize,
    remaining: AtomicUsize,
    budget: RateLimit,
    started: std::time::Instant,
}

impl Eta {
    pub fn new(plans: &[Plan]) -> Self {
        let costs: Vec<Cost> = plans.iter().filter_map(|p| p.cost).collect();
        let budget = costs.first().map(Cost::budget).unwrap_or_default();
        let total = costs.iter().map(|c| c.calls).sum();
        Eta {
            total,
            remaining: AtomicUsize::new(total),
            budget,
            started: std::time::Instant::now(),
        }
    }

    /// One call sent.
    pub fn sent(&self) {
        let left = self.remaining.load(Ordering::Relaxed);
        self.remaining
            .store(left.saturating_sub(1), Ordering::Relaxed);
    }

    /// The bucket starts full; what it holds now pays for the first of the remaining calls,
    /// the rest go at the budget's rate.
    pub fn text(&self) -> String {
        let remaining = self.remaining.load(Ordering::Relaxed);
        let sent = self.total.saturating_sub(remaining) as f64;
        let refilled =
            self.started.elapsed().as_secs_f64() * f64::from(self.budget.per_minute) / 60.0;
        let burst = f64::from(self.budget.burst);
        let tokens = (burst - sent + refilled).clamp(0.0, burst) as usize;
        let wait = self.budget.time_at_rate(remaining.saturating_sub(tokens));
        format!("{remaining} calls left, ETA {}", cost::human(wait))
    }
}

/// What a run's progress shows of one event.
pub enum Shown {
    /// A line, already prefixed with the run key and printable.
    Line(String),
    /// A step finished: a bar moves on (`address` printable); without a bar, `line`.
    Step {
        address: String,
        line: String,
    },
    Nothing,
}

/// The progress line of one event of run `key`; a sent call counts down `eta`.
pub fn progress(key: &str, e: &Event, eta: &Eta) -> Shown {
    let prefixed = |line: String| printable(&format!("{key}: {line}")).into_owned();
    let line = match e {
        Event::TenantReady { id, action } => format!(
            "{:>3} tenant {id} ({})",
            action.symbol(),
            action_name(*action)
        ),
        Event::Api {
            call: ClientEvent::RequestSent { .. },
        } => {
            eta.sent();
            return Shown::Nothing;
        }
        Event::StepFinished {
            address, action, ..
        } => {
            return Shown::Step {
                address: printable(address).into_owned(),
                line: prefixed(format!(
                    "{:>3} {address} ({})",
                    action.symbol(),
                    action_name(*action)
                )),
            };
        }
        Event::StepFailed { address, error } => format!("  ! {address} failed: {error}"),
        Event::ScopeLost { message, .. } => format!("  ! {message}"),
        Event::StepSkipped { address, reason } => format!("  - {address} skipped: {reason}"),
        _ => return Shown::Nothing,
    };
    Shown::Line(prefixed(line))
}

pub fn action_name(a: Action) -> &'static str {
    match a {
        Action::Create => "created",
        Action::Read => "read",
        Action::Adopt => "adopted",
        Action::Update => "updated",
        Action::Replace => "replaced",
        Action::Delete => "deleted",
        Action::NoChange => "no change",
        Action::Deferred => "deferred",
        Action::Skip => "skipped",
        Action::Keep => "kept",
    }
}

fn shown(value: &Json, sensitive: bool, show_secrets: bool) -> Json {
    if sensitive && !show_secrets {
        Json::String(SENSITIVE.into())
    } else {
        value.clone()
    }
}

/// How to replace a lost secret of a run (its run key): the frontend knows its own commands.
pub type Advice<'a> = dyn Fn(&str, &LostSecret) -> String + 'a;

/// `` `address` (type id) ``: what a lost or unrecorded secret belongs to.
fn named(s: &LostSecret) -> String {
    match &s.id {
        Some(id) => format!("`{}` ({} {id})", s.address, s.ty),
        None => format!("`{}` ({})", s.address, s.ty),
    }
}

/// The human report of one run.
pub fn report_text(report: &RunReport, show_secrets: bool, advice: &Advice) -> String {
    let mut out = String::new();
    let status = if report.ok {
        "done"
    } else {
        "finished with errors"
    };
    out.push_str(&format!("\napply `{}`: {status}\n", report.run_key));
    if let Some(id) = &report.tenant_id {
        out.push_str(&format!("tenant: {id}\n"));
    }
    let failed: Vec<&str> = report
        .steps
        .iter()
        .filter(|s| s.error.is_some())
        .map(|s| s.address.as_str())
        .collect();
    if !failed.is_empty() {
        // A re-run resumes, unless requests no longer reach the tenant: that comes first.
        let next = match report.scope_lost.is_empty() {
            true => "a re-run resumes",
            false => "settle the scope below before a re-run",
        };
        out.push_str(&format!(
            "failed: {} (the rest is recorded; {next})\n",
            failed.join(", ")
        ));
    }
    for message in &report.scope_lost {
        out.push_str(&format!("scope: {message}\n"));
    }
    for s in &report.lost_secrets {
        out.push_str(&format!(
            "lost: {}: {}. Replace it: {}\n",
            named(s),
            s.why,
            advice(&report.run_key, s)
        ));
    }
    for s in &report.unrecorded {
        out.push_str(&format!("not recorded: {}: {}\n", named(s), s.why));
    }
    if !report.outputs.is_empty() || !report.unavailable.is_empty() {
        out.push_str("outputs:\n");
        for (name, value, sensitive) in &report.outputs {
            let v = shown(value, *sensitive, show_secrets);
            let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            out.push_str(&format!("  {name} = {text}\n"));
        }
        for (name, why) in &report.unavailable {
            out.push_str(&format!("  {name}: not available: {why}\n"));
        }
    }
    out.push_str(&format!("state: {}\n", report.state_path.display()));
    printable(&out).into_owned()
}

/// The JSON report of every run: one stable document (`format_version` 1).
pub fn report_json(
    plans: &[Plan],
    reports: &[&RunReport],
    show_secrets: bool,
    advice: &Advice,
) -> String {
    report_json_rollout(plans, reports, show_secrets, advice, None)
}

/// [`report_json`] of a rollout in waves: also `waves` (the run keys of each wave) and
/// `not_started` (`{run_key, wave}` of each customer a stopped rollout did not start; then
/// `ok` is false).
pub fn report_json_rollout(
    plans: &[Plan],
    reports: &[&RunReport],
    show_secrets: bool,
    advice: &Advice,
    rollout: Option<&crate::ops::waves::Rollout>,
) -> String {
    let runs: Vec<Json> = plans
        .iter()
        .zip(reports)
        .map(|(plan, r)| {
            let outputs: serde_json::Map<String, Json> = r
                .outputs
                .iter()
                .map(|(n, v, s)| {
                    (
                        n.clone(),
                        json!({"value": shown(v, *s, show_secrets), "sensitive": s}),
                    )
                })
                .collect();
            json!({
                "run_key": r.run_key,
                "ok": r.ok,
                "tenant_id": r.tenant_id,
                "plan": plan,
                "steps": r.steps,
                "outputs": outputs,
                "unavailable": r.unavailable.iter().map(|(n, why)| json!({"output": n, "why": why})).collect::<Vec<_>>(),
                "lost_secrets": r.lost_secrets.iter().map(|s| {
                    let mut v = json!(s);
                    v["rotate"] = json!(advice(&r.run_key, s));
                    v
                }).collect::<Vec<_>>(),
                "unrecorded": r.unrecorded,
                "scope_lost": r.scope_lost,
                "state": r.state_path.display().to_string(),
            })
        })
        .collect();
    let mut doc = json!({"format_version": 1, "ok": reports.iter().all(|r| r.ok), "runs": runs});
    if let Some(r) = rollout {
        doc["ok"] = json!(doc["ok"] == json!(true) && r.not_started.is_empty());
        doc["waves"] = json!(r.waves);
        doc["not_started"] = r
            .not_started
            .iter()
            .map(|(k, w)| json!({"run_key": k, "wave": w}))
            .collect();
        if r.stopped_after.is_some() {
            doc["stopped"] = json!(r.why());
        }
    }
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    printable_json(&s).into_owned()
}

/// The end of a rollout in waves: one line per customer not started, and why.
pub fn rollout_text(r: &crate::ops::waves::Rollout) -> String {
    let mut out = String::new();
    if r.not_started.is_empty() {
        out.push_str(&format!("rollout: {} waves, all started\n", r.waves.len()));
        return out;
    }
    out.push_str(&format!("rollout stopped: {}\n", printable(&r.why())));
    for (key, wave) in &r.not_started {
        out.push_str(&format!(
            "`{}`: not started (wave {wave})\n",
            printable(key)
        ));
    }
    out
}

/// One line per object of run `key`, and whether all went well (false when something failed
/// or was kept because it changed).
pub fn removals(key: &str, removals: &[Removal]) -> (String, bool) {
    let mut ok = true;
    let mut out = format!("\n`{}`:\n", printable(key));
    for r in removals {
        let line = match &r.outcome {
            Outcome::Deleted => "deleted".to_owned(),
            Outcome::Gone => "already gone".to_owned(),
            Outcome::Kept { reason } => format!("kept: {reason}"),
            Outcome::Changed { fields } => {
                ok = false;
                format!(
                    "kept: changed behind onboard's back ({}); delete it by hand if you mean it",
                    fields.join(", ")
                )
            }
            Outcome::Failed { error } => {
                ok = false;
                format!("failed: {error}")
            }
        };
        out.push_str(&printable(&format!("  {}: {line}", r.address)));
        out.push('\n');
    }
    (out, ok)
}

/// `state list`: a table (or JSON) of every recorded state of `location`.
pub fn state_list(location: &str, rows: &[StateSummary], format: Format) -> String {
    if format == Format::Json {
        let text = serde_json::to_string_pretty(rows).unwrap_or_default();
        return format!("{}\n", printable_json(&text));
    }
    if rows.is_empty() {
        return format!("no state recorded in {}\n", printable(location));
    }
    let header = [
        "PLAYBOOK", "RUN KEY", "TENANT", "OBJECTS", "UPDATED", "TEMPLATE",
    ]
    .map(String::from);
    let mut table = vec![header];
    for r in rows {
        // The commit (7 hex, `(dirty)`) and the digest (12 hex); JSON has them in full.
        let template = r.template_digest.as_ref().map_or_else(
            || "-".to_owned(),
            |d| {
                let digest = format!("sha256:{}", &d[..d.len().min(12)]);
                match (&r.template_commit, r.template_dirty) {
                    (Some(c), dirty) => format!(
                        "{}{} {digest}",
                        &c[..c.len().min(7)],
                        if dirty == Some(true) { " (dirty)" } else { "" }
                    ),
                    (None, _) => digest,
                }
            },
        );
        // Escaped before the widths are measured, so the columns line up as printed.
        table.push(
            [
                r.playbook.as_str(),
                r.run_key.as_str(),
                r.tenant.as_deref().unwrap_or("-"),
                &r.records.to_string(),
                r.updated_at.as_deref().unwrap_or("-"),
                &template,
            ]
            .map(|cell| printable(cell).into_owned()),
        );
    }
    let widths: Vec<usize> = (0..6)
        .map(|c| {
            table
                .iter()
                .map(|row| row[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = format!("state in {}\n", printable(location));
    for row in &table {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
