//! ISO 3166 countries (alpha-2) and subdivisions (3166-2).
use super::Invalid;

/// ISO 3166-1 alpha-2, officially assigned codes.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL \
BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM \
DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY \
HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC \
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE \
NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD \
SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA \
UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// Subdivisions checked one by one, for the countries whose breach laws are per subdivision.
/// Elsewhere a subdivision is checked for form (`CC-` and one to three letters or digits).
const SUBDIVISIONS: &[(&str, &str)] = &[
    (
        "US",
        "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ \
         NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC AS GU MP PR UM VI",
    ),
    ("CA", "AB BC MB NB NL NS NT NU ON PE QC SK YT"),
    ("AU", "ACT NSW NT QLD SA TAS VIC WA"),
];

/// A country, ISO 3166-1 alpha-2, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country(String);

impl Country {
    pub fn parse(input: &str) -> Result<Country, Invalid> {
        let code = input.trim().to_ascii_uppercase();
        static SET: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
            std::sync::LazyLock::new(|| COUNTRIES.split_ascii_whitespace().collect());
        if code.len() == 2 && SET.contains(code.as_str()) {
            Ok(Country(code))
        } else {
            Err(Invalid(format!(
                "'{}' is not an ISO 3166-1 alpha-2 country code",
                input.trim()
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Country {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A country subdivision, ISO 3166-2 (`US-CA`, `CA-QC`, `AU-NSW`), upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(String);

impl Region {
    pub fn parse(input: &str) -> Result<Region, Invalid> {
        let code = input.trim().to_ascii_uppercase();
        let bad = || {
            Invalid(format!(
                "'{}' is not an ISO 3166-2 subdivision code",
                input.trim()
            ))
        };
        let (country, sub) = code.split_once('-').ok_or_else(bad)?;
        Country::parse(country).map_err(|_| bad())?;
        if sub.is_empty() || sub.len() > 3 || !sub.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(bad());
        }
        if let Some((_, list)) = SUBDIVISIONS.iter().find(|(c, _)| *c == country) {
            if !list.split_ascii_whitespace().any(|s| s == sub) {
                return Err(bad());
            }
        }
        Ok(Region(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The country part (`US` of `US-CA`).
    pub fn country_code(&self) -> &str {
        &self.0[..2]
    }
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_country_list_is_complete() {
        assert_eq!(COUNTRIES.split_ascii_whitespace().count(), 249);
    }

    #[test]
    fn countries_are_case_insensitive_and_checked() {
        assert_eq!(Country::parse(" de ").unwrap().as_str(), "DE");
        assert!(Country::parse("XX").is_err());
        assert!(Country::parse("USA").is_err());
        assert!(
            Country::parse("UK").is_err(),
            "UK is not the ISO code; GB is"
        );
    }

    #[test]
    fn regions_check_the_country_and_known_subdivisions() {
        let r = Region::parse("us-ca").unwrap();
        assert_eq!(r.as_str(), "US-CA");
        assert_eq!(r.country_code(), "US");
        assert!(Region::parse("US-ZZ").is_err());
        assert!(Region::parse("AU-NSW").is_ok());
        assert!(Region::parse("FR-75C").is_ok());
        assert!(Region::parse("XX-AB").is_err());
        assert!(Region::parse("CA").is_err());
    }
}
