//! Reporters: everything `apply` prints.
//!
//! They consume the executor's [`Event`] stream: [`Progress`] draws one bar per run on a
//! terminal (plain lines otherwise; the journal is `onboard_engine::store::Journal`), and
//! [`text`] / [`json`] format the final [`RunReport`]s. Events carry no secrets; outputs
//! marked sensitive are masked here unless `--show-secrets`. Everything printed here quotes
//! names, inputs and API answers, so it goes through `printable` (JSON: `printable_json`).

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use onboard_engine::diag::{printable, printable_json};
use onboard_engine::plan::Cost;
use onboard_engine::plan::cost;
use onboard_engine::plan::{Action, Plan};
use onboard_engine::playbook::render::SENSITIVE;
use onboard_engine::run::execute::{Event, LostSecret, RunReport};
use onboard_netbird::ClientEvent;
use onboard_netbird::RateLimit;
use serde_json::{Value as Json, json};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Progress for all runs of one apply.
pub struct Progress {
    multi: Option<MultiProgress>,
    quiet: bool,
    eta: Arc<Eta>,
}

/// Progress of one run.
pub struct RunProgress {
    bar: Option<ProgressBar>,
    key: String,
    quiet: bool,
    eta: Arc<Eta>,
}

/// The calls the plans said apply would make, and how many are still to come: with the rate
/// budget, the least time the rest needs (every run shares one PAT's budget).
struct Eta {
    total: usize,
    remaining: AtomicUsize,
    budget: RateLimit,
    started: std::time::Instant,
}

impl Eta {
    /// The bucket starts full; what it holds now pays for the first of the remaining calls,
    /// the rest go at the budget's rate.
    fn text(&self) -> String {
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

impl Progress {
    pub fn new(quiet: bool, plans: &[Plan]) -> Self {
        let multi = (!quiet && std::io::stderr().is_terminal())
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        let costs: Vec<Cost> = plans.iter().filter_map(|p| p.cost).collect();
        let budget = costs.first().map(Cost::budget).unwrap_or_default();
        let total = costs.iter().map(|c| c.calls).sum();
        let eta = Arc::new(Eta {
            total,
            remaining: AtomicUsize::new(total),
            budget,
            started: std::time::Instant::now(),
        });
        Self { multi, quiet, eta }
    }

    pub fn run(&self, plan: &Plan) -> RunProgress {
        let steps = plan.steps.len() + usize::from(plan.tenant.is_some());
        let bar = self.multi.as_ref().map(|m| {
            let bar = m.add(ProgressBar::new(steps as u64));
            let style = ProgressStyle::with_template("{prefix:>16} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(printable(&plan.run_key).into_owned());
            bar
        });
        RunProgress {
            bar,
            key: plan.run_key.clone(),
            quiet: self.quiet,
            eta: self.eta.clone(),
        }
    }

    pub fn finish(&self) {
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
    }
}

impl RunProgress {
    pub fn event(&self, e: &Event) {
        let line = match e {
            Event::TenantReady { id, action } => Some(format!(
                "{:>3} tenant {id} ({})",
                action.symbol(),
                action_name(*action)
            )),
            Event::Api {
                call: ClientEvent::RequestSent { .. },
            } => {
                let left = self.eta.remaining.load(Ordering::Relaxed);
                self.eta
                    .remaining
                    .store(left.saturating_sub(1), Ordering::Relaxed);
                None
            }
            Event::StepFinished {
                address, action, ..
            } => {
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                    bar.set_message(format!("{} ({})", printable(address), self.eta.text()));
                    return;
                }
                Some(format!(
                    "{:>3} {address} ({})",
                    action.symbol(),
                    action_name(*action)
                ))
            }
            Event::StepFailed { address, error } => Some(format!("  ! {address} failed: {error}")),
            Event::ScopeLost { message, .. } => Some(format!("  ! {message}")),
            Event::StepSkipped { address, reason } => {
                Some(format!("  - {address} skipped: {reason}"))
            }
            _ => None,
        };
        let Some(line) = line else { return };
        let line = printable(&format!("{}: {line}", self.key)).into_owned();
        match &self.bar {
            Some(bar) => bar.println(line),
            // Without a terminal, runs interleave: every line names its run (customer).
            None if !self.quiet => eprintln!("{line}"),
            None => {}
        }
    }
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
    }
}

fn shown(value: &Json, sensitive: bool, show_secrets: bool) -> Json {
    if sensitive && !show_secrets {
        Json::String(SENSITIVE.into())
    } else {
        value.clone()
    }
}

/// How to replace a lost secret of a run (its run key): [`crate::advice::rotate`].
pub type Advice<'a> = dyn Fn(&str, &LostSecret) -> String + 'a;

/// `` `address` (type id) ``: what a lost or unrecorded secret belongs to.
fn named(s: &LostSecret) -> String {
    match &s.id {
        Some(id) => format!("`{}` ({} {id})", s.address, s.ty),
        None => format!("`{}` ({})", s.address, s.ty),
    }
}

/// The human report of one run.
pub fn text(report: &RunReport, show_secrets: bool, advice: &Advice) -> String {
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
pub fn json(plans: &[Plan], reports: &[RunReport], show_secrets: bool, advice: &Advice) -> String {
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
    let doc = json!({"format_version": 1, "ok": reports.iter().all(|r| r.ok), "runs": runs});
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    printable_json(&s).into_owned()
}
