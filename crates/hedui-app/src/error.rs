//! The one mapping from internal errors to what the outside sees.
//!
//! Every public error has a stable code, an HTTP status and a message a
//! clerk can act on; the table [`ERROR_CODES`] lists them all (and
//! `docs/errors.md` repeats it for API users). Internal causes (database,
//! cryptography) are logged with the request id and never sent to clients.

use hedui_store::StoreError;

/// One row of the public error table.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode {
    pub code: &'static str,
    pub status: u16,
    pub title: &'static str,
}

/// Every public error, in one place.
pub const ERROR_CODES: &[ErrorCode] = &[
    ErrorCode { code: "invalid_input", status: 422, title: "输入有误，请按提示修改后重新提交" },
    ErrorCode { code: "unknown_region", status: 422, title: "区划代码不存在" },
    ErrorCode {
        code: "authorization_required", status: 403, title: "未取得有效授权，不能查询（先授权、后核对）"
    },
    ErrorCode { code: "not_found", status: 404, title: "记录不存在" },
    ErrorCode { code: "conflict", status: 409, title: "记录已存在" },
    ErrorCode { code: "invalid_state", status: 409, title: "当前状态下不能执行此操作" },
    ErrorCode { code: "policy_unavailable", status: 422, title: "核对日期没有有效的政策参数" },
    ErrorCode { code: "import_refused", status: 422, title: "文件未导入" },
    ErrorCode { code: "unauthenticated", status: 401, title: "请先登录" },
    ErrorCode { code: "forbidden", status: 403, title: "当前角色无权执行此操作" },
    ErrorCode {
        code: "password_change_required",
        status: 403,
        title: "请先修改密码（首次登录、密码被重置或已满 90 天）",
    },
    ErrorCode {
        code: "second_factor_required", status: 403, title: "请先登记第二因子（动态口令或 UKey）"
    },
    ErrorCode {
        code: "data_tampered", status: 409, title: "存储的数据与其所在行或签名不符，已拒绝使用并记入审计日志"
    },
    ErrorCode { code: "wrong_key", status: 503, title: "主密钥与数据库不符，已拒绝打开加密数据" },
    ErrorCode { code: "internal", status: 500, title: "系统内部错误，请联系管理员并提供请求编号" },
];

/// Errors of the application services.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    UnknownRegion(String),
    #[error("{0}")]
    AuthorizationRequired(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    InvalidState(String),
    #[error("{0}")]
    Policy(String),
    #[error("{0}")]
    ImportRefused(String),
    #[error("用户名或密码错误，或会话已过期")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    /// The password must be changed before anything else (first login, a reset, or expiry).
    #[error("请先修改密码（首次登录、密码被重置或已满 90 天）")]
    PasswordChangeRequired,
    /// The deployment requires a second factor and the user has none yet.
    #[error("请先登记第二因子（动态口令或 UKey）")]
    SecondFactorRequired,
    /// A sealed value opened at another row, or a report whose columns or signatures disagree
    /// with its signed body: nothing of it is used.
    #[error("{0}")]
    Tampered(String),
    /// The master key is not the database's.
    #[error("{0}")]
    WrongKey(String),
    /// The cause is for the log only.
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid(_) => "invalid_input",
            AppError::UnknownRegion(_) => "unknown_region",
            AppError::AuthorizationRequired(_) => "authorization_required",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::InvalidState(_) => "invalid_state",
            AppError::Policy(_) => "policy_unavailable",
            AppError::ImportRefused(_) => "import_refused",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::PasswordChangeRequired => "password_change_required",
            AppError::SecondFactorRequired => "second_factor_required",
            AppError::Tampered(_) => "data_tampered",
            AppError::WrongKey(_) => "wrong_key",
            AppError::Internal(_) => "internal",
        }
    }

    /// The table row of this error.
    pub fn entry(&self) -> ErrorCode {
        let code = self.code();
        ERROR_CODES.iter().copied().find(|e| e.code == code).unwrap_or(ErrorCode {
            code: "internal",
            status: 500,
            title: "系统内部错误",
        })
    }

    /// The message safe to show outside: the detail, except for internal errors.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => self.entry().title.to_string(),
            other => other.to_string(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::Conflict(m) => AppError::Conflict(m),
            StoreError::NotFound(m) => AppError::NotFound(m),
            StoreError::StateChanged { expected, actual } => {
                AppError::InvalidState(format!("状态已被其他操作改变（期望 {expected}，实际 {actual}），请刷新后重试"))
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<hedui_crypto::CryptoError> for AppError {
    fn from(e: hedui_crypto::CryptoError) -> AppError {
        match e {
            hedui_crypto::CryptoError::Misplaced { .. } => AppError::Tampered(e.to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<hedui_import::ImportError> for AppError {
    fn from(e: hedui_import::ImportError) -> AppError {
        match e {
            hedui_import::ImportError::Store(s) => s.into(),
            hedui_import::ImportError::Crypto(c) => c.into(),
            other => AppError::ImportRefused(other.to_string()),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_row_and_internal_causes_stay_inside() {
        let all = [
            AppError::Invalid(String::new()),
            AppError::UnknownRegion(String::new()),
            AppError::AuthorizationRequired(String::new()),
            AppError::NotFound(String::new()),
            AppError::Conflict(String::new()),
            AppError::InvalidState(String::new()),
            AppError::Policy(String::new()),
            AppError::ImportRefused(String::new()),
            AppError::Unauthenticated,
            AppError::Forbidden(String::new()),
            AppError::PasswordChangeRequired,
            AppError::SecondFactorRequired,
            AppError::Tampered(String::new()),
            AppError::WrongKey(String::new()),
            AppError::Internal("secret cause".into()),
        ];
        for e in &all {
            assert!(ERROR_CODES.iter().any(|c| c.code == e.code()), "{} missing from the table", e.code());
        }
        assert_eq!(all.len(), ERROR_CODES.len());
        assert!(!AppError::Internal("secret cause".into()).public_message().contains("secret"));
    }

    #[test]
    fn the_documented_table_matches_the_code() {
        let doc = include_str!("../../../docs/errors.md");
        for e in ERROR_CODES {
            let row = format!("| `{}` | {} | {} |", e.code, e.status, e.title);
            assert!(doc.contains(&row), "docs/errors.md lacks or differs on: {row}");
        }
    }
}
