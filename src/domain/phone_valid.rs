//! Phone-number validity by libphonenumber's rules, fast.
//!
//! The `phonenumber` crate's `is_valid` matches each pattern through a shared LRU cache keyed
//! by the pattern's text (hashing kilobytes of pattern per lookup, under a mutex) and searches
//! unanchored then looks back for the start. On an import that costs ~20 µs per number. This
//! follows the same steps (region for the country code, then "matches the general description
//! and at least one number type") over the crate's own metadata, with each pattern compiled
//! once per thread as an anchored full match — libphonenumber's `matchesEntirely`.
use phonenumber::metadata::{Descriptor, Metadata, DATABASE};
use phonenumber::PhoneNumber;
use regex::{Regex, RegexBuilder};
use std::cell::RefCell;
use std::collections::HashMap;

thread_local! {
    /// Descriptor (by address; the metadata is a static that lives for the program) → regex.
    static COMPILED: RefCell<HashMap<usize, Option<Regex>>> = RefCell::new(HashMap::new());
}

fn full_match(desc: &Descriptor, value: &str) -> bool {
    let lengths = desc.possible_length();
    if !lengths.is_empty() && !lengths.contains(&(value.len() as u16)) {
        return false;
    }
    COMPILED.with(|c| {
        let mut c = c.borrow_mut();
        let re = c
            .entry(desc as *const Descriptor as usize)
            .or_insert_with(|| {
                RegexBuilder::new(&format!("^(?:{})$", desc.national_number().as_str()))
                    .ignore_whitespace(true)
                    .build()
                    .ok()
            });
        re.as_ref().is_some_and(|re| re.is_match(value))
    })
}

fn has_type(meta: &Metadata, value: &str) -> bool {
    if !full_match(meta.descriptors().general(), value) {
        return false;
    }
    number_types(meta)
        .into_iter()
        .flatten()
        .any(|desc| full_match(desc, value))
}

/// The descriptions of a region's number types, the common ones first (`any` stops at the
/// first that fits).
fn number_types(meta: &Metadata) -> [Option<&Descriptor>; 10] {
    let d = meta.descriptors();
    [
        d.mobile(),
        d.fixed_line(),
        d.toll_free(),
        d.premium_rate(),
        d.shared_cost(),
        d.voip(),
        d.personal_number(),
        d.pager(),
        d.uan(),
        d.voicemail(),
    ]
}

/// Whether `number` is a valid number for its country (libphonenumber's `isValidNumber`).
pub fn is_valid(number: &PhoneNumber) -> bool {
    is_valid_parts(number.code().value(), &number.national().to_string())
}

/// Normalises an international number written with only digits and the usual separators
/// (`+44 7911 123456`, `+1 (415) 555-2671`, `+4915123456789`) to E.164 if it is valid, without
/// the full parser: E.164 country codes are prefix-free, so the code is the one prefix of one to
/// three digits that the metadata knows. `None` means "not shown valid this way" (another form,
/// or a trunk prefix written in): the full parser decides.
pub fn fast_e164(input: &str) -> Option<String> {
    let digits = plain_digits(input.strip_prefix('+')?)?;
    for len in 1..=3 {
        let code: u16 = digits[..len].parse().ok()?;
        if DATABASE.region(&code).is_some() {
            return is_valid_parts(code, &digits[len..]).then(|| format!("+{digits}"));
        }
    }
    None
}

/// Normalises a national number (`06 12 34 56 78` in France) to E.164 if it is valid, without
/// the full parser, for the regions where the parser's steps are simple: a national prefix
/// (`0`) that is just dropped. `None` leaves the number to the full parser: regions that parse
/// their prefix with a pattern (carrier codes, rewrites), numbers written with the
/// international call prefix or the country code, anything but digits and separators.
pub fn fast_national(input: &str, region: &str) -> Option<String> {
    if region.len() != 2 {
        return None; // "001": numbers of no country, written internationally only
    }
    let meta = DATABASE.by_id(region)?;
    if meta.national_prefix_for_parsing().is_some()
        || meta.national_prefix_transform_rule().is_some()
    {
        return None;
    }
    let digits = plain_digits(input)?;
    let code = meta.country_code();
    let starts_with_idd = meta
        .international_prefix()
        .and_then(|idd| idd.find(&digits))
        .is_some_and(|m| m.start() == 0);
    if starts_with_idd || digits.starts_with(&code.to_string()) {
        return None;
    }
    let mut national = digits.as_str();
    if let Some(prefix) = meta.national_prefix().filter(|p| !p.is_empty()) {
        if let Some(rest) = national.strip_prefix(prefix) {
            if rest.starts_with(prefix) {
                return None; // the parser strips twice, then weighs lengths: let it
            }
            national = rest;
        }
    }
    is_valid_parts(code, national).then(|| format!("+{code}{national}"))
}

/// The digits of a number written with only digits and the usual separators.
fn plain_digits(input: &str) -> Option<String> {
    let mut digits = String::with_capacity(16);
    for ch in input.chars() {
        match ch {
            '0'..='9' => digits.push(ch),
            ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
            _ => return None,
        }
    }
    (4..=17).contains(&digits.len()).then_some(digits)
}

fn is_valid_parts(code: u16, national: &str) -> bool {
    let national = national.to_owned();
    let Some(regions) = DATABASE.region(&code) else {
        return false;
    };
    let meta = if regions.len() == 1 {
        if regions[0] == "001" {
            DATABASE.by_code(&code).and_then(|m| m.into_iter().next())
        } else {
            DATABASE.by_id(regions[0])
        }
    } else {
        // Several regions share the code (+1, +7, +44…): the first whose leading digits or
        // patterns fit.
        regions
            .iter()
            .filter_map(|r| DATABASE.by_id(*r))
            .find(|meta| match meta.leading_digits() {
                Some(lead) => lead.find(&national).is_some_and(|m| m.start() == 0),
                None => has_type(meta, &national),
            })
    };
    meta.is_some_and(|m| has_type(m, &national))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The full path: the crate's parser, then validity as above.
    fn parsed(input: &str, region: &str) -> Option<String> {
        let id: phonenumber::country::Id = region.parse().ok()?;
        let n = phonenumber::parse(Some(id), input).ok()?;
        is_valid(&n).then(|| format!("+{}{}", n.code().value(), n.national()))
    }

    /// Wherever the national fast path answers, it agrees with the full parser: every region
    /// in the metadata, every example number of every type, written with and without the
    /// national prefix and with separators.
    #[test]
    fn national_fast_path_agrees_with_the_parser_everywhere() {
        let mut answered = 0;
        for code in 1..=999u16 {
            for region in DATABASE.region(&code).unwrap_or_default() {
                let Some(meta) = DATABASE.by_id(region) else {
                    continue;
                };
                let examples = number_types(meta);
                for example in examples.into_iter().flatten().filter_map(|d| d.example()) {
                    let prefix = meta.national_prefix().unwrap_or("");
                    let spaced: String = example
                        .chars()
                        .enumerate()
                        .flat_map(|(i, c)| (i % 3 == 2).then_some(' ').into_iter().chain([c]))
                        .collect();
                    for input in [
                        example.to_string(),
                        format!("{prefix}{example}"),
                        format!(
                            "({prefix}{}) {}",
                            &example[..2.min(example.len())],
                            &example[2.min(example.len())..]
                        ),
                        spaced,
                    ] {
                        if let Some(fast) = fast_national(&input, region) {
                            answered += 1;
                            assert_eq!(Some(fast), parsed(&input, region), "{input} in {region}");
                        }
                    }
                }
            }
        }
        assert!(
            answered > 1000,
            "the fast path answered only {answered} times"
        );
    }

    /// The fast path agrees with the full parser wherever it answers.
    #[test]
    fn fast_path_agrees_with_the_parser() {
        for n in [
            "+14155552671",
            "+1 (415) 555-2671",
            "+44 7911 123456",
            "+49 151 23456789",
            "+33 6 12 34 56 78",
            "+81 90-1234-5678",
            "+55 11 91234-5678",
            "+61 412 345 678",
            "+86 138 1234 5678",
            "+91 98765 43210",
            "+82 10-1234-5678",
            "+39 06 6982 1234",
            "+39 347 123 4567",
        ] {
            let fast = fast_e164(n).unwrap_or_else(|| panic!("{n} not taken by the fast path"));
            let parsed = phonenumber::parse(None, n).unwrap();
            assert!(phonenumber::is_valid(&parsed), "{n}");
            assert_eq!(
                fast,
                parsed.format().mode(phonenumber::Mode::E164).to_string(),
                "{n}"
            );
        }
        for n in [
            "+1 123",
            "+999 1234567",
            "+44 (0) 7911 123456",
            "+1 415 CALL NOW",
        ] {
            let fast = fast_e164(n);
            if let Some(f) = fast {
                panic!("{n} taken by the fast path as {f}");
            }
        }
    }
}
