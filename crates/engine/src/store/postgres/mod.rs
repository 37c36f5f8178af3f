//! The PostgreSQL backend: state documents, run journals and one lock per run key.
//!
//! [`Pg`] is the store (a connection for reads, migrations run on open). [`Pg::lock`] opens a
//! second connection, a session of its own, that takes `pg_try_advisory_lock` on a hash of
//! (playbook, run key) and keeps it for the whole run: the lock dies with the session, so a
//! killed holder never leaves a stale lock. Every save of that run goes through the same
//! session ([`session::PgSession`]), so a save succeeds only while the lock is held.
//! TLS: rustls with the system's roots, as `sslmode` in the URL asks (`prefer` by default).

pub mod budget;
pub mod schema;
pub mod session;

use std::sync::Arc;
use tokio::sync::watch;
use tokio_postgres::{Client, Config};

use crate::store::StoreError;
use crate::store::state::{STATE_VERSION, State, StateSummary};

/// A connection's fate: `Some(error)` once it is lost (not when closed on purpose).
pub type Lost = watch::Receiver<Option<String>>;

/// The PostgreSQL store.
pub struct Pg {
    pub(in crate::store) config: Config,
    pub(in crate::store) shown: String,
    client: Client,
}

impl std::fmt::Debug for Pg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Pg {
    /// Connect and bring the schema up to date.
    pub async fn open(url: &str) -> Result<Pg, StoreError> {
        let config: Config = url.parse().map_err(StoreError::Url)?;
        let shown = redacted(&config);
        let (mut client, _lost) = connect(&config, &shown).await?;
        schema::migrate(&mut client).await?;
        Ok(Pg {
            config,
            shown,
            client,
        })
    }

    /// The URL without its password.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The state of a run key, or a fresh one.
    pub async fn load(&self, playbook: &str, run_key: &str) -> Result<State, StoreError> {
        let row = self
            .client
            .query_opt(
                "SELECT doc FROM onboard_state WHERE playbook = $1 AND run_key = $2",
                &[&playbook, &run_key],
            )
            .await
            .map_err(StoreError::db(format!(
                "cannot read state from {}",
                self.shown
            )))?;
        match row {
            Some(row) => decode(
                row.get(0),
                playbook,
                run_key,
                &self.where_(playbook, run_key),
            ),
            None => Ok(State::new(playbook, run_key)),
        }
    }

    /// Every state, by playbook then run key.
    pub async fn list(&self) -> Result<Vec<State>, StoreError> {
        let rows = self
            .client
            .query(
                "SELECT playbook, run_key, doc FROM onboard_state ORDER BY playbook, run_key",
                &[],
            )
            .await
            .map_err(StoreError::db(format!(
                "cannot list states in {}",
                self.shown
            )))?;
        rows.into_iter()
            .map(|r| {
                let (playbook, run_key): (&str, &str) = (r.get(0), r.get(1));
                decode(r.get(2), playbook, run_key, &self.where_(playbook, run_key))
            })
            .collect()
    }

    /// Summaries of [`Pg::list`].
    pub async fn summaries(&self) -> Result<Vec<StateSummary>, StoreError> {
        Ok(self
            .list()
            .await?
            .iter()
            .map(|s| StateSummary::of(s, self.where_(&s.playbook, &s.run_key)))
            .collect())
    }

    /// Give the row of `(playbook, from)` the run key `state.run_key` and the document
    /// `state`, in one statement (the caller holds both keys' locks).
    pub async fn rename(
        &self,
        playbook: &str,
        from: &str,
        state: &State,
    ) -> Result<(), StoreError> {
        let doc = serde_json::to_value(state)?;
        let by = session::who();
        self.client
            .execute(
                "UPDATE onboard_state SET run_key = $3, doc = $4, writes = writes + 1, \
                 updated_at = now(), updated_by = $5 WHERE playbook = $1 AND run_key = $2",
                &[&playbook, &from, &state.run_key, &doc, &by],
            )
            .await
            .map_err(StoreError::db(format!(
                "cannot move the state of `{from}` in {}",
                self.shown
            )))?;
        Ok(())
    }

    /// Where a run key's state lives, for messages.
    pub fn where_(&self, playbook: &str, run_key: &str) -> String {
        format!(
            "{} (playbook `{playbook}`, run key `{run_key}`)",
            self.shown
        )
    }

    /// Copy states and journals in, in one transaction. A run key that already holds a
    /// different state stops the whole import: nothing is written.
    pub async fn import(
        &mut self,
        states: &[State],
        journals: &[crate::store::local::JournalFile],
    ) -> Result<(), StoreError> {
        let context = format!("migrating into {}", self.shown);
        let err = |source| StoreError::Db {
            context: context.clone(),
            source,
        };
        let by = session::who();
        let tx = self.client.transaction().await.map_err(err)?;
        for s in states {
            let doc = serde_json::to_value(s)?;
            let existing = tx
                .query_opt(
                    "SELECT doc FROM onboard_state WHERE playbook = $1 AND run_key = $2 FOR UPDATE",
                    &[&s.playbook, &s.run_key],
                )
                .await
                .map_err(err)?;
            match existing {
                Some(row) if row.get::<_, serde_json::Value>(0) == doc => continue,
                Some(_) => {
                    return Err(StoreError::ImportConflict {
                        shown: self.shown.clone(),
                        playbook: s.playbook.clone(),
                        run_key: s.run_key.clone(),
                    });
                }
                None => {}
            }
            tx.execute(
                "INSERT INTO onboard_state (playbook, run_key, version, doc, updated_by) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[&s.playbook, &s.run_key, &version(s), &doc, &by],
            )
            .await
            .map_err(err)?;
        }
        for j in journals {
            for (seq, event) in (1_i64..).zip(&j.events) {
                tx.execute(
                    "INSERT INTO onboard_journal (run_id, seq, playbook, run_key, event) \
                     VALUES ($1, $2, '', $3, $4) ON CONFLICT DO NOTHING",
                    &[&j.run_id, &seq, &j.run_key, event],
                )
                .await
                .map_err(err)?;
            }
        }
        tx.commit().await.map_err(err)
    }
}

/// The `version` column of a state.
pub(in crate::store) fn version(s: &State) -> i32 {
    i32::try_from(s.version).unwrap_or(i32::MAX)
}

/// The state document of the row keyed `(playbook, run_key)`; it must record those names.
fn decode(
    doc: serde_json::Value,
    playbook: &str,
    run_key: &str,
    at: &str,
) -> Result<State, StoreError> {
    let state: State = serde_json::from_value(doc).map_err(|source| StoreError::Invalid {
        at: at.to_owned(),
        what: "state",
        source,
    })?;
    if state.version != STATE_VERSION {
        return Err(StoreError::Version {
            at: at.to_owned(),
            found: state.version,
            expected: STATE_VERSION,
        });
    }
    state.belongs_to(playbook, run_key, at)?;
    Ok(state)
}

/// Open a connection; its driver runs on the current runtime and reports a loss on `Lost`.
pub(in crate::store) async fn connect(
    config: &Config,
    shown: &str,
) -> Result<(Client, Lost), StoreError> {
    let (client, connection) = config
        .connect(tls()?)
        .await
        .map_err(StoreError::db(format!(
            "cannot connect to the state database {shown}"
        )))?;
    let (tx, rx) = watch::channel(None);
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            let _ = tx.send(Some(pg_err(&e)));
        }
    });
    Ok((client, rx))
}

fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect, StoreError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(StoreError::Tls)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// A driver error with its cause (`db error: ERROR: ...`, not just `db error`).
pub fn pg_err(e: &tokio_postgres::Error) -> String {
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// `postgres://user@host:port/db`: the URL as the user may see it, never the password.
pub fn redacted(config: &Config) -> String {
    use tokio_postgres::config::Host;
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(h, p)| match h {
            Host::Tcp(name) => format!("{name}:{p}"),
            #[cfg(unix)]
            Host::Unix(path) => format!("{}:{p}", path.display()),
        })
        .collect();
    let db = config.get_dbname().unwrap_or("");
    format!("postgres://{user}{}/{db}", hosts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shown_url_never_holds_the_password() {
        let config: Config = "postgres://ops:s3cret-pw@db.example:5433/onboard?sslmode=require"
            .parse()
            .expect("a URL");
        assert_eq!(redacted(&config), "postgres://ops@db.example:5433/onboard");
        let config: Config = "host=db.example password=s3cret-pw dbname=x"
            .parse()
            .expect("key=value");
        assert_eq!(redacted(&config), "postgres://db.example:5432/x");
    }
}
