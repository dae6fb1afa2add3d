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
