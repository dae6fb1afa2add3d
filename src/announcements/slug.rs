//! Stable, readable slugs: `2026-11-25-leak-of-chat-records-42`.
use chrono::{DateTime, Utc};

/// Longest title part of a slug, in characters.
pub const MAX_TITLE_LEN: usize = 60;

/// The slug of an incident's announcement: the day of first publication, the title in ASCII
/// (transliterated, lower case, hyphens, at most [`MAX_TITLE_LEN`] characters) and the
/// incident id, which alone makes it unique. Computed once, when first published, and kept.
pub fn announcement_slug(first_published: DateTime<Utc>, title: &str, incident_id: i64) -> String {
    let mut words = slugify(title, MAX_TITLE_LEN);
    if words.is_empty() {
        words = "incident".into();
    }
    format!(
        "{}-{words}-{incident_id}",
        first_published.format("%Y-%m-%d")
    )
}

/// ASCII letters and digits in lower case, every other run of characters one hyphen, no
/// hyphen at either end; cut at a word boundary to at most `max` characters where possible.
pub fn slugify(text: &str, max: usize) -> String {
    let ascii = deunicode::deunicode(text);
    let mut out = String::with_capacity(ascii.len());
    let mut pending_hyphen = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_hyphen && !out.is_empty() {
                out.push('-');
            }
            pending_hyphen = false;
            out.push(c.to_ascii_lowercase());
        } else {
            pending_hyphen = true;
        }
    }
    if out.len() <= max {
        return out;
    }
    // ASCII only from here: byte and character positions agree.
    let cut = match out[..=max].rfind('-') {
        Some(i) if i > max / 2 => i,
        _ => max,
    };
    out.truncate(cut);
    out.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn slugs_are_ascii_lower_case_and_hyphenated() {
        assert_eq!(slugify("Leak of chat records!", 60), "leak-of-chat-records");
        assert_eq!(
            slugify("  --Crème brûlée &  Müller--  ", 60),
            "creme-brulee-muller"
        );
        assert_eq!(
            slugify("<script>alert(1)</script>", 60),
            "script-alert-1-script"
        );
        assert_eq!(slugify("!!!", 60), "");
        assert!(slugify("数据泄露", 60).is_ascii());
    }

    #[test]
    fn long_titles_are_cut_at_a_word_boundary() {
        let s = slugify(&"breach ".repeat(30), 60);
        assert!(s.len() <= 60, "{s}");
        assert!(s.ends_with("breach"), "{s}");
        let s = slugify(&"x".repeat(100), 60);
        assert_eq!(s.len(), 60);
    }

    #[test]
    fn the_slug_names_day_title_and_incident() {
        let t = Utc.with_ymd_and_hms(2026, 11, 25, 8, 30, 0).unwrap();
        assert_eq!(
            announcement_slug(t, "Leak of chat records", 42),
            "2026-11-25-leak-of-chat-records-42"
        );
        assert_eq!(announcement_slug(t, "???", 7), "2026-11-25-incident-7");
    }
}
