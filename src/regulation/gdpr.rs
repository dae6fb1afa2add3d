//! EU GDPR facts the report (`forms::gdpr`) uses: the EU/EEA territory. Art. 33's 72 hours
//! live in the rule file (`playbooks/jurisdictions/EU-GDPR.yaml`) like every other deadline.

pub const REGIME: &str = "EU-GDPR";

/// Where the GDPR applies as territory: the 27 EU member states and Iceland, Liechtenstein and
/// Norway (EEA). ISO 3166-1 codes some parts of the EU separately: the Åland Islands (AX,
/// Finland) and France's outermost regions (GF, GP, MQ, RE, YT, MF) are inside; overseas
/// countries and territories (BL, PM, NC, PF, WF, the Dutch Caribbean, FO, GL) and Svalbard (SJ)
/// are not. Greece is `GR` in ISO 3166-1 (the EU writes `EL`).
const EEA: &[&str] = &[
    // EU-27
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", // EEA
    "IS", "LI", "NO", // parts of member states with their own ISO 3166-1 code
    "AX", "GF", "GP", "MF", "MQ", "RE", "YT",
];

/// Whether an ISO 3166-1 alpha-2 country is in the EU/EEA.
pub fn in_eea(country: &str) -> bool {
    EEA.iter().any(|c| c.eq_ignore_ascii_case(country))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eea_is_eu27_plus_three_and_outermost_regions() {
        let eu27 = EEA.len() - 3 - 7;
        assert_eq!(eu27, 27);
        for c in ["DE", "fr", "GR", "NO", "IS", "LI", "RE"] {
            assert!(in_eea(c), "{c}");
        }
        for c in ["GB", "CH", "US", "EL", "SJ", "GL", ""] {
            assert!(!in_eea(c), "{c}");
        }
    }
}
