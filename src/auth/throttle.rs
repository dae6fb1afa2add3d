//! Failed sign-ins, counted per account (by e-mail, known or not, so the answer does not tell
//! which exist) and per client address, in fixed windows. Past the limit, sign-in is refused
//! (429 with Retry-After) until the window ends, right password or not. Memory is bounded;
//! counts are per process (several servers each allow the limit).
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins one account may have per window.
pub const ACCOUNT_FAILURES: u32 = 5;
/// Failed sign-ins one client address may have per window (several accounts behind one NAT).
pub const ADDRESS_FAILURES: u32 = 20;
/// The window.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys tracked at most per kind; past it, expired windows are dropped, then the oldest.
const MAX_TRACKED: usize = 100_000;

#[derive(Default)]
pub struct SignInThrottle {
    accounts: Mutex<HashMap<[u8; 32], (Instant, u32)>>,
    addresses: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

/// The key of an e-mail as typed: normalised, hashed (no address kept in memory).
fn account_key(email: &str) -> [u8; 32] {
    Sha256::digest(email.trim().to_lowercase().as_bytes()).into()
}

fn wait<K: std::hash::Hash + Eq>(
    map: &Mutex<HashMap<K, (Instant, u32)>>,
    key: &K,
    max: u32,
    now: Instant,
) -> Option<Duration> {
    let map = map.lock().unwrap_or_else(|e| e.into_inner());
    let (start, n) = map.get(key)?;
    let age = now.duration_since(*start);
    (age < WINDOW && *n >= max).then(|| WINDOW - age)
}

fn count<K: std::hash::Hash + Eq + Clone>(
    map: &Mutex<HashMap<K, (Instant, u32)>>,
    key: K,
    now: Instant,
) {
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() >= MAX_TRACKED && !map.contains_key(&key) {
        map.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        if map.len() >= MAX_TRACKED {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, (s, _))| *s)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
    }
    let e = map.entry(key).or_insert((now, 0));
    if now.duration_since(e.0) >= WINDOW {
        *e = (now, 0);
    }
    e.1 += 1;
}

impl SignInThrottle {
    pub fn new() -> SignInThrottle {
        SignInThrottle::default()
    }

    /// `Ok` to try a password; `Err(retry after)` when the account or the address used up its
    /// window.
    pub fn check(&self, email: &str, ip: IpAddr) -> Result<(), Duration> {
        self.check_at(email, ip, Instant::now())
    }

    fn check_at(&self, email: &str, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let a = wait(&self.accounts, &account_key(email), ACCOUNT_FAILURES, now);
        let b = wait(&self.addresses, &ip, ADDRESS_FAILURES, now);
        match a.into_iter().chain(b).max() {
            Some(d) => Err(d),
            None => Ok(()),
        }
    }

    /// Counts a failed sign-in.
    pub fn failed(&self, email: &str, ip: IpAddr) {
        self.failed_at(email, ip, Instant::now())
    }

    fn failed_at(&self, email: &str, ip: IpAddr, now: Instant) {
        count(&self.accounts, account_key(email), now);
        count(&self.addresses, ip, now);
    }

    /// A successful sign-in clears the account's count (not the address's).
    pub fn succeeded(&self, email: &str) {
        let mut map = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&account_key(email));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_refused_after_its_failures_until_the_window_ends() {
        let t = SignInThrottle::new();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let now = Instant::now();
        for _ in 0..ACCOUNT_FAILURES {
            assert!(t.check_at("A@x.test", ip, now).is_ok());
            t.failed_at("a@x.test ", ip, now);
        }
        let wait = t.check_at("a@x.test", ip, now).unwrap_err();
        assert_eq!(wait, WINDOW);
        assert!(t.check_at("b@x.test", ip, now).is_ok(), "per account");
        assert!(t.check_at("a@x.test", ip, now + WINDOW).is_ok());
    }

    #[test]
    fn an_address_is_refused_after_failures_on_many_accounts() {
        let t = SignInThrottle::new();
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        let other: IpAddr = "192.0.2.10".parse().unwrap();
        let now = Instant::now();
        for i in 0..ADDRESS_FAILURES {
            t.failed_at(&format!("u{i}@x.test"), ip, now);
        }
        assert!(t.check_at("new@x.test", ip, now).is_err());
        assert!(t.check_at("new@x.test", other, now).is_ok());
    }

    #[test]
    fn success_clears_the_accounts_count() {
        let t = SignInThrottle::new();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..ACCOUNT_FAILURES - 1 {
            t.failed("a@x.test", ip);
        }
        t.succeeded("a@x.test");
        t.failed("a@x.test", ip);
        assert!(t.check("a@x.test", ip).is_ok());
    }
}
