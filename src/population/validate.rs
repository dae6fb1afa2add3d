//! One raw record (CSV row or JSONL object) → one validated subject row, or the reasons why not.
use crate::domain::{
    BirthDate, Country, DataCategory, Email, Invalid, Locale, PersonName, Phone, PushPlatform,
    Region,
};
use std::collections::HashMap;

/// The columns a subject row can set; a bit each in `SubjectRow::present`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Name = 0,
    Email,
    Phone,
    Locale,
    Country,
    Region,
    BirthDate,
    Attributes,
    DataCategories,
}

impl Col {
    pub const ALL: [Col; 9] = [
        Col::Name,
        Col::Email,
        Col::Phone,
        Col::Locale,
        Col::Country,
        Col::Region,
        Col::BirthDate,
        Col::Attributes,
        Col::DataCategories,
    ];

    pub fn sql(self) -> &'static str {
        match self {
            Col::Name => "name",
            Col::Email => "email",
            Col::Phone => "phone",
            Col::Locale => "locale",
            Col::Country => "country",
            Col::Region => "region",
            Col::BirthDate => "birth_date",
            Col::Attributes => "attributes",
            Col::DataCategories => "data_categories",
        }
    }

    pub fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// The known keys of an import file. Any other key is an attribute.
pub const KNOWN: &[&str] = &[
    "external_id",
    "name",
    "email",
    "phone",
    "locale",
    "country",
    "region",
    "birth_date",
    "push_platform",
    "push_token",
    "data_categories",
];

/// A record as read: known keys to their text, unknown keys to JSON values. A key that is
/// absent leaves the stored value alone; a key with an empty value clears it. The texts share
/// one buffer (a record is a dozen short strings, read by the million).
#[derive(Default)]
pub struct RawRecord {
    pub line: u64,
    text: String,
    known: Vec<(&'static str, Option<(u32, u32)>)>,
    /// Every other key, as a JSON object (text, keys in order), built by the reader.
    pub attributes: Option<String>,
    /// A `data_categories` value given as a JSON array.
    pub category_list: Option<Vec<String>>,
}

impl RawRecord {
    pub fn new(line: u64, fields: usize) -> Self {
        RawRecord {
            line,
            text: String::with_capacity(fields * 16),
            known: Vec::with_capacity(fields),
            ..Default::default()
        }
    }

    /// A known key and its text (None: given as null).
    pub fn push(&mut self, key: &'static str, value: Option<&str>) {
        let span = put(&mut self.text, value);
        self.known.push((key, span));
    }

    fn get(&self, key: &str) -> Option<Option<&str>> {
        self.known.iter().find(|(k, _)| *k == key).map(|(_, span)| {
            span.map(|span| at(&self.text, span).trim())
                .filter(|s| !s.is_empty())
        })
    }
}

/// A validated subject, ready to upsert. Values are plain strings (they were checked here),
/// kept in one buffer.
pub struct SubjectRow {
    pub external_id: String,
    text: String,
    spans: [Option<(u32, u32)>; 9],
    pub present: u16,
    pub devices: Vec<(PushPlatform, String)>,
}

/// Appends `value` to `text`; where it went.
fn put(text: &mut String, value: Option<&str>) -> Option<(u32, u32)> {
    value.map(|v| {
        let start = text.len() as u32;
        text.push_str(v);
        (start, text.len() as u32)
    })
}

/// The text `put` placed at `span`.
fn at(text: &str, (start, end): (u32, u32)) -> &str {
    &text[start as usize..end as usize]
}

impl SubjectRow {
    /// A column's value (None: absent, or to be cleared; see `present`).
    pub fn value(&self, c: Col) -> Option<&str> {
        self.spans[c as usize].map(|span| at(&self.text, span))
    }

    /// Applies a later row for the same subject on top of this one.
    pub fn absorb(&mut self, later: SubjectRow) {
        for c in Col::ALL {
            if later.present & c.bit() != 0 {
                self.spans[c as usize] = put(&mut self.text, later.value(c));
            }
        }
        self.present |= later.present;
        for d in later.devices {
            if !self.devices.contains(&d) {
                self.devices.push(d);
            }
        }
    }
}

/// Shows the key only: the values are personal data.
impl std::fmt::Debug for SubjectRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubjectRow")
            .field("external_id", &self.external_id)
            .finish_non_exhaustive()
    }
}

/// Data categories one row may name (a longer list is more likely a mistake than a subject).
pub const MAX_CATEGORIES: usize = 64;
/// The most characters of a value a message echoes.
const ECHO_CHARS: usize = 32;
/// Unknown data categories named in one reason; the rest are counted.
const NAMED_UNKNOWN: usize = 3;

/// `text` fit to be echoed in a message: at most 32 characters, control characters (which
/// could forge a line of output) replaced.
pub fn shown(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(ECHO_CHARS)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().nth(ECHO_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Whether a refused value looks like a code (a country, a locale, a category): ASCII
/// letters, digits, `-` and `_`, with a letter. Names, e-mail addresses, phone numbers and
/// dates do not.
fn looks_like_code(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && value.bytes().any(|b| b.is_ascii_alphabetic())
}

/// A domain error's message, fit for a rejection reason: the messages that quote the value
/// they refuse (`'X' is not …`, for codes) keep it only when it looks like a code, clipped;
/// anything else (an e-mail address or a name in the wrong column) is not echoed.
fn reason(e: Invalid) -> String {
    let message = e.0;
    let quoted = message
        .strip_prefix('\'')
        .and_then(|rest| rest.rfind("' ").map(|end| (&rest[..end], &rest[end + 1..])));
    match quoted {
        Some((value, tail)) if looks_like_code(value) => format!("'{}'{tail}", shown(value)),
        Some((_, tail)) => format!("the value{tail}"),
        None => message,
    }
}

/// Answers for the fields that take few distinct values in a file (locales, category lists),
/// kept by one validator for one import.
#[derive(Default)]
pub struct Memo {
    locales: HashMap<String, Result<String, Invalid>>,
    category_lists: HashMap<String, (String, Vec<Invalid>)>,
}

impl Memo {
    /// Distinct values remembered per field; past it, values are checked every time.
    const CAP: usize = 4096;

    fn locale(&mut self, input: &str) -> Result<String, Invalid> {
        if let Some(known) = self.locales.get(input) {
            return known.clone();
        }
        let answer = Locale::parse(input).map(|l| l.as_str().to_owned());
        if self.locales.len() < Self::CAP {
            self.locales.insert(input.to_owned(), answer.clone());
        }
        answer
    }

    /// A `;`-separated list: its JSON array (known categories, deduplicated, in order), and
    /// what was wrong with the others.
    fn category_list(&mut self, input: &str, allowed: &[String]) -> (String, Vec<Invalid>) {
        if let Some(known) = self.category_lists.get(input) {
            return known.clone();
        }
        let list: Vec<&str> = input.split(';').collect();
        let answer = categories_json(&list, allowed);
        if self.category_lists.len() < Self::CAP {
            self.category_lists.insert(input.to_owned(), answer.clone());
        }
        answer
    }
}

fn categories_json<S: AsRef<str>>(list: &[S], allowed: &[String]) -> (String, Vec<Invalid>) {
    let named = list
        .iter()
        .filter(|s| !s.as_ref().trim().is_empty())
        .count();
    if named > MAX_CATEGORIES {
        let e = format!("lists {named} categories; at most {MAX_CATEGORIES} are allowed");
        return ("[]".into(), vec![Invalid(e)]);
    }
    let mut cats: Vec<String> = Vec::new();
    let mut errors = Vec::new();
    for c in list
        .iter()
        .map(|s| s.as_ref().trim())
        .filter(|s| !s.is_empty())
    {
        match DataCategory::parse(c, allowed) {
            Ok(c) if !cats.iter().any(|x| x == c.as_str()) => cats.push(c.as_str().into()),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    (serde_json::to_string(&cats).unwrap_or_default(), errors)
}

pub fn validate(
    mut raw: RawRecord,
    categories: &[String],
    memo: &mut Memo,
) -> Result<SubjectRow, String> {
    let mut errors: Vec<String> = Vec::new();
    let mut text = String::with_capacity(160);
    let mut spans: [Option<(u32, u32)>; 9] = [None; 9];
    let mut present = 0u16;
    let mut err = |field: &str, e: Invalid| errors.push(format!("{field}: {}", reason(e)));

    let external_id = match raw.get("external_id").flatten() {
        None => {
            err("external_id", Invalid::new("is missing"));
            String::new()
        }
        Some(s) if s.chars().count() > 200 => {
            err("external_id", Invalid::new("is longer than 200 characters"));
            String::new()
        }
        Some(s) if s.chars().any(char::is_control) => {
            err("external_id", Invalid::new("contains control characters"));
            String::new()
        }
        Some(s) => s.to_owned(),
    };

    let mut set = |col: Col, v: Option<&str>| {
        present |= col.bit();
        spans[col as usize] = put(&mut text, v);
    };

    let mut country: Option<Country> = None;
    if let Some(v) = raw.get("country") {
        match v.map(Country::parse).transpose() {
            Ok(c) => {
                set(Col::Country, c.as_ref().map(|c| c.as_str()));
                country = c;
            }
            Err(e) => err("country", e),
        }
    }
    if let Some(v) = raw.get("region") {
        match v.map(Region::parse).transpose() {
            Ok(Some(r)) => match &country {
                Some(c) if c.as_str() != r.country_code() => {
                    err("region", Invalid(format!("'{r}' is not in country {c}")))
                }
                Some(_) => set(Col::Region, Some(r.as_str())),
                None => {
                    let c = Country::parse(r.country_code()).ok();
                    set(Col::Country, c.as_ref().map(|c| c.as_str()));
                    country = c;
                    set(Col::Region, Some(r.as_str()));
                }
            },
            Ok(None) => set(Col::Region, None),
            Err(e) => err("region", e),
        }
    }
    if let Some(v) = raw.get("name") {
        match v.map(PersonName::parse).transpose() {
            Ok(n) => set(Col::Name, n.as_ref().map(|n| n.expose())),
            Err(e) => err("name", e),
        }
    }
    if let Some(v) = raw.get("email") {
        match v.map(Email::parse).transpose() {
            Ok(e) => set(Col::Email, e.as_ref().map(|e| e.expose())),
            Err(e) => err("email", e),
        }
    }
    if let Some(v) = raw.get("phone") {
        match v.map(|p| Phone::parse(p, country.as_ref())).transpose() {
            Ok(p) => set(Col::Phone, p.as_ref().map(|p| p.expose())),
            Err(e) => err("phone", e),
        }
    }
    if let Some(v) = raw.get("locale") {
        match v.map(|l| memo.locale(l)).transpose() {
            Ok(l) => set(Col::Locale, l.as_deref()),
            Err(e) => err("locale", e),
        }
    }
    if let Some(v) = raw.get("birth_date") {
        match v.map(BirthDate::parse).transpose() {
            Ok(d) => set(Col::BirthDate, d.map(|d| d.expose()).as_deref()),
            Err(e) => err("birth_date", e),
        }
    }

    let list = match (raw.category_list.take(), raw.get("data_categories")) {
        (Some(list), _) => Some(categories_json(&list, categories)),
        (None, Some(v)) => Some(memo.category_list(v.unwrap_or(""), categories)),
        (None, None) => None,
    };
    if let Some((json, unknown)) = list {
        let more = unknown.len().saturating_sub(NAMED_UNKNOWN);
        for e in unknown.into_iter().take(NAMED_UNKNOWN) {
            err("data_categories", e);
        }
        if more > 0 {
            err(
                "data_categories",
                Invalid(format!("{more} more are not known data categories")),
            );
        }
        set(Col::DataCategories, Some(&json));
    }

    if let Some(attrs) = raw.attributes.take() {
        set(Col::Attributes, Some(&attrs));
    }

    let platform = raw.get("push_platform").flatten();
    let token = raw.get("push_token").flatten();
    let device = match (platform, token) {
        (Some(p), Some(t)) => match PushPlatform::parse(p) {
            Ok(_) if t.len() > 4096 || t.chars().any(char::is_whitespace) => {
                err(
                    "push_token",
                    Invalid::new("is longer than 4096 characters or has spaces"),
                );
                None
            }
            Ok(p) => Some((p, t.to_owned())),
            Err(e) => {
                err("push_platform", e);
                None
            }
        },
        (Some(_), None) => {
            err(
                "push_token",
                Invalid::new("is missing (push_platform is given)"),
            );
            None
        }
        (None, Some(_)) => {
            err(
                "push_platform",
                Invalid::new("is missing (push_token is given)"),
            );
            None
        }
        (None, None) => None,
    };

    if errors.is_empty() {
        Ok(SubjectRow {
            external_id,
            text,
            spans,
            present,
            devices: device.into_iter().collect(),
        })
    } else {
        Err(errors.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&'static str, &str)]) -> RawRecord {
        let mut raw = RawRecord::new(2, pairs.len());
        for (k, v) in pairs {
            raw.push(k, Some(v));
        }
        raw
    }

    #[test]
    fn a_good_record_is_normalised() {
        let row = validate(
            raw(&[
                ("external_id", " b-1 "),
                ("email", "Ann@Example.com"),
                ("phone", "(415) 555-2671"),
                ("region", "us-ca"),
                ("locale", "en_us"),
                ("data_categories", "email_address; credentials"),
            ]),
            &[],
            &mut Memo::default(),
        )
        .unwrap();
        assert_eq!(row.external_id, "b-1");
        assert_eq!(row.value(Col::Phone), Some("+14155552671"));
        assert_eq!(row.value(Col::Country), Some("US"));
        assert_eq!(row.value(Col::Locale), Some("en-US"));
        assert_eq!(
            row.value(Col::DataCategories),
            Some(r#"["email_address","credentials"]"#)
        );
        assert_eq!(
            row.present & Col::Name.bit(),
            0,
            "absent name stays untouched"
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let e = validate(
            raw(&[
                ("external_id", "x"),
                ("email", "nope"),
                ("country", "ZZ"),
                ("push_token", "t"),
            ]),
            &[],
            &mut Memo::default(),
        )
        .unwrap_err();
        assert!(e.contains("email:"), "{e}");
        assert!(e.contains("country:"), "{e}");
        assert!(e.contains("push_platform:"), "{e}");
        assert!(validate(raw(&[("name", "x")]), &[], &mut Memo::default())
            .unwrap_err()
            .contains("external_id: is missing"));
    }

    /// Every field is given a value that is personal data and wrong for it: the reasons name
    /// the fields and echo none of the values.
    #[test]
    fn no_reason_echoes_a_value_that_is_not_a_code() {
        let personal = "Ann Lee <ann.lee@example.com> +1 415 555 2671 1980-02-29";
        let fields = [
            "name",
            "email",
            "phone",
            "locale",
            "country",
            "region",
            "birth_date",
            "push_platform",
            "push_token",
            "data_categories",
        ];
        for field in fields {
            let mut r = raw(&[("external_id", "x")]);
            let value = format!("{personal}\u{7}{}", "x".repeat(300));
            r.push(field, Some(&value));
            match field {
                "push_platform" => r.push("push_token", Some("t")),
                "push_token" => r.push("push_platform", Some("fcm")),
                _ => {}
            }
            let e = validate(r, &[], &mut Memo::default()).unwrap_err();
            assert!(e.starts_with(&format!("{field}:")), "{e}");
            for part in personal.split(' ') {
                assert!(!e.contains(part.trim_matches(['<', '>'])), "{field}: {e}");
            }
        }
        let list = vec!["ann.lee@example.com".to_string(); 3];
        let mut r = raw(&[("external_id", "x")]);
        r.category_list = Some(list);
        let e = validate(r, &[], &mut Memo::default()).unwrap_err();
        assert!(!e.contains("ann.lee"), "{e}");
    }

    /// Codes are echoed, clipped; unknown categories are named up to three, then counted.
    #[test]
    fn codes_are_echoed_clipped() {
        let long = format!("A{}", "b".repeat(100));
        let e = validate(
            raw(&[("external_id", "x"), ("country", &long)]),
            &[],
            &mut Memo::default(),
        )
        .unwrap_err();
        assert_eq!(
            e,
            format!(
                "country: '{}…' is not an ISO 3166-1 alpha-2 country code",
                &long[..32]
            )
        );
        let e = validate(
            raw(&[("external_id", "x"), ("data_categories", "c1;c2;c3;c4;c5")]),
            &[],
            &mut Memo::default(),
        )
        .unwrap_err();
        assert!(e.contains("'c3'") && !e.contains("'c4'"), "{e}");
        assert!(
            e.ends_with("data_categories: 2 more are not known data categories"),
            "{e}"
        );
    }

    #[test]
    fn more_than_64_data_categories_are_refused() {
        let list = |n: usize| vec!["email_address"; n].join(";");
        let ok = validate(
            raw(&[("external_id", "x"), ("data_categories", &list(64))]),
            &[],
            &mut Memo::default(),
        );
        assert!(ok.is_ok());
        let e = validate(
            raw(&[("external_id", "x"), ("data_categories", &list(65))]),
            &[],
            &mut Memo::default(),
        )
        .unwrap_err();
        assert_eq!(
            e,
            "data_categories: lists 65 categories; at most 64 are allowed"
        );
    }

    #[test]
    fn region_must_match_country() {
        let e = validate(
            raw(&[("external_id", "x"), ("country", "FR"), ("region", "US-CA")]),
            &[],
            &mut Memo::default(),
        )
        .unwrap_err();
        assert!(e.contains("region:"), "{e}");
    }
}
