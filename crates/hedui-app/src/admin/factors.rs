//! Second factors (GB/T 22239-2019 level 3: two or more authentication techniques, one of them
//! cryptographic). A user enrols a TOTP secret (an authenticator app; HMAC-SHA1, convenient but
//! not a 国密 technique), a GM/T 0021 dynamic-password token (SM3; its seed comes with the token
//! and is registered by the 安全管理员, or is generated for a software token), or an SM2 public key
//! (a UKey's private key never leaves the key: hedui sends a random challenge and checks the
//! signature). A user with a factor logs in in two steps:
//! the password opens a pending session, the factor completes it. A wrong factor counts as a
//! failed login toward the lock-out; everything is audited.

use hedui_core::{Timestamp, UserId};
use hedui_crypto::otp;
use hedui_crypto::{decode_hex, encode_hex, sm3};
use hedui_store::{AuditOutcome, SecondFactor};

use super::users::Session;
use crate::{App, AppError, AppResult, Caller, Principal, Role};

/// How long a pending login waits for its second factor.
pub const PENDING_SECONDS: i64 = 5 * 60;

/// TOTP: 30-second steps, six digits, one step of clock drift either way.
const STEP: i64 = 30;
const DRIFT: i64 = 1;

/// GM/T 0021 tokens: a 60-second change period (the standard's longest) and six digits.
pub const TOKEN_PERIOD: i64 = 60;
const TOKEN_DIGITS: u32 = 6;

/// What a pending login needs: the factors the user has, and the challenge an SM2 key signs.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Pending {
    pub methods: Vec<String>,
    pub challenge: String,
}

/// A TOTP enrolment: the secret for an authenticator app, as base32 and as an otpauth URI.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TotpEnrolment {
    pub secret: String,
    pub uri: String,
}

/// A GM/T 0021 token enrolment: the seed when hedui generated it (shown this once, for a software
/// token), and the token's parameters.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TokenEnrolment {
    pub seed: Option<String>,
    pub period: i64,
    pub digits: u32,
}

/// The proof a pending login brings.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Proof {
    /// Six digits from the authenticator app.
    Totp(String),
    /// Six digits from the GM/T 0021 (SM3) token.
    Token(String),
    /// Six digits from whichever code factor the user has (the token first, then the app): what
    /// the login page and the CLI ask for.
    Code(String),
    /// The SM2 signature (hex, DER or raw r‖s) over the challenge's text.
    Sm2(String),
}

impl App {
    fn self_user(&self, actor: &Caller) -> AppResult<hedui_store::UserRow> {
        let Principal::User(login) = &actor.principal else {
            return Err(AppError::Invalid("第二因子由用户本人登记".into()));
        };
        self.store.user_by_login(login)?.ok_or(AppError::Unauthenticated)
    }

    /// Enrols (or replaces) the caller's TOTP secret.
    pub fn enrol_totp(&self, actor: &Caller) -> AppResult<TotpEnrolment> {
        let u = self.self_user(actor)?;
        self.totp_enrol(actor, u.id, &u.login)
    }

    /// Enrols a TOTP secret for a demo account (hedui itself only: the demo prints the secrets).
    pub fn enrol_demo_totp(&self, actor: &Caller, login: &str) -> AppResult<TotpEnrolment> {
        let u = self.store.user_by_login(login)?.ok_or_else(|| AppError::NotFound(format!("用户 {login}")))?;
        if !matches!(actor.principal, Principal::System(_)) || !u.demo {
            return Err(AppError::Forbidden("只有演示程序可为演示账户登记第二因子".into()));
        }
        self.totp_enrol(actor, u.id, login)
    }

    /// The demo's own enrolment of a software UKey's public key for a demo account.
    pub fn enrol_demo_sm2(&self, actor: &Caller, login: &str, public_hex: &str) -> AppResult<()> {
        let u = self.store.user_by_login(login)?.ok_or_else(|| AppError::NotFound(format!("用户 {login}")))?;
        if !matches!(actor.principal, Principal::System(_)) || !u.demo {
            return Err(AppError::Forbidden("只有演示程序可为演示账户登记第二因子".into()));
        }
        self.enrol_sm2(actor, Some(u.id), public_hex)
    }

    fn totp_enrol(&self, actor: &Caller, id: UserId, login: &str) -> AppResult<TotpEnrolment> {
        let mut secret = [0u8; 20];
        getrandom::fill(&mut secret).map_err(|e| AppError::Internal(e.to_string()))?;
        let place = hedui_identity::place::totp_secret(id.0);
        let sealed = self.identity.seal(&place, hedui_identity::period(self.today()), &secret)?;
        let f = SecondFactor { user: id, kind: "totp".into(), secret_enc: Some(sealed), public_key: None };
        let audit = self.audit_entry(actor, "factor.enrol", &format!("user:{login}"), AuditOutcome::Ok, "totp".into());
        self.store.put_second_factor(&f, self.now(), &audit)?;
        let enrolment =
            TotpEnrolment { secret: otp::base32(&secret), uri: otp::otpauth_uri("hedui 核对", login, &secret) };
        zeroize::Zeroize::zeroize(&mut secret);
        Ok(enrolment)
    }

    /// Enrols (or replaces) a GM/T 0021 token: for the caller (a software token; the seed is
    /// generated unless given), or, for the 安全管理员 issuing a hardware token, for user `id` with
    /// the seed from the token's seed file.
    pub fn enrol_token(&self, actor: &Caller, id: Option<UserId>, seed_hex: Option<&str>) -> AppResult<TokenEnrolment> {
        let u = match id {
            Some(id) => {
                self.authorize(actor, crate::Action::UserManage, &crate::Object::None)?;
                if seed_hex.is_none() {
                    return Err(AppError::Invalid(
                        "为他人登记令牌须给出令牌的种子密钥（种子文件中的十六进制值）".into(),
                    ));
                }
                self.store.user(id)?.ok_or_else(|| AppError::NotFound(format!("用户 {id}")))?
            }
            None => self.self_user(actor)?,
        };
        self.token_enrol(actor, &u, seed_hex)
    }

    /// Enrols a GM/T 0021 software token for a demo account (the demo prints the seed).
    pub fn enrol_demo_token(&self, actor: &Caller, login: &str) -> AppResult<TokenEnrolment> {
        let u = self.store.user_by_login(login)?.ok_or_else(|| AppError::NotFound(format!("用户 {login}")))?;
        if !matches!(actor.principal, Principal::System(_)) || !u.demo {
            return Err(AppError::Forbidden("只有演示程序可为演示账户登记第二因子".into()));
        }
        self.token_enrol(actor, &u, None)
    }

    fn token_enrol(
        &self,
        actor: &Caller,
        u: &hedui_store::UserRow,
        seed_hex: Option<&str>,
    ) -> AppResult<TokenEnrolment> {
        let generated = seed_hex.is_none();
        let seed = zeroize::Zeroizing::new(match seed_hex {
            Some(hex) => match decode_hex(hex.trim()) {
                Some(seed) if seed.len() >= 16 => seed,
                _ => return Err(AppError::Invalid("种子密钥须为十六进制，至少 128 位（GM/T 0021）".into())),
            },
            None => {
                let mut seed = vec![0u8; 32];
                getrandom::fill(&mut seed).map_err(|e| AppError::Internal(e.to_string()))?;
                seed
            }
        });
        let place = hedui_identity::place::token_seed(u.id.0);
        let sealed = self.identity.seal(&place, hedui_identity::period(self.today()), &seed)?;
        let f = SecondFactor { user: u.id, kind: "sm3otp".into(), secret_enc: Some(sealed), public_key: None };
        let how = if generated { "sm3otp（软件令牌）" } else { "sm3otp（令牌种子）" };
        let audit = self.audit_entry(actor, "factor.enrol", &format!("user:{}", u.login), AuditOutcome::Ok, how.into());
        self.store.put_second_factor(&f, self.now(), &audit)?;
        Ok(TokenEnrolment { seed: generated.then(|| encode_hex(&seed)), period: TOKEN_PERIOD, digits: TOKEN_DIGITS })
    }

    /// Enrols (or replaces) an SM2 public key (SEC1, hex) for the caller, or, for the 安全管理员
    /// issuing a UKey, for user `id`.
    pub fn enrol_sm2(&self, actor: &Caller, id: Option<UserId>, public_hex: &str) -> AppResult<()> {
        let u = match id {
            Some(id) => {
                self.authorize(actor, crate::Action::UserManage, &crate::Object::None)?;
                self.store.user(id)?.ok_or_else(|| AppError::NotFound(format!("用户 {id}")))?
            }
            None => self.self_user(actor)?,
        };
        let key = public_hex.trim().to_ascii_lowercase();
        if !hedui_exchange::gm::valid_user_key(&key) {
            return Err(AppError::Invalid("不是有效的 SM2 公钥（十六进制，04 开头的非压缩点或压缩点）".into()));
        }
        let f = SecondFactor { user: u.id, kind: "sm2".into(), secret_enc: None, public_key: Some(key) };
        let audit =
            self.audit_entry(actor, "factor.enrol", &format!("user:{}", u.login), AuditOutcome::Ok, "sm2".into());
        Ok(self.store.put_second_factor(&f, self.now(), &audit)?)
    }

    /// Completes a pending login with its second factor. A wrong proof counts as a failed login.
    pub fn login_second(&self, token: &str, proof: &Proof, request_id: &str) -> AppResult<Session> {
        let token_sm3 = encode_hex(&sm3(token.as_bytes()));
        let now = self.now();
        let pending = self.store.pending_session(&token_sm3, now)?.ok_or(AppError::Unauthenticated)?;
        let user = self.store.user(pending.user)?.ok_or(AppError::Unauthenticated)?;
        let actor = Caller::user(&user.login, Role::Viewer, "", request_id);
        let object = format!("user:{}", user.login);
        if user.disabled || user.locked_until.is_some_and(|u| u > now) {
            self.audit(&actor, "login", &object, AuditOutcome::Denied, "账户已停用或锁定".into())?;
            return Err(AppError::Unauthenticated);
        }
        let factors = self.store.second_factors(user.id)?;
        let (ok, kind) = match proof {
            Proof::Totp(code) => (self.code_matches(&factors, user.id, "totp", code.trim())?, "totp"),
            Proof::Token(code) => (self.code_matches(&factors, user.id, "sm3otp", code.trim())?, "sm3otp"),
            Proof::Code(code) => match factors.iter().any(|f| f.kind == "sm3otp") {
                true => (self.code_matches(&factors, user.id, "sm3otp", code.trim())?, "sm3otp"),
                false => (self.code_matches(&factors, user.id, "totp", code.trim())?, "totp"),
            },
            Proof::Sm2(sig) => {
                let key = factors.iter().find(|f| f.kind == "sm2").and_then(|f| f.public_key.clone());
                let sig = decode_hex(sig.trim()).unwrap_or_default();
                let ok = key
                    .is_some_and(|k| hedui_exchange::gm::verify_user(&k, pending.challenge.as_bytes(), &sig).is_ok());
                (ok, "sm2")
            }
        };
        if !ok {
            let failed = user.failed_logins + 1;
            let policy = self.login_policy;
            let lock = (failed >= policy.max_failures).then(|| now.plus_seconds(policy.lock_seconds));
            let why = format!("第二因子（{kind}）错误（连续第 {failed} 次）");
            let audit = self.audit_entry(&actor, "login", &object, AuditOutcome::Denied, why);
            self.store.record_login(user.id, failed, lock, None, &audit)?;
            return Err(AppError::Unauthenticated);
        }
        let expires = Timestamp::from_unix(now.unix() + self.login_policy.absolute_seconds);
        if !self.store.complete_session(&token_sm3, expires, now)? {
            return Err(AppError::Unauthenticated);
        }
        let audit = self.audit_entry(&actor, "login", &object, AuditOutcome::Ok, format!("第二因子：{kind}"));
        self.store.record_login(user.id, 0, None, None, &audit)?;
        Ok(Session { token: token.to_string(), user, pending: None })
    }

    /// The challenge of a pending login, for the SM2 signature.
    pub fn pending_challenge(&self, token: &str) -> AppResult<String> {
        let token_sm3 = encode_hex(&sm3(token.as_bytes()));
        Ok(self.store.pending_session(&token_sm3, self.now())?.ok_or(AppError::Unauthenticated)?.challenge)
    }

    /// Whether `code` is the user's `kind` code (TOTP or GM/T 0021) of this period or one either
    /// side; a code opens one login, so its period (and every earlier one) is then spent.
    fn code_matches(&self, factors: &[SecondFactor], user: UserId, kind: &str, code: &str) -> AppResult<bool> {
        let Some(sealed) = factors.iter().find(|f| f.kind == kind).and_then(|f| f.secret_enc.as_ref()) else {
            return Ok(false);
        };
        let Ok(code) = code.parse::<u32>() else { return Ok(false) };
        let place = match kind {
            "totp" => hedui_identity::place::totp_secret(user.0),
            _ => hedui_identity::place::token_seed(user.0),
        };
        let secret = zeroize::Zeroizing::new(self.identity.open(&place, sealed.as_bytes())?);
        let period = if kind == "totp" { STEP } else { TOKEN_PERIOD };
        let value = |step: i64| match kind {
            "totp" => otp::hotp_sha1(&secret, step as u64, 6),
            _ => {
                let time = Some(step as u64);
                otp::sm3_otp(&secret, &otp::Sm3Factors { time, ..Default::default() }, TOKEN_DIGITS)
            }
        };
        let step = otp::totp_step(self.clock.unix_seconds(), period);
        let Some(used) = (step - DRIFT..=step + DRIFT).find(|s| value(*s) == code) else {
            return Ok(false);
        };
        Ok(self.store.use_otp_step(user, kind, used)?)
    }
}
