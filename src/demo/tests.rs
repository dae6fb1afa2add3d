//! The generated buyers: deterministic, pinned, and acceptable to the importer.
use super::contacts::ascii_fold;
use super::data::DATA;
use super::*;
use crate::domain::{Country, Email, Locale, PersonName, Phone, Region};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// The SHA-256 of `to_csv(&generate())`. A change to the generator or to `data/*.yaml` that
/// changes the demo buyers changes it: if that was meant, put the new digest here (and check the
/// README's examples, which name demo buyers, still hold).
const PINNED_CSV_SHA256: &str = "4b0cdefbc11026e485c69fd0cb26cef916ed76c2b506f57db76f92beef039a36";

#[test]
fn the_generated_import_file_is_exactly_the_pinned_one() {
    let csv = to_csv(&generate()).unwrap();
    assert_eq!(
        hex::encode(Sha256::digest(&csv)),
        PINNED_CSV_SHA256,
        "the demo buyers changed (see PINNED_CSV_SHA256)"
    );
}

#[test]
fn generation_is_deterministic() {
    let a = generate();
    assert_eq!(a.len(), BUYERS);
    assert_eq!(a, generate());
    assert_eq!(a[0].external_id, "demo-00001");
    assert_eq!(a[BUYERS - 1].external_id, "demo-03000");
}

#[test]
fn every_value_passes_the_importers_rules() {
    let mut bad_phones = Vec::new();
    let mut buyers = generate();
    buyers.sort_by_key(|b| b.country); // see `to_csv`
    for b in buyers {
        let id = &b.external_id;
        let country = Country::parse(b.country).unwrap();
        if let Some(r) = b.region {
            let r = Region::parse(r).unwrap();
            assert_eq!(r.country_code(), b.country, "{id}");
        }
        if let Some(l) = b.locale {
            assert_eq!(Locale::parse(l).unwrap().as_str(), l, "{id}");
        }
        if let Some(n) = &b.name {
            assert_eq!(PersonName::parse(n).unwrap().expose(), n, "{id}: verbatim");
        }
        if let Some(e) = &b.email {
            let e = Email::parse(e).unwrap_or_else(|x| panic!("{id}: {e}: {x}"));
            let domain = e.expose().rsplit('@').next().unwrap();
            assert!(
                ["example.com", "example.org", "example.net"].contains(&domain),
                "{id}"
            );
        }
        if let Some(p) = &b.phone {
            if let Err(x) = Phone::parse(p, Some(&country)) {
                bad_phones.push(format!("{id}: {p} ({}): {x}", b.country));
            }
        }
    }
    assert!(bad_phones.is_empty(), "{}", bad_phones.join("\n"));
}

#[test]
fn the_mix_looks_like_the_platform() {
    let buyers = generate();
    let n = buyers.len() as f64;
    let share = |f: &dyn Fn(&Buyer) -> bool| buyers.iter().filter(|b| f(b)).count() as f64 / n;
    let email = share(&|b| b.email.is_some());
    let phone = share(&|b| b.phone.is_some());
    let push = share(&|b| b.push.is_some());
    let none = share(&|b| b.email.is_none() && b.phone.is_none() && b.push.is_none());
    assert!((0.65..0.75).contains(&email), "{email}");
    assert!((0.50..0.60).contains(&phone), "{phone}");
    assert!((0.20..0.30).contains(&push), "{push}");
    assert!((0.04..0.08).contains(&none), "{none}");
    let countries: HashSet<&str> = buyers.iter().map(|b| b.country).collect();
    assert!(countries.len() >= 20, "{countries:?}");
    let us_states: HashSet<&str> = buyers
        .iter()
        .filter_map(|b| b.region.filter(|r| r.starts_with("US-")))
        .collect();
    assert!(us_states.len() >= 15, "{us_states:?}");
    let mut by_lang: HashMap<&str, HashSet<&str>> = HashMap::new();
    for b in &buyers {
        if let Some(l) = b.locale {
            by_lang.entry(b.country).or_default().insert(l);
        }
    }
    assert!(by_lang["JP"].iter().all(|l| ["ja", "en"].contains(l)));
    assert!(by_lang["CA"].contains("fr-CA"));
    assert!(by_lang["BR"].contains("pt-BR"));
    let affected = share(&|b| b.categories.contains(&AFFECTED_CATEGORY));
    assert!((0.55..0.70).contains(&affected), "{affected}");
}

#[test]
fn awkward_names_are_placed_once_each() {
    let buyers = generate();
    for (id, name) in awkward_buyers() {
        let b = buyers.iter().find(|b| b.external_id == id).unwrap();
        assert_eq!(b.name.as_deref(), Some(name));
        assert!(b.categories.contains(&AFFECTED_CATEGORY));
    }
    assert!(AWKWARD_NAMES.iter().any(|n| n.chars().count() == 200));
    let ids: HashSet<String> = awkward_buyers().into_iter().map(|(i, _)| i).collect();
    assert_eq!(ids.len(), AWKWARD_NAMES.len());
    assert!(!ids.contains("demo-00001"));
    for h in &DATA.buyers.awkward_homes {
        let k = AWKWARD_NAMES.iter().position(|n| *n == h.name).unwrap();
        let b = &buyers[awkward_index(k) - 1];
        assert_eq!(
            (b.country, b.locale),
            (h.country.as_str(), Some(h.locale.as_str())),
            "{}",
            h.name
        );
    }
}

#[test]
fn ascii_fold_drops_accents() {
    assert_eq!(ascii_fold("Müller-Lüdenscheidt"), "mullerludenscheidt");
    assert_eq!(ascii_fold("Łucja Wiśniewska"), "lucjawisniewska");
    assert_eq!(ascii_fold("Groß"), "gross");
    assert_eq!(ascii_fold("山田"), "");
}
