//! Chinese names compared as records get them wrong: traditional characters for simplified ones,
//! a rare character typed as its pinyin (with or without its tone) or as "?", the · of a minority name dropped, spaced or
//! written with another dot, a homophone, one character changed, or only the surname agreeing.
//!
//! The traditional forms are those of `data/linkage/t2s.txt` (the characters of common surnames
//! and given names, not a full conversion table); pinyin comes from the `pinyin` crate's tables
//! (pinyin-data), every reading of a character with several counting.

use std::collections::HashMap;
use std::sync::OnceLock;

use pinyin::ToPinyinMulti;

/// How two names agree, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NameAgreement {
    /// The same, once spaces, the dots of minority names and full-width letters are set aside.
    Same,
    /// The same once traditional characters are made simplified.
    Simplified,
    /// The same but where one side has "?" or a character's pinyin in place of the character.
    StandIn,
    /// Every character sounds the same (toneless pinyin).
    SamePinyin,
    /// One character added, dropped or changed.
    OneCharacter,
    /// Only the surname (the first character) agrees.
    Surname,
    Different,
}

const T2S: &str = include_str!("../../../data/linkage/t2s.txt");

fn t2s() -> &'static HashMap<char, char> {
    static TABLE: OnceLock<HashMap<char, char>> = OnceLock::new();
    TABLE.get_or_init(|| {
        T2S.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let mut c = l.split_whitespace().filter_map(|w| w.chars().next());
                Some((c.next()?, c.next()?))
            })
            .collect()
    })
}

/// A pinyin vowel without its tone mark (ü as v, as pinyin is typed).
fn toneless(c: char) -> char {
    match c {
        'ā' | 'á' | 'ǎ' | 'à' => 'a',
        'ē' | 'é' | 'ě' | 'è' => 'e',
        'ī' | 'í' | 'ǐ' | 'ì' => 'i',
        'ō' | 'ó' | 'ǒ' | 'ò' => 'o',
        'ū' | 'ú' | 'ǔ' | 'ù' => 'u',
        'ü' | 'ǖ' | 'ǘ' | 'ǚ' | 'ǜ' => 'v',
        _ => c,
    }
}

/// A name with spaces and the separators of minority names (· • ・ ‧ ． . -) dropped, full-width
/// letters and "？" folded, letters lower-cased, and pinyin without its tones (marks, or a digit
/// 1–5 after a syllable).
pub fn normalize(name: &str) -> String {
    let folded: Vec<char> = name
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '·' | '•' | '・' | '‧' | '．' | '.' | '-' | '‐' | '—'))
        .map(|c| match c {
            'Ａ'..='Ｚ' | 'ａ'..='ｚ' | '０'..='９' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '？' => '?',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .map(toneless)
        .collect();
    folded
        .iter()
        .enumerate()
        .filter(|&(i, c)| !(('1'..='5').contains(c) && i > 0 && folded[i - 1].is_ascii_lowercase()))
        .map(|(_, c)| *c)
        .collect()
}

/// [`normalize`], with the traditional characters of the table made simplified.
pub fn simplified(name: &str) -> String {
    normalize(name).chars().map(|c| t2s().get(&c).copied().unwrap_or(c)).collect()
}

/// One position of a name: a character, a run of letters (a character's pinyin), or "?".
#[derive(Debug, PartialEq)]
enum Unit {
    Han(char),
    Latin(String),
    Unknown,
}

fn units(name: &str) -> Vec<Unit> {
    let mut out = Vec::new();
    for c in name.chars() {
        match c {
            '?' | '*' => out.push(Unit::Unknown),
            'a'..='z' => match out.last_mut() {
                Some(Unit::Latin(s)) => s.push(c),
                _ => out.push(Unit::Latin(c.to_string())),
            },
            _ => out.push(Unit::Han(c)),
        }
    }
    out
}

/// Every toneless reading of `c`, ü written v as it is typed (none for a character the tables
/// do not know).
fn readings(c: char) -> Vec<String> {
    let typed = |p: pinyin::Pinyin| p.plain().chars().map(toneless).collect();
    c.to_pinyin_multi().map(|m| m.into_iter().map(typed).collect()).unwrap_or_default()
}

fn stands_for(x: &Unit, y: &Unit) -> bool {
    match (x, y) {
        (Unit::Unknown, Unit::Han(_)) => true,
        (Unit::Latin(s), Unit::Han(c)) => readings(*c).contains(s),
        _ => false,
    }
}

fn sound_alike(x: char, y: char) -> bool {
    let rx = readings(x);
    !rx.is_empty() && readings(y).iter().any(|r| rx.contains(r))
}

/// How names `a` and `b` agree.
pub fn compare(a: &str, b: &str) -> NameAgreement {
    if normalize(a) == normalize(b) {
        return NameAgreement::Same;
    }
    let (sa, sb) = (simplified(a), simplified(b));
    if sa == sb {
        return NameAgreement::Simplified;
    }
    let (ua, ub) = (units(&sa), units(&sb));
    if ua.len() == ub.len() {
        let mut stand_in = false;
        let fits = ua.iter().zip(&ub).all(|(x, y)| {
            let s = stands_for(x, y) || stands_for(y, x);
            stand_in |= s;
            x == y || s
        });
        if fits && stand_in {
            return NameAgreement::StandIn;
        }
        let sounds = ua.iter().zip(&ub).all(|(x, y)| match (x, y) {
            (Unit::Han(p), Unit::Han(q)) => p == q || sound_alike(*p, *q),
            _ => false,
        });
        if sounds {
            return NameAgreement::SamePinyin;
        }
    }
    if crate::text::levenshtein_within(&sa, &sb, 1).is_some() {
        return NameAgreement::OneCharacter;
    }
    match (ua.first(), ub.first()) {
        (Some(Unit::Han(x)), Some(Unit::Han(y))) if x == y => NameAgreement::Surname,
        _ => NameAgreement::Different,
    }
}

#[cfg(test)]
mod tests {
    use super::NameAgreement::*;
    use super::*;

    #[test]
    fn each_kind_of_difference_in_a_name_has_its_level() {
        assert_eq!(compare("张伟", "张伟"), Same);
        assert_eq!(compare("张 伟", "张伟"), Same, "a space");
        assert_eq!(compare("阿依古丽·买买提", "阿依古丽买买提"), Same, "the · dropped");
        assert_eq!(compare("阿依古丽•买买提", "阿依古丽.买买提"), Same, "another dot");
        assert_eq!(compare("張偉", "张伟"), Simplified);
        assert_eq!(compare("陳麗華", "陈丽华"), Simplified);
        assert_eq!(compare("王?明", "王喆明"), StandIn, "a rare character as ?");
        assert_eq!(compare("王喆明", "王？明"), StandIn, "a full-width ?");
        assert_eq!(compare("王zhe明", "王喆明"), StandIn, "a rare character as its pinyin");
        assert_eq!(compare("王ZHE明", "王喆明"), StandIn, "in capitals");
        assert_eq!(compare("王zhé明", "王喆明"), StandIn, "with its tone mark");
        assert_eq!(compare("王zhe2明", "王喆明"), StandIn, "with its tone as a digit");
        assert_eq!(compare("吕lv", "吕绿"), StandIn, "ü typed as v");
        assert_eq!(compare("吕lǜ", "吕绿"), StandIn, "ü with its tone mark");
        assert_eq!(compare("王li明", "王喆明"), Surname, "the wrong pinyin is no stand-in");
        assert_eq!(compare("张伟", "章伟"), SamePinyin, "a homophone");
        assert_eq!(compare("王小明", "王晓明"), SamePinyin);
        assert_eq!(compare("王小明", "王大明"), OneCharacter);
        assert_eq!(compare("王明", "王小明"), OneCharacter, "a character dropped");
        assert_eq!(compare("王建国", "王丽"), Surname);
        assert_eq!(compare("王建国", "李丽"), Different);
    }

    #[test]
    fn the_table_maps_traditional_characters_to_other_simplified_ones() {
        assert!(t2s().len() > 400);
        assert!(t2s().iter().all(|(t, s)| t != s), "no character maps to itself");
        assert_eq!(simplified("歐陽 麗"), "欧阳丽");
    }
}
