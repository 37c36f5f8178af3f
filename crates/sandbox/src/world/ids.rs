//! Identifiers and secrets: xid-style object ids (20 lowercase base32hex characters, e.g.
//! `ch8i4ug6lnn4g9hqv7m0`), setup keys (`A616097E-FCF0-48FA-9354-CA4A61142761`) and their
//! masked form (`A6160****`), PATs (`nbp_` + 36 alphanumerics) and their SHA-256 hash, the
//! only form in which a PAT is ever stored.
//!
//! Ids take the current time (as xid does), then bytes from a seeded generator, then a
//! counter, so they are unique and sort roughly by creation.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sha2::{Digest, Sha256};

const BASE32HEX: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
const ALNUM: &[u8; 62] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Generator of ids and secrets.
#[derive(Debug)]
pub struct IdGen {
    rng: StdRng,
    counter: u32,
    /// The last audit event id handed out (one sequence for every account, as NetBird's
    /// single `events` table with its autoincrement key).
    events: u64,
}

impl IdGen {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> IdGen {
        IdGen {
            rng: StdRng::seed_from_u64(seed),
            counter: 0,
            events: 0,
        }
    }

    /// The next audit event id: one sequence shared by all accounts, so an account's ids
    /// grow but have gaps.
    pub fn event(&mut self) -> u64 {
        self.events += 1;
        self.events
    }

    /// Continues the event sequence after `last` (after loading a world).
    pub fn events_after(&mut self, last: u64) {
        self.events = self.events.max(last);
    }

    /// A new numeric id, as NetBird's autoincrement keys are (EDR integrations).
    pub fn number(&mut self) -> u64 {
        self.rng.random_range(1..=i64::MAX as u64 / 2)
    }

    /// A new xid-style id.
    pub fn id(&mut self) -> String {
        let secs = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut raw = [0u8; 12];
        raw[..4].copy_from_slice(&(secs as u32).to_be_bytes());
        let random: [u8; 5] = self.rng.random();
        raw[4..9].copy_from_slice(&random);
        self.counter = self.counter.wrapping_add(1) & 0x00ff_ffff;
        raw[9..].copy_from_slice(&self.counter.to_be_bytes()[1..]);
        base32hex(&raw)
    }

    /// A new plain-text setup key (an upper-case UUID v4).
    pub fn setup_key(&mut self) -> String {
        let mut b: [u8; 16] = self.rng.random();
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let hex: String = b.iter().map(|x| format!("{x:02X}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    }

    /// A new personal access token: `nbp_` and 36 alphanumerics.
    pub fn pat(&mut self) -> String {
        format!("nbp_{}", self.alnum(36))
    }

    /// `len` random alphanumerics (passwords, DNS challenges).
    pub fn alnum(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(ALNUM[self.rng.random_range(0..ALNUM.len())]))
            .collect()
    }
}

impl Default for IdGen {
    /// A generator seeded with 0; replaced by a properly seeded one at start.
    fn default() -> IdGen {
        IdGen::new(0)
    }
}

/// The masked form of a setup key, as GET and list answer it: `A6160****`.
pub fn mask_setup_key(key: &str) -> String {
    let prefix: String = key.chars().take(5).collect();
    format!("{prefix}****")
}

/// The hex SHA-256 of a PAT: how tokens are stored and looked up.
pub fn hash_token(token: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(token.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

fn base32hex(raw: &[u8; 12]) -> String {
    let mut out = String::with_capacity(20);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &byte in raw {
        acc = (acc << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32HEX[((acc >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32HEX[((acc << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_xids_and_differ() {
        let mut g = IdGen::new(1);
        let a = g.id();
        let b = g.id();
        assert_eq!(a.len(), 20);
        assert!(a.bytes().all(|c| BASE32HEX.contains(&c)));
        assert_ne!(a, b);
    }

    #[test]
    fn secrets_have_their_shapes() {
        let mut g = IdGen::new(7);
        let key = g.setup_key();
        assert_eq!(key.len(), 36);
        assert_eq!(key.matches('-').count(), 4);
        assert_eq!(key, key.to_uppercase());
        assert_eq!(mask_setup_key(&key), format!("{}****", &key[..5]));
        let pat = g.pat();
        assert!(pat.starts_with("nbp_"));
        assert_eq!(pat.len(), 40);
        assert!(pat[4..].bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(hash_token(&pat).len(), 64);
        assert_ne!(hash_token(&pat), hash_token("other"));
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
