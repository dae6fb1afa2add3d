//! A per-address request limit for public pages that look things up by a code (`/n/{code}`,
//! `/verify`): a fixed window per client address, memory bounded.
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Addresses tracked at most; beyond it, expired windows are dropped, then everyone shares
/// one window (the limit holds, memory does not grow).
const MAX_TRACKED: usize = 50_000;

pub struct RateLimiter {
    window: Duration,
    max: u32,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(max: u32, window: Duration) -> RateLimiter {
        RateLimiter {
            window,
            max,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// `Ok` to go on; `Err(retry after)` when `ip` used up its window.
    pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        self.check_at(ip, Instant::now())
    }

    fn check_at(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= MAX_TRACKED && !seen.contains_key(&ip) {
            let window = self.window;
            seen.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let key = if seen.len() >= MAX_TRACKED && !seen.contains_key(&ip) {
            IpAddr::from([0, 0, 0, 0])
        } else {
            ip
        };
        let entry = seen.entry(key).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.max {
            return Err(self.window.saturating_sub(now.duration_since(entry.0)));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_allows_its_maximum_then_refuses_until_it_ends() {
        let l = RateLimiter::new(3, Duration::from_secs(60));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let t = Instant::now();
        for _ in 0..3 {
            assert!(l.check_at(ip, t).is_ok());
        }
        let wait = l.check_at(ip, t + Duration::from_secs(10)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        assert!(l.check_at(other, t).is_ok(), "per address");
        assert!(l.check_at(ip, t + Duration::from_secs(61)).is_ok());
    }
}
