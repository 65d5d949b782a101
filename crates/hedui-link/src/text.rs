//! String similarity over characters (not bytes: a Chinese character is one unit).

/// Jaro–Winkler similarity in `0.0..=1.0` (prefix scale 0.1, at most four characters of
/// common prefix), 1.0 for two equal strings, 0.0 when either is empty and they differ.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let j = jaro(&a, &b);
    let prefix = a.iter().zip(&b).take(4).take_while(|(x, y)| x == y).count() as f64;
    j + prefix * 0.1 * (1.0 - j)
}

fn jaro(a: &[char], b: &[char]) -> f64 {
    if a == b {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut b_used = vec![false; b.len()];
    let mut a_matched = Vec::with_capacity(a.len());
    for (i, ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        if let Some(j) = (lo..hi).find(|&j| !b_used[j] && b[j] == *ca) {
            b_used[j] = true;
            a_matched.push(*ca);
        }
    }
    let m = a_matched.len();
    if m == 0 {
        return 0.0;
    }
    let b_matched = b.iter().zip(&b_used).filter(|(_, used)| **used).map(|(c, _)| *c);
    let transpositions = a_matched.iter().zip(b_matched).filter(|(x, y)| **x != *y).count() / 2;
    let m = m as f64;
    (m / a.len() as f64 + m / b.len() as f64 + (m - transpositions as f64) / m) / 3.0
}

/// The Levenshtein distance between `a` and `b` in characters, or `None` when it exceeds `max`
/// (the work then stops early: a band of width `2 × max + 1`).
pub fn levenshtein_within(a: &str, b: &str, max: usize) -> Option<usize> {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        let mut row_min = cur[0];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            row_min = row_min.min(cur[j + 1]);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= max).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(x: f64, y: f64) -> bool {
        (x - y).abs() < 1e-3
    }

    #[test]
    fn jaro_winkler_gives_the_textbook_values() {
        // The classic pairs of Winkler's papers.
        assert!(close(jaro_winkler("MARTHA", "MARHTA"), 0.961), "{}", jaro_winkler("MARTHA", "MARHTA"));
        assert!(close(jaro_winkler("DWAYNE", "DUANE"), 0.840), "{}", jaro_winkler("DWAYNE", "DUANE"));
        assert!(close(jaro_winkler("DIXON", "DICKSONX"), 0.813), "{}", jaro_winkler("DIXON", "DICKSONX"));
        assert!(close(jaro_winkler("张伟", "张伟"), 1.0));
        assert!(close(jaro_winkler("", ""), 1.0));
        assert!(close(jaro_winkler("张伟", ""), 0.0));
        assert!(close(jaro_winkler("张伟", "李娜"), 0.0));
        // Characters, not bytes: one character of three differs.
        assert!(jaro_winkler("欧阳娜娜", "欧阳娜") > 0.9);
    }

    #[test]
    fn levenshtein_counts_characters_and_stops_past_its_bound() {
        assert_eq!(levenshtein_within("kitten", "sitting", 3), Some(3));
        assert_eq!(levenshtein_within("kitten", "sitting", 2), None);
        assert_eq!(levenshtein_within("王小明", "王晓明", 1), Some(1));
        assert_eq!(levenshtein_within("王小明", "王小明", 0), Some(0));
        assert_eq!(levenshtein_within("", "王", 1), Some(1));
        assert_eq!(levenshtein_within("阿依古丽·买买提", "阿依古丽买买提", 1), Some(1));
        assert_eq!(levenshtein_within("abcdef", "ab", 2), None, "the lengths alone exceed the bound");
    }
}
