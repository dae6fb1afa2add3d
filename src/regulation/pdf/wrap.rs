//! Line breaking: greedy, at spaces between words and between any two characters of Chinese,
//! Japanese or Korean text, never before closing punctuation (、。」) nor after opening
//! punctuation (「); a word longer than the line is broken where it overflows. Spaces at a
//! break are not drawn (the line ends before them), nothing else is ever left out.
use super::shape::{is_wide, Glyph};
use std::ops::Range;

/// Splits `glyphs` into lines no wider than `max` (in the glyphs' unit: thousandths of the
/// font size). Always at least one line; each range excludes the spaces at the break.
pub fn wrap(glyphs: &[Glyph], max: f32) -> Vec<Range<usize>> {
    let n = glyphs.len();
    let mut lines = Vec::new();
    let mut start = 0;
    while start < n {
        if !lines.is_empty() {
            while start < n && is_space(glyphs[start].ch) {
                start += 1;
            }
            if start == n {
                break;
            }
        }
        let mut x = 0.0;
        let mut last_break = None;
        let mut end = n;
        for i in start..n {
            if i > start && can_break(glyphs[i - 1].ch, glyphs[i].ch) {
                last_break = Some(i);
            }
            let w = glyphs[i].adv;
            if x + w > max + 0.01 && i > start && !is_space(glyphs[i].ch) {
                end = last_break.unwrap_or(i);
                break;
            }
            x += w;
        }
        let mut stop = end;
        while stop > start && is_space(glyphs[stop - 1].ch) {
            stop -= 1;
        }
        lines.push(start..stop);
        start = end;
    }
    if lines.is_empty() {
        lines.push(0..0);
    }
    lines
}

/// The width of `glyphs` in thousandths of the font size.
pub fn width(glyphs: &[Glyph]) -> f32 {
    glyphs.iter().map(|g| g.adv).sum()
}

pub fn is_space(c: char) -> bool {
    c.is_whitespace() && !matches!(c, '\u{A0}' | '\u{2007}' | '\u{202F}')
}

/// May a line end between `a` and `b`?
fn can_break(a: char, b: char) -> bool {
    if is_space(b) {
        return false;
    }
    if is_space(a) {
        return true;
    }
    if NO_START.contains(b) || NO_END.contains(a) {
        return false;
    }
    is_wide(a) || is_wide(b)
}

/// Characters a line must not start with (Japanese kinsoku, and Western closing punctuation
/// after CJK text).
const NO_START: &str = "、。，．,.:;!?)]}）」』】〕〉》〙〗｝］？！：；ー々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ・‐–—%％’”";
/// Characters a line must not end with.
const NO_END: &str = "([{（「『【〔〈《〘〖｛［‘“";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regulation::pdf::shape::UNCOVERED;

    /// A fake font: Latin 500 wide, CJK 1000, spaces 250.
    pub fn glyphs(s: &str) -> Vec<Glyph> {
        s.chars()
            .map(|ch| Glyph {
                ch,
                font: UNCOVERED,
                gid: 0,
                adv: if is_wide(ch) {
                    1000.0
                } else if ch == ' ' {
                    250.0
                } else {
                    500.0
                },
            })
            .collect()
    }

    fn lines(s: &str, max: f32) -> Vec<String> {
        let g = glyphs(s);
        wrap(&g, max)
            .into_iter()
            .map(|r| g[r].iter().map(|g| g.ch).collect())
            .collect()
    }

    #[test]
    fn latin_breaks_between_words_and_drops_only_the_spaces_at_breaks() {
        // "aaaa" is 2000 wide, a space 250: two words fit in 4250.
        assert_eq!(
            lines("aaaa bbbb cccc dddd", 4250.0),
            ["aaaa bbbb", "cccc dddd"]
        );
        assert_eq!(lines("aaaa bbbb", 2000.0), ["aaaa", "bbbb"]);
        assert_eq!(lines("aaaa bbbb", 1999.0), ["aaa", "a", "bbb", "b"]);
        assert_eq!(lines("aaaa   bbbb", 2000.0), ["aaaa", "bbbb"]);
    }

    #[test]
    fn a_word_longer_than_the_line_is_broken_where_it_overflows() {
        assert_eq!(lines("abcdefgh", 2000.0), ["abcd", "efgh"]);
        // One character wider than the line still goes somewhere.
        assert_eq!(lines("ab", 100.0), ["a", "b"]);
    }

    #[test]
    fn cjk_breaks_between_any_two_characters_but_not_before_closing_punctuation() {
        assert_eq!(
            lines("個人情報の漏えい等報告", 3000.0),
            ["個人情", "報の漏", "えい等", "報告"]
        );
        // 。may not start a line: 報 goes down with it.
        assert_eq!(lines("漏えい報。告", 4000.0), ["漏えい", "報。告"]);
        // 「 may not end a line.
        assert_eq!(lines("あい「う」", 3000.0), ["あい", "「う」"]);
        assert_eq!(
            lines("개인정보 유출 신고", 3000.0),
            ["개인정", "보 유", "출 신", "고"]
        );
    }

    #[test]
    fn mixed_text_breaks_between_latin_words_and_cjk_characters() {
        assert_eq!(
            lines("PPC 個人情報", 3000.0),
            ["PPC 個", "人情報"],
            "a Latin word stays whole, CJK fills the rest"
        );
    }

    #[test]
    fn empty_and_blank_text_make_one_empty_line() {
        assert_eq!(lines("", 1000.0), [""]);
        assert_eq!(lines("   ", 1000.0), [""]);
    }

    #[test]
    fn every_non_space_character_is_kept() {
        let s = "The breach 個人情報の漏えい等報告 개인정보 유출 신고 个人信息泄露 of 300 records, notified.";
        for max in [1000.0, 2300.0, 5000.0, 50_000.0] {
            let joined: String = lines(s, max).concat();
            let strip = |t: &str| t.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            assert_eq!(strip(&joined), strip(s), "at {max}");
            for l in lines(s, max) {
                let w = width(&glyphs(&l));
                assert!(w <= max || l.chars().count() == 1, "{l:?} is {w} > {max}");
            }
        }
    }
}
