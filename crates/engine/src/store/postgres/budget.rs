//! The PAT's rate budget, shared by every runner of one state database.
//!
//! NetBird limits each PAT with one token bucket, whatever the tenant and whichever process
//! sends. Runners that share a `--state-url` share one bucket in the table `onboard_budget`:
//! one row per PAT and management URL, keyed by a hash of the two (the PAT itself is never
//! stored), holding one instant, `full_at`, when the bucket is full again (see
//! [`onboard_netbird::SharedBudget`]). [`PgBudget`] reserves with one statement that moves
//! `full_at` on by the cost of the tokens and answers the wait before their slot, on the
//! database's clock (`clock_timestamp()`), so runners on machines whose clocks differ count
//! the same time. Nothing is held between statements.

use std::fmt;
use std::time::Duration;

use onboard_netbird::{BudgetError, BudgetFuture, RateLimit, SharedBudget, budget_interval};
use tokio::sync::OnceCell;
use tokio_postgres::{Client, Config};

use super::{connect, pg_err, redacted, schema};
use crate::store::StoreError;

/// Reserve, as one statement (its own transaction; the row is locked only while it runs): a
/// new row is a full bucket; `full_at` moves on by `$2` seconds (the tokens' cost) from itself
/// or from now, whichever is later. Returns the seconds until the tokens exist: how far
/// `full_at` is beyond now by more than `$3` seconds (the burst's worth).
const RESERVE: &str = "
INSERT INTO onboard_budget AS b (budget_key, full_at)
VALUES ($1, clock_timestamp() + make_interval(secs => $2::float8))
ON CONFLICT (budget_key) DO UPDATE
    SET full_at = greatest(b.full_at, clock_timestamp()) + make_interval(secs => $2::float8)
RETURNING greatest(0::float8,
    extract(epoch FROM (b.full_at - clock_timestamp()))::float8 - $3::float8)";

/// The shared budget of one PAT at one management URL in a state database (a connection of
/// its own, opened at the first reservation).
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
    /// The budget of `pat` at the management API `api_url`, in the database at `url`. Nothing
    /// is connected yet.
    pub fn new(url: &str, api_url: &str, pat: &str) -> Result<PgBudget, StoreError> {
        let config: Config = url.parse().map_err(StoreError::Url)?;
        Ok(PgBudget {
            shown: redacted(&config),
            config,
            key: budget_key(api_url, pat),
            client: OnceCell::new(),
        })
    }

    async fn client(&self) -> Result<&Client, StoreError> {
        self.client
            .get_or_try_init(|| async {
                let (mut client, _lost) = connect(&self.config, &self.shown).await?;
                schema::migrate(&mut client).await?;
                Ok(client)
            })
            .await
    }

    async fn reserve_now(&self, n: u32, rate: RateLimit) -> Result<Duration, StoreError> {
        let client = self.client().await?;
        let interval = budget_interval(rate);
        let cost = f64::from(n) * interval;
        let burst = f64::from(rate.burst.max(1)) * interval;
        let row = client
            .query_one(RESERVE, &[&self.key, &cost, &burst])
            .await
            .map_err(StoreError::db(format!(
                "cannot reserve from the rate budget in {}",
                self.shown
            )))?;
        let wait: f64 = row.get(0);
        Ok(Duration::try_from_secs_f64(wait).unwrap_or(Duration::ZERO))
    }
}

impl SharedBudget for PgBudget {
    fn reserve(&self, n: u32, rate: RateLimit) -> BudgetFuture<'_> {
        Box::pin(async move {
            self.reserve_now(n, rate).await.map_err(|e| {
                let detail = match &e {
                    StoreError::Db { context, source } => format!("{context}: {}", pg_err(source)),
                    other => other.to_string(),
                };
                BudgetError(detail)
            })
        })
    }
}

/// The key of a budget: SHA-256 (hex) of a fixed label, the management URL and the PAT. The
/// PAT cannot be read back from it; the label keeps it apart from any other hash of the same
/// PAT (NetBird stores one of its own); the URL keeps two NetBird servers' budgets apart.
pub fn budget_key(api_url: &str, pat: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"onboard rate budget\0");
    h.update(api_url.trim().trim_end_matches('/').as_bytes());
    h.update(b"\0");
    h.update(pat.trim().as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_a_hash_never_the_pat() {
        let pat = "nbp_0123456789abcdefghijklmnopqrstuvwxyz";
        let url = "https://api.netbird.io";
        let key = budget_key(url, pat);
        assert_eq!(key.len(), 64);
        assert!(!key.contains(pat) && !key.contains("nbp_"));
        assert_eq!(
            key,
            budget_key(&format!("{url}/"), &format!("{pat}\n")),
            "trimmed as the client does"
        );
        assert_ne!(key, budget_key(url, "nbp_other"));
        assert_ne!(key, budget_key("https://netbird.example.com", pat));
    }
}
