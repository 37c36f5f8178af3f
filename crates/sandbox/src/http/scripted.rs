//! Targeted faults a test scripts for exact requests, next to the seeded random ones of
//! `faults`: [`crate::SandboxHandle::fault_next`] gives the next `times` API requests whose
//! method matches and whose path starts with a prefix one [`Fault`]. Scripts are tried in the
//! order they were added; the first one that matches and has requests left is used.

use std::sync::Mutex;
use std::time::Duration;

/// One targeted fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status (with NetBird's error body; 429 without `Retry-After`) without
    /// doing anything.
    Reject(u16),
    /// Do the request, then answer this status instead of the real answer.
    FailAfter(u16),
    /// Do the request, then close the connection without an answer.
    Drop,
    /// Do the request and log it, then wait this long before answering (a slow answer: a
    /// client that gives up meanwhile still finds its request done and in the log).
    Delay(Duration),
}

struct Script {
    method: String,
    prefix: String,
    fault: Fault,
    left: u32,
}

/// The scripted faults not used up yet.
#[derive(Default)]
pub struct Scripted {
    scripts: Mutex<Vec<Script>>,
}

impl std::fmt::Debug for Scripted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scripted").finish_non_exhaustive()
    }
}

impl Scripted {
    /// Adds a script.
    pub fn add(&self, method: &str, prefix: &str, fault: Fault, times: u32) {
        let mut scripts = self.scripts.lock().unwrap_or_else(|e| e.into_inner());
        scripts.retain(|s| s.left > 0);
        scripts.push(Script {
            method: method.to_ascii_uppercase(),
            prefix: prefix.to_owned(),
            fault,
            left: times,
        });
    }

    /// The fault for a request, if one is scripted for it (and counts it).
    pub fn take(&self, method: &str, path: &str) -> Option<Fault> {
        let mut scripts = self.scripts.lock().unwrap_or_else(|e| e.into_inner());
        let script = scripts
            .iter_mut()
            .find(|s| s.left > 0 && s.method == method && path.starts_with(&s.prefix))?;
        script.left -= 1;
        Some(script.fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_match_in_order_and_run_out() {
        let s = Scripted::default();
        s.add("post", "/api/groups", Fault::Reject(429), 1);
        s.add("POST", "/api/groups", Fault::Drop, 1);
        assert_eq!(s.take("GET", "/api/groups"), None);
        assert_eq!(s.take("POST", "/api/groups"), Some(Fault::Reject(429)));
        assert_eq!(s.take("POST", "/api/groups/x"), Some(Fault::Drop));
        assert_eq!(s.take("POST", "/api/groups"), None);
    }
}
