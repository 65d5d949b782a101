//! The codes the built-in means test reads in the catalog's code lists.
//!
//! A mapping file turns each source's words (住宅, 营运, 存续, 个体工商户 …) into these codes, and
//! the catalog gives every code the label a report shows; the means test compares codes only.
//! `crates/hedui/tests/it/catalog.rs` checks that each code here is in the demo catalog's lists.

/// `status` codes.
pub mod status {
    pub const ACTIVE: &str = "active";
    pub const CANCELLED: &str = "cancelled";
    pub const REVOKED: &str = "revoked";
    /// A household register cancelled on death.
    pub const DECEASED: &str = "deceased";
}

/// `code` of a vehicle: its use (使用性质).
pub mod vehicle {
    pub const PRIVATE: &str = "private";
    pub const COMMERCIAL: &str = "commercial";
    /// 残疾人专用 (a disabled person's mobility vehicle).
    pub const DISABILITY: &str = "disability";
}

/// `code` of a property: its use (用途).
pub mod property {
    pub const RESIDENTIAL: &str = "residential";
}

/// `code` (the member's role) and `form` of a market entity.
pub mod business {
    /// Roles that make a business the member's: legal representative, operator, shareholder, investor.
    pub const OWNING_ROLES: [&str; 4] = ["legal_rep", "operator", "shareholder", "investor"];
    /// 个体工商户.
    pub const INDIVIDUAL: &str = "individual";
}

/// `code` of an income tax record: the income item (所得项目).
pub mod tax {
    pub const WAGE: &str = "wage";
    pub const BUSINESS: &str = "business";
    pub const LABOUR: &str = "labour";
}

/// `code` of an assistance roll entry: the programme.
pub mod assistance {
    pub const DIBAO: &str = "dibao";
    pub const TEKUN: &str = "tekun";
}

/// `code` of a disability certificate: its kind, in the order of the rules' `disability_kind`
/// input (1 视力 … 7 多重).
pub mod disability {
    pub const KINDS: [&str; 7] = ["visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple"];
}
