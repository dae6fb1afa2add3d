//! Playbooks: the organisation's details (`organisation.yaml`), its data inventory
//! (`inventory.yaml`), the incident kinds (`kinds/*.yaml`), the jurisdiction rules
//! (`jurisdictions/*.yaml`, with `holidays/*.yaml`) and the authority directory
//! (`authorities.yaml`), read from the playbooks tree (see `assets`) at start-up. A file that
//! fails stops start-up with the file, line (or field) and reason.
pub mod authorities;
mod inventory;
pub mod jurisdictions;
mod kinds;
mod organisation;

pub use authorities::{Authorities, Authority};
pub use inventory::{Inventory, OwnCategory};
pub use jurisdictions::Jurisdictions;
pub use kinds::Kind;
pub use organisation::{OrgFlag, Organisation};

use crate::assets::Assets;
use std::collections::BTreeMap;

/// A playbook file that cannot be used: which file, where, and why.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {reason}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct PlaybookError {
    pub file: String,
    pub line: Option<usize>,
    pub reason: String,
}

impl PlaybookError {
    fn new(file: String, reason: impl Into<String>) -> PlaybookError {
        PlaybookError {
            file,
            line: None,
            reason: reason.into(),
        }
    }
}

/// Parses YAML into `T`, with the file and line in any error.
pub fn parse_yaml<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
) -> Result<T, PlaybookError> {
    serde_yaml_ng::from_str(text).map_err(|e| PlaybookError {
        file: file.to_owned(),
        line: e.location().map(|l| l.line()),
        reason: e.to_string(),
    })
}

/// Reads and parses one file of the tree; `None` when it does not exist.
fn read_yaml<T: serde::de::DeserializeOwned>(
    assets: &Assets,
    rel: &str,
) -> Result<Option<T>, PlaybookError> {
    let file = assets.describe(rel);
    match assets.read(rel) {
        Ok(Some(text)) => parse_yaml(&file, &text).map(Some),
        Ok(None) => Ok(None),
        Err(e) => Err(PlaybookError::new(file, e.to_string())),
    }
}

#[derive(Debug, Clone, Default)]
pub struct Playbooks {
    pub kinds: BTreeMap<String, Kind>,
    pub organisation: Organisation,
    pub inventory: Inventory,
    /// Jurisdiction rules, holiday calendars and the authority directory.
    pub jurisdictions: Jurisdictions,
}

impl Playbooks {
    pub fn load(assets: &Assets) -> Result<Playbooks, PlaybookError> {
        let inventory = Inventory::load(assets)?;
        let organisation: Organisation =
            read_yaml(assets, "organisation.yaml")?.unwrap_or_default();
        let files = assets
            .files("kinds")
            .map_err(|e| PlaybookError::new(assets.origin(), e.to_string()))?;
        let mut kinds = BTreeMap::new();
        for rel in files
            .iter()
            .filter(|f| f.ends_with(".yaml") || f.ends_with(".yml"))
        {
            let fail = |reason: String| PlaybookError::new(assets.describe(rel), reason);
            let kind: Kind =
                read_yaml(assets, rel)?.ok_or_else(|| fail("the file went away".into()))?;
            kind.check(&inventory).map_err(fail)?;
            if kinds.contains_key(&kind.id) {
                return Err(fail(format!("kind id '{}' is defined twice", kind.id)));
            }
            kinds.insert(kind.id.clone(), kind);
        }
        let jurisdictions = Jurisdictions::load(assets)?;
        for (regime, id) in &organisation.lead_authorities {
            if jurisdictions.authorities.authority(id).is_none() {
                return Err(PlaybookError::new(
                    assets.describe("organisation.yaml"),
                    format!("lead_authorities.{regime}: '{id}' is not in authorities.yaml"),
                ));
            }
        }
        Ok(Playbooks {
            kinds,
            organisation,
            inventory,
            jurisdictions,
        })
    }

    /// The authority with this id from the directory (`playbooks/authorities.yaml`), as
    /// AUTHORITIES.md spells it (`FR-CNIL`, `US-CA-AG`).
    pub fn authority(&self, id: &str) -> Option<&Authority> {
        self.jurisdictions.authorities.authority(id)
    }

    /// The organisation's own data category names (the import accepts them beside the base
    /// vocabulary).
    pub fn own_categories(&self) -> Vec<String> {
        self.inventory.own_names()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_playbooks_load() {
        let p = Playbooks::load(&Assets::builtin_playbooks()).unwrap();
        assert!(p.kinds.contains_key("credential-exposure"));
        assert!(p.kinds.contains_key("chat-translation-leak"));
        assert!(p.organisation.contact_email.contains('@'));
    }

    #[test]
    fn a_bad_kind_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("kinds")).unwrap();
        std::fs::write(
            dir.path().join("kinds/bad.yaml"),
            "id: x\ntitle: X\nseverity: catastrophic\ndata_categories: [name]\nchannels: [email]\n",
        )
        .unwrap();
        let e = Playbooks::load(&Assets::Folder(dir.path().into())).unwrap_err();
        assert!(e.file.ends_with("bad.yaml"));
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.to_string().contains("bad.yaml:3:"), "{e}");
    }
}
