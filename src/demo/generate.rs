//! The demo buyers: drawn with a seeded generator from the tables in `data/`, so every load gives
//! the same people, and written out as the importer's CSV.
use super::contacts::{capitalise, email_for, phone_for, push_for};
use super::data::{Data, Home, Market, Order, DATA};
use super::values::{pick_index, pick_uniform, Name};
use super::{
    awkward_buyers, external_id, AFFECTED_CATEGORY, AWKWARD_COMPANY, AWKWARD_NAMES, BUYERS, SEED,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The segment of buyers who buy for themselves: no company type, and rarely a company.
pub(super) const INDIVIDUAL: &str = "individual";
/// The most products a buyer sources (buyers.yaml must list at least as many).
pub(super) const MAX_PRODUCTS: usize = 3;

/// One generated buyer, as it goes into the import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buyer {
    pub external_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub locale: Option<&'static str>,
    pub country: &'static str,
    pub region: Option<&'static str>,
    pub birth_date: Option<String>,
    pub push: Option<(&'static str, String)>,
    pub categories: Vec<&'static str>,
    pub company: Option<String>,
    pub company_type: &'static str,
    pub annual_volume: &'static str,
    pub purchase_frequency: &'static str,
    pub products_sourced: String,
    pub segment: &'static str,
    pub signup_channel: &'static str,
    pub member_since: u16,
}

/// Generates the demo buyers. Deterministic: the same buyers every time.
pub fn generate() -> Vec<Buyer> {
    let data: &'static Data = &DATA;
    let mut rng = StdRng::seed_from_u64(SEED);
    let market_weights: Vec<u32> = data.markets.iter().map(|m| m.weight).collect();
    let awkward = awkward_buyers();
    let mut buyers = Vec::with_capacity(BUYERS);
    for i in 1..=BUYERS {
        let market = &data.markets[pick_index(&mut rng, &market_weights)];
        let mut b = buyer(&mut rng, i, market);
        if i == 1 {
            showcase(&mut rng, &mut b);
        }
        if let Some(k) = awkward.iter().position(|(id, _)| *id == b.external_id) {
            b.name = Some(AWKWARD_NAMES[k].to_owned());
            // In the population, so they show up in notices, reports and the console.
            if !b.categories.contains(&AFFECTED_CATEGORY) {
                b.categories.push(AFFECTED_CATEGORY);
            }
            if !b.categories.contains(&"name") {
                b.categories.insert(0, "name");
            }
            let homes = &data.buyers.awkward_homes;
            if let Some(h) = homes.iter().find(|h| h.name == AWKWARD_NAMES[k]) {
                move_home(&mut rng, &mut b, h);
            }
            if k == 1 {
                b.company = Some(AWKWARD_COMPANY.to_owned());
            }
        }
        buyers.push(b);
    }
    buyers
}

/// Moves a buyer to `h`'s country and language, with contact points and company to match.
fn move_home(rng: &mut StdRng, b: &mut Buyer, h: &'static Home) {
    b.country = &h.country;
    b.region = h.region.as_deref();
    b.locale = Some(&h.locale);
    if b.company.is_some() {
        b.company = Some(company_for(rng, &h.country, &h.family));
    }
    if b.email.is_some() {
        b.email = Some(email_for(
            rng,
            &h.given.latin,
            &h.family.latin,
            b.company.as_deref(),
        ));
    }
    if b.phone.is_some() {
        b.phone = phone_for(rng, &h.country, h.region.as_deref());
    }
}

/// `demo-00001`, the buyer the README points at: every kind of contact point, in the incident.
fn showcase(rng: &mut StdRng, b: &mut Buyer) {
    let s = &DATA.buyers.showcase;
    b.country = &s.country;
    b.region = s.region.as_deref();
    b.locale = Some(&s.locale);
    b.name = Some(s.name.clone());
    b.company = Some(s.company.clone());
    b.email = Some(s.email.clone());
    b.phone = phone_for(rng, &s.country, s.region.as_deref());
    b.push = Some(push_for(rng));
    b.categories = s.categories.iter().map(String::as_str).collect();
}

/// A company name in the country's usual form, made of a family name and a trade.
fn company_for(rng: &mut StdRng, country: &str, family: &Name) -> String {
    let companies = &DATA.companies;
    let trade = companies.trades.pick(rng);
    let form = match companies.forms(country).as_slice() {
        [only] => only,
        forms => pick_uniform(rng, forms),
    };
    form.fill(&family.native, &capitalise(&family.latin), trade)
}

fn buyer(rng: &mut StdRng, i: usize, m: &'static Market) -> Buyer {
    let t = &DATA.buyers;
    let region = match m.regions.as_ref().map(|r| r.pick(rng)) {
        None | Some("-") => None,
        r => r,
    };
    let locale = m.locales(region).pick(rng);
    let names = DATA.names.for_buyer(&m.country, locale);
    let given = names.given.pick(rng);
    let family = names.family.pick(rng);
    let (g, f) = (&given.native, &family.native);
    let name = match names.order {
        Order::GivenFamily => format!("{g} {f}"),
        Order::FamilySpaceGiven => format!("{f} {g}"),
        Order::FamilyGiven => format!("{f}{g}"),
    };
    let has_name = rng.gen_bool(0.97);
    let has_locale = rng.gen_bool(0.97);

    let segment = t.segments.pick(rng);
    let company =
        (segment != INDIVIDUAL || rng.gen_bool(0.2)).then(|| company_for(rng, &m.country, family));
    let company_type = if segment == INDIVIDUAL {
        INDIVIDUAL
    } else {
        t.company_types.pick(rng)
    };
    let annual_volume = t.annual_volumes.pick(rng);
    let purchase_frequency = t.purchase_frequencies.pick(rng);
    let n_products = rng.gen_range(1..MAX_PRODUCTS + 1);
    let mut products: Vec<&str> = Vec::with_capacity(n_products);
    while products.len() < n_products {
        let p = t.products.pick(rng).as_str();
        if !products.contains(&p) {
            products.push(p);
        }
    }
    let signup_channel = t.signup_channels.pick(rng);
    let member_since = rng.gen_range(2012..2026);

    // Contact points: ~6% none at all; otherwise e-mail ~70%, phone ~55%, push ~25% overall.
    let (email, phone, push) = if rng.gen_bool(0.06) {
        (false, false, false)
    } else {
        let e = rng.gen_bool(0.64);
        let p = rng.gen_bool(0.585);
        let u = rng.gen_bool(0.265);
        (e || !(p || u), p, u)
    };
    let email = email.then(|| email_for(rng, &given.latin, &family.latin, company.as_deref()));
    let phone = phone.then(|| phone_for(rng, &m.country, region)).flatten();
    let push = push.then(|| push_for(rng));

    let mut categories: Vec<&'static str> = Vec::new();
    if has_name {
        categories.push("name");
    }
    if email.is_some() {
        categories.push("email_address");
    }
    if phone.is_some() {
        categories.push("phone_number");
    }
    categories.push("member_credentials");
    if company.is_some() {
        categories.push("company_profile");
    }
    for c in &t.categories {
        let p = match c.with_push {
            Some(p) if push.is_some() => p,
            _ => c.share,
        };
        if rng.gen_bool(p) {
            categories.push(&c.category);
        }
    }
    // Identity verification records a date of birth (adults only: the services are for adults).
    let birth_date = categories.contains(&"identity_verification").then(|| {
        format!(
            "{}-{:02}-{:02}",
            rng.gen_range(1950..2004),
            rng.gen_range(1..13),
            rng.gen_range(1..29)
        )
    });

    Buyer {
        external_id: external_id(i),
        name: has_name.then_some(name),
        email,
        phone,
        locale: has_locale.then_some(locale),
        country: &m.country,
        region,
        birth_date,
        push,
        categories,
        company,
        company_type,
        annual_volume,
        purchase_frequency,
        products_sourced: products.join(";"),
        segment,
        signup_channel,
        member_since,
    }
}

/// The import file: CSV with a header row; columns beyond the known ones become attributes.
pub fn to_csv(buyers: &[Buyer]) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(buyers.len() * 400));
    w.write_record([
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
        "company",
        "company_type",
        "annual_volume",
        "purchase_frequency",
        "products_sourced",
        "segment",
        "signup_channel",
        "member_since",
    ])?;
    // Grouped by country: phone validation keeps a small cache of compiled patterns, and a file
    // that hops between countries on every line recompiles them on every line (20x slower).
    let mut ordered: Vec<&Buyer> = buyers.iter().collect();
    ordered.sort_by_key(|b| b.country);
    for b in ordered {
        let (platform, token) = match &b.push {
            Some((p, t)) => (*p, t.as_str()),
            None => ("", ""),
        };
        let member_since = b.member_since.to_string();
        let categories = b.categories.join(";");
        w.write_record([
            b.external_id.as_str(),
            b.name.as_deref().unwrap_or(""),
            b.email.as_deref().unwrap_or(""),
            b.phone.as_deref().unwrap_or(""),
            b.locale.unwrap_or(""),
            b.country,
            b.region.unwrap_or(""),
            b.birth_date.as_deref().unwrap_or(""),
            platform,
            token,
            categories.as_str(),
            b.company.as_deref().unwrap_or(""),
            b.company_type,
            b.annual_volume,
            b.purchase_frequency,
            b.products_sourced.as_str(),
            b.segment,
            b.signup_channel,
            member_since.as_str(),
        ])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}
