//! SMS text: which encoding a text needs, how many segments it costs, and how to shorten the
//! middle of a notice so that it fits a segment budget with its link intact.
//!
//! GSM 03.38 (7-bit) carries 160 septets in a single SMS and 153 per part of a concatenated one
//! (the user data header takes the rest); characters of the extension table (`^ { } \ [ ~ ] | €`
//! and form feed) cost two septets, an escape and the character, and a part never ends between
//! the two. Anything outside GSM 03.38 makes the whole message UCS-2: 70 UTF-16 code units
//! single, 67 per part, and a surrogate pair is never split across parts.
use std::fmt;

/// The two encodings an SMS can be sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl Encoding {
    /// Units one SMS carries on its own.
    pub fn single_capacity(self) -> usize {
        match self {
            Encoding::Gsm7 => 160,
            Encoding::Ucs2 => 70,
        }
    }

    /// Units each part of a concatenated SMS carries.
    pub fn part_capacity(self) -> usize {
        match self {
            Encoding::Gsm7 => 153,
            Encoding::Ucs2 => 67,
        }
    }
}

/// What a text costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentCount {
    pub encoding: Encoding,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: usize,
    /// Billable SMS segments; an empty text is still one SMS.
    pub segments: usize,
}

/// The GSM 03.38 basic character set (escape 0x1B excluded).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The GSM 03.38 extension table: each costs an escape septet plus itself.
const GSM_EXTENSION: &str = "\u{0C}^{}\\[~]|€";

/// Septets a character costs in GSM-7, or `None` when it is not in GSM 03.38.
pub fn gsm_septets(c: char) -> Option<usize> {
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The encoding a text needs: GSM-7 when every character is in GSM 03.38.
pub fn encoding_of(text: &str) -> Encoding {
    if text.chars().all(|c| gsm_septets(c).is_some()) {
        Encoding::Gsm7
    } else {
        Encoding::Ucs2
    }
}

/// The cost of a text, counting parts the way handsets split them (escape pairs and surrogate
/// pairs stay whole, so a part may carry one unit less than its capacity).
pub fn count(text: &str) -> SegmentCount {
    let encoding = encoding_of(text);
    let width = |c: char| match encoding {
        Encoding::Gsm7 => gsm_septets(c).unwrap_or(1),
        Encoding::Ucs2 => c.len_utf16(),
    };
    let units: usize = text.chars().map(width).sum();
    if units <= encoding.single_capacity() {
        return SegmentCount {
            encoding,
            units,
            segments: 1,
        };
    }
    let capacity = encoding.part_capacity();
    let (mut segments, mut used) = (1, 0);
    for c in text.chars() {
        let w = width(c);
        if used + w > capacity {
            segments += 1;
            used = 0;
        }
        used += w;
    }
    SegmentCount {
        encoding,
        units,
        segments,
    }
}

/// A text fitted into a segment budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fitted {
    pub text: String,
    pub segments: usize,
    pub encoding: Encoding,
    /// Whether the shortenable part was cut (or dropped).
    pub shortened: bool,
}

/// Why a text cannot be fitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FitError {
    /// A budget of zero segments.
    NoSegments,
    /// Even without the shortenable part, the fixed parts need more segments than allowed.
    FixedPartsTooLong {
        segments: usize,
        max_segments: usize,
    },
}

impl fmt::Display for FitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FitError::NoSegments => write!(f, "an SMS needs a budget of at least one segment"),
            FitError::FixedPartsTooLong {
                segments,
                max_segments,
            } => write!(
                f,
                "the SMS needs {segments} segments without its summary, more than the {max_segments} allowed: shorten the organisation name or the link"
            ),
        }
    }
}

impl std::error::Error for FitError {}

/// Fits `prefix + body + suffix` into at most `max_segments` segments by shortening only `body`
/// (the notice summary), so the organisation name and the link in `suffix` always arrive whole.
///
/// The parts are joined as given (put separators inside `prefix` and `suffix`). A shortened body
/// is cut after a word when one ends nearby, and ends with `...` in a GSM-7 message or `…` in a
/// UCS-2 one (the ellipsis never forces UCS-2 by itself). Dropping a character that needs UCS-2
/// can bring the message back to GSM-7, which is taken into account.
pub fn fit(
    prefix: &str,
    body: &str,
    suffix: &str,
    max_segments: usize,
) -> Result<Fitted, FitError> {
    if max_segments == 0 {
        return Err(FitError::NoSegments);
    }
    let whole = format!("{prefix}{body}{suffix}");
    let cost = count(&whole);
    if cost.segments <= max_segments {
        return Ok(Fitted {
            text: whole,
            segments: cost.segments,
            encoding: cost.encoding,
            shortened: false,
        });
    }

    // Byte offsets of every char boundary of `body`; keeping `cuts[k]` bytes keeps k chars.
    let cuts: Vec<usize> = body
        .char_indices()
        .map(|(i, _)| i)
        .chain([body.len()])
        .collect();
    let fits = |kept: &str| {
        let text = shortened(prefix, kept, suffix);
        let cost = count(&text);
        (cost.segments <= max_segments).then_some((text, cost))
    };

    // The cost grows with the kept length, so the longest kept prefix that fits is found by
    // bisection; every candidate is counted in full, so whatever is returned does fit.
    let (mut lo, mut hi) = (0usize, cuts.len() - 1);
    let mut best = fits("");
    if best.is_some() {
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            match fits(&body[..cuts[mid]]) {
                Some(found) => {
                    lo = mid;
                    best = Some(found);
                }
                None => hi = mid - 1,
            }
        }
        // Prefer ending after a whole word when one ends within the last 15 characters kept.
        let kept = &body[..cuts[lo]];
        if let Some(space) = kept.rfind(char::is_whitespace) {
            if kept[space..].chars().count() <= 15 && !kept[..space].trim().is_empty() {
                if let Some(found) = fits(&kept[..space]) {
                    best = Some(found);
                }
            }
        }
    }
    if let Some((text, cost)) = best {
        return Ok(Fitted {
            text,
            segments: cost.segments,
            encoding: cost.encoding,
            shortened: true,
        });
    }

    // No room even for an ellipsis: the fixed parts alone, if they fit.
    let bare = format!("{prefix}{suffix}");
    let cost = count(&bare);
    if cost.segments <= max_segments {
        return Ok(Fitted {
            text: bare,
            segments: cost.segments,
            encoding: cost.encoding,
            shortened: true,
        });
    }
    Err(FitError::FixedPartsTooLong {
        segments: cost.segments,
        max_segments,
    })
}

/// `prefix + kept + ellipsis + suffix`, with the kept part's trailing spaces and dangling
/// punctuation removed, and the ellipsis in the encoding the rest already needs.
fn shortened(prefix: &str, kept: &str, suffix: &str) -> String {
    let kept = kept.trim_end_matches(|c: char| c.is_whitespace() || ",;:-".contains(c));
    let rest_is_gsm = encoding_of(prefix) == Encoding::Gsm7
        && encoding_of(kept) == Encoding::Gsm7
        && encoding_of(suffix) == Encoding::Gsm7;
    let ellipsis = if rest_is_gsm { "..." } else { "…" };
    format!("{prefix}{kept}{ellipsis}{suffix}")
}

#[cfg(test)]
#[path = "sms_text_tests.rs"]
mod tests;
