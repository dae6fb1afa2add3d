//! Handlebars templates, loaded once at start-up from `templates/`, strict (a missing value is
//! an error, not an empty string).
//!
//! `*.html.hbs` go to the HTML registry, which escapes every interpolated value; everything else
//! (subjects, plain text) to the text registry, which does not. A template is named by its path
//! under `templates/` without `.hbs`: `notices/en/email.html`.
use anyhow::Context;
use handlebars::Handlebars;
use serde::Serialize;
use std::path::Path;

pub struct Templates {
    pub html: Handlebars<'static>,
    pub text: Handlebars<'static>,
}

pub fn load(dir: &Path) -> anyhow::Result<Templates> {
    let mut html = Handlebars::new();
    html.set_strict_mode(true);
    let mut text = Handlebars::new();
    text.set_strict_mode(true);
    text.register_escape_fn(handlebars::no_escape);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).with_context(|| {
            format!(
                "cannot read the templates folder {} (set TOCSIN_TEMPLATES_DIR)",
                d.display()
            )
        })?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Some(rel) = path.strip_prefix(dir).ok().and_then(|p| p.to_str()) else {
                continue;
            };
            let Some(name) = rel.strip_suffix(".hbs") else {
                continue;
            };
            let name = name.replace('\\', "/");
            let source = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read template {}", path.display()))?;
            let registry = if name.ends_with(".html") {
                &mut html
            } else {
                &mut text
            };
            registry
                .register_template_string(&name, source)
                .with_context(|| format!("template {} does not parse", path.display()))?;
            // Partials (files whose name starts with '_') are usable from both registries.
            if name.rsplit('/').next().is_some_and(|n| n.starts_with('_')) {
                let source = std::fs::read_to_string(&path)?;
                html.register_partial(&name, source.clone())?;
                text.register_partial(&name, source)?;
            }
        }
    }
    Ok(Templates { html, text })
}

impl Templates {
    /// Renders `name` from whichever registry holds it.
    pub fn render<T: Serialize>(&self, name: &str, data: &T) -> anyhow::Result<String> {
        let reg = if self.html.has_template(name) {
            &self.html
        } else {
            &self.text
        };
        reg.render(name, data)
            .with_context(|| format!("rendering template {name}"))
    }

    pub fn has(&self, name: &str) -> bool {
        self.html.has_template(name) || self.text.has_template(name)
    }

    /// The template for `locale`, falling back to its language, then to English:
    /// `notices/{locale}/{file}`.
    pub fn localized(&self, area: &str, locale: &str, file: &str) -> String {
        let lang = locale.split('-').next().unwrap_or(locale);
        for l in [locale, lang, "en"] {
            let name = format!("{area}/{l}/{file}");
            if self.has(&name) {
                return name;
            }
        }
        format!("{area}/en/{file}")
    }
}
