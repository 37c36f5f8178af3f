//! `drift`: for each customer, a live plan (read-only: nothing is written, no lock is taken),
//! and whether the account still is what the last apply left. A customer is
//! - `in_sync`: the plan changes nothing;
//! - `drifted`: an object the state records changed (the plan's field diffs of its updates and
//!   replacements) or is gone (the plan would create it again);
//! - `unknown`: it cannot be said: the plan failed, or the customer was never applied (no
//!   state).

use serde::Serialize;
use std::fmt::Write;

use crate::api::converge::Replace;
use crate::diag::{Diags, printable, printable_json};
use crate::ops::Frontend;
use crate::ops::connect::{Api, Connected, Connector, options};
use crate::ops::customers::{self, Input};
use crate::plan::report::{Format, show};
use crate::plan::{Action, FieldChange, Plan};
use crate::run::audit;
use crate::run::session::{self, Customer};
use crate::store::state::{AuditMark, State};

pub struct Options {
    pub input: Input,
    pub api: Api,
    /// Plan every customer in full, whatever its audit log says.
    pub full: bool,
}

/// How a customer was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Checked {
    /// Its audit log since the mark (one call) showed nothing onboard manages.
    AuditLog,
    /// A full live plan.
    Plan,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    InSync,
    Drifted,
    Unknown,
}

/// One object that is no longer what the state records.
#[derive(Debug, Clone, Serialize)]
pub struct DriftedStep {
    /// The step address (`tenant` for the tenant).
    pub address: String,
    #[serde(rename = "type")]
    pub ty: String,
    /// What apply would do about it: `update`, `replace`, or `create` when it is gone.
    pub action: Action,
    /// The live object is gone.
    pub gone: bool,
    /// Live value (`before`) and the playbook's (`after`), by field.
    pub fields: Vec<FieldChange>,
}

/// One customer's drift.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerDrift {
    pub playbook: String,
    pub run_key: String,
    pub status: Status,
    pub steps: Vec<DriftedStep>,
    /// Why the status is `unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `audit_log` or `plan`.
    pub checked: Checked,
    /// Why a full plan was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// Every customer's drift.
#[derive(Debug, Clone, Serialize)]
pub struct DriftReport {
    pub format_version: u32,
    pub customers: Vec<CustomerDrift>,
}

impl DriftReport {
    /// 0 all in sync, 2 any drift, 1 any customer unknown (an error, or never applied).
    pub fn exit(&self) -> u8 {
        let any = |s: Status| self.customers.iter().any(|c| c.status == s);
        match () {
            _ if any(Status::Unknown) => 1,
            _ if any(Status::Drifted) => 2,
            _ => 0,
        }
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => {
                let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
                s.push('\n');
                printable_json(&s).into_owned()
            }
            Format::Text => printable(&self.text()).into_owned(),
            Format::Markdown => printable(&self.markdown()).into_owned(),
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for c in &self.customers {
            let _ = write!(out, "drift `{}` (playbook `{}`): ", c.run_key, c.playbook);
            match c.status {
                Status::InSync => {
                    let _ = writeln!(out, "in sync");
                }
                Status::Unknown => {
                    let _ = writeln!(out, "unknown: {}", c.error.as_deref().unwrap_or(""));
                }
                Status::Drifted => {
                    let _ = writeln!(out, "drifted");
                    for s in &c.steps {
                        if s.gone {
                            let _ = writeln!(
                                out,
                                "  {} ({}): gone; apply creates it again",
                                s.address, s.ty
                            );
                            continue;
                        }
                        let _ = writeln!(out, "  {} ({}): {}", s.address, s.ty, verb(s.action));
                        for f in &s.fields {
                            let _ = writeln!(
                                out,
                                "      {}: {} (live) → {} (playbook)",
                                f.field,
                                show(&f.before),
                                show(&f.after)
                            );
                        }
                    }
                }
            }
        }
        out
    }

    fn markdown(&self) -> String {
        let mut out = String::from("| customer | status | step | field | live | playbook |\n");
        out.push_str("|---|---|---|---|---|---|\n");
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        for c in &self.customers {
            let status = match c.status {
                Status::InSync => "in sync".to_owned(),
                Status::Drifted => "drifted".to_owned(),
                Status::Unknown => format!("unknown: {}", c.error.as_deref().unwrap_or("")),
            };
            let key = format!("`{}`", c.run_key);
            if c.steps.is_empty() {
                let _ = writeln!(out, "| {} | {} | | | | |", cell(&key), cell(&status));
            }
            for s in &c.steps {
                let step = format!("`{}` ({})", s.address, s.ty);
                if s.gone || s.fields.is_empty() {
                    let what = if s.gone { "gone" } else { verb(s.action) };
                    let _ = writeln!(
                        out,
                        "| {} | {} | {} | {what} | | |",
                        cell(&key),
                        cell(&status),
                        cell(&step)
                    );
                }
                for f in &s.fields {
                    let _ = writeln!(
                        out,
                        "| {} | {} | {} | `{}` | `{}` | `{}` |",
                        cell(&key),
                        cell(&status),
                        cell(&step),
                        cell(&f.field),
                        cell(&show(&f.before)),
                        cell(&show(&f.after))
                    );
                }
            }
        }
        out
    }
}

fn verb(a: Action) -> &'static str {
    match a {
        Action::Replace => "changed; apply replaces it",
        _ => "changed; apply updates it",
    }
}

pub async fn drift(
    opts: &Options,
    connector: &dyn Connector,
    ui: &dyn Frontend,
) -> Result<DriftReport, Diags> {
    let runs = customers::prepare(&opts.input)?;
    let keys = session::offline(&runs, opts.api.account.as_deref())?;
    let session_opts = options(&opts.api, Replace::default(), false, 0);
    // Each customer's state is checked against this API first: the PAT's own account.
    let first = crate::run::session::FirstRead::OwnAccount;
    let c = Connected::open(connector, &opts.api, session_opts, None, &runs, first, ui).await?;
    let mut customers = Vec::new();
    let n = opts.api.concurrency.max(1);
    let work: Vec<_> = runs.iter().zip(&keys).collect();
    for chunk in work.chunks(n) {
        let jobs = chunk
            .iter()
            .map(|(run, key)| check(&c, run, key, opts.full, opts.api.account.as_deref()));
        customers.extend(futures_util::future::join_all(jobs).await);
    }
    c.close().await;
    Ok(DriftReport {
        format_version: 1,
        customers,
    })
}

/// One customer: its audit log since the mark, and a full live plan when the log cannot
/// tell ([`crate::run::audit`]).
async fn check(
    c: &Connected<'_>,
    run: &Customer,
    key: &Plan,
    full: bool,
    account: Option<&str>,
) -> CustomerDrift {
    let playbook = run.loaded.playbook.name.clone();
    let run_key = key.run_key.clone();
    let unknown = |error: String| CustomerDrift {
        playbook: playbook.clone(),
        run_key: run_key.clone(),
        status: Status::Unknown,
        steps: Vec::new(),
        error: Some(error),
        checked: Checked::Plan,
        why: None,
    };
    let store = c.session.store();
    let mut state = match store.load(&playbook, &run_key).await {
        Ok(s) => s,
        Err(e) => return unknown(e.to_string()),
    };
    // `moved:` renames, as a plan makes them: the objects are where the playbook now says.
    state.apply_moves(run.loaded.playbook.moves());
    if state.tenant.is_none() && state.steps.is_empty() {
        let location = store.location(&playbook, &run_key);
        return unknown(format!("never applied (no state in {location})"));
    }
    // The state's ids belong to one API: against another, its audit log says nothing.
    if let Err(e) = c.session.check_api(&state).await {
        return unknown(e.to_string());
    }
    let digest = audit::digest_of(key);
    let read_at = audit::now();
    let log = audit::fetch(c.session.client(), &audit::scope(&state, account)).await;
    let why = match (&log, &state.audit_mark) {
        _ if full => "--full".to_owned(),
        (Err(e), _) => format!("the audit log could not be read: {e}"),
        (_, None) => "no audit mark recorded".to_owned(),
        (_, Some(m)) if m.digest != digest => "the playbook changed since the mark".to_owned(),
        (Ok(events), Some(m)) => match audit::judge(events, m, &state) {
            audit::Verdict::Look(why) => why,
            audit::Verdict::Quiet => {
                let newer = audit::mark_from(events, read_at, digest);
                if newer.event_id.is_some() && newer.event_id != m.event_id {
                    let newer = AuditMark {
                        at: m.at.clone(),
                        ..newer
                    };
                    remark(c, &state, newer).await;
                }
                return CustomerDrift {
                    playbook,
                    run_key,
                    status: Status::InSync,
                    steps: Vec::new(),
                    error: None,
                    checked: Checked::AuditLog,
                    why: None,
                };
            }
        },
    };
    let plan = c
        .session
        .plan(std::slice::from_ref(run), std::slice::from_ref(key), &[])
        .await;
    let mut plans = match plan {
        Ok(plans) if plans.len() == 1 => plans,
        Ok(_) => return unknown("no plan".to_owned()),
        Err(diags) => {
            let text: Vec<String> = diags.iter().map(ToString::to_string).collect();
            return unknown(text.join("; "));
        }
    };
    let plan = plans.remove(0);
    let steps = drifted(&plan, &state);
    let status = match steps.is_empty() {
        true => Status::InSync,
        false => Status::Drifted,
    };
    if let (Status::InSync, Ok(events)) = (status, &log) {
        remark(c, &state, audit::mark_from(events, read_at, digest)).await;
    }
    CustomerDrift {
        playbook,
        run_key,
        status,
        steps,
        error: None,
        checked: Checked::Plan,
        why: Some(why),
    }
}

/// Record `mark` for a customer found in sync, under its lock, when nobody holds the lock and
/// its state is still the one checked; else leave it (the next check plans again).
async fn remark(c: &Connected<'_>, checked: &State, mark: AuditMark) {
    let store = c.session.store();
    let (playbook, run_key) = (&checked.playbook, &checked.run_key);
    let Ok(held) = store
        .lock(playbook, run_key, std::time::Duration::ZERO, &|_| {})
        .await
    else {
        return;
    };
    let Ok(mut state) = store.load(playbook, run_key).await else {
        return;
    };
    if state != *checked {
        return;
    }
    state.audit_mark = Some(mark);
    let _ = held.sink(playbook, run_key).save(&state);
}

/// The objects of `plan` that the state records and that are no longer as recorded.
fn drifted(plan: &Plan, state: &crate::store::state::State) -> Vec<DriftedStep> {
    let mut out = Vec::new();
    // Gone, or renamed or regrouped outside onboard (apply puts it back in place).
    if let (Some(t), Some(_)) = (&plan.tenant, &state.tenant)
        && matches!(t.action, Action::Create | Action::Update)
    {
        out.push(DriftedStep {
            address: "tenant".into(),
            ty: "tenant".into(),
            action: t.action,
            gone: t.action == Action::Create,
            fields: t.changes.clone(),
        });
    }
    for s in &plan.steps {
        let recorded = state.steps.contains_key(&s.address);
        let gone = recorded && s.action == Action::Create;
        let changed = matches!(s.action, Action::Update | Action::Replace);
        if gone || changed {
            out.push(DriftedStep {
                address: s.address.clone(),
                ty: s.ty.name().to_owned(),
                action: s.action,
                gone,
                fields: s.changes.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn customer(status: Status, steps: Vec<DriftedStep>, error: Option<&str>) -> CustomerDrift {
        CustomerDrift {
            playbook: "office".into(),
            run_key: "acme".into(),
            status,
            steps,
            error: error.map(str::to_owned),
            checked: Checked::Plan,
            why: None,
        }
    }

    fn report(customers: Vec<CustomerDrift>) -> DriftReport {
        DriftReport {
            format_version: 1,
            customers,
        }
    }

    fn edited() -> DriftedStep {
        DriftedStep {
            address: "servers".into(),
            ty: "group".into(),
            action: Action::Update,
            gone: false,
            fields: vec![FieldChange {
                field: "name".into(),
                before: json!("Servers (old)"),
                after: json!("Servers"),
            }],
        }
    }

    #[test]
    fn an_unknown_customer_wins_over_drift_and_drift_over_sync() {
        let sync = || customer(Status::InSync, Vec::new(), None);
        assert_eq!(report(vec![sync(), sync()]).exit(), 0);
        let drifted = customer(Status::Drifted, vec![edited()], None);
        assert_eq!(report(vec![sync(), drifted.clone()]).exit(), 2);
        let unknown = customer(Status::Unknown, Vec::new(), Some("never applied"));
        assert_eq!(report(vec![drifted, unknown]).exit(), 1);
    }

    #[test]
    fn text_names_customer_step_and_field_and_escapes_control_characters() {
        let gone = DriftedStep {
            address: "lan\u{1b}".into(),
            ty: "network_resource".into(),
            action: Action::Create,
            gone: true,
            fields: Vec::new(),
        };
        let r = report(vec![customer(Status::Drifted, vec![edited(), gone], None)]);
        assert_eq!(
            r.render(Format::Text),
            "drift `acme` (playbook `office`): drifted\n\
             \x20 servers (group): changed; apply updates it\n\
             \x20     name: \"Servers (old)\" (live) → \"Servers\" (playbook)\n\
             \x20 lan\\u{1b} (network_resource): gone; apply creates it again\n"
        );
        let json: serde_json::Value = serde_json::from_str(&r.render(Format::Json)).expect("JSON");
        assert_eq!(
            json["customers"][0]["steps"][0]["fields"][0]["field"],
            "name"
        );
        assert_eq!(json["customers"][0]["steps"][1]["gone"], true);
    }
}
