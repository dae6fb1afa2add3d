//! The tables in `data/` parse, fit together, and produce only what the importer accepts.
use super::contacts::{ascii_fold, phone_for};
use super::data::{Data, DATA};
use super::{AFFECTED_CATEGORY, AWKWARD_NAMES};
use crate::assets::Assets;
use crate::domain::{Country, DataCategory, Email, Locale, Phone, Region};
use crate::playbooks::Inventory;
use rand::rngs::StdRng;
use rand::SeedableRng;

/// Every country, region and locale a buyer can be given.
fn places() -> Vec<(&'static str, Option<&'static str>, &'static str)> {
    let mut out = Vec::new();
    for m in &DATA.markets {
        let mut regions: Vec<Option<&str>> = vec![None];
        regions.extend(m.regions.iter().flat_map(|r| r.values()).map(Some));
        for region in regions.into_iter().filter(|r| *r != Some("-")) {
            for locale in m.locales(region).values() {
                out.push((m.country.as_str(), region, locale));
            }
        }
    }
    let b = &DATA.buyers;
    let showcase = &b.showcase;
    out.push((
        &showcase.country,
        showcase.region.as_deref(),
        &showcase.locale,
    ));
    for h in &b.awkward_homes {
        out.push((&h.country, h.region.as_deref(), &h.locale));
    }
    out
}

#[test]
fn the_embedded_tables_parse() {
    if let Err(e) = Data::parse() {
        panic!("{e}");
    }
}

#[test]
fn every_place_is_one_the_importer_knows() {
    for m in &DATA.markets {
        assert!(m.weight > 0, "{}", m.country);
        for r in m.locales_by_region.keys() {
            let listed = m.regions.iter().flat_map(|w| w.values()).any(|x| x == r);
            assert!(
                listed,
                "{}: locales for {r}, not one of its regions",
                m.country
            );
        }
    }
    for (country, region, locale) in places() {
        Country::parse(country).unwrap_or_else(|e| panic!("{country}: {e}"));
        if let Some(r) = region {
            let parsed = Region::parse(r).unwrap_or_else(|e| panic!("{r}: {e}"));
            assert_eq!(parsed.country_code(), country, "{r}");
        }
        let parsed = Locale::parse(locale).unwrap_or_else(|e| panic!("{locale}: {e}"));
        assert_eq!(parsed.as_str(), locale, "{country}: kept as written");
    }
}

#[test]
fn no_one_who_speaks_another_language_gets_the_english_names() {
    let english = DATA.names.fallback();
    for (country, _, locale) in places() {
        let names = DATA.names.for_buyer(country, locale);
        if !locale.starts_with("en") {
            assert!(
                !std::ptr::eq(names, english),
                "{country}/{locale} falls back to the English names: give it a rule in names.yaml"
            );
        }
    }
    // Every name can make an e-mail address.
    let sets = DATA.names.sets().iter();
    let names = sets.flat_map(|s| s.given.as_slice().iter().chain(s.family.as_slice()));
    let homes = DATA.buyers.awkward_homes.iter();
    for n in names.chain(homes.flat_map(|h| [&h.given, &h.family])) {
        assert!(
            !ascii_fold(&n.latin).is_empty(),
            "{} has no Latin letters",
            n.latin
        );
    }
}

#[test]
fn every_phone_plan_makes_numbers_the_importer_accepts() {
    let mut rng = StdRng::seed_from_u64(1);
    let mut bad = Vec::new();
    let mut checked = std::collections::HashSet::new();
    for (country, region, _) in places() {
        if !checked.insert((country, region)) {
            continue;
        }
        let c = Country::parse(country).unwrap();
        for _ in 0..300 {
            let Some(p) = phone_for(&mut rng, country, region) else {
                panic!("{country}: no phone plan");
            };
            if let Err(e) = Phone::parse(&p, Some(&c)) {
                bad.push(format!("{country} {region:?}: {p}: {e}"));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn every_category_is_in_the_vocabulary_or_the_inventory() {
    let inventory =
        Inventory::load(&Assets::builtin_playbooks()).expect("the repository's inventory loads");
    let own = inventory.own_names();
    let b = &DATA.buyers;
    let chances = b.categories.iter().map(|c| &c.category);
    for c in chances.chain(&b.showcase.categories) {
        DataCategory::parse(c, &own).unwrap_or_else(|e| panic!("{c}: {e}"));
    }
    assert!(b.categories.iter().any(|c| c.category == AFFECTED_CATEGORY));
    assert!(b.showcase.categories.iter().any(|c| c == AFFECTED_CATEGORY));
}

#[test]
fn the_hand_placed_buyers_fit_the_rest() {
    let b = &DATA.buyers;
    for h in &b.awkward_homes {
        assert!(AWKWARD_NAMES.contains(&h.name.as_str()), "{}", h.name);
    }
    Email::parse(&b.showcase.email).expect("the showcase address is valid");
    for d in b.email_domains.values() {
        assert!(
            d.starts_with("example."),
            "{d}: reserved example domains only"
        );
    }
}

#[test]
fn tables_that_do_not_fit_together_are_refused_with_the_file_and_the_reason() {
    let files = [
        include_str!("data/markets.yaml"),
        include_str!("data/names.yaml"),
        include_str!("data/phones.yaml"),
        include_str!("data/companies.yaml"),
        include_str!("data/buyers.yaml"),
    ];
    let parse = |f: [&str; 5]| Data::from_yaml(f[0], f[1], f[2], f[3], f[4]).err();
    let cases = [
        (
            0,
            "- country: TR\n  weight: 5\n  locales: {tr: 1}\n",
            "no phone plan for TR",
        ),
        (
            0,
            "- country: TR\n  weight: 0\n  locales: {tr: 1}\n",
            "weights are positive",
        ),
        (1, "  - {language: tr, names: tr}\n", "no set named 'tr'"),
        (
            1,
            "  - {language: tr, names: en}\n",
            "the last rule must match everyone",
        ),
        (
            2,
            "TR: {code: \"90\", mobile: [\"5x\"]}\n",
            "'x' is not a digit",
        ),
        (
            2,
            "TR: {code: \"90\", area: \"{212}\"}\n",
            "or an `area` and two",
        ),
    ];
    for (file, appended, reason) in cases {
        let mut texts = files.map(str::to_owned);
        texts[file].push_str(appended);
        let e = parse(texts.each_ref().map(String::as_str));
        let e = e.unwrap_or_else(|| panic!("accepted: {appended}"));
        let name = ["markets.yaml", "names.yaml", "phones.yaml"][file];
        assert!(e.starts_with(name) && e.contains(reason), "{appended}: {e}");
    }
    assert!(parse(files).is_none());
}
