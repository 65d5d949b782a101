//! The scenarios a household can be built for, how they are mixed over the city, and the
//! outcome each one is meant to produce.

use crate::rng::{Rng, mix};

/// What the generator sets out to build for one household. Each scenario fixes the outcome
/// written to `ground_truth.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scenario {
    /// Income one fen under the income threshold and assets one fen under the asset limit.
    CleanMinus1Fen,
    /// Comfortably below both limits, with exempt property and traps that must not count.
    CleanTypical,
    /// Income one fen over the threshold.
    IncomePlus1Fen,
    /// Income 10 % over the threshold.
    IncomePlus10Pct,
    /// Income exactly at the threshold, which fails because the income test is strict.
    IncomeEqual,
    /// Financial assets one fen over the limit.
    DepositPlus1Fen,
    /// Financial assets 10 % over the limit.
    DepositPlus10Pct,
    /// Financial assets exactly at the limit, which passes because the asset test is inclusive.
    DepositEqual,
    /// A counted member owns a private (非营运) car in use.
    Car,
    /// The household holds two residential titles.
    SecondHome,
    /// A counted member runs or represents a registered business still in existence.
    Business,
    /// One outflow of at least the large-outflow amount in the last six months.
    LargeTransfer,
    /// One 公积金 or 社保 row carries the member's ID with a typing error.
    MistypedId,
    /// A member's 社保 contribution base exceeds the monthly income the member declared.
    ContributionBase,
    /// One member's declared ID is mistyped, so the member cannot be resolved.
    UnresolvedMember,
    /// An `IncomePlus10Pct` household that applies for 支出型救助: its out-of-pocket medical bills
    /// (医保) bring its income net of rigid spending below the line. Not in the mix: a third of
    /// `IncomePlus10Pct` households become one (`spending::applies`).
    MedicalSpending,
}

/// How many of every hundred households get each scenario: 55 clean, 3 or 4 of each other one
/// (the two boundary cases and the four 疑点 scenarios get 4).
const MIX: [(Scenario, u32); 15] = [
    (Scenario::CleanTypical, 50),
    (Scenario::CleanMinus1Fen, 5),
    (Scenario::IncomePlus1Fen, 3),
    (Scenario::IncomePlus10Pct, 3),
    (Scenario::IncomeEqual, 4),
    (Scenario::DepositPlus1Fen, 3),
    (Scenario::DepositPlus10Pct, 3),
    (Scenario::DepositEqual, 4),
    (Scenario::Car, 3),
    (Scenario::SecondHome, 3),
    (Scenario::Business, 3),
    (Scenario::LargeTransfer, 4),
    (Scenario::MistypedId, 4),
    (Scenario::ContributionBase, 4),
    (Scenario::UnresolvedMember, 4),
];

/// Multipliers coprime with 100, so that `a·x + c mod 100` permutes a block of households.
const COPRIME_100: [u64; 40] = [
    1, 3, 7, 9, 11, 13, 17, 19, 21, 23, 27, 29, 31, 33, 37, 39, 41, 43, 47, 49, 51, 53, 57, 59, 61, 63, 67, 69, 71, 73,
    77, 79, 81, 83, 87, 89, 91, 93, 97, 99,
];

impl Scenario {
    /// Every scenario, in the order of `MIX`.
    pub const ALL: [Scenario; 15] = {
        let mut all = [Scenario::CleanTypical; 15];
        let mut i = 0;
        while i < 15 {
            all[i] = MIX[i].0;
            i += 1;
        }
        all
    };

    /// The name written in the `情形` column.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::CleanMinus1Fen => "clean_minus_1_fen",
            Scenario::CleanTypical => "clean_typical",
            Scenario::IncomePlus1Fen => "income_plus_1_fen",
            Scenario::IncomePlus10Pct => "income_plus_10_pct",
            Scenario::IncomeEqual => "income_equal",
            Scenario::DepositPlus1Fen => "deposit_plus_1_fen",
            Scenario::DepositPlus10Pct => "deposit_plus_10_pct",
            Scenario::DepositEqual => "deposit_equal",
            Scenario::Car => "car",
            Scenario::SecondHome => "second_home",
            Scenario::Business => "business",
            Scenario::LargeTransfer => "large_transfer",
            Scenario::MistypedId => "mistyped_id",
            Scenario::ContributionBase => "contribution_base",
            Scenario::UnresolvedMember => "unresolved_member",
            Scenario::MedicalSpending => "medical_spending",
        }
    }

    /// The scenario with this `情形` name.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().chain([Scenario::MedicalSpending]).find(|s| s.name() == name)
    }

    /// The expected 预期结论, 超出原因 and 疑点 columns.
    pub fn expected(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Scenario::CleanMinus1Fen | Scenario::CleanTypical | Scenario::DepositEqual | Scenario::MedicalSpending => {
                ("未超出", "", "")
            }
            Scenario::IncomePlus1Fen | Scenario::IncomePlus10Pct | Scenario::IncomeEqual => ("超出", "income", ""),
            Scenario::DepositPlus1Fen | Scenario::DepositPlus10Pct => ("超出", "deposit", ""),
            Scenario::Car => ("超出", "car", ""),
            Scenario::SecondHome => ("超出", "second_home", ""),
            Scenario::Business => ("超出", "business", ""),
            Scenario::LargeTransfer => ("待核实", "", "large_transfer"),
            Scenario::MistypedId => ("待核实", "", "mistyped_id"),
            Scenario::ContributionBase => ("待核实", "", "contribution_base"),
            Scenario::UnresolvedMember => ("待核实", "", "unresolved_member"),
        }
    }

    /// The scenario of household `index` (0-based).
    ///
    /// Households are taken in blocks of a hundred and each block holds exactly the counts of
    /// `MIX`, in an order shuffled per block from the seed. Even a small city therefore has
    /// every scenario, and the choice depends only on the seed and the index.
    pub(crate) fn for_household(seed: u64, index: u64) -> Scenario {
        let block = index / 100;
        let h = mix(mix(seed, 0x5CE7_A210), block);
        let mut r = Rng::new(h);
        let a = r.pick(&COPRIME_100);
        let c = r.below(100);
        let slot = (a * (index % 100) + c) % 100;
        let mut acc = 0u64;
        for (s, n) in MIX {
            acc += u64::from(n);
            if slot < acc {
                return s;
            }
        }
        Scenario::CleanTypical
    }

    /// True for the scenarios whose income total is pinned to the threshold.
    pub(crate) fn pins_income(self) -> bool {
        matches!(
            self,
            Scenario::CleanMinus1Fen | Scenario::IncomePlus1Fen | Scenario::IncomePlus10Pct | Scenario::IncomeEqual
        )
    }

    /// True for the scenarios whose financial assets are pinned to the limit.
    pub(crate) fn pins_assets(self) -> bool {
        matches!(
            self,
            Scenario::CleanMinus1Fen | Scenario::DepositPlus1Fen | Scenario::DepositPlus10Pct | Scenario::DepositEqual
        )
    }

    /// True when the applicant must be an employee with a contribution record.
    pub(crate) fn needs_worker(self) -> bool {
        matches!(self, Scenario::MistypedId | Scenario::ContributionBase)
    }
}

#[cfg(test)]
// A failed expectation in a test is the failure report itself.
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn mix_sums_to_a_hundred_and_names_round_trip() {
        assert_eq!(MIX.iter().map(|(_, n)| n).sum::<u32>(), 100);
        for s in Scenario::ALL {
            assert_eq!(Scenario::from_name(s.name()), Some(s));
        }
    }

    #[test]
    fn every_block_of_a_hundred_holds_the_exact_mix() {
        for seed in [0u64, 42, u64::MAX] {
            for block in 0..5u64 {
                let mut counts: HashMap<Scenario, u32> = HashMap::new();
                for i in 0..100 {
                    *counts.entry(Scenario::for_household(seed, block * 100 + i)).or_default() += 1;
                }
                for (s, n) in MIX {
                    assert_eq!(counts.get(&s).copied().unwrap_or(0), n, "{s:?} seed {seed} block {block}");
                }
            }
        }
    }
}
