//! The facts the rules are read against, from the database: who is affected and where (the
//! population's counts), who cannot be reached (before dispatch: no contact point on the
//! incident's channels; after: no delivery reached them), which obligations are done, and
//! whether the public announcement is up.
use super::store;
use crate::incidents::Incident;
use crate::playbooks::jurisdictions::{Clocks, Counts};
use crate::playbooks::Playbooks;
use crate::population::PopulationFacts;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use std::collections::BTreeMap;

pub struct Gathered {
    /// The incident's data categories in the base vocabulary.
    pub categories: Vec<String>,
    pub people: Counts,
    pub unreachable: Counts,
    pub clocks: Clocks,
    /// When each obligation was fulfilled, by key.
    pub done: BTreeMap<String, DateTime<Utc>>,
    /// When the public announcement went up, if it did.
    pub announced_at: Option<DateTime<Utc>>,
}

pub async fn gather(
    db: &impl ConnectionTrait,
    playbooks: &Playbooks,
    i: &Incident,
) -> Result<Gathered, DbErr> {
    // Before dispatch, both counts come from one pass over the population's index.
    let (people, unreachable) = if i.notices.dispatched_at.is_some() {
        (
            PopulationFacts::load(db, i.id).await?,
            crate::delivery::store::unreached_groups(db, i.id).await?,
        )
    } else {
        let groups =
            crate::population::store::groups_with_unreachable(db, i.id, &i.channels).await?;
        let unreachable = groups
            .iter()
            .filter(|g| g.3 > 0)
            .map(|(c, r, _, u)| (c.clone(), r.clone(), *u))
            .collect();
        (
            PopulationFacts::from_groups(groups.into_iter().map(|(c, r, n, _)| (c, r, n))),
            unreachable,
        )
    };
    let done = store::fulfilled(db, i.id).await?;
    let announced_at =
        crate::announcements::find_for_incident(db, i.id, crate::announcements::DEFAULT_LOCALE)
            .await?
            .map(|a| a.published_at);
    Ok(Gathered {
        categories: playbooks.inventory.to_base(&i.data_categories),
        people: people.counts(),
        unreachable: PopulationFacts::from_groups(unreachable).counts(),
        clocks: i.clocks(),
        done,
        announced_at,
    })
}
