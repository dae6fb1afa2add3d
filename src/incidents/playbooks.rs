//! Playbooks: incident kinds (`playbooks/kinds/*.yaml`) and the organisation's details
//! (`playbooks/organisation.yaml`). Parsed at start-up; a file that fails stops start-up with
//! the file, line and reason.
use crate::domain::Severity;
use crate::population::inventory::{parse_yaml, Inventory, PlaybookError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The channels a notice can go out on, in the kind's order of preference.
pub const CHANNELS: &[&str] = &["email", "sms", "push"];

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Kind {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub severity: Severity,
    pub data_categories: Vec<String>,
    #[serde(default)]
    pub systems: Vec<String>,
    #[serde(default)]
    pub likely_consequences: String,
    #[serde(default)]
    pub measures_taken: String,
    #[serde(default)]
    pub mitigations: Vec<String>,
    pub channels: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    pub name: String,
    #[serde(default)]
    pub website: String,
    pub contact_email: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub dpo: String,
    #[serde(default)]
    pub response_time: String,
    /// The kinds of people whose data the organisation holds (customers, staff, …), named in
    /// regulator reports (GDPR Art. 33(3)(a) "categories of data subjects").
    #[serde(default)]
    pub data_subject_categories: Vec<String>,
}

impl Default for Organisation {
    fn default() -> Self {
        Organisation {
            name: "Our organisation".into(),
            website: String::new(),
            contact_email: "security@localhost".into(),
            contact_phone: String::new(),
            dpo: String::new(),
            response_time: String::new(),
            data_subject_categories: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Playbooks {
    pub kinds: BTreeMap<String, Kind>,
    pub organisation: Organisation,
    pub inventory: Inventory,
}

impl Playbooks {
    pub fn load(dir: &Path) -> Result<Playbooks, PlaybookError> {
        let inventory = Inventory::load(dir)?;
        let org_path = dir.join("organisation.yaml");
        let organisation = match std::fs::read_to_string(&org_path) {
            Ok(t) => parse_yaml(&org_path, &t)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Organisation::default(),
            Err(e) => return Err(io_err(&org_path, e)),
        };
        let mut kinds = BTreeMap::new();
        let kinds_dir = dir.join("kinds");
        let mut files: Vec<_> = match std::fs::read_dir(&kinds_dir) {
            Ok(rd) => rd.filter_map(Result::ok).map(|e| e.path()).collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io_err(&kinds_dir, e)),
        };
        files.sort();
        for path in files
            .into_iter()
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        {
            let text = std::fs::read_to_string(&path).map_err(|e| io_err(&path, e))?;
            let kind: Kind = parse_yaml(&path, &text)?;
            let fail = |reason: String| PlaybookError {
                file: path.display().to_string(),
                line: None,
                reason,
            };
            if let Some(bad) = kind.data_categories.iter().find(|c| !inventory.is_known(c)) {
                return Err(fail(format!(
                    "data category '{bad}' is neither a base category nor in inventory.yaml"
                )));
            }
            if kind.channels.is_empty() {
                return Err(fail(
                    "channels: list at least one of email, sms, push".into(),
                ));
            }
            if let Some(bad) = kind
                .channels
                .iter()
                .find(|c| !CHANNELS.contains(&c.as_str()))
            {
                return Err(fail(format!(
                    "channel '{bad}' is not one of email, sms, push"
                )));
            }
            if kinds.contains_key(&kind.id) {
                return Err(fail(format!("kind id '{}' is defined twice", kind.id)));
            }
            kinds.insert(kind.id.clone(), kind);
        }
        Ok(Playbooks {
            kinds,
            organisation,
            inventory,
        })
    }
}

fn io_err(path: &Path, e: std::io::Error) -> PlaybookError {
    PlaybookError {
        file: path.display().to_string(),
        line: None,
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_playbooks_load() {
        let p =
            Playbooks::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/playbooks"))).unwrap();
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
        let e = Playbooks::load(dir.path()).unwrap_err();
        assert!(e.file.ends_with("bad.yaml"));
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.to_string().contains("bad.yaml:3:"), "{e}");
    }
}
