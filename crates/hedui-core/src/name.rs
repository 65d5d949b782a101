//! Personal names: normalization for matching, and masking for display.
//!
//! Names are matched as a consistency check, never as identity. The form
//! used for matching trims and removes spaces, folds full-width ASCII, and
//! unifies the middle-dot look-alikes that systems substitute for the name
//! separator `·` (U+00B7). The raw name is always kept as the source sent it.

/// The middle-dot variants that stand for the name separator.
const DOTS: [char; 7] = ['\u{00B7}', '\u{2022}', '\u{30FB}', '\u{FF0E}', '.', '\u{2027}', '\u{FF65}'];

/// The form of a name used for matching.
pub fn normalize_name(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
        .map(|c| {
            if DOTS.contains(&c) {
                '\u{00B7}'
            } else if ('\u{FF01}'..='\u{FF5E}').contains(&c) {
                // Full-width ASCII folds to its half-width form.
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// Masks a name for roles that may not see it in full: the first character stays.
pub fn mask_name(raw: &str) -> String {
    let mut chars = raw.chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count();
            let mut s = String::new();
            s.push(first);
            s.push_str(&"*".repeat(rest.max(1)));
            s
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_spaces_and_full_width_fold() {
        assert_eq!(normalize_name(" 阿依古丽•买买提 "), "阿依古丽·买买提");
        assert_eq!(normalize_name("阿依古丽・买买提"), "阿依古丽·买买提");
        assert_eq!(normalize_name("王　小 明"), "王小明");
        assert_eq!(normalize_name("ＡＢＣ"), "ABC");
        assert_eq!(normalize_name("李䶮"), "李䶮");
    }

    #[test]
    fn masking_keeps_the_first_character() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("阿依古丽·买买提"), "阿*******");
        assert_eq!(mask_name("𠇔"), "𠇔*");
    }
}
