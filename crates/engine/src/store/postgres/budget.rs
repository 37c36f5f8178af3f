//! The PAT's rate budget, shared by every runner of one state database.
//!
//! NetBird limits each PAT with one token bucket, whatever the tenant and whichever process
//! sends. Runners that share a `--state-url` share one bucket in the table `onboard_budget`:
//! one row per PAT, keyed by a hash of it (the PAT itself is never stored), holding the tokens
//! left and when they were counted. [`PgBudget::take`] refills and takes in one statement, on
//! the database's clock (`clock_timestamp()`), so runners on machines whose clocks differ
//! count the same time. The client ([`onboard_netbird::SharedBudget`]) takes small batches and
//! spends them at once.

use std::fmt;
use std::time::Duration;

use onboard_netbird::{BudgetError, BudgetFuture, Grant, RateLimit, SharedBudget};
use tokio::sync::OnceCell;
use tokio_postgres::{Client, Config};

use super::{connect, pg_err, redacted, schema};
use crate::store::StoreError;

/// Refill and take, as one statement: the row is locked, refilled for the time since it was
/// last counted (at most `burst`), and whole tokens up to the number asked are taken. Returns
/// the tokens granted and the tokens left (a fraction when fewer than asked were granted).
const TAKE: &str = "
WITH cur AS (
    SELECT b.pat_hash, b.updated_at,
           least($2::float8, b.tokens + greatest(0::float8,
               extract(epoch FROM (clock_timestamp() - b.updated_at))::float8) * $3::float8) AS avail,
           clock_timestamp() AS now
    FROM onboard_budget b WHERE b.pat_hash = $1 FOR UPDATE OF b
), g AS (
    SELECT pat_hash, avail, greatest(now, updated_at) AS now,
           least($4::float8, greatest(0::float8, floor(avail))) AS granted
    FROM cur
)
UPDATE onboard_budget b SET tokens = g.avail - g.granted, updated_at = g.now
FROM g WHERE b.pat_hash = g.pat_hash
RETURNING g.granted::int4, b.tokens";

/// A new PAT's bucket starts full, as the server's does.
const CREATE: &str = "INSERT INTO onboard_budget (pat_hash, tokens, updated_at) \
                      VALUES ($1, $2, clock_timestamp()) ON CONFLICT (pat_hash) DO NOTHING";

/// The shared budget of one PAT in a state database (a connection of its own, opened at the
/// first take).
pub struct PgBudget {
    config: Config,
    shown: String,
    key: String,
    client: OnceCell<Client>,
}

impl fmt::Debug for PgBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgBudget({})", self.shown)
    }
}

impl PgBudget {
    /// The budget of `pat` in the database at `url`. Nothing is connected yet.
    pub fn new(url: &str, pat: &str) -> Result<PgBudget, StoreError> {
        let config: Config = url.parse().map_err(StoreError::Url)?;
        Ok(PgBudget {
            shown: redacted(&config),
            config,
            key: pat_hash(pat),
            client: OnceCell::new(),
        })
    }

    async fn client(&self, rate: RateLimit) -> Result<&Client, StoreError> {
        self.client
            .get_or_try_init(|| async {
                let (mut client, _lost) = connect(&self.config, &self.shown).await?;
                schema::migrate(&mut client).await?;
                client
                    .execute(CREATE, &[&self.key, &f64::from(rate.burst)])
                    .await
                    .map_err(StoreError::db(format!(
                        "cannot create the rate budget in {}",
                        self.shown
                    )))?;
                Ok(client)
            })
            .await
    }

    async fn take_now(&self, want: u32, rate: RateLimit) -> Result<Grant, StoreError> {
        let client = self.client(rate).await?;
        let per_second = f64::from(rate.per_minute.max(1)) / 60.0;
        let row = client
            .query_opt(
                TAKE,
                &[
                    &self.key,
                    &f64::from(rate.burst.max(1)),
                    &per_second,
                    &f64::from(want),
                ],
            )
            .await
            .map_err(StoreError::db(format!(
                "cannot take from the rate budget in {}",
                self.shown
            )))?;
        let Some(row) = row else {
            // The row was deleted under us (by hand): start it again, full.
            client
                .execute(CREATE, &[&self.key, &f64::from(rate.burst)])
                .await
                .map_err(StoreError::db(format!(
                    "cannot create the rate budget in {}",
                    self.shown
                )))?;
            return Ok(Grant {
                granted: 0,
                wait: Duration::ZERO,
            });
        };
        let granted = u32::try_from(row.get::<_, i32>(0)).unwrap_or(0);
        let left: f64 = row.get(1);
        Ok(Grant {
            granted,
            wait: refill_time(want.saturating_sub(granted), left, per_second),
        })
    }
}

impl SharedBudget for PgBudget {
    fn take(&self, want: u32, rate: RateLimit) -> BudgetFuture<'_> {
        Box::pin(async move {
            self.take_now(want, rate).await.map_err(|e| {
                let detail = match &e {
                    StoreError::Db { context, source } => format!("{context}: {}", pg_err(source)),
                    other => other.to_string(),
                };
                BudgetError(detail)
            })
        })
    }
}

/// How long until `missing` more tokens are there, when `left` are.
fn refill_time(missing: u32, left: f64, per_second: f64) -> Duration {
    if missing == 0 {
        return Duration::ZERO;
    }
    Duration::from_secs_f64(((f64::from(missing) - left).max(0.0) / per_second).max(0.001))
}

/// The key of a PAT's budget: sha256 (hex) of a fixed label and the PAT. The PAT cannot be
/// read back from it, and the label keeps it apart from any other hash of the same PAT (NetBird
/// stores one of its own).
pub fn pat_hash(pat: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"onboard rate budget\0");
    h.update(pat.trim().as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_a_hash_never_the_pat() {
        let pat = "nbp_0123456789abcdefghijklmnopqrstuvwxyz";
        let key = pat_hash(pat);
        assert_eq!(key.len(), 64);
        assert!(!key.contains(pat) && !key.contains("nbp_"));
        assert_eq!(
            key,
            pat_hash(&format!("{pat}\n")),
            "trimmed as the client does"
        );
        assert_ne!(key, pat_hash("nbp_other"));
    }

    #[test]
    fn the_wait_is_the_refill_time_of_what_is_missing() {
        assert_eq!(refill_time(0, 0.3, 2.0), Duration::ZERO);
        assert_eq!(refill_time(3, 0.5, 2.0), Duration::from_secs_f64(1.25));
        assert_eq!(refill_time(1, 1.5, 2.0), Duration::from_millis(1));
    }
}
