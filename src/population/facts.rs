//! What the database knows about an incident's affected population, as counts. Counting is done
//! by the database (`GROUP BY`); no person's row is loaded, so this stays cheap on millions.
use entity::incident_population;
use sea_orm::sea_query::{Asterisk, Expr};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use std::collections::BTreeMap;

/// Counts of the people in an incident's population snapshot, by where they live.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PopulationFacts {
    /// Everyone in the snapshot.
    pub total: u64,
    /// Per ISO 3166-1 alpha-2 country.
    pub by_country: BTreeMap<String, u64>,
    /// Per ISO 3166-2 subdivision, where the subdivision is known.
    pub by_region: BTreeMap<String, u64>,
    /// People whose country is not known.
    pub country_unknown: u64,
}

impl PopulationFacts {
    /// `by_jurisdiction` as the API shows it: people per country and per region (`US`,
    /// `US-CA`), and `unknown` for those whose country is not known.
    pub fn by_jurisdiction(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        for (k, n) in self.by_country.iter().chain(&self.by_region) {
            m.insert(k.clone(), (*n).into());
        }
        if self.country_unknown > 0 {
            m.insert("unknown".into(), self.country_unknown.into());
        }
        m
    }

    /// The counts as the jurisdiction rules read them.
    pub fn counts(&self) -> crate::playbooks::jurisdictions::Counts {
        crate::playbooks::jurisdictions::Counts {
            total: self.total,
            by_country: self.by_country.clone(),
            by_region: self.by_region.clone(),
        }
    }

    /// Counts the population of one incident: one small row per (country, region) comes back.
    pub async fn load(db: &impl ConnectionTrait, incident_id: i64) -> Result<Self, DbErr> {
        let groups: Vec<(Option<String>, Option<String>, i64)> =
            incident_population::Entity::find()
                .select_only()
                .column(incident_population::Column::Country)
                .column(incident_population::Column::Region)
                // COUNT(*): the (incident_id, country, region) index answers it alone.
                .column_as(Expr::col(Asterisk).count(), "n")
                .filter(incident_population::Column::IncidentId.eq(incident_id))
                .group_by(incident_population::Column::Country)
                .group_by(incident_population::Column::Region)
                .into_tuple()
                .all(db)
                .await?;
        Ok(Self::from_groups(groups))
    }

    /// How many people an incident's population holds, and nothing more: one `COUNT(*)` over
    /// the incident's index range, for lists that show only the total (cheaper than `load`,
    /// which groups by jurisdiction).
    pub async fn total(db: &impl ConnectionTrait, incident_id: i64) -> Result<u64, DbErr> {
        let n: Option<i64> = incident_population::Entity::find()
            .select_only()
            .column_as(Expr::col(Asterisk).count(), "n")
            .filter(incident_population::Column::IncidentId.eq(incident_id))
            .into_tuple()
            .one(db)
            .await?;
        Ok(n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    }

    /// Folds `(country, region, count)` groups into totals. Codes are compared upper-case and
    /// blanks count as unknown, whatever wrote the snapshot.
    pub fn from_groups(
        groups: impl IntoIterator<Item = (Option<String>, Option<String>, i64)>,
    ) -> Self {
        let mut facts = PopulationFacts::default();
        let known = |v: Option<String>| {
            v.map(|s| s.trim().to_ascii_uppercase())
                .filter(|s| !s.is_empty())
        };
        for (country, region, n) in groups {
            let n = u64::try_from(n).unwrap_or(0);
            facts.total += n;
            match known(country) {
                Some(c) => *facts.by_country.entry(c).or_default() += n,
                None => facts.country_unknown += n,
            }
            if let Some(r) = known(region) {
                *facts.by_region.entry(r).or_default() += n;
            }
        }
        facts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_fold_into_totals_per_country_and_region() {
        let f = PopulationFacts::from_groups([
            (Some("US".into()), Some("US-CA".into()), 3),
            (Some("US".into()), Some("US-NY".into()), 2),
            (Some("de".into()), None, 4),
            (Some("DE".into()), Some(String::new()), 1),
            (None, None, 5),
            (Some(" ".into()), None, 1),
        ]);
        assert_eq!(f.total, 16);
        assert_eq!(f.by_country["US"], 5);
        assert_eq!(f.by_country["DE"], 5);
        assert_eq!(f.by_country.len(), 2);
        assert_eq!(f.by_region["US-CA"], 3);
        assert_eq!(f.by_region.len(), 2);
        assert_eq!(f.country_unknown, 6);
    }
}
