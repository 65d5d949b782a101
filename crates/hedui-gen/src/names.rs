//! Personal names: weighted common surnames, given names, Uyghur names with the `·` separator
//! and a share of rare characters (including one outside the Basic Multilingual Plane).

use crate::rng::Rng;

/// Surnames with rough relative weights, skewed towards southern Jiangsu (陆, 顾, 沈, 恽).
const SURNAMES: &[(&str, u32)] = &[
    ("王", 720),
    ("李", 700),
    ("张", 680),
    ("刘", 540),
    ("陈", 560),
    ("杨", 320),
    ("黄", 230),
    ("赵", 220),
    ("吴", 260),
    ("周", 270),
    ("徐", 300),
    ("孙", 200),
    ("马", 130),
    ("朱", 250),
    ("胡", 140),
    ("郭", 110),
    ("何", 100),
    ("林", 100),
    ("高", 110),
    ("罗", 80),
    ("郑", 90),
    ("梁", 60),
    ("谢", 70),
    ("宋", 70),
    ("唐", 80),
    ("许", 90),
    ("韩", 60),
    ("邓", 50),
    ("冯", 60),
    ("曹", 70),
    ("彭", 50),
    ("曾", 40),
    ("肖", 50),
    ("田", 40),
    ("董", 50),
    ("潘", 60),
    ("袁", 50),
    ("蔡", 50),
    ("蒋", 90),
    ("余", 40),
    ("于", 40),
    ("杜", 40),
    ("叶", 50),
    ("程", 40),
    ("魏", 40),
    ("苏", 40),
    ("吕", 40),
    ("丁", 60),
    ("任", 30),
    ("卢", 30),
    ("姚", 50),
    ("沈", 90),
    ("钟", 30),
    ("姜", 40),
    ("崔", 30),
    ("谭", 30),
    ("陆", 110),
    ("范", 40),
    ("汪", 40),
    ("石", 30),
    ("金", 40),
    ("贾", 30),
    ("夏", 40),
    ("方", 40),
    ("邹", 40),
    ("秦", 30),
    ("邱", 30),
    ("江", 30),
    ("薛", 30),
    ("史", 30),
    ("陶", 30),
    ("毛", 30),
    ("顾", 80),
    ("邵", 30),
    ("钱", 50),
    ("戴", 40),
    ("严", 30),
    ("华", 30),
    ("恽", 8),
    ("欧阳", 6),
    ("司马", 2),
    ("诸葛", 2),
    ("上官", 2),
];

const MALE_CHARS: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞", "鑫", "波", "宇",
    "浩", "凯", "健", "俊", "帆", "旭", "宁", "龙", "林", "峰", "建", "国", "志", "文", "海", "东", "晨", "阳", "博",
    "诚", "轩", "睿", "子", "然", "皓", "宸", "梓", "一", "荣", "兵", "亮",
];

const FEMALE_CHARS: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀", "英", "玲", "萍", "红", "燕", "梅", "琳", "婷", "雪", "慧",
    "颖", "倩", "佳", "欣", "怡", "悦", "涵", "萱", "雨", "梓", "诗", "琪", "月", "兰", "凤", "洁", "楠",
];

/// Two-character given names typical of people born before the mid-1960s.
const OLD_MALE: &[&str] =
    &["建国", "国强", "建华", "志强", "德明", "福生", "金根", "小平", "国庆", "建军", "荣根", "锁林"];
const OLD_FEMALE: &[&str] =
    &["秀英", "桂英", "玉兰", "凤英", "秀珍", "桂兰", "玉珍", "金娣", "美华", "素芬", "杏娣", "月琴"];

/// Characters that legacy systems often cannot store. 䶮 (Extension A) and 龑 are the same
/// character in two forms; 𠇔 is in Extension B and needs four bytes in UTF-8.
const RARE_CHARS: &[(&str, u32)] = &[
    ("䶮", 3),
    ("龑", 3),
    ("堃", 3),
    ("喆", 3),
    ("玥", 3),
    ("𠇔", 6),
    ("燊", 2),
    ("犇", 2),
    ("昇", 2),
    ("淼", 2),
    ("赟", 2),
    ("祎", 2),
    ("珺", 2),
    ("翀", 2),
];

const UYGHUR_MALE: &[&str] = &[
    "买买提",
    "艾力",
    "阿不都",
    "吐尔逊",
    "依明",
    "艾合买提",
    "热合曼",
    "库尔班",
    "麦麦提敏",
    "努尔买买提",
    "阿卜杜热合曼",
];
const UYGHUR_FEMALE: &[&str] = &[
    "阿依古丽",
    "古丽娜尔",
    "热依拉",
    "帕提古丽",
    "迪丽努尔",
    "米日古丽",
    "再努尔",
    "阿依努尔",
    "努尔比亚",
    "古再丽努尔",
];

/// The separator of minority names prescribed by the 2016 name-collection notice (U+00B7).
pub(crate) const NAME_DOT: char = '\u{00B7}';

/// A surname drawn by frequency.
pub(crate) fn surname(rng: &mut Rng) -> &'static str {
    rng.weighted(SURNAMES)
}

/// A given name suited to the sex and birth year, with a small share of rare characters.
pub(crate) fn given(rng: &mut Rng, male: bool, birth_year: u16) -> String {
    if birth_year < 1965 && rng.chance(400) {
        return (rng.pick(if male { OLD_MALE } else { OLD_FEMALE })).to_string();
    }
    let pool = if male { MALE_CHARS } else { FEMALE_CHARS };
    let len = if rng.chance(300) { 1 } else { 2 };
    let rare_at = if rng.chance(50) { Some(rng.below(len)) } else { None };
    let mut name = String::new();
    for i in 0..len {
        if rare_at == Some(i) {
            name.push_str(rng.weighted(RARE_CHARS));
        } else {
            name.push_str(rng.pick(pool));
        }
    }
    name
}

/// A full Han name with a freshly drawn surname, used for counterparties and relatives.
pub(crate) fn full_name(rng: &mut Rng, male: bool, birth_year: u16) -> String {
    let s = surname(rng);
    format!("{s}{}", given(rng, male, birth_year))
}

/// A Uyghur personal name (the part before the `·`).
pub(crate) fn uyghur_own(rng: &mut Rng, male: bool) -> &'static str {
    rng.pick(if male { UYGHUR_MALE } else { UYGHUR_FEMALE })
}

/// A Uyghur full name: own name, `·`, father's name.
pub(crate) fn uyghur_full(own: &str, father: &str) -> String {
    format!("{own}{NAME_DOT}{father}")
}

#[cfg(test)]
// A failed expectation in a test is the failure report itself.
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_and_rare_characters_appear() {
        let mut rng = Rng::new(1);
        let mut rare = 0;
        let mut ext_b = 0;
        for _ in 0..20_000 {
            let male = rng.chance(500);
            let n = full_name(&mut rng, male, 1980);
            let chars = n.chars().count();
            assert!((2..=4).contains(&chars), "{n}");
            if n.chars().any(|c| RARE_CHARS.iter().any(|(r, _)| r.starts_with(c))) {
                rare += 1;
            }
            if n.chars().any(|c| u32::from(c) > 0xFFFF) {
                ext_b += 1;
            }
        }
        assert!(rare > 200, "{rare}");
        assert!(ext_b > 10, "{ext_b}");
    }

    #[test]
    fn uyghur_names_use_the_middle_dot() {
        let n = uyghur_full("阿依古丽", "买买提");
        assert_eq!(n, "阿依古丽·买买提");
        assert!(n.contains('\u{00B7}'));
    }
}
