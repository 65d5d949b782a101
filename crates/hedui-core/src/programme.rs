//! Assistance programmes whose applicants and recipients hedui verifies.

use serde::{Deserialize, Serialize};

/// An assistance programme. The code is stable and used in files and the API.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Programme {
    /// 最低生活保障.
    Dibao,
    /// 特困人员救助供养.
    Tekun,
    /// 低保边缘家庭.
    Bianyuan,
    /// 刚性支出困难家庭 (支出型).
    Gangxing,
    /// 支出型救助: net income after verified rigid expenditure, then the 低保 tests (无锡).
    Zhichu,
    /// 临时救助.
    Linshi,
    /// 医疗救助.
    Medical,
    /// 教育救助.
    Education,
    /// 住房救助 / 住房保障.
    Housing,
    /// 受灾人员救助.
    Disaster,
    /// 就业救助.
    Employment,
    /// 江苏 城市低收入家庭认定.
    LowIncome,
    /// 总工会 困难职工帮扶.
    HardshipWorker,
}

impl Programme {
    pub const ALL: [Programme; 13] = [
        Programme::Dibao,
        Programme::Tekun,
        Programme::Bianyuan,
        Programme::Gangxing,
        Programme::Zhichu,
        Programme::Linshi,
        Programme::Medical,
        Programme::Education,
        Programme::Housing,
        Programme::Disaster,
        Programme::Employment,
        Programme::LowIncome,
        Programme::HardshipWorker,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Programme::Dibao => "dibao",
            Programme::Tekun => "tekun",
            Programme::Bianyuan => "bianyuan",
            Programme::Gangxing => "gangxing",
            Programme::Zhichu => "zhichu",
            Programme::Linshi => "linshi",
            Programme::Medical => "medical",
            Programme::Education => "education",
            Programme::Housing => "housing",
            Programme::Disaster => "disaster",
            Programme::Employment => "employment",
            Programme::LowIncome => "low_income",
            Programme::HardshipWorker => "hardship_worker",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Programme::Dibao => "最低生活保障",
            Programme::Tekun => "特困人员救助供养",
            Programme::Bianyuan => "低保边缘家庭",
            Programme::Gangxing => "刚性支出困难家庭",
            Programme::Zhichu => "支出型救助",
            Programme::Linshi => "临时救助",
            Programme::Medical => "医疗救助",
            Programme::Education => "教育救助",
            Programme::Housing => "住房保障",
            Programme::Disaster => "受灾人员救助",
            Programme::Employment => "就业救助",
            Programme::LowIncome => "城市低收入家庭认定",
            Programme::HardshipWorker => "困难职工帮扶",
        }
    }

    pub fn from_code(code: &str) -> Option<Programme> {
        Programme::ALL.into_iter().find(|p| p.code() == code)
    }
}
