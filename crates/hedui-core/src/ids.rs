//! Integer surrogate keys. Joins everywhere run on these, never on ID numbers.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! surrogate {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

surrogate!(
    /// A person in the registry, keyed by the blind index of the normalized ID number.
    PersonId
);
surrogate!(
    /// A household that applied or receives assistance.
    HouseholdId
);
surrogate!(
    /// An authorization letter (授权书).
    AuthorizationId
);
surrogate!(
    /// A commission (委托) from a business department.
    CommissionId
);
surrogate!(
    /// A verification job.
    JobId
);
surrogate!(
    /// One imported file (a mirror snapshot batch).
    BatchId
);
surrogate!(
    /// A user of the web UI or API.
    UserId
);
surrogate!(
    /// A stored record (a mirror row or an institution's answer).
    RecordId
);
surrogate!(
    /// A stored report version.
    ReportId
);
surrogate!(
    /// A query: one person at one source for one job.
    QueryId
);
surrogate!(
    /// A request to an online source, carrying many queries.
    RequestId
);
