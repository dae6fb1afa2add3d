//! `tocsin delivery status --incident ID [--watch]`: where a dispatch stands, per channel, with
//! progress bars on a terminal (and one line per update when not on one).
use super::{open, out, Fail};
use crate::config::Settings;
use crate::delivery::progress::{progress, Counts, Progress};
use std::io::IsTerminal;
use std::time::Duration;

fn line(name: &str, c: &Counts) -> String {
    format!(
        "{name:<7} {:>8} total  {:>8} sent  {:>8} pending  {:>6} failed  {:>6} unreachable  {:>6} cancelled",
        c.total, c.sent, c.pending, c.failed, c.unreachable, c.cancelled
    )
}

fn text(p: &Progress) -> Vec<String> {
    let mut lines = vec![format!("delivery {}", p.state), line("people", &p.people)];
    for (ch, c) in &p.by_channel {
        if c.total > 0 {
            lines.push(line(ch.as_str(), c));
        }
    }
    lines
}

pub(super) async fn status(settings: &Settings, incident: i64, watch: bool) -> Result<(), Fail> {
    let db = open(settings).await?;
    let get = || async {
        progress(&db, incident).await.map_err(|e| match e {
            crate::incidents::IncidentError::NotFound(_) => {
                Fail::usage(format!("incident {incident} not found"))
            }
            other => Fail::runtime(other.to_string()),
        })
    };
    let first = get().await?;
    if !watch {
        for l in text(&first) {
            out!("{l}");
        }
        return Ok(());
    }
    if !std::io::stderr().is_terminal() {
        // Not a terminal: a line per change, until done.
        let mut last = None;
        loop {
            let p = get().await?;
            if last.as_ref() != Some(&p) {
                out!("{}", text(&p).join(" | "));
            }
            if p.finished() {
                return Ok(());
            }
            last = Some(p);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    let bars = indicatif::MultiProgress::new();
    let style = indicatif::ProgressStyle::with_template("{prefix:<7} {bar:40} {pos}/{len} {msg}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    let mut shown: Vec<(String, indicatif::ProgressBar)> = Vec::new();
    loop {
        let p = get().await?;
        let rows = std::iter::once(("people".to_owned(), p.people.clone())).chain(
            p.by_channel
                .iter()
                .filter(|(_, c)| c.total > 0)
                .map(|(ch, c)| (ch.as_str().to_owned(), c.clone())),
        );
        for (name, c) in rows {
            let bar = match shown.iter().find(|(n, _)| *n == name) {
                Some((_, b)) => b.clone(),
                None => {
                    let b = bars.add(indicatif::ProgressBar::new(0));
                    b.set_style(style.clone());
                    b.set_prefix(name.clone());
                    shown.push((name, b.clone()));
                    b
                }
            };
            bar.set_length(c.total.max(0) as u64);
            bar.set_position((c.total - c.pending).max(0) as u64);
            bar.set_message(format!(
                "sent {} · failed {} · unreachable {} · cancelled {}",
                c.sent, c.failed, c.unreachable, c.cancelled
            ));
        }
        if p.finished() {
            for (_, b) in &shown {
                b.finish();
            }
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
