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
    let d = meta.descriptors();
    if !full_match(d.general(), value) {
        return false;
    }
    [
        d.premium_rate(),
        d.toll_free(),
        d.shared_cost(),
        d.voip(),
        d.personal_number(),
        d.pager(),
        d.uan(),
        d.voicemail(),
        d.fixed_line(),
        d.mobile(),
    ]
    .into_iter()
    .flatten()
    .any(|desc| full_match(desc, value))
}

/// Whether `number` is a valid number for its country (libphonenumber's `isValidNumber`).
pub fn is_valid(number: &PhoneNumber) -> bool {
    let code = number.code().value();
    let national = number.national().to_string();
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
