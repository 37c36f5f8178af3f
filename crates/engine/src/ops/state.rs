//! `state list|show|mv|migrate`: read either backend; move a run key's record; copy a local
//! folder into PostgreSQL. A
//! state holds names, keys and API answers: what is shown of it goes through `printable`
//! (JSON: `printable_json`).

use std::path::PathBuf;

use crate::diag::{Diag, Diags, printable, printable_json};
use crate::ops::OpError;
use crate::plan::report::Format;
use crate::store::postgres::Pg;
use crate::store::state::State;
use crate::store::{Store, local};

/// Where the state is.
#[derive(Debug, Clone)]
pub struct Options {
    pub state_dir: PathBuf,
    pub state_url: Option<String>,
}

async fn open(opts: &Options) -> Result<Store, OpError> {
    Ok(Store::open(&opts.state_dir, opts.state_url.as_deref()).await?)
}

/// `state list`: every recorded state, as a table or JSON.
pub async fn list(opts: &Options, format: Format) -> Result<String, Diags> {
    let store = open(opts).await?;
    let rows = store.summaries().await.map_err(OpError::from)?;
    Ok(crate::ops::render::state_list(
        &store.describe(),
        &rows,
        format,
    ))
}

/// `state show`: the one state of `key` (of `playbook` when given), as JSON.
pub async fn show(opts: &Options, key: &str, playbook: Option<&str>) -> Result<String, Diags> {
    let store = open(opts).await?;
    let state = find(&store, key, playbook).await?;
    let text = serde_json::to_string_pretty(&state).unwrap_or_default();
    Ok(format!("{}\n", printable_json(&text)))
}

/// `state mv FROM TO`: the state recorded under run key `from` is recorded under `to` from
/// now on (a customer first run from a single playbook, keyed by its domain, that an
/// inventory now runs under its customer key). Both run keys' locks are held; refused when
/// `to` already has a state. Journals of past runs stay as they were: they are the history of
/// what ran under `from`.
pub async fn mv(
    opts: &Options,
    from: &str,
    to: &str,
    playbook: Option<&str>,
) -> Result<String, Diags> {
    if from == to {
        return Err(Diag::plain(format!("`{from}` and `{to}` are the same run key")).into());
    }
    if !KEY.is_match(to) {
        return Err(Diag::plain(format!("invalid run key `{to}`"))
            .help("run keys name state files: use lower-case letters, digits, `.`, `_` and `-`")
            .into());
    }
    let store = open(opts).await?;
    let listed = find(&store, from, playbook).await?;
    let pb = listed.playbook.clone();
    // Locks in key order, as a session takes them, so two commands never wait in a circle.
    let (first, second) = if from < to { (from, to) } else { (to, from) };
    let a = store
        .lock(&pb, first, std::time::Duration::ZERO, &|_| {})
        .await
        .map_err(OpError::from)?;
    let b = store
        .lock(&pb, second, std::time::Duration::ZERO, &|_| {})
        .await
        .map_err(OpError::from)?;
    if store.exists(&pb, to).await.map_err(OpError::from)? {
        return Err(Diag::plain(format!(
            "run key `{to}` already has a state ({}); nothing was moved",
            store.location(&pb, to)
        ))
        .help(format!(
            "look at it with `onboard state show {to}`; a state is never overwritten"
        ))
        .into());
    }
    // Read again under the locks: what is moved is what is recorded now.
    let state = store.load(&pb, from).await.map_err(OpError::from)?;
    let was = store.location(&pb, from);
    store.rename(&state, to).await.map_err(OpError::from)?;
    drop((a, b));
    Ok(format!(
        "moved the state of playbook `{}` ({} record(s)) from run key `{}` to `{}`\n\
         was: {}\nnow: {}\n",
        printable(&pb),
        state.steps.len() + usize::from(state.tenant.is_some()),
        printable(from),
        printable(to),
        printable(&was),
        printable(&store.location(&pb, to)),
    ))
}

/// What a run key may be: what an inventory's customer keys may be, or a tenant's domain.
static KEY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new("^[A-Za-z0-9][A-Za-z0-9_.-]*$").unwrap_or_else(|_| unreachable!())
});

/// The one state of `key` (of `playbook` when given).
async fn find(store: &Store, key: &str, playbook: Option<&str>) -> Result<State, Diag> {
    let all = store.list().await.map_err(OpError::from)?;
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
            .help(format!("run keys recorded there: {known}")))
        }
        _ => {
            let names: Vec<&str> = found.iter().map(|s| s.playbook.as_str()).collect();
            Err(Diag::plain(format!(
                "run key `{key}` is recorded for several playbooks: {}",
                names.join(", ")
            ))
            .help("pass `--playbook NAME`"))
        }
    }
}

/// `state migrate`: copy every state and journal of the local folder into PostgreSQL at `to`,
/// in one transaction, then read every state back and compare it record by record. The text
/// says what was copied.
pub async fn migrate(opts: &Options, to: &str) -> Result<String, Diags> {
    let dir = &opts.state_dir;
    let states = local::states(dir).map_err(OpError::from)?;
    let journals = local::journals(dir).map_err(OpError::from)?;
    let mut pg = Pg::open(to).await.map_err(OpError::from)?;
    if states.is_empty() && journals.is_empty() {
        return Ok(format!(
            "nothing to migrate: no state in {}\n",
            printable(&dir.display().to_string())
        ));
    }
    pg.import(&states, &journals).await.map_err(OpError::from)?;
    let mut records = 0;
    for s in &states {
        let back = pg
            .load(&s.playbook, &s.run_key)
            .await
            .map_err(OpError::from)?;
        if &back != s {
            return Err(Diag::plain(format!(
                "{} reads back differently after the migration",
                pg.where_(&s.playbook, &s.run_key)
            ))
            .into());
        }
        records += s.steps.len() + usize::from(s.tenant.is_some());
    }
    Ok(format!(
        "migrated {} state(s) ({records} record(s)) and {} run journal(s) from {} to {}\n\
         the local folder was left as it was; use --state-url {} from now on\n",
        states.len(),
        journals.len(),
        printable(&dir.display().to_string()),
        printable(pg.shown()),
        printable(pg.shown())
    ))
}
