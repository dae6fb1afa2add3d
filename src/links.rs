//! Absolute links under the public base URL, built in one place. The base may carry a path
//! (`https://example.com/security`): links keep it, whether or not it ends in a slash.
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    /// The base without a trailing slash.
    base: String,
    https: bool,
}

impl Links {
    pub fn new(base: &Url) -> Links {
        let mut base = base.clone();
        base.set_query(None);
        base.set_fragment(None);
        Links {
            base: base.as_str().trim_end_matches('/').to_owned(),
            https: base.scheme() == "https",
        }
    }

    /// The base URL itself, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Whether links are https (then cookies are `Secure`).
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// `path` (starting with `/`) under the base.
    pub fn to(&self, path: &str) -> String {
        debug_assert!(path.starts_with('/'));
        format!("{}{path}", self.base)
    }

    /// The public page of an announcement.
    pub fn announcement(&self, slug: &str) -> String {
        self.to(&format!("/announcements/{slug}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_with_a_path_keeps_it() {
        for base in ["https://x.org/security", "https://x.org/security/"] {
            let l = Links::new(&Url::parse(base).unwrap());
            assert_eq!(
                l.announcement("2026-11-25-leak-1"),
                "https://x.org/security/announcements/2026-11-25-leak-1"
            );
            assert!(l.is_https());
        }
        let l = Links::new(&Url::parse("http://127.0.0.1:8080").unwrap());
        assert_eq!(
            l.to("/announcements"),
            "http://127.0.0.1:8080/announcements"
        );
    }
}
