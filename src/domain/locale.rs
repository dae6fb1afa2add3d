//! BCP 47 language tags.
use super::Invalid;

/// A BCP 47 language tag in canonical case (`en`, `zh-CN`, `zh-Hant-TW`, `pt-BR`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Locale(String);

impl Locale {
    pub fn parse(input: &str) -> Result<Locale, Invalid> {
        let s = input.trim().replace('_', "-");
        let bad = || Invalid(format!("'{}' is not a BCP 47 language tag", input.trim()));
        if s.is_empty() || s.len() > 35 {
            return Err(bad());
        }
        let tag = language_tags::LanguageTag::parse(&s).map_err(|_| bad())?;
        tag.validate().map_err(|_| bad())?;
        if tag.primary_language().len() > 3 {
            return Err(bad());
        }
        Ok(Locale(canonical_case(tag.as_str())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag (`zh` of `zh-CN`).
    pub fn language(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }

    pub fn english() -> Locale {
        Locale("en".into())
    }
}

/// RFC 5646 §2.1.1 casing: language lower, script title, region upper, the rest lower.
fn canonical_case(tag: &str) -> String {
    let mut out = Vec::new();
    let mut after_singleton = false;
    for (i, part) in tag.split('-').enumerate() {
        let p = if i == 0 || after_singleton {
            part.to_ascii_lowercase()
        } else if part.len() == 4 && part.bytes().all(|b| b.is_ascii_alphabetic()) {
            let lower = part.to_ascii_lowercase();
            lower[..1].to_ascii_uppercase() + &lower[1..]
        } else if part.len() == 2 && part.bytes().all(|b| b.is_ascii_alphabetic()) {
            part.to_ascii_uppercase()
        } else {
            part.to_ascii_lowercase()
        };
        after_singleton = after_singleton || part.len() == 1;
        out.push(p);
    }
    out.join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_are_canonicalised() {
        assert_eq!(Locale::parse("zh-cn").unwrap().as_str(), "zh-CN");
        assert_eq!(Locale::parse("EN_us").unwrap().as_str(), "en-US");
        assert_eq!(Locale::parse("zh-hant-tw").unwrap().as_str(), "zh-Hant-TW");
        assert_eq!(Locale::parse("ja").unwrap().language(), "ja");
    }

    #[test]
    fn garbage_is_refused() {
        for bad in ["", "english", "12", "en--US", "x"] {
            assert!(Locale::parse(bad).is_err(), "{bad}");
        }
    }
}
