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
mod tests {
    use super::*;

    fn segments(text: &str) -> (Encoding, usize, usize) {
        let c = count(text);
        (c.encoding, c.units, c.segments)
    }

    #[test]
    fn plain_ascii_and_gsm_accents_are_gsm7() {
        assert_eq!(encoding_of("Hello, world! @ £ $ ¥ è é Ä ß"), Encoding::Gsm7);
        assert_eq!(encoding_of(""), Encoding::Gsm7);
    }

    #[test]
    fn characters_outside_gsm_make_the_whole_text_ucs2() {
        for text in ["naïve", "ça", "Привет", "漏洩", "it’s", "a…", "😀", "`"] {
            assert_eq!(encoding_of(text), Encoding::Ucs2, "{text}");
        }
    }

    #[test]
    fn every_character_of_both_gsm_tables_is_recognised() {
        assert_eq!(GSM_BASIC.chars().count(), 127, "128 codes less the escape");
        assert_eq!(GSM_EXTENSION.chars().count(), 10);
        assert!(GSM_BASIC.chars().all(|c| gsm_septets(c) == Some(1)));
        assert!(GSM_EXTENSION.chars().all(|c| gsm_septets(c) == Some(2)));
    }

    #[test]
    fn gsm7_fits_160_septets_in_one_sms_and_153_per_part_beyond() {
        assert_eq!(segments(""), (Encoding::Gsm7, 0, 1));
        assert_eq!(segments(&"a".repeat(160)), (Encoding::Gsm7, 160, 1));
        assert_eq!(segments(&"a".repeat(161)), (Encoding::Gsm7, 161, 2));
        assert_eq!(segments(&"a".repeat(306)), (Encoding::Gsm7, 306, 2));
        assert_eq!(segments(&"a".repeat(307)), (Encoding::Gsm7, 307, 3));
    }

    #[test]
    fn extension_characters_cost_two_septets() {
        assert_eq!(segments(&"€".repeat(80)), (Encoding::Gsm7, 160, 1));
        assert_eq!(
            segments(&format!("{}a", "€".repeat(80))),
            (Encoding::Gsm7, 161, 2)
        );
    }

    #[test]
    fn an_escape_pair_is_never_split_across_parts() {
        // 152 septets, then an extension character that would straddle septets 153 and 154.
        let text = format!("{}{}{}", "a".repeat(152), "[", "a".repeat(152));
        assert_eq!(count(&text).units, 306);
        // Split whole: part 1 = 152 septets, part 2 = 2 + 151, part 3 = 1.
        assert_eq!(count(&text).segments, 3);
        let text = format!("{}{}{}", "a".repeat(151), "[", "a".repeat(153));
        assert_eq!(count(&text).segments, 2);
    }

    #[test]
    fn ucs2_fits_70_units_in_one_sms_and_67_per_part_beyond() {
        assert_eq!(segments(&"é".repeat(69)).2, 1, "é alone is GSM");
        assert_eq!(segments(&"ï".repeat(70)), (Encoding::Ucs2, 70, 1));
        assert_eq!(segments(&"ï".repeat(71)), (Encoding::Ucs2, 71, 2));
        assert_eq!(segments(&"ï".repeat(134)), (Encoding::Ucs2, 134, 2));
        assert_eq!(segments(&"ï".repeat(135)), (Encoding::Ucs2, 135, 3));
    }

    #[test]
    fn a_surrogate_pair_counts_two_units_and_is_never_split() {
        assert_eq!(segments(&"😀".repeat(35)), (Encoding::Ucs2, 70, 1));
        let text = format!("{}😀{}", "ï".repeat(66), "ï".repeat(66));
        assert_eq!(count(&text).units, 134);
        // 66 + (2 + 65) + 1: the pair moves whole to the second part.
        assert_eq!(count(&text).segments, 3);
    }

    #[test]
    fn a_text_that_fits_is_left_alone() {
        let fitted = fit(
            "Acme: ",
            "We had a breach.",
            " Details: https://x.test/n/ab12",
            1,
        )
        .unwrap();
        assert_eq!(
            fitted.text,
            "Acme: We had a breach. Details: https://x.test/n/ab12"
        );
        assert!(!fitted.shortened);
        assert_eq!((fitted.segments, fitted.encoding), (1, Encoding::Gsm7));
    }

    #[test]
    fn a_long_summary_is_cut_after_a_word_and_the_link_stays_whole() {
        let link = " Details: https://tocsin.example/n/Zx8_kP2qRt";
        let body = "Someone copied our customer database, including names, postal addresses and the last four digits of card numbers, between 3 and 5 March. ".repeat(3);
        for max in 1..=3 {
            let fitted = fit("Acme Bank: ", &body, link, max).unwrap();
            assert!(fitted.shortened);
            assert!(fitted.text.starts_with("Acme Bank: Someone copied"));
            assert!(fitted.text.ends_with(link), "{}", fitted.text);
            assert!(fitted.text.contains("..."), "GSM text gets a GSM ellipsis");
            assert_eq!(fitted.encoding, Encoding::Gsm7);
            assert_eq!(fitted.segments, max);
            assert_eq!(count(&fitted.text).segments, fitted.segments);
            let kept = fitted.text.split("...").next().unwrap();
            assert!(body.starts_with(&kept["Acme Bank: ".len()..]));
            assert!(!kept.ends_with(' '));
            // Cut after a whole word: what follows in the original ends that word.
            let next = body[kept.len() - "Acme Bank: ".len()..].chars().next();
            assert!(matches!(next, Some(' ' | ',' | '.')), "{next:?}");
            // And not much room is wasted.
            let capacity = if max == 1 { 160 } else { max * 153 };
            let room = capacity - count(&fitted.text).units;
            assert!(room <= 20, "{room} septets unused with {max} segments");
        }
    }

    #[test]
    fn a_unicode_summary_is_cut_in_ucs2_units_with_a_single_ellipsis_character() {
        let body = "Наша база данных клиентов была скопирована злоумышленниками. ".repeat(4);
        let fitted = fit("Acme: ", &body, " https://x.test/n/ab12", 2).unwrap();
        assert_eq!((fitted.encoding, fitted.segments), (Encoding::Ucs2, 2));
        assert!(fitted.text.contains('…'));
        assert!(fitted.text.ends_with(" https://x.test/n/ab12"));
        assert!(count(&fitted.text).units <= 134);
    }

    #[test]
    fn cutting_away_the_only_unicode_character_brings_the_text_back_to_gsm7() {
        // 150 GSM characters, then an emoji far past what fits.
        let body = format!("{} {}", "word ".repeat(60), "😀 tail");
        let fitted = fit("", &body, " https://x.test/n/1", 2).unwrap();
        assert_eq!(fitted.encoding, Encoding::Gsm7);
        assert!(!fitted.text.contains('😀'));
        assert!(
            count(&fitted.text).units > 200,
            "GSM-7 room was used, not UCS-2 room"
        );
    }

    #[test]
    fn a_word_longer_than_the_room_is_cut_inside_the_word() {
        let body = "x".repeat(400);
        let fitted = fit("A: ", &body, " B", 1).unwrap();
        assert_eq!(count(&fitted.text).units, 160);
        assert!(fitted.text.ends_with("... B"));
    }

    #[test]
    fn when_only_the_fixed_parts_fit_the_summary_is_dropped() {
        let prefix = "p".repeat(78);
        let suffix = "s".repeat(80);
        let fitted = fit(&prefix, "a long summary", &suffix, 1).unwrap();
        assert_eq!(fitted.text, format!("{prefix}{suffix}"));
        assert!(fitted.shortened);
    }

    #[test]
    fn any_mix_of_characters_fits_its_budget_with_prefix_and_link_whole() {
        // A fixed pseudo-random walk over GSM, extension, accented, CJK and emoji characters.
        let alphabet: Vec<char> = "ab €[~ éÇ\nçï漏洩😀🔒".chars().collect();
        let mut seed = 0x2545_f491_u64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) as usize % n
        };
        for _ in 0..300 {
            let len = next(400);
            let body: String = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            let prefix = ["Acme: ", "Ącme: ", ""][next(3)];
            let suffix = [" https://x.test/n/ab", " 詳細 https://x.test/n/ab"][next(2)];
            let max = 1 + next(4);
            let Ok(fitted) = fit(prefix, &body, suffix, max) else {
                continue;
            };
            let cost = count(&fitted.text);
            assert!(cost.segments <= max, "{:?} in {max}", fitted.text);
            assert_eq!(
                (cost.segments, cost.encoding),
                (fitted.segments, fitted.encoding)
            );
            assert!(fitted.text.starts_with(prefix) && fitted.text.ends_with(suffix));
            assert_eq!(
                fitted.shortened,
                fitted.text != format!("{prefix}{body}{suffix}")
            );
        }
    }

    #[test]
    fn fixed_parts_longer_than_the_budget_are_an_error_not_a_cut_link() {
        let link = format!(" https://x.test/{}", "a".repeat(200));
        assert_eq!(
            fit("Acme: ", "summary", &link, 1),
            Err(FitError::FixedPartsTooLong {
                segments: 2,
                max_segments: 1
            })
        );
        assert_eq!(fit("a", "b", "c", 0), Err(FitError::NoSegments));
    }
}
