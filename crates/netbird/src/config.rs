//! Client configuration and its validation.
//!
//! [`ClientConfig`] is plain data (base URL, [`Token`], [`RateLimit`], timeout,
//! concurrency, [`RetryPolicy`]). [`ClientConfig::validate`] turns it into the
//! checked parts the client runs with, or a [`ConfigError`]. Invariants after
//! validation: the base URL is `https://`, or `http://` to a loopback host
//! (127.0.0.0/8, `::1`, `localhost`); it carries no credentials, query or
//! fragment; rate, burst and concurrency are at least 1. A loopback base URL is reached
//! without any proxy (`HTTP_PROXY` and friends are ignored for it), so the token never
//! leaves the machine in clear.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;

use crate::error::ConfigError;
use crate::retry::RetryPolicy;
use crate::token::Token;

/// The NetBird Cloud management API.
pub const DEFAULT_BASE_URL: &str = "https://api.netbird.io";

/// The client-side budget for one PAT: a token bucket refilled continuously at
/// `per_minute` tokens a minute, holding at most `burst` tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_minute: u32,
    pub burst: u32,
}

impl RateLimit {
    /// The bucket the client keeps: 1 % of the burst (at least one token) in reserve. The
    /// server's bucket starts refilling when our first request arrives, a little later than
    /// ours (connection set-up), and requests sent in order may arrive bunched (several in
    /// flight), so a client that spends exactly the server's budget meets a 429 now and then.
    /// The reserve is never spent, so it stays in the server's bucket as a buffer for the
    /// whole run: 6 tokens of a 600 burst, 12 of NetBird Cloud's 1200, 1 of a burst under 200.
    pub fn with_headroom(self) -> RateLimit {
        let reserve = (self.burst / 100).max(1);
        RateLimit {
            burst: self.burst.saturating_sub(reserve).max(1),
            ..self
        }
    }

    /// The least time `calls` take when the bucket starts full.
    pub fn least_time(&self, calls: usize) -> Duration {
        let beyond = calls.saturating_sub(self.burst as usize) as f64;
        Duration::from_secs_f64(beyond * 60.0 / f64::from(self.per_minute.max(1)))
    }

    /// The least time of `calls` when the bucket is empty (an ETA for calls still to make).
    pub fn time_at_rate(&self, calls: usize) -> Duration {
        Duration::from_secs_f64(calls as f64 * 60.0 / f64::from(self.per_minute.max(1)))
    }

    /// The most writes one scope proof may cover when `concurrency` calls may be in flight:
    /// they are sent together with the proof, each on an in-flight slot of its own and within
    /// the client's burst (so at least one).
    pub fn writes_per_proof(self, concurrency: usize) -> usize {
        let burst = usize::try_from(self.with_headroom().burst).unwrap_or(usize::MAX);
        concurrency.min(burst.saturating_sub(1)).max(1)
    }
}

impl Default for RateLimit {
    /// 120 a minute with a burst of 1200, as NetBird Cloud enforces per PAT.
    fn default() -> Self {
        RateLimit {
            per_minute: 120,
            burst: 1200,
        }
    }
}

/// Everything needed to build a [`crate::Client`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// API base URL, e.g. `https://api.netbird.io` (paths start with `/api/`).
    pub base_url: String,
    pub token: Token,
    pub rate: RateLimit,
    /// Per-attempt timeout (connect + request + response body).
    pub timeout: Duration,
    /// Maximum number of requests in flight at once, across every clone.
    pub concurrency: usize,
    pub retry: RetryPolicy,
}

impl ClientConfig {
    /// A configuration with the defaults: NetBird Cloud rates, 30 s timeout,
    /// 8 requests in flight, [`RetryPolicy::default`].
    pub fn new(base_url: impl Into<String>, token: Token) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            token,
            rate: RateLimit::default(),
            timeout: Duration::from_secs(30),
            concurrency: 8,
            retry: RetryPolicy::default(),
        }
    }

    /// Checks every field; returns the parsed base URL.
    pub(crate) fn validate(&self) -> Result<Url, ConfigError> {
        if self.token.is_empty() {
            return Err(ConfigError::EmptyToken);
        }
        if self.rate.per_minute == 0 || self.rate.burst == 0 {
            return Err(ConfigError::InvalidRate {
                per_minute: self.rate.per_minute,
                burst: self.rate.burst,
            });
        }
        if self.concurrency == 0 {
            return Err(ConfigError::InvalidConcurrency);
        }
        if self.timeout.is_zero() {
            return Err(ConfigError::InvalidTimeout);
        }
        parse_base_url(&self.base_url)
    }
}

/// Parses and checks the base URL; strips a trailing `/` from its path.
pub(crate) fn parse_base_url(raw: &str) -> Result<Url, ConfigError> {
    let invalid = |reason: &str| ConfigError::InvalidUrl {
        url: raw.to_owned(),
        reason: reason.to_owned(),
    };
    let mut url = Url::parse(raw.trim()).map_err(|e| invalid(&e.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("credentials in the url are not supported"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("a query or fragment is not allowed"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(ConfigError::InsecureUrl {
                host: url.host_str().unwrap_or_default().to_owned(),
            });
        }
        other => {
            return Err(invalid(&format!(
                "unsupported scheme `{other}` (use https)"
            )));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
}

/// True for `localhost`, 127.0.0.0/8 and `::1`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state records the API as `Client::base_url` spells it: one server, one spelling
    /// (case of scheme and host, the default port, trailing slashes), so a state is not refused
    /// against its own server written another way.
    #[test]
    fn one_server_has_one_base_url() {
        let base = |raw: &str| {
            let cfg = ClientConfig::new(raw, crate::Token::new("nbp_TESTSECRET0123456789"));
            crate::Client::new(cfg)
                .expect("a client")
                .base_url()
                .to_owned()
        };
        for raw in [
            "https://nb.example.com",
            "https://NB.Example.COM",
            "HTTPS://nb.example.com:443",
            "https://nb.example.com/",
            " https://nb.example.com// ",
        ] {
            assert_eq!(base(raw), "https://nb.example.com", "{raw}");
        }
        assert_eq!(
            base("https://nb.example.com:8443/x/"),
            "https://nb.example.com:8443/x"
        );
        assert_eq!(base("http://127.0.0.1:80/"), "http://127.0.0.1");
    }

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        for ok in [
            "https://api.netbird.io",
            "https://nb.example.com/prefix/",
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://localhost:33073",
            "http://[::1]:80",
        ] {
            assert!(parse_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.netbird.io",
            "http://10.0.0.1",
            "http://[::2]",
            "http://localhost.evil.com",
        ] {
            assert!(
                matches!(parse_base_url(bad), Err(ConfigError::InsecureUrl { .. })),
                "{bad}"
            );
        }
        for bad in ["ftp://x", "not a url", "https://u:p@h", "https://h/?a=1"] {
            assert!(
                matches!(parse_base_url(bad), Err(ConfigError::InvalidUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn trailing_slash_is_stripped() {
        let u = parse_base_url("https://h/prefix/").unwrap();
        assert_eq!(u.path(), "/prefix");
    }
}
