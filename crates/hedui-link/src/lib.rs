//! Record linkage for Chinese person records (issue 15): the Fellegi–Sunter model over
//! comparisons with levels.
//!
//! A comparison puts a pair of values into one of its levels, from the strongest agreement down
//! to none, with a level of its own for a value missing on either side (which weighs nothing).
//! Each comparison is a named function ([`comparison::Comparison`]), so that a settings file and
//! an explanation name the same thing. This crate is pure: values in, levels out; reading files,
//! blocking keys kept as blind indexes and the clerical queue belong to its callers.
//!
//! - [`text`]: Jaro–Winkler similarity and bounded Levenshtein distance, over characters.
//! - [`idnum`]: ID numbers under GB 11643: the same number in its 15- and 18-digit forms, one
//!   digit changed, or two adjacent digits swapped.
//! - [`names`]: Chinese names: traditional and simplified forms, a rare character typed as its
//!   pinyin or "?", the · of minority names, homophones, one character, the surname only.
//! - [`regions`]: addresses by region: the same township, county or city, a free-text address
//!   read into the deepest region it names.
//! - [`dates`]: dates: exact, day and month swapped, the year off by one, within N days.
//! - [`comparison`]: the comparisons a model is built of, with their levels.
//! - [`model`]: `m` and `u` per level and the prior; a pair's match weight and probability, and
//!   its explanation (each comparison's level and weight, the prior, the total).
//! - [`estimate`]: `u` from random pairs, `m` and the prior by expectation–maximisation with a
//!   blocking rule's comparisons held out.
//! - [`tf`]: term frequencies, so that a common value agreeing weighs less than a rare one;
//!   tables keep only values seen at least `k` times.
//! - [`blocking`]: which pairs are compared: several rules at once, each pair once, a rule's pair
//!   count known before it runs, and a block over a memory limit refused naming its rule.
//! - [`bands`]: link, clerical review or no link by a pair's probability, and the precision and
//!   recall the model expects of its links when no labels exist.
//! - [`train`]: training (`u` from random pairs, one EM run per training rule, the prior over the
//!   pairs to score) and scoring every candidate pair once, in memory.
//! - [`cluster`]: clusters whose ids hold from one run to the next, and new records linked to
//!   existing clusters without scoring the old pairs again.

pub mod bands;
pub mod blocking;
pub mod cluster;
pub mod comparison;
pub mod dates;
pub mod estimate;
pub mod idnum;
pub mod model;
pub mod names;
pub mod regions;
pub mod text;
pub mod tf;
pub mod train;
