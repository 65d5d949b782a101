//! Commissions (委托): the business department's request to verify a household.
//!
//! "无委托、不核对": every verification job serves exactly one commission, and
//! every query it sends names that commission.

use serde::{Deserialize, Serialize};

use crate::programme::Programme;

/// The kind of check a business department asks for.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommissionKind {
    /// 申请核对: a new application.
    Application,
    /// 定期复核: periodic re-check of a current recipient.
    PeriodicRecheck,
    /// 信访举报核查: a complaint check; the outcome is fed back to the complainant.
    ComplaintCheck,
    /// 死亡减员 for disabled persons (残联).
    DeathRemovalDisabled,
    /// 死亡减员 for 优抚对象 (退役军人事务部门).
    DeathRemovalVeteran,
    /// 总工会 特困职工.
    HardshipWorker,
    /// 住房保障.
    HousingSecurity,
}

impl CommissionKind {
    pub const ALL: [CommissionKind; 7] = [
        CommissionKind::Application,
        CommissionKind::PeriodicRecheck,
        CommissionKind::ComplaintCheck,
        CommissionKind::DeathRemovalDisabled,
        CommissionKind::DeathRemovalVeteran,
        CommissionKind::HardshipWorker,
        CommissionKind::HousingSecurity,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CommissionKind::Application => "application",
            CommissionKind::PeriodicRecheck => "periodic_recheck",
            CommissionKind::ComplaintCheck => "complaint_check",
            CommissionKind::DeathRemovalDisabled => "death_removal_disabled",
            CommissionKind::DeathRemovalVeteran => "death_removal_veteran",
            CommissionKind::HardshipWorker => "hardship_worker",
            CommissionKind::HousingSecurity => "housing_security",
        }
    }

    pub fn from_code(s: &str) -> Option<CommissionKind> {
        CommissionKind::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            CommissionKind::Application => "申请核对",
            CommissionKind::PeriodicRecheck => "定期复核",
            CommissionKind::ComplaintCheck => "信访举报核查",
            CommissionKind::DeathRemovalDisabled => "残疾人死亡减员核查",
            CommissionKind::DeathRemovalVeteran => "优抚对象死亡减员核查",
            CommissionKind::HardshipWorker => "总工会特困职工核对",
            CommissionKind::HousingSecurity => "住房保障核对",
        }
    }

    /// The department that usually commissions this kind of check.
    pub fn default_department(self) -> &'static str {
        match self {
            CommissionKind::Application | CommissionKind::PeriodicRecheck | CommissionKind::ComplaintCheck => "民政",
            CommissionKind::DeathRemovalDisabled => "残联",
            CommissionKind::DeathRemovalVeteran => "退役军人事务局",
            CommissionKind::HardshipWorker => "总工会",
            CommissionKind::HousingSecurity => "住建",
        }
    }

    /// Whether the commissioning body expects written feedback on the outcome (信访: to the complainant).
    pub fn needs_feedback(self) -> bool {
        matches!(self, CommissionKind::ComplaintCheck)
    }

    /// Whether this kind runs the household means test (the death-removal checks only confirm deaths).
    pub fn runs_means_test(self) -> bool {
        !matches!(self, CommissionKind::DeathRemovalDisabled | CommissionKind::DeathRemovalVeteran)
    }
}

/// A commission as the business department filed it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Commission {
    pub number: String,
    pub kind: CommissionKind,
    pub programme: Programme,
    /// Commissioning department, e.g. 民政 (乡镇/街道).
    pub department: String,
    /// Free-text detail, e.g. the substance of a complaint.
    pub note: Option<String>,
}
