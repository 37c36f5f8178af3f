//! `onboard state list|show|migrate`: read either backend; copy a local folder into
//! PostgreSQL. A state holds names, keys and API answers: what is printed from it goes through
//! `printable` (JSON: `printable_json`).

use onboard_engine::diag::{Diag, printable, printable_json};
use onboard_engine::store::postgres::Pg;
use onboard_engine::store::state::{State, StateSummary};
use onboard_engine::store::{Store, local};

use crate::args::{Format, StateArgs, StateCommand};
use crate::commands::Failure;

pub fn state(args: &StateArgs) -> Result<u8, Failure> {
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| Diag::plain(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async {
        match &args.command {
            StateCommand::Migrate { to } => migrate(args, to).await,
            StateCommand::List { format } => {
                let store = open(args).await?;
                let rows = store
                    .summaries()
                    .await
                    .map_err(|e| Diag::plain(e.to_string()))?;
                print!("{}", list(&store, &rows, *format));
                Ok(0)
            }
            StateCommand::Show { key, playbook } => {
                let store = open(args).await?;
                let state = find(&store, key, playbook.as_deref()).await?;
                let text = serde_json::to_string_pretty(&state).unwrap_or_default();
                println!("{}", printable_json(&text));
                Ok(0)
            }
        }
    })
}

async fn open(args: &StateArgs) -> Result<Store, Failure> {
    Store::open(&args.state_dir, args.state_url.as_deref())
        .await
        .map_err(|e| Diag::plain(e.to_string()).into())
}

fn list(store: &Store, rows: &[StateSummary], format: Format) -> String {
    if format == Format::Json {
        let text = serde_json::to_string_pretty(rows).unwrap_or_default();
        return format!("{}\n", printable_json(&text));
    }
    if rows.is_empty() {
        return format!("no state recorded in {}\n", printable(&store.describe()));
    }
    let header = ["PLAYBOOK", "RUN KEY", "TENANT", "OBJECTS", "UPDATED"].map(String::from);
    let mut table = vec![header];
    for r in rows {
        // Escaped before the widths are measured, so the columns line up as printed.
        table.push(
            [
                r.playbook.as_str(),
                r.run_key.as_str(),
                r.tenant.as_deref().unwrap_or("-"),
                &r.records.to_string(),
                r.updated_at.as_deref().unwrap_or("-"),
            ]
            .map(|cell| printable(cell).into_owned()),
        );
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| {
            table
                .iter()
                .map(|row| row[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = format!("state in {}\n", printable(&store.describe()));
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

/// The one state of `key` (of `playbook` when given).
async fn find(store: &Store, key: &str, playbook: Option<&str>) -> Result<State, Failure> {
    let all = store.list().await.map_err(|e| Diag::plain(e.to_string()))?;
    let keys: Vec<String> = all.iter().map(|s| s.run_key.clone()).collect();
    let mut found: Vec<State> = all
        .into_iter()
        .filter(|s| s.run_key == key && playbook.is_none_or(|p| p == s.playbook))
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => {
            let known = if keys.is_empty() {
                "none".to_owned()
            } else {
                keys.join(", ")
            };
            Err(Diag::plain(format!(
                "no state for run key `{key}` in {}",
                store.describe()
            ))
            .help(format!("run keys recorded there: {known}"))
            .into())
        }
        _ => {
            let names: Vec<&str> = found.iter().map(|s| s.playbook.as_str()).collect();
            Err(Diag::plain(format!(
                "run key `{key}` is recorded for several playbooks: {}",
                names.join(", ")
            ))
            .help("pass `--playbook NAME`")
            .into())
        }
    }
}

/// Copy every state and journal of the local folder into PostgreSQL, in one transaction,
/// then read every state back and compare it record by record.
async fn migrate(args: &StateArgs, to: &str) -> Result<u8, Failure> {
    let dir = &args.state_dir;
    let states = local::states(dir).map_err(|e| Diag::plain(e.to_string()))?;
    let journals = local::journals(dir).map_err(|e| Diag::plain(e.to_string()))?;
    let mut pg = Pg::open(to).await.map_err(|e| Diag::plain(e.to_string()))?;
    if states.is_empty() && journals.is_empty() {
        println!(
            "nothing to migrate: no state in {}",
            printable(&dir.display().to_string())
        );
        return Ok(0);
    }
    pg.import(&states, &journals)
        .await
        .map_err(|e| Diag::plain(e.to_string()))?;
    let mut records = 0;
    for s in &states {
        let back = pg
            .load(&s.playbook, &s.run_key)
            .await
            .map_err(|e| Diag::plain(e.to_string()))?;
        if &back != s {
            return Err(Diag::plain(format!(
                "{} reads back differently after the migration",
                pg.where_(&s.playbook, &s.run_key)
            ))
            .into());
        }
        records += s.steps.len() + usize::from(s.tenant.is_some());
    }
    println!(
        "migrated {} state(s) ({records} record(s)) and {} run journal(s) from {} to {}",
        states.len(),
        journals.len(),
        printable(&dir.display().to_string()),
        printable(pg.shown())
    );
    println!(
        "the local folder was left as it was; use --state-url {} from now on",
        printable(pg.shown())
    );
    Ok(0)
}
