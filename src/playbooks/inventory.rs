//! The organisation's data inventory (`playbooks/inventory.yaml`): its own data categories
//! mapped to the base vocabulary, and the categories each system holds.
use super::{read_yaml, PlaybookError};
use crate::assets::Assets;
use crate::domain::BASE_CATEGORIES;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    #[serde(default)]
    pub categories: BTreeMap<String, OwnCategory>,
    #[serde(default)]
    pub systems: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnCategory {
    #[serde(default)]
    pub description: String,
    pub maps_to: Vec<String>,
}

impl Inventory {
    /// Loads `inventory.yaml` from the playbooks; no file means no own categories.
    pub fn load(assets: &Assets) -> Result<Inventory, PlaybookError> {
        const FILE: &str = "inventory.yaml";
        let Some(inv) = read_yaml::<Inventory>(assets, FILE)? else {
            return Ok(Inventory::default());
        };
        let fail = |reason: String| PlaybookError::new(assets.describe(FILE), reason);
        for (name, c) in &inv.categories {
            if BASE_CATEGORIES.contains(&name.as_str()) {
                return Err(fail(format!(
                    "category '{name}' is already in the base vocabulary"
                )));
            }
            if c.maps_to.is_empty() {
                return Err(fail(format!("category '{name}' maps to no base category")));
            }
            if let Some(bad) = c
                .maps_to
                .iter()
                .find(|b| !BASE_CATEGORIES.contains(&b.as_str()))
            {
                return Err(fail(format!(
                    "category '{name}' maps to '{bad}', which is not a base category"
                )));
            }
        }
        for (system, cats) in &inv.systems {
            if let Some(bad) = cats.iter().find(|c| !inv.is_known(c)) {
                return Err(fail(format!(
                    "system '{system}' names unknown category '{bad}'"
                )));
            }
        }
        Ok(inv)
    }

    pub fn is_known(&self, category: &str) -> bool {
        BASE_CATEGORIES.contains(&category) || self.categories.contains_key(category)
    }

    /// The organisation's own category names.
    pub fn own_names(&self) -> Vec<String> {
        self.categories.keys().cloned().collect()
    }

    /// The base categories a list of (own or base) categories amounts to, sorted, deduplicated.
    pub fn to_base(&self, categories: &[String]) -> Vec<String> {
        let mut out: Vec<String> = categories
            .iter()
            .flat_map(|c| match self.categories.get(c) {
                Some(own) => own.maps_to.clone(),
                None => vec![c.clone()],
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_inventory_loads_and_maps_to_base() {
        let inv = Inventory::load(&Assets::builtin_playbooks()).unwrap();
        assert!(inv.is_known("chat_records"));
        assert_eq!(
            inv.to_base(&["chat_records".into(), "name".into()]),
            ["communications_content", "name"]
        );
    }

    #[test]
    fn a_broken_file_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("inventory.yaml"),
            "categories:\n  x:\n    maps_to: [name]\n  y: [oops\n",
        )
        .unwrap();
        let e = Inventory::load(&Assets::Folder(dir.path().into())).unwrap_err();
        assert!(e.to_string().contains("inventory.yaml:"), "{e}");
        assert!(e.line.is_some());
        std::fs::write(
            dir.path().join("inventory.yaml"),
            "categories:\n  x:\n    maps_to: [nme]\n",
        )
        .unwrap();
        assert!(Inventory::load(&Assets::Folder(dir.path().into()))
            .unwrap_err()
            .reason
            .contains("'nme'"));
    }
}
