//! Reporters: everything `apply` prints, and the run journal.
//!
//! They consume the executor's [`Event`] stream: [`Progress`] draws one bar per run on a
//! terminal (plain lines otherwise), [`Journal`] appends every event as a JSON line, and
//! [`text`] / [`json`] format the final [`RunReport`]s. Events carry no secrets; outputs
//! marked sensitive are masked here unless `--show-secrets`.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use onboard_engine::execute::{Event, RunReport};
use onboard_engine::plan::{Action, Plan};
use onboard_engine::render::SENSITIVE;
use serde_json::{Value as Json, json};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Mutex;

use crate::commands::Failure;
use onboard_engine::diag::Diag;

/// Progress for all runs of one apply.
pub struct Progress {
    multi: Option<MultiProgress>,
    quiet: bool,
}

/// Progress of one run.
pub struct RunProgress {
    bar: Option<ProgressBar>,
    key: String,
    quiet: bool,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        let multi = (!quiet && std::io::stderr().is_terminal())
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Self { multi, quiet }
    }

    pub fn run(&self, key: &str, steps: usize) -> RunProgress {
        let bar = self.multi.as_ref().map(|m| {
            let bar = m.add(ProgressBar::new(steps as u64));
            let style = ProgressStyle::with_template("{prefix:>16} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(key.to_owned());
            bar
        });
        RunProgress {
            bar,
            key: key.to_owned(),
            quiet: self.quiet,
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
            Event::StepFinished {
                address, action, ..
            } => {
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                    bar.set_message(address.clone());
                    return;
                }
                Some(format!(
                    "{:>3} {address} ({})",
                    action.symbol(),
                    action_name(*action)
                ))
            }
            Event::StepFailed { address, error } => Some(format!("  ! {address} failed: {error}")),
            Event::StepSkipped { address, reason } => {
                Some(format!("  - {address} skipped: {reason}"))
            }
            _ => None,
        };
        let Some(line) = line else { return };
        match &self.bar {
            Some(bar) => bar.println(format!("{}: {line}", self.key)),
            // Without a terminal, runs interleave: every line names its run (customer).
            None if !self.quiet => eprintln!("{}: {line}", self.key),
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

/// The run journal: one JSON event per line, mode 0600. Events carry no secrets.
pub struct Journal(Mutex<std::fs::File>);

impl Journal {
    pub fn open(state_dir: &Path, run_key: &str) -> Result<Journal, Failure> {
        let dir = state_dir.join("runs");
        std::fs::create_dir_all(&dir)
            .map_err(|e| Diag::plain(format!("cannot create {}: {e}", dir.display())))?;
        let now = time::OffsetDateTime::now_utc();
        let stamp = format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}.{:09}Z",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second(),
            now.nanosecond()
        );
        let name = format!("{stamp}-{}.jsonl", onboard_engine::state::safe(run_key));
        let path = dir.join(name);
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let file = opts
            .open(&path)
            .map_err(|e| Diag::plain(format!("cannot open {}: {e}", path.display())))?;
        Ok(Journal(Mutex::new(file)))
    }

    pub fn write(&self, e: &Event) {
        if let (Ok(mut f), Ok(line)) = (self.0.lock(), serde_json::to_string(e)) {
            let _ = writeln!(f, "{line}");
        }
    }
}

fn shown(value: &Json, sensitive: bool, show_secrets: bool) -> Json {
    if sensitive && !show_secrets {
        Json::String(SENSITIVE.into())
    } else {
        value.clone()
    }
}

/// The human report of one run.
pub fn text(report: &RunReport, show_secrets: bool) -> String {
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
        out.push_str(&format!(
            "failed: {} (the rest is recorded; a re-run resumes)\n",
            failed.join(", ")
        ));
    }
    if !report.outputs.is_empty() {
        out.push_str("outputs:\n");
        for (name, value, sensitive) in &report.outputs {
            let v = shown(value, *sensitive, show_secrets);
            let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            out.push_str(&format!("  {name} = {text}\n"));
        }
    }
    out.push_str(&format!("state: {}\n", report.state_path.display()));
    out
}

/// The JSON report of every run: one stable document (`format_version` 1).
pub fn json(plans: &[Plan], reports: &[RunReport], show_secrets: bool) -> String {
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
                "state": r.state_path.display().to_string(),
            })
        })
        .collect();
    let doc = json!({"format_version": 1, "ok": reports.iter().all(|r| r.ok), "runs": runs});
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
