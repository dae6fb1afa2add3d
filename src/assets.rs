//! Where templates and playbooks come from, so the binary runs from any directory: the folder a
//! setting names (`TOCSIN_TEMPLATES_DIR`, `TOCSIN_PLAYBOOKS_DIR`), else a folder of that name in
//! the working directory when there is one, else the defaults built into the binary.
use include_dir::{include_dir, Dir, DirEntry};
use std::path::{Path, PathBuf};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");
static PLAYBOOKS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/playbooks");

/// A tree of text files: a folder on disk or one built into the binary.
#[derive(Debug, Clone)]
pub enum Assets {
    Folder(PathBuf),
    Builtin {
        name: &'static str,
        dir: &'static Dir<'static>,
    },
}

impl Assets {
    /// The templates: `setting`, else `./templates` when present, else the built-in ones.
    pub fn templates(setting: Option<&Path>) -> Assets {
        Self::resolve(setting, "templates", &TEMPLATES)
    }

    /// The playbooks: `setting`, else `./playbooks` when present, else the built-in ones.
    pub fn playbooks(setting: Option<&Path>) -> Assets {
        Self::resolve(setting, "playbooks", &PLAYBOOKS)
    }

    /// The built-in playbooks whatever the working directory holds (tests, the demo).
    pub fn builtin_playbooks() -> Assets {
        Assets::Builtin {
            name: "playbooks",
            dir: &PLAYBOOKS,
        }
    }

    /// The built-in templates whatever the working directory holds.
    pub fn builtin_templates() -> Assets {
        Assets::Builtin {
            name: "templates",
            dir: &TEMPLATES,
        }
    }

    fn resolve(setting: Option<&Path>, name: &'static str, dir: &'static Dir<'static>) -> Assets {
        match setting {
            Some(p) => Assets::Folder(p.to_path_buf()),
            None if Path::new(name).is_dir() => Assets::Folder(PathBuf::from(name)),
            None => Assets::Builtin { name, dir },
        }
    }

    /// Where these come from, for the start-up log.
    pub fn origin(&self) -> String {
        match self {
            Assets::Folder(p) => p.display().to_string(),
            Assets::Builtin { name, .. } => format!("built-in {name}"),
        }
    }

    /// A file's name in messages: its path on disk, or `built-in:<tree>/<path>`.
    pub fn describe(&self, rel: &str) -> String {
        match self {
            Assets::Folder(p) => p.join(rel).display().to_string(),
            Assets::Builtin { name, .. } => format!("built-in:{name}/{rel}"),
        }
    }

    /// The text of `rel` (a `/`-separated path), or `None` when there is no such file.
    pub fn read(&self, rel: &str) -> std::io::Result<Option<String>> {
        match self {
            Assets::Folder(p) => match std::fs::read_to_string(p.join(rel)) {
                Ok(t) => Ok(Some(t)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            },
            Assets::Builtin { dir, .. } => match dir.get_file(rel) {
                None => Ok(None),
                Some(f) => f
                    .contents_utf8()
                    .map(|t| Some(t.to_owned()))
                    .ok_or_else(|| std::io::Error::other("not UTF-8 text")),
            },
        }
    }

    /// Every file under the folder `rel` ("" for all), recursively, as sorted `/`-separated
    /// paths relative to the root. A folder that does not exist holds no files; the root itself
    /// must exist.
    pub fn files(&self, rel: &str) -> std::io::Result<Vec<String>> {
        let mut out = Vec::new();
        match self {
            Assets::Folder(root) => {
                if !root.is_dir() {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!("{} is not a folder", root.display()),
                    ));
                }
                let mut stack = vec![root.join(rel)];
                while let Some(d) = stack.pop() {
                    let entries = match std::fs::read_dir(&d) {
                        Ok(e) => e,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(e),
                    };
                    for entry in entries {
                        let path = entry?.path();
                        if path.is_dir() {
                            stack.push(path);
                        } else if let Some(r) = path.strip_prefix(root).ok().and_then(Path::to_str)
                        {
                            out.push(r.replace('\\', "/"));
                        }
                    }
                }
            }
            Assets::Builtin { dir, .. } => {
                let start = if rel.is_empty() {
                    Some(*dir)
                } else {
                    dir.get_dir(rel)
                };
                let mut stack: Vec<&Dir> = start.into_iter().collect();
                while let Some(d) = stack.pop() {
                    for e in d.entries() {
                        match e {
                            DirEntry::Dir(sub) => stack.push(sub),
                            DirEntry::File(f) => {
                                if let Some(p) = f.path().to_str() {
                                    out.push(p.replace('\\', "/"));
                                }
                            }
                        }
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_trees_hold_the_shipped_files() {
        let t = Assets::builtin_templates();
        assert!(t
            .files("")
            .unwrap()
            .contains(&"notices/en/email.txt.hbs".to_string()));
        let p = Assets::builtin_playbooks();
        assert!(p.read("organisation.yaml").unwrap().is_some());
        assert!(p.read("nope.yaml").unwrap().is_none());
        assert_eq!(
            p.files("kinds").unwrap(),
            p.files("")
                .unwrap()
                .into_iter()
                .filter(|f| f.starts_with("kinds/"))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_named_folder_wins_and_a_missing_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("kinds")).unwrap();
        std::fs::write(dir.path().join("kinds/a.yaml"), "x").unwrap();
        let a = Assets::playbooks(Some(dir.path()));
        assert_eq!(a.files("").unwrap(), ["kinds/a.yaml"]);
        assert_eq!(a.files("none").unwrap(), Vec::<String>::new());
        assert!(Assets::Folder(dir.path().join("missing"))
            .files("")
            .is_err());
    }
}
