//! What the JSON API sends and receives beyond the services' own types: small request bodies,
//! replies, the job as a list row, and the error body. Each is a schema of the OpenAPI document.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use hedui_app::App;
use hedui_core::authorization::AuthorizationStatus;
use hedui_core::{Date, JobId, Timestamp};
use hedui_means::Outcome;
use hedui_store::JobRow;

/// A verification job as lists and the job page show it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct JobView {
    pub id: JobId,
    pub commission_number: String,
    pub household_number: String,
    pub region: String,
    pub region_name: String,
    pub programme: String,
    pub programme_name: String,
    pub kind: String,
    pub kind_name: String,
    pub department: String,
    pub state: String,
    pub state_name: String,
    pub outcome: Option<String>,
    pub outcome_name: Option<String>,
    pub as_of: Date,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl JobView {
    pub fn of(app: &App, j: &JobRow) -> JobView {
        JobView {
            id: j.id,
            commission_number: j.commission_number.clone(),
            household_number: j.household_number.clone(),
            region: j.region.clone(),
            region_name: app.region_name(&j.region),
            programme: j.programme.code().into(),
            programme_name: j.programme.name_zh().into(),
            kind: j.kind.code().into(),
            kind_name: j.kind.name_zh().into(),
            department: j.department.clone(),
            state: j.state.code().into(),
            state_name: j.state.name_zh().into(),
            outcome: j.outcome.map(|o| Outcome::code(o).into()),
            outcome_name: j.outcome.map(|o| Outcome::name_zh(o).into()),
            as_of: j.as_of,
            created_at: j.created_at,
            updated_at: j.updated_at,
        }
    }
}

/// A page of the job list and how many jobs match in all.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobList {
    pub total: i64,
    pub jobs: Vec<JobView>,
}

/// Every error leaves the API as this body; `code` is one of `/api/v1/errors`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    pub request_id: String,
}

/// One row of the public error table.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorCodeRow {
    pub code: String,
    pub status: u16,
    pub title: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginBody {
    pub login: String,
    pub password: String,
}

impl Drop for LoginBody {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.password);
    }
}

/// A session: send the token as `Authorization: Bearer …`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    pub token: String,
    pub login: String,
    pub role: String,
    /// Seconds until the session expires.
    pub expires_in: i64,
    /// Present when the user has a second factor: the token opens nothing until
    /// `POST /login/second` completes it (within five minutes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<hedui_app::admin::factors::Pending>,
}

/// The second step of a login: the pending token and the proof.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SecondBody {
    pub token: String,
    pub proof: hedui_app::admin::factors::Proof,
}

/// An SM2 public key (SEC1, hex) to enrol.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PublicKeyBody {
    pub public_key: String,
}

/// A GM/T 0021 token's seed (hex, at least 128 bits), from the token's seed file; omitted for a
/// software token, whose seed hedui generates and shows once.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TokenBody {
    #[serde(default)]
    pub seed: Option<String>,
}

impl Drop for TokenBody {
    fn drop(&mut self) {
        if let Some(s) = self.seed.as_mut() {
            zeroize::Zeroize::zeroize(s);
        }
    }
}

/// The id of what was created.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

/// The job a commission created.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommissionCreated {
    pub job: JobId,
}

/// Ending a letter: withdrawn (撤回) or ended, with the reason.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EndBody {
    pub status: AuthorizationStatus,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ended {
    pub id: i64,
    pub status: AuthorizationStatus,
}

/// A person whose record of queries is asked for (PIPL Art. 45), by ID number.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PersonBody {
    /// The person's ID number (18 digits, or the old 15).
    pub id_number: String,
}

/// A close relative a member of staff records (近亲属备案).
#[derive(Debug, Deserialize, ToSchema)]
pub struct RelativeBody {
    /// The relative's ID number (18 digits, or the old 15).
    pub id_number: String,
    /// 配偶, 父母, 子女, 兄弟姐妹 …
    pub relation: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Recorded {
    pub recorded: bool,
}

/// An objection (异议) to an issued report, with the reason the family gave.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Objection {
    pub reason: String,
}

/// A policy simulation: parameter changes such as `dibao.standard=+5%`, as of a date (today when
/// absent).
#[derive(Debug, Deserialize, ToSchema)]
pub struct SimulateRequest {
    pub changes: Vec<String>,
    pub as_of: Option<String>,
}

/// The node's report-signing key, for `hedui report verify --public-key`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SigningKey {
    pub signer: String,
    pub alg: String,
    /// The active key: what new signatures are made with.
    pub public_key: String,
    /// Earlier keys whose signatures still hold (retired, or derived by earlier releases).
    pub accepted: Vec<String>,
    /// Revoked keys: their signatures no longer hold.
    pub revoked: Vec<String>,
}

/// Whether an institution's callback carried an answer not seen before.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallbackReply {
    pub new: bool,
}
