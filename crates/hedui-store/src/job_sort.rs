//! The orders of the job list.

use serde::{Deserialize, Serialize};

/// How the job list is ordered: a column and its direction; ties newest first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobSort {
    #[default]
    NewestFirst,
    OldestFirst,
    AsOfDesc,
    AsOfAsc,
    HouseholdAsc,
    HouseholdDesc,
    StateAsc,
    UpdatedDesc,
}

impl JobSort {
    pub const ALL: [JobSort; 8] = [
        JobSort::NewestFirst,
        JobSort::OldestFirst,
        JobSort::AsOfDesc,
        JobSort::AsOfAsc,
        JobSort::HouseholdAsc,
        JobSort::HouseholdDesc,
        JobSort::StateAsc,
        JobSort::UpdatedDesc,
    ];

    /// The ORDER BY of the job list's query.
    pub fn order_by(self) -> &'static str {
        match self {
            JobSort::NewestFirst => "j.id DESC",
            JobSort::OldestFirst => "j.id ASC",
            JobSort::AsOfDesc => "j.as_of DESC, j.id DESC",
            JobSort::AsOfAsc => "j.as_of ASC, j.id DESC",
            JobSort::HouseholdAsc => "h.number ASC, j.id DESC",
            JobSort::HouseholdDesc => "h.number DESC, j.id DESC",
            JobSort::StateAsc => "j.state ASC, j.id DESC",
            JobSort::UpdatedDesc => "j.updated_at DESC, j.id DESC",
        }
    }

    /// Whether the order needs the household's columns (the rest are the job's own).
    pub fn on_household(self) -> bool {
        matches!(self, JobSort::HouseholdAsc | JobSort::HouseholdDesc)
    }

    pub fn code(self) -> &'static str {
        match self {
            JobSort::NewestFirst => "newest_first",
            JobSort::OldestFirst => "oldest_first",
            JobSort::AsOfDesc => "as_of_desc",
            JobSort::AsOfAsc => "as_of_asc",
            JobSort::HouseholdAsc => "household_asc",
            JobSort::HouseholdDesc => "household_desc",
            JobSort::StateAsc => "state_asc",
            JobSort::UpdatedDesc => "updated_desc",
        }
    }

    pub fn from_code(code: &str) -> Option<JobSort> {
        JobSort::ALL.into_iter().find(|s| s.code() == code)
    }
}
