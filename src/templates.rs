//! Handlebars templates, loaded once at start-up (see `assets` for where from), strict (a missing value is
//! an error, not an empty string).
//!
//! `*.html.hbs` go to the HTML registry, which escapes every interpolated value; everything else
//! (subjects, plain text) to the text registry, which does not. A template is named by its path
//! under `templates/` without `.hbs`: `notices/en/email.html`.
use crate::assets::Assets;
use anyhow::Context;
use handlebars::Handlebars;
use serde::Serialize;
use sha2::{Digest, Sha256};

pub struct Templates {
    pub html: Handlebars<'static>,
    pub text: Handlebars<'static>,
    /// SHA-256 over every template's name and source: a composition records the templates it
    /// was rendered with, so a change of templates makes it stale.
    fingerprint: String,
}

/// Loads every `*.hbs` file of `assets`; a template that does not parse stops start-up.
pub fn load(assets: &Assets) -> anyhow::Result<Templates> {
    let mut html = Handlebars::new();
    html.set_strict_mode(true);
    let mut text = Handlebars::new();
    text.set_strict_mode(true);
    text.register_escape_fn(handlebars::no_escape);
    let files = assets.files("").with_context(|| {
        format!(
            "cannot read the templates folder {} (set TOCSIN_TEMPLATES_DIR)",
            assets.origin()
        )
    })?;
    let mut hash = Sha256::new();
    for rel in files {
        let Some(name) = rel.strip_suffix(".hbs") else {
            continue;
        };
        let source = assets
            .read(&rel)
            .with_context(|| format!("cannot read template {}", assets.describe(&rel)))?
            .unwrap_or_default();
        hash.update(name.as_bytes());
        hash.update([0]);
        hash.update(source.as_bytes());
        hash.update([0]);
        let registry = if name.ends_with(".html") {
            &mut html
        } else {
            &mut text
        };
        registry
            .register_template_string(name, &source)
            .with_context(|| format!("template {} does not parse", assets.describe(&rel)))?;
        // Partials (files whose name starts with '_') are usable from both registries.
        if name.rsplit('/').next().is_some_and(|n| n.starts_with('_')) {
            html.register_partial(name, source.clone())?;
            text.register_partial(name, source)?;
        }
    }
    Ok(Templates {
        html,
        text,
        fingerprint: hex::encode(hash.finalize()),
    })
}

impl Templates {
    /// What the loaded templates are, as a digest (see the field).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

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
