//! The three decisions a pair can get, by its match probability: linked, for clerical review, or
//! not linked; and, for a run without labels, the precision and recall the model itself expects
//! (as fastLink estimates its false-discovery and false-negative rates): each pair's probability
//! is the model's belief that it matches, so the linked pairs' probabilities add up to the matches
//! it expects among them, and all candidate pairs' to the matches it expects in all.

use serde::{Deserialize, Serialize};

/// A pair's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Link,
    Review,
    NoLink,
}

/// The thresholds: at or above `link`, linked; at or above `review`, reviewed by a person.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bands {
    pub link: f64,
    pub review: f64,
}

impl Default for Bands {
    fn default() -> Bands {
        Bands { link: 0.95, review: 0.5 }
    }
}

impl Bands {
    /// Checked: both in `0..=1`, `review` at most `link`.
    pub fn new(link: f64, review: f64) -> Result<Bands, String> {
        if !(0.0..=1.0).contains(&link) || !(0.0..=1.0).contains(&review) || review > link {
            return Err(format!("决策阈值须满足 0 ≤ 人工复核阈值 ≤ 关联阈值 ≤ 1（现为 {review} 与 {link}）"));
        }
        Ok(Bands { link, review })
    }

    pub fn band(&self, probability: f64) -> Band {
        if probability >= self.link {
            Band::Link
        } else if probability >= self.review {
            Band::Review
        } else {
            Band::NoLink
        }
    }
}

/// What the model expects of its own links.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Expected {
    pub linked: u64,
    pub reviewed: u64,
    /// The share of linked pairs that match.
    pub precision: f64,
    /// The share of matches among the candidate pairs that are linked (matches that no blocking
    /// rule made a candidate are not counted).
    pub recall: f64,
}

/// The expected precision and recall of `bands` over candidate pairs with `probabilities`.
pub fn expected(bands: &Bands, probabilities: &[f64]) -> Expected {
    let (mut linked, mut reviewed, mut in_links, mut all) = (0u64, 0u64, 0.0, 0.0);
    for &p in probabilities {
        all += p;
        match bands.band(p) {
            Band::Link => {
                linked += 1;
                in_links += p;
            }
            Band::Review => reviewed += 1,
            Band::NoLink => {}
        }
    }
    Expected {
        linked,
        reviewed,
        precision: if linked == 0 { 1.0 } else { in_links / linked as f64 },
        recall: if all == 0.0 { 1.0 } else { in_links / all },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_fall_in_their_bands_and_the_expectations_follow_the_probabilities() {
        let b = Bands::new(0.9, 0.4).unwrap_or_default();
        assert_eq!(
            (b.band(0.95), b.band(0.9), b.band(0.5), b.band(0.1)),
            (Band::Link, Band::Link, Band::Review, Band::NoLink)
        );
        assert!(Bands::new(0.4, 0.9).is_err() && Bands::new(1.2, 0.5).is_err());
        let e = expected(&b, &[1.0, 0.9, 0.5, 0.1, 0.0]);
        assert_eq!((e.linked, e.reviewed), (2, 1));
        assert!((e.precision - 0.95).abs() < 1e-12, "{e:?}");
        assert!((e.recall - 1.9 / 2.5).abs() < 1e-12, "{e:?}");
        let none = expected(&b, &[]);
        assert_eq!((none.precision, none.recall), (1.0, 1.0));
    }
}
