//! Keyset pagination for list routes: `?limit=` (1–500, 50 by default) and `?before=<key>`,
//! where the key is the `next_before` of the previous page.
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct Page {
    limit: Option<u64>,
    before: Option<i64>,
}

impl Page {
    pub fn limit(&self) -> u64 {
        self.limit.unwrap_or(50).clamp(1, 500)
    }

    /// Only keys below this one.
    pub fn before(&self) -> Option<i64> {
        self.before
    }

    /// The `before` of the next page: the last row's key when this page is full.
    pub fn next_before<T>(&self, rows: &[T], key: impl Fn(&T) -> i64) -> Option<i64> {
        (rows.len() as u64 == self.limit())
            .then(|| rows.last().map(key))
            .flatten()
    }
}
