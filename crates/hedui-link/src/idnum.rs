//! ID numbers compared under GB 11643: how close two typed numbers are, whether or not either is
//! valid. A number keyed with one digit wrong fails its check digit, so nothing here requires a
//! valid number: the check character is ignored and the first seventeen characters compared.

use hedui_core::id_number::check_char;

/// How two ID numbers agree, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdAgreement {
    /// The same number, in the same form or one in its old 15-digit form.
    Same,
    /// One of the first seventeen digits differs.
    OneDigit,
    /// Two adjacent digits of the first seventeen are swapped.
    Swapped,
    /// Nothing of the above. (Two numbers that share only their birth date and sex digits are
    /// not a level: that agreement is the birth date comparison's, and counting it twice breaks
    /// the model's independence; a test on generated people showed it linking strangers born on
    /// the same day.)
    Different,
}

/// A number's 18-character form, loosely: full-width digits and `x` folded, spaces dropped, and
/// a 15-digit number upgraded (`19` inserted after the address code, the check character
/// computed). `None` for anything that is not 15 or 18 characters of digits (and a final X).
pub fn loose18(s: &str) -> Option<[u8; 18]> {
    let folded: Vec<u8> = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (u32::from(c) - u32::from('０')) as u8),
            'x' | 'Ｘ' | 'ｘ' => 'X',
            other => other,
        })
        .map(|c| if c.is_ascii() { c as u8 } else { 0 })
        .collect();
    let digits = |b: &[u8]| b.iter().all(u8::is_ascii_digit);
    let mut out = [0u8; 18];
    match folded.len() {
        15 if digits(&folded) => {
            out[..6].copy_from_slice(&folded[..6]);
            out[6..8].copy_from_slice(b"19");
            out[8..17].copy_from_slice(&folded[6..]);
            out[17] = check_char(&out[..17])?;
        }
        18 if digits(&folded[..17]) && (folded[17].is_ascii_digit() || folded[17] == b'X') => {
            out.copy_from_slice(&folded);
        }
        _ => return None,
    }
    Some(out)
}

/// How `a` and `b` agree; `None` when either is not a number of 15 or 18 characters.
pub fn compare(a: &str, b: &str) -> Option<IdAgreement> {
    let (a, b) = (loose18(a)?, loose18(b)?);
    let (a17, b17) = (&a[..17], &b[..17]);
    let differing: Vec<usize> = (0..17).filter(|&i| a17[i] != b17[i]).collect();
    Some(match differing[..] {
        [] => IdAgreement::Same,
        [_] => IdAgreement::OneDigit,
        [i, j] if j == i + 1 && a17[i] == b17[j] && a17[j] == b17[i] => IdAgreement::Swapped,
        _ => IdAgreement::Different,
    })
}

#[cfg(test)]
mod tests {
    use super::IdAgreement::*;
    use super::*;

    /// A valid 18-digit number for 17 digits.
    fn valid(first17: &str) -> String {
        let c = check_char(first17.as_bytes()).unwrap_or(b'?') as char;
        format!("{first17}{c}")
    }

    #[test]
    fn the_fifteen_and_eighteen_digit_forms_of_one_number_are_the_same() {
        let new = valid("32040219800101123");
        assert_eq!(new.len(), 18);
        let old = "320402800101123";
        assert_eq!(compare(&new, old), Some(Same));
        assert_eq!(compare(old, old), Some(Same));
        assert_eq!(loose18(old).map(|b| String::from_utf8_lossy(&b).into_owned()), Some(new.clone()));
        // Full-width digits, a lower-case x, spaces.
        let x = valid("11010519491231002");
        let typed: String = x.chars().map(|c| if c == 'X' { 'x' } else { c }).collect();
        assert_eq!(compare(&x, &format!(" {typed} ")), Some(Same));
        assert_eq!(compare(&new, "３２０４０２８００１０１１２３"), Some(Same));
    }

    #[test]
    fn one_digit_changed_or_two_adjacent_swapped_are_told_apart() {
        let a = valid("32040219800101123");
        // The 12th digit (the day's 1) keyed as 2: the check digit no longer fits, still compared.
        assert_eq!(compare(&a, "320402198001021234"), Some(OneDigit));
        // The sequence's 2 and 3 swapped.
        assert_eq!(compare(&a, &valid("32040219800101132")), Some(Swapped));
        // Two digits apart swapped is not a swap of adjacent digits.
        assert_eq!(compare(&a, &valid("32040219800101321")), Some(Different));
        // Another county with the same birth date: another person as far as the number goes.
        assert_eq!(compare(&a, &valid("32048119800101145")), Some(Different));
        assert_eq!(compare(&a, "3204021980"), None, "not a number");
        assert_eq!(compare(&a, ""), None);
    }
}
