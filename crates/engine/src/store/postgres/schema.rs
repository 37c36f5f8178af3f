//! The PostgreSQL schema, created and migrated by onboard itself.
//!
//! Migrations are numbered; `onboard_schema` records each one applied. Every connection that
//! opens a store runs [`migrate`]: under a transaction-level advisory lock (so two runners
//! starting at once do not race), it applies what is missing, in order, in one transaction.
//! A database migrated by a newer onboard is refused rather than guessed at.

use crate::store::StoreError;
use tokio_postgres::Client;

/// The advisory lock key that serialises migrations (an arbitrary constant: "onboard\0").
const MIGRATION_LOCK: i64 = 0x6f6e_626f_6172_6400;

/// `(version, SQL)`, in order. Never edit a released entry: add a new one.
pub const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        r#"
CREATE TABLE onboard_state (
    playbook    text        NOT NULL,
    run_key     text        NOT NULL,
    version     integer     NOT NULL,
    doc         jsonb       NOT NULL,
    writes      bigint      NOT NULL DEFAULT 1,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text        NOT NULL,
    PRIMARY KEY (playbook, run_key)
);
CREATE TABLE onboard_lock (
    playbook    text        NOT NULL,
    run_key     text        NOT NULL,
    backend_pid integer     NOT NULL,
    host        text        NOT NULL,
    username    text        NOT NULL,
    pid         bigint      NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (playbook, run_key)
);
CREATE TABLE onboard_journal (
    run_id      text        NOT NULL,
    seq         bigint      NOT NULL,
    playbook    text        NOT NULL,
    run_key     text        NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    event       jsonb       NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX onboard_journal_by_key ON onboard_journal (run_key, at);
"#,
    ),
    (
        2,
        r#"
CREATE TABLE onboard_budget (
    budget_key  text        PRIMARY KEY,
    full_at     timestamptz NOT NULL
);
"#,
    ),
];

/// The schema version this onboard writes.
pub fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |(v, _)| *v)
}

/// Bring the database to [`latest`]; returns the version it was at before.
pub async fn migrate(client: &mut Client) -> Result<i32, StoreError> {
    let err = |what: &str, source: tokio_postgres::Error| StoreError::Db {
        context: format!("state database: {what}"),
        source,
    };
    let tx = client.transaction().await.map_err(|e| err("begin", e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(|e| err("migration lock", e))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS onboard_schema (
            version    integer     PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .await
    .map_err(|e| err("create onboard_schema", e))?;
    let row = tx
        .query_one("SELECT coalesce(max(version), 0) FROM onboard_schema", &[])
        .await
        .map_err(|e| err("read the schema version", e))?;
    let current: i32 = row.get(0);
    if current > latest() {
        return Err(StoreError::SchemaTooNew {
            found: current,
            latest: latest(),
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql)
            .await
            .map_err(|e| err(&format!("migration {version}"), e))?;
        tx.execute(
            "INSERT INTO onboard_schema (version) VALUES ($1)",
            &[version],
        )
        .await
        .map_err(|e| err(&format!("record migration {version}"), e))?;
    }
    tx.commit().await.map_err(|e| err("commit migrations", e))?;
    Ok(current)
}
