//! Contact points and personal attributes of a subject.
use super::{redacted_debug, Country, Invalid};
use chrono::NaiveDate;
use std::str::FromStr;

/// An e-mail address (RFC 5322 addr-spec as the `email_address` crate checks it).
/// The domain is lower-cased; the local part is kept as given.
#[derive(Clone, PartialEq, Eq)]
pub struct Email(String);
redacted_debug!(Email);

impl Email {
    pub fn parse(input: &str) -> Result<Email, Invalid> {
        let s = input.trim();
        if s.len() > 254 {
            return Err(Invalid::new("is longer than 254 characters"));
        }
        let parsed = email_address::EmailAddress::parse_with_options(
            s,
            email_address::Options::default().without_display_text(),
        )
        .map_err(|e| Invalid(format!("is not a valid e-mail address ({e})")))?;
        let domain = parsed.domain();
        if !domain.contains('.') || domain.starts_with('[') {
            return Err(Invalid::new(
                "is not a valid e-mail address (the domain needs a dot)",
            ));
        }
        Ok(Email(format!(
            "{}@{}",
            parsed.local_part(),
            domain.to_ascii_lowercase()
        )))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A phone number in E.164 (`+14155550100`), validated against libphonenumber's metadata.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);
redacted_debug!(Phone);

impl Phone {
    /// Parses international (`+…`) numbers anywhere, and national numbers when the subject's
    /// country is known.
    pub fn parse(input: &str, country: Option<&Country>) -> Result<Phone, Invalid> {
        widen_pattern_cache();
        let s = input.trim();
        if s.len() > 40 {
            return Err(Invalid::new("is longer than 40 characters"));
        }
        if let Some(e164) = super::phone_valid::fast_e164(s) {
            return Ok(Phone(e164));
        }
        if let Some(e164) = country.and_then(|c| super::phone_valid::fast_national(s, c.as_str())) {
            return Ok(Phone(e164));
        }
        let region = if s.starts_with('+') {
            None
        } else {
            match country.and_then(|c| phonenumber::country::Id::from_str(c.as_str()).ok()) {
                Some(id) => Some(id),
                None => {
                    return Err(Invalid::new(
                        "has no country code: write it as +<country code><number>, or give the subject a country",
                    ))
                }
            }
        };
        let number = phonenumber::parse(region, s)
            .map_err(|e| Invalid(format!("is not a phone number ({e})")))?;
        if !super::phone_valid::is_valid(&number) {
            return Err(Invalid::new("is not a valid phone number for its country"));
        }
        // E.164 is `+`, the country code and the national number: the crate's formatter gets
        // there too, after matching the national formatting patterns it then ignores.
        Ok(Phone(format!(
            "+{}{}",
            number.code().value(),
            number.national()
        )))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// libphonenumber's metadata compiles its patterns lazily into an LRU cache of 100; a file that
/// mixes countries line by line evicts and recompiles patterns on nearly every number (seconds
/// per thousand lines). A few thousand compiled patterns cover every country.
fn widen_pattern_cache() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Ok(mut cache) = phonenumber::metadata::DATABASE.cache().lock() {
            cache.set_capacity(1024);
        }
    });
}

/// A person's name as they gave it: trimmed, at most 200 characters, no control characters.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonName(String);
redacted_debug!(PersonName);

impl PersonName {
    pub fn parse(input: &str) -> Result<PersonName, Invalid> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Invalid::new("is empty"));
        }
        if s.chars().count() > 200 {
            return Err(Invalid::new("is longer than 200 characters"));
        }
        if s.chars().any(char::is_control) {
            return Err(Invalid::new("contains control characters"));
        }
        Ok(PersonName(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A date of birth, `YYYY-MM-DD`, not in the future and not before 1900.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BirthDate(NaiveDate);
redacted_debug!(BirthDate);

impl BirthDate {
    pub fn parse(input: &str) -> Result<BirthDate, Invalid> {
        let input = input.trim();
        let d = Self::ymd(input)
            .or_else(|| NaiveDate::parse_from_str(input, "%Y-%m-%d").ok())
            .ok_or_else(|| Invalid::new("is not a date in the form YYYY-MM-DD"))?;
        let today = chrono::Utc::now().date_naive();
        if d > today || d < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(d) {
            return Err(Invalid::new("is out of range (1900-01-01 up to today)"));
        }
        Ok(BirthDate(d))
    }

    /// `YYYY-MM-DD` exactly (the common case, read without a format parser).
    fn ymd(input: &str) -> Option<NaiveDate> {
        let b = input.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |n, c| {
                c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
            })
        };
        NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
    }

    pub fn expose(&self) -> String {
        use chrono::Datelike;
        format!(
            "{:04}-{:02}-{:02}",
            self.0.year(),
            self.0.month(),
            self.0.day()
        )
    }
}

/// The push service a device token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushPlatform {
    Fcm,
    Apns,
    WebPush,
}

impl PushPlatform {
    pub fn parse(input: &str) -> Result<PushPlatform, Invalid> {
        match input.trim().to_ascii_lowercase().as_str() {
            "fcm" => Ok(PushPlatform::Fcm),
            "apns" => Ok(PushPlatform::Apns),
            "webpush" => Ok(PushPlatform::WebPush),
            other => Err(Invalid(format!(
                "'{other}' is not one of fcm, apns, webpush"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PushPlatform::Fcm => "fcm",
            PushPlatform::Apns => "apns",
            PushPlatform::WebPush => "webpush",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_lowercases_domain_and_rejects_garbage() {
        let e = Email::parse(" Jane.Doe@Example.COM ").unwrap();
        assert_eq!(e.expose(), "Jane.Doe@example.com");
        assert!(Email::parse("not-an-address").is_err());
        assert!(Email::parse("a@localhost").is_err());
        assert!(Email::parse("Jane <jane@example.com>").is_err());
    }

    #[test]
    fn debug_of_personal_data_is_redacted() {
        let e = Email::parse("jane@example.com").unwrap();
        assert_eq!(format!("{e:?}"), "Email(<redacted>)");
        let p = Phone::parse("+14155552671", None).unwrap();
        assert!(!format!("{p:?}").contains("415"));
    }

    #[test]
    fn phone_normalises_to_e164() {
        let us = Country::parse("US").unwrap();
        assert_eq!(
            Phone::parse("(415) 555-2671", Some(&us)).unwrap().expose(),
            "+14155552671"
        );
        assert_eq!(
            Phone::parse("+44 7911 123456", None).unwrap().expose(),
            "+447911123456"
        );
        let de = Country::parse("de").unwrap();
        assert_eq!(
            Phone::parse("0151 23456789", Some(&de)).unwrap().expose(),
            "+4915123456789"
        );
    }

    /// National numbers: the E.164 form built here is the crate formatter's, leading zeros
    /// of Italian numbers included.
    #[test]
    fn national_numbers_match_the_crate_formatter() {
        for (input, country) in [
            ("06 6982 1234", "IT"),
            ("347 123 4567", "IT"),
            ("0667095702", "FR"),
            ("010-2443-8490", "KR"),
            ("090-1234-5678", "JP"),
            ("(11) 91234-5678", "BR"),
            ("098765 43210", "IN"),
            ("0412 345 678", "AU"),
            ("07911 123456", "GB"),
        ] {
            let c = Country::parse(country).unwrap();
            let ours = Phone::parse(input, Some(&c)).unwrap();
            let id: phonenumber::country::Id = country.parse().unwrap();
            let theirs = phonenumber::parse(Some(id), input).unwrap();
            assert_eq!(
                ours.expose(),
                theirs.format().mode(phonenumber::Mode::E164).to_string(),
                "{input} ({country})"
            );
        }
    }

    #[test]
    fn phone_without_country_or_invalid_is_refused() {
        assert!(Phone::parse("4155552671", None)
            .unwrap_err()
            .0
            .contains("country code"));
        assert!(Phone::parse("+1 123", None).is_err());
        assert!(Phone::parse("hello", None).is_err());
    }

    #[test]
    fn names_and_dates() {
        assert_eq!(
            PersonName::parse("  山田 太郎 ").unwrap().expose(),
            "山田 太郎"
        );
        assert!(PersonName::parse("a\u{0}b").is_err());
        assert!(PersonName::parse("   ").is_err());
        assert_eq!(
            BirthDate::parse("1980-02-29").unwrap().expose(),
            "1980-02-29"
        );
        assert!(BirthDate::parse("1981-02-29").is_err());
        assert!(BirthDate::parse("1981-0a-01").is_err());
        assert!(BirthDate::parse("1899-12-31").is_err());
        assert_eq!(
            BirthDate::parse(" 1980-2-9 ").unwrap().expose(),
            "1980-02-09",
            "short forms are read by the format parser"
        );
        assert!(BirthDate::parse("2999-01-01").is_err());
        assert_eq!(
            PushPlatform::parse("WebPush").unwrap(),
            PushPlatform::WebPush
        );
        assert!(PushPlatform::parse("sms").is_err());
    }
}
