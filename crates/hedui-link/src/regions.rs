//! Addresses compared by region: two records in the same township (GB/T 10114) or county
//! (GB/T 2260) agree more than two anywhere. A value is a region code; a free-text address (a
//! property's 坐落, a roll's 住址) is read into the deepest code it names first ([`RegionIndex`]),
//! with the deployment's region to choose between counties of the same name (朝阳区 is in Beijing
//! and in Changchun).

use std::collections::HashMap;

use hedui_core::region::{RegionCode, RegionTable};

/// How two region codes agree, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RegionAgreement {
    Township,
    County,
    City,
    Different,
}

fn digits(s: &str) -> Option<&str> {
    let s = s.trim();
    (s.len() >= 6 && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

/// How codes `a` and `b` agree; `None` when either is not a code of six digits or more.
pub fn compare(a: &str, b: &str) -> Option<RegionAgreement> {
    let (a, b) = (digits(a)?, digits(b)?);
    let same = |n: usize| a.len() >= n && b.len() >= n && a[..n] == b[..n];
    Some(if same(9) {
        RegionAgreement::Township
    } else if same(6) {
        RegionAgreement::County
    } else if same(4) {
        RegionAgreement::City
    } else {
        RegionAgreement::Different
    })
}

/// The names of counties and townships, to read a free-text address into a code.
pub struct RegionIndex {
    counties: Vec<(String, String)>,
    townships: HashMap<String, Vec<(String, String)>>,
    provinces: HashMap<String, String>,
}

impl RegionIndex {
    pub fn new(table: &RegionTable) -> RegionIndex {
        let counties: Vec<(String, String)> =
            table.counties_of("").into_iter().map(|(c, n)| (c.as_str().to_string(), n.to_string())).collect();
        let mut townships = HashMap::new();
        let mut provinces = HashMap::new();
        for (code, _) in &counties {
            if let Ok(c) = RegionCode::parse(code) {
                let list = table.townships_of(&c).into_iter().map(|(t, n)| (t.as_str().to_string(), n.to_string()));
                townships.insert(code.clone(), list.collect());
                let p = format!("{}0000", &code[..2]);
                if let Some(name) = RegionCode::parse(&p).ok().and_then(|p| table.name(&p).map(str::to_string)) {
                    provinces.insert(code[..2].to_string(), name);
                }
            }
        }
        RegionIndex { counties, townships, provinces }
    }

    /// The deepest region `text` names: a township's 9 digits, else a county's 6. A county name
    /// found in several provinces is taken in the one `text` names, else in `within` (a code
    /// prefix, the deployment's region); with no county named, the townships of `within` are
    /// looked for.
    pub fn parse(&self, text: &str, within: &str) -> Option<String> {
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let named = |n: &str| n.chars().count() >= 2 && text.contains(n);
        let mut found: Vec<&(String, String)> = self.counties.iter().filter(|(_, n)| named(n)).collect();
        // The longest name first (新北区 before 北区), then the county of a named province, then
        // the deployment's.
        found.sort_by_key(|(c, n)| {
            let province = self.provinces.get(&c[..2]).is_some_and(|p| text.contains(p.trim_end_matches(['省', '市'])));
            (std::cmp::Reverse(n.chars().count()), !province, !c.starts_with(within), c.clone())
        });
        let township = |county: &str| {
            let list = self.townships.get(county)?;
            let mut hits: Vec<&(String, String)> = list.iter().filter(|(_, n)| named(n)).collect();
            hits.sort_by_key(|(c, n)| (std::cmp::Reverse(n.chars().count()), c.clone()));
            hits.first().map(|(c, _)| c.clone())
        };
        match found.first() {
            Some((county, _)) => Some(township(county).unwrap_or_else(|| county.clone())),
            None => {
                let mut hits: Vec<String> = self
                    .counties
                    .iter()
                    .filter(|(c, _)| !within.is_empty() && c.starts_with(within))
                    .filter_map(|(c, _)| township(c))
                    .collect();
                hits.sort();
                (hits.len() == 1).then(|| hits.remove(0))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RegionAgreement::*;
    use super::*;

    fn index() -> RegionIndex {
        let table = RegionTable::from_csv(
            include_str!("../../../data/regions/provinces.csv"),
            include_str!("../../../data/regions/cities.csv"),
            include_str!("../../../data/regions/areas.csv"),
            include_str!("../../../data/regions/streets.csv"),
        );
        RegionIndex::new(&table.unwrap_or_default())
    }

    #[test]
    fn codes_agree_by_township_county_or_city() {
        assert_eq!(compare("320411004", "320411004"), Some(Township));
        assert_eq!(compare("320411004", "320411"), Some(County));
        assert_eq!(compare("320411004", "320412100"), Some(City));
        assert_eq!(compare("320411", "110105"), Some(Different));
        assert_eq!(compare("新北区", "320411"), None);
    }

    #[test]
    fn a_free_text_address_is_read_into_its_deepest_region() {
        let ix = index();
        assert_eq!(ix.parse("江苏省常州市新北区春江街道湖塘路277号11幢", "3204").as_deref(), Some("320411004"));
        assert_eq!(ix.parse("武进区湖塘镇人民路8号", "3204").as_deref(), Some("320412100"));
        // A county name of two provinces: the one the text names, else the deployment's.
        assert_eq!(ix.parse("北京市朝阳区建国路1号", "3204").as_deref().map(|c| &c[..6]), Some("110105"));
        assert_eq!(ix.parse("吉林省长春市朝阳区", "3204").as_deref().map(|c| &c[..6]), Some("220104"));
        // No county named: the deployment's townships.
        assert_eq!(ix.parse("牛塘镇某村5组", "3204").as_deref(), Some("320412102"));
        assert_eq!(ix.parse("某某路1号", "3204"), None);
    }
}
