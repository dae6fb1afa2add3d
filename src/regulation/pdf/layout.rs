//! The page layout of a report: A4, 2 cm margins; the title, legal basis and reference; the
//! addressee; the notices in a shaded box; each section under its heading, fields as label and
//! value side by side, tables with a shaded header row that is repeated on every page they run
//! onto; "Fields to complete" at the end; "Page N of M" at the foot of every page.
//!
//! Everything is placed as rows of cells, line by line: a row that does not fit the rest of a
//! page moves to the next one, and a row taller than a whole page is split between lines.
//! Coordinates are in points from the top-left corner (the writer turns them PDF's way up).
use super::shape::{Glyph, Measure, UNCOVERED};
use super::wrap::{width, wrap};
use crate::regulation::document::{Document, Item, Table, Value};

pub const PAGE_W: f32 = 595.276;
pub const PAGE_H: f32 = 841.89;
const LEFT: f32 = 56.7;
const RIGHT: f32 = PAGE_W - 56.7;
const TOP: f32 = 56.7;
/// Content ends above this; the footer sits below.
const BOTTOM: f32 = PAGE_H - 62.0;
const FOOTER: f32 = PAGE_H - 34.0;

/// What a missing value reads as, in red.
pub const NOT_KNOWN: &str = "Not known — to be completed";

pub type Rgb = [f32; 3];
const BLACK: Rgb = [0.0, 0.0, 0.0];
const DARK: Rgb = [0.25, 0.25, 0.25];
const GRAY: Rgb = [0.42, 0.42, 0.42];
const RED: Rgb = [0.72, 0.0, 0.0];
const RULE: Rgb = [0.8, 0.8, 0.8];
const HEAD_FILL: Rgb = [0.9, 0.9, 0.9];
const NOTICE_FILL: Rgb = [1.0, 0.95, 0.8];

pub enum Op {
    /// A line of text; `y` is its baseline.
    Text {
        x: f32,
        y: f32,
        size: f32,
        color: Rgb,
        glyphs: Vec<Glyph>,
    },
    /// A filled rectangle; `y` is its top.
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Rgb,
    },
    /// A horizontal rule at `y`.
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
        color: Rgb,
    },
}

#[derive(Default)]
pub struct Page {
    pub ops: Vec<Op>,
}

pub struct Layout {
    pub pages: Vec<Page>,
    /// The bookmarks: each section's heading with its page (0-based) and top.
    pub outline: Vec<(String, usize, f32)>,
    /// Characters no font has, with the (1-based) page they are on.
    pub uncovered: Vec<(char, usize)>,
}

#[derive(Clone, Copy)]
struct Style {
    size: f32,
    bold: bool,
    color: Rgb,
    /// Line height.
    lh: f32,
}

const fn style(size: f32, bold: bool, color: Rgb) -> Style {
    Style {
        size,
        bold,
        color,
        lh: size * 1.4,
    }
}

const TITLE: Style = style(17.0, true, BLACK);
const HEADING: Style = style(12.5, true, BLACK);
const SUBHEADING: Style = style(10.5, true, BLACK);
const BODY: Style = style(9.5, false, BLACK);
const LABEL: Style = style(9.0, true, DARK);
const MISSING: Style = style(9.5, false, RED);
const META: Style = style(9.0, false, GRAY);
const CELL: Style = style(8.5, false, BLACK);
const CELL_HEAD: Style = style(8.5, true, BLACK);
const FOOT: Style = style(8.0, false, GRAY);

/// Text wrapped into a column.
struct Cell {
    x: f32,
    /// Set for right-aligned text (numbers in tables): the right edge.
    right: Option<f32>,
    style: Style,
    lines: Vec<Vec<Glyph>>,
}

/// What a table repeats at the top of every page it continues on.
struct Head {
    caption: Cell,
    row: Vec<Cell>,
}

struct Flow<'m, M: Measure> {
    m: &'m M,
    pages: Vec<Page>,
    y: f32,
    uncovered: Vec<(char, usize)>,
    outline: Vec<(String, usize, f32)>,
}

/// Lays `doc` out on pages; the text is measured with `m`.
pub fn layout(doc: &Document, m: &impl Measure) -> Layout {
    let mut f = Flow {
        m,
        pages: vec![Page::default()],
        y: TOP,
        uncovered: Vec::new(),
        outline: Vec::new(),
    };
    f.front_matter(doc);
    for section in &doc.sections {
        f.heading(&section.heading);
        for item in &section.items {
            match item {
                Item::Field(field) => f.field(&field.label, &field.value),
                Item::Text { text } => {
                    let c = f.cell(text, LEFT, RIGHT - LEFT, BODY);
                    f.row(&[c], 2.0, None, None, None);
                }
                Item::Table(t) => f.table(t),
            }
        }
        f.y += 10.0;
    }
    f.missing(doc);
    f.footers(doc);
    Layout {
        pages: f.pages,
        uncovered: f.uncovered,
        outline: f.outline,
    }
}

impl<M: Measure> Flow<'_, M> {
    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = TOP;
    }

    fn at_top(&self) -> bool {
        self.y <= TOP + 0.01
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        &mut self.pages.last_mut().expect("a page").ops
    }

    fn text(&mut self, x: f32, baseline: f32, s: Style, glyphs: Vec<Glyph>) {
        let page = self.pages.len();
        for g in glyphs.iter().filter(|g| g.font == UNCOVERED) {
            self.uncovered.push((g.ch, page));
        }
        self.ops().push(Op::Text {
            x,
            y: baseline,
            size: s.size,
            color: s.color,
            glyphs,
        });
    }

    /// `text` wrapped to `w` points: its own line breaks kept, tabs and other controls as
    /// spaces.
    fn cell(&self, text: &str, x: f32, w: f32, style: Style) -> Cell {
        let glyphs = self.m.shape(&clean(text), style.bold);
        cell_of(glyphs, x, w, style)
    }

    /// Cells side by side, `pad` above and below each page's part of the row; moved to the
    /// next page when it does not fit (repeating `head` there), split between lines when it
    /// is taller than a page.
    fn row(
        &mut self,
        cells: &[Cell],
        pad: f32,
        fill: Option<Rgb>,
        rule: Option<Rgb>,
        head: Option<&Head>,
    ) {
        let lh = cells.iter().map(|c| c.style.lh).fold(0.0, f32::max);
        let n = cells.iter().map(|c| c.lines.len()).max().unwrap_or(0);
        let head_h = head.map_or(0.0, |h| h.height());
        let whole = n as f32 * lh + 2.0 * pad;
        // On a page begun for this row, at least one line goes on it, whatever its head took.
        let mut fresh = self.at_top();
        if whole > BOTTOM - self.y && !fresh && whole <= BOTTOM - TOP - head_h {
            self.continue_on_new_page(head);
            fresh = true;
        }
        let mut done = 0;
        loop {
            let fit = ((BOTTOM - self.y - 2.0 * pad) / lh).floor().max(0.0) as usize;
            let take = (n - done).min(if fresh { fit.max(1) } else { fit });
            if take == 0 && n > 0 {
                self.continue_on_new_page(head);
                fresh = true;
                continue;
            }
            let h = take as f32 * lh + 2.0 * pad;
            if let Some(color) = fill {
                let y = self.y;
                self.ops().push(Op::Fill {
                    x: LEFT,
                    y,
                    w: RIGHT - LEFT,
                    h,
                    color,
                });
            }
            for c in cells {
                let s = c.style;
                for (k, line) in c.lines.iter().enumerate().skip(done).take(take) {
                    let top = self.y + pad + (k - done) as f32 * lh;
                    let baseline = top + (lh - s.size) / 2.0 + s.size * 0.8;
                    let x = match c.right {
                        Some(edge) => edge - width(line) * s.size / 1000.0,
                        None => c.x,
                    };
                    self.text(x, baseline, s, line.clone());
                }
            }
            self.y += h;
            if let Some(color) = rule {
                let y = self.y;
                self.ops().push(Op::Rule {
                    x1: LEFT,
                    x2: RIGHT,
                    y,
                    color,
                });
            }
            done += take;
            if done >= n {
                break;
            }
            self.continue_on_new_page(head);
            fresh = true;
        }
    }

    fn continue_on_new_page(&mut self, head: Option<&Head>) {
        self.new_page();
        if let Some(h) = head {
            self.row(std::slice::from_ref(&h.caption), 2.0, None, None, None);
            self.row(&h.row, 3.0, Some(HEAD_FILL), None, None);
        }
    }

    /// Full-width text.
    fn paragraph(&mut self, text: &str, s: Style, pad: f32) {
        let c = self.cell(text, LEFT, RIGHT - LEFT, s);
        self.row(&[c], pad, None, None, None);
    }

    fn front_matter(&mut self, doc: &Document) {
        self.paragraph(&doc.title, TITLE, 0.0);
        self.y += 4.0;
        self.paragraph(&format!("Legal basis: {}", doc.legal_basis), BODY, 0.0);
        self.paragraph(
            &format!(
                "Incident {} · {} · generated {}",
                doc.reference,
                doc.regime,
                doc.generated_at.format("%Y-%m-%d %H:%M UTC")
            ),
            META,
            0.0,
        );
        self.y += 10.0;
        self.paragraph("Addressee", SUBHEADING, 2.0);
        match &doc.addressee {
            None => self.field("Authority", &Value::Missing),
            Some(a) => {
                self.field("Authority", &Value::Text(a.name.clone()));
                if let Some(l) = &a.local_name {
                    self.field("Local name", &Value::Text(l.clone()));
                }
                self.field("Filing routes", &Value::List(a.routes.clone()));
                let verified = a
                    .verified_on
                    .clone()
                    .unwrap_or_else(|| "not recorded".into());
                self.field("Directory entry verified", &Value::Text(verified));
            }
        }
        self.y += 10.0;
        if !doc.notices.is_empty() {
            let title = self.cell("Notices", LEFT + 6.0, RIGHT - LEFT - 12.0, SUBHEADING);
            self.row(&[title], 4.0, Some(NOTICE_FILL), None, None);
            for n in &doc.notices {
                let c = self.cell(&format!("• {n}"), LEFT + 6.0, RIGHT - LEFT - 12.0, BODY);
                self.row(&[c], 2.0, Some(NOTICE_FILL), None, None);
            }
            self.y += 12.0;
        }
    }

    /// A heading, kept with at least three lines of what follows.
    fn heading(&mut self, text: &str) {
        let c = self.cell(text, LEFT, RIGHT - LEFT, HEADING);
        let h = c.lines.len() as f32 * HEADING.lh + 6.0 + 3.0 * BODY.lh;
        if h > BOTTOM - self.y && !self.at_top() {
            self.new_page();
        }
        let page = self.pages.len() - 1;
        self.outline.push((clean(text), page, self.y));
        self.row(&[c], 2.0, None, Some(BLACK), None);
        self.y += 4.0;
    }

    fn field(&mut self, label: &str, value: &Value) {
        let label_w = (RIGHT - LEFT) * 0.36;
        let vx = LEFT + label_w + 10.0;
        let vw = RIGHT - vx;
        let label = self.cell(label, LEFT, label_w - 4.0, LABEL);
        let value = match value {
            Value::Missing => self.cell(NOT_KNOWN, vx, vw, MISSING),
            Value::List(items) if items.is_empty() => self.cell("None", vx, vw, BODY),
            Value::List(items) if items.len() > 1 => {
                let text: Vec<String> = items.iter().map(|i| format!("• {i}")).collect();
                self.cell(&text.join("\n"), vx, vw, BODY)
            }
            v => self.cell(&v.display().unwrap_or_default(), vx, vw, BODY),
        };
        self.row(&[label, value], 3.0, None, Some(RULE), None);
    }

    fn table(&mut self, t: &Table) {
        let ncols = t
            .rows
            .iter()
            .map(Vec::len)
            .chain([t.columns.len()])
            .max()
            .unwrap_or(0);
        let caption = self.cell(&t.caption, LEFT, RIGHT - LEFT, SUBHEADING);
        if ncols == 0 {
            self.row(&[caption], 2.0, None, None, None);
            self.paragraph("(an empty table)", META, 2.0);
            return;
        }
        let text = |row: &[String], i: usize| row.get(i).map(|s| clean(s)).unwrap_or_default();
        let header: Vec<Vec<Glyph>> = (0..ncols)
            .map(|i| self.m.shape(&text(&t.columns, i), true))
            .collect();
        let rows: Vec<Vec<Vec<Glyph>>> = t
            .rows
            .iter()
            .map(|r| {
                (0..ncols)
                    .map(|i| self.m.shape(&text(r, i), false))
                    .collect()
            })
            .collect();
        let widths = column_widths(&header, &rows, RIGHT - LEFT, CELL.size);
        let xs: Vec<f32> = widths
            .iter()
            .scan(LEFT, |x, w| {
                let at = *x;
                *x += w;
                Some(at)
            })
            .collect();
        // A column of numbers only is right-aligned, its header too.
        let numeric: Vec<bool> = (0..ncols)
            .map(|i| {
                let mut cells = t
                    .rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .filter(|c| !c.trim().is_empty());
                let mut any = false;
                cells.all(|c| {
                    any = true;
                    is_number(c)
                }) && any
            })
            .collect();
        let cells = |gs: &[Vec<Glyph>], s: Style| -> Vec<Cell> {
            gs.iter()
                .enumerate()
                .map(|(i, g)| {
                    let mut c = cell_of(g.clone(), xs[i] + 3.0, widths[i] - 6.0, s);
                    if numeric[i] {
                        c.right = Some(xs[i] + widths[i] - 3.0);
                    }
                    c
                })
                .collect()
        };
        let head = Head {
            caption: self.cell(
                &format!("{} (continued)", t.caption),
                LEFT,
                RIGHT - LEFT,
                SUBHEADING,
            ),
            row: cells(&header, CELL_HEAD),
        };
        // Caption, header and the first row together.
        let first = rows.first().map_or(CELL.lh, |r| {
            cells(r, CELL)
                .iter()
                .map(|c| c.lines.len())
                .max()
                .unwrap_or(1) as f32
                * CELL.lh
        });
        let need = caption.lines.len() as f32 * SUBHEADING.lh + head.height() + first + 6.0;
        if need > BOTTOM - self.y && !self.at_top() {
            self.new_page();
        }
        self.row(&[caption], 2.0, None, None, None);
        self.row(&head.row, 3.0, Some(HEAD_FILL), None, None);
        if rows.is_empty() {
            self.paragraph("No rows.", META, 3.0);
        }
        for r in &rows {
            let cs = cells(r, CELL);
            self.row(&cs, 2.5, None, Some(RULE), Some(&head));
        }
        self.y += 8.0;
    }

    fn missing(&mut self, doc: &Document) {
        self.heading("Fields to complete");
        if doc.missing.is_empty() {
            self.paragraph("None: every field of the form is filled.", BODY, 2.0);
            return;
        }
        for key in &doc.missing {
            let label = label_of(doc, key);
            let line = match label {
                Some(l) => format!("• {key} — {l}"),
                None => format!("• {key}"),
            };
            self.paragraph(&line, BODY, 1.5);
        }
    }

    fn footers(&mut self, doc: &Document) {
        let total = self.pages.len();
        let left = format!("{} · {}", doc.reference, doc.regime);
        for i in 0..total {
            let l = self.m.shape(&left, false);
            let r = self.m.shape(&format!("Page {} of {total}", i + 1), false);
            let rw = width(&r) * FOOT.size / 1000.0;
            let page = i + 1;
            for g in l.iter().chain(&r).filter(|g| g.font == UNCOVERED) {
                self.uncovered.push((g.ch, page));
            }
            let ops = &mut self.pages[i].ops;
            let rule = Op::Rule {
                x1: LEFT,
                x2: RIGHT,
                y: FOOTER - 12.0,
                color: RULE,
            };
            ops.push(rule);
            for (x, glyphs) in [(LEFT, l), (RIGHT - rw, r)] {
                ops.push(Op::Text {
                    x,
                    y: FOOTER,
                    size: FOOT.size,
                    color: FOOT.color,
                    glyphs,
                });
            }
        }
    }
}

impl Head {
    fn height(&self) -> f32 {
        let lines = |cs: &[Cell]| cs.iter().map(|c| c.lines.len()).max().unwrap_or(0) as f32;
        lines(std::slice::from_ref(&self.caption)) * SUBHEADING.lh
            + 4.0
            + lines(&self.row) * CELL_HEAD.lh
            + 6.0
    }
}

fn cell_of(glyphs: Vec<Glyph>, x: f32, w: f32, style: Style) -> Cell {
    let max = w * 1000.0 / style.size;
    let mut lines = Vec::new();
    for para in glyphs.split(|g| g.ch == '\n') {
        for r in wrap(para, max) {
            lines.push(para[r].to_vec());
        }
    }
    Cell {
        x,
        right: None,
        style,
        lines,
    }
}

/// A count, amount or share as tables show them: `1,234`, `-5`, `12.5 %`, `3.2%`.
fn is_number(s: &str) -> bool {
    let t = s.trim().trim_end_matches('%').trim_end();
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    !t.is_empty()
        && t.starts_with(|c: char| c.is_ascii_digit())
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | ' '))
}

/// The label of the field `section.field`, if the document has it.
fn label_of<'d>(doc: &'d Document, key: &str) -> Option<&'d str> {
    let (s, f) = key.split_once('.')?;
    doc.sections
        .iter()
        .filter(|x| x.key == s)
        .flat_map(|x| &x.items)
        .find_map(|i| match i {
            Item::Field(x) if x.key == f => Some(x.label.as_str()),
            _ => None,
        })
}

/// Line breaks as `\n`; tabs and other control characters as spaces; invisible formatting
/// characters (zero-width spaces and joiners, direction marks, variation selectors, soft
/// hyphens, byte-order marks) left out: they show nothing, and most fonts lack them.
/// Composed (NFC) first, so that a letter and its accent are one glyph.
fn clean(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.replace("\r\n", "\n")
        .nfc()
        .filter(|c| !super::shape::is_invisible(*c))
        .map(|c| match c {
            '\r' => '\n',
            '\n' => '\n',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// Column widths that add up to `total`: columns whose content is narrow get what it needs,
/// the rest share what is left in proportion to their content.
pub fn column_widths(
    header: &[Vec<Glyph>],
    rows: &[Vec<Vec<Glyph>>],
    total: f32,
    size: f32,
) -> Vec<f32> {
    let n = header.len();
    let pt = |g: &[Glyph]| width(g) * size / 1000.0 + 6.0;
    let mut natural: Vec<f32> = header.iter().map(|h| pt(h).min(total)).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            natural[i] = natural[i].max(pt(c).min(total));
        }
    }
    let min = (total / n as f32).min(36.0);
    let natural: Vec<f32> = natural.into_iter().map(|w| w.max(min)).collect();
    let sum: f32 = natural.iter().sum();
    if sum <= total {
        return natural.iter().map(|w| w * total / sum).collect();
    }
    // Narrow columns first keep their width while it is below a fair share of what is left.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| natural[*a].total_cmp(&natural[*b]).then(a.cmp(b)));
    let mut widths = vec![0.0; n];
    let mut left = total;
    let mut rest: f32 = natural.iter().sum();
    for (k, &i) in order.iter().enumerate() {
        let share = left / (n - k) as f32;
        let w = if natural[i] <= share {
            natural[i]
        } else {
            (left * natural[i] / rest).max(min)
        };
        widths[i] = w;
        left -= w;
        rest -= natural[i];
    }
    widths
}
