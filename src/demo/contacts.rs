//! A demo buyer's contact points — phone number, e-mail address, push token — made to pass the
//! importer's rules: phone numbers from the plans in `data/phones.yaml`, addresses at reserved
//! example domains only.
use super::data::{PlanKind, DATA};
use super::values::pick_index;
use rand::rngs::StdRng;
use rand::Rng;

/// How often a mobile number is written the national way (trunk prefix and number).
const MOBILE_NATIONAL_SHARE: f64 = 0.3;
/// How often an area-code number is written the national way, "(415) 201-2345".
const AREA_NATIONAL_SHARE: f64 = 0.4;

/// A phone number valid for the country, international or national; `None` for a country
/// without a phone plan (there is none: parsing the data checks).
pub(super) fn phone_for(rng: &mut StdRng, country: &str, region: Option<&str>) -> Option<String> {
    let plan = DATA.phones.get(country)?;
    let code = &plan.code;
    Some(match &plan.kind {
        PlanKind::Area {
            area,
            by_region,
            exchange,
            line,
        } => {
            let area = region
                .and_then(|r| by_region.get(r))
                .unwrap_or(area)
                .draw(rng);
            let exchange = exchange.draw(rng);
            let line = line.draw(rng);
            if rng.gen_bool(AREA_NATIONAL_SHARE) {
                format!("({area}) {exchange}-{line}")
            } else {
                format!("+{code} {area} {exchange} {line}")
            }
        }
        PlanKind::Mobile {
            trunk,
            first,
            second,
        } => {
            // With two ranges, each makes half the numbers.
            let pattern = match second {
                Some(second) => {
                    if rng.gen_bool(0.5) {
                        first
                    } else {
                        second
                    }
                }
                None => first,
            };
            let nsn = pattern.draw(rng);
            if rng.gen_bool(MOBILE_NATIONAL_SHARE) {
                format!("{trunk}{nsn}")
            } else {
                let (head, tail) = nsn.split_at(nsn.len().min(3));
                format!("+{code} {head} {tail}")
            }
        }
    })
}

/// A push platform and a token of its shape.
pub(super) fn push_for(rng: &mut StdRng) -> (&'static str, String) {
    const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const HEX: &[u8] = b"0123456789abcdef";
    const PLATFORMS: [&str; 3] = ["fcm", "apns", "webpush"];
    let platform = PLATFORMS[pick_index(rng, &[55, 35, 10])];
    let token = match platform {
        "fcm" => format!(
            "{}:APA91b{}",
            random_text(rng, B64URL, 11),
            random_text(rng, B64URL, 134)
        ),
        "apns" => random_text(rng, HEX, 64),
        _ => format!(
            "https://push.example.net/wpush/v2/{}",
            random_text(rng, B64URL, 43)
        ),
    };
    (platform, token)
}

/// An address made of the (romanised) names or the company, at one of the example domains.
pub(super) fn email_for(
    rng: &mut StdRng,
    given: &str,
    family: &str,
    company: Option<&str>,
) -> String {
    let g = ascii_fold(given);
    let f = ascii_fold(family);
    let domain = DATA.buyers.email_domains.pick(rng);
    let n: u16 = rng.gen_range(1..1000);
    let local = match rng.gen_range(0..6) {
        0 => format!("{g}.{f}"),
        1 => format!("{g}{f}{n}"),
        2 => format!("{}.{f}", g.chars().next().unwrap_or('x')),
        3 => format!("{f}_{g}"),
        4 => match company {
            Some(c) if !ascii_fold(c).is_empty() => {
                let c: String = ascii_fold(c).chars().take(20).collect();
                format!("purchasing.{c}")
            }
            _ => format!("{g}.{f}.{n}"),
        },
        _ => format!("{g}.{f}+sourcing"),
    };
    // Mixed case now and then: the importer lower-cases the domain only.
    let local = if rng.gen_bool(0.05) {
        capitalise(&local)
    } else {
        local
    };
    let domain = if rng.gen_bool(0.03) {
        domain.to_ascii_uppercase()
    } else {
        domain.to_owned()
    };
    format!("{local}@{domain}")
}

/// Lower-case ASCII letters and digits of a Latin-script text, accents dropped.
pub(super) fn ascii_fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars().flat_map(char::to_lowercase) {
        let mapped: &str = match ch {
            'a'..='z' | '0'..='9' => {
                out.push(ch);
                continue;
            }
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ą' | 'ă' => "a",
            'æ' => "ae",
            'ç' | 'ć' | 'č' => "c",
            'è' | 'é' | 'ê' | 'ë' | 'ę' | 'ế' | 'ề' | 'ễ' | 'ệ' => "e",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'ñ' | 'ń' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ơ' | 'ọ' | 'ố' | 'ồ' => "o",
            'ù' | 'ú' | 'û' | 'ü' | 'ư' | 'ũ' => "u",
            'ý' | 'ÿ' | 'ỹ' => "y",
            'ß' => "ss",
            'ł' => "l",
            'ś' | 'š' => "s",
            'ź' | 'ż' | 'ž' => "z",
            'đ' => "d",
            _ => "",
        };
        out.push_str(mapped);
    }
    out
}

pub(super) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn random_text(rng: &mut StdRng, alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
        .collect()
}
