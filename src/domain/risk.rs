//! The incident's risk assessment: what the organisation concluded about the risk to the people
//! affected. Rules name the least level that triggers them (GDPR Art. 33: "unless unlikely to
//! result in a risk"; Art. 34: "likely to result in a high risk"; HIPAA: "low probability of
//! compromise" is `unlikely`; serious or significant harm elsewhere is `high_risk`).
use super::text_enum;

text_enum! {
    /// Ordered: `unlikely` < `risk` < `high_risk`.
    pub enum RiskLevel ("a risk level") {
        /// Unlikely to result in a risk to the people affected (low probability of compromise).
        Unlikely = "unlikely",
        /// Likely to result in a risk.
        Risk = "risk",
        /// Likely to result in a high risk (serious or significant harm).
        HighRisk = "high_risk",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_from_unlikely_to_high_risk() {
        assert!(RiskLevel::Unlikely < RiskLevel::Risk);
        assert!(RiskLevel::Risk < RiskLevel::HighRisk);
        assert_eq!(RiskLevel::parse("high_risk").unwrap(), RiskLevel::HighRisk);
        assert!(RiskLevel::parse("high")
            .unwrap_err()
            .0
            .contains("unlikely, risk, high_risk"));
    }
}
