//! Supporters' own letters: a person with a duty of support (赡养、抚养、扶养义务人) authorizes a
//! check of their own income and assets, for the data categories their letter covers, and for
//! nothing more.

use serde::{Deserialize, Serialize};

use hedui_core::authorization::Scope;
use hedui_core::catalog::Category;
use hedui_core::{AuthorizationId, Date, HouseholdId};
use hedui_store::{AuditOutcome, AuthorizationRow, NewAuthorization};

use crate::{App, AppError, AppResult, Caller};

/// The query sequence number of a household's supporter `seq` (members keep theirs, below it).
pub const SUPPORTER_SEQ_BASE: u32 = 100;

/// A supporter's letter as recorded by the clerk: the supporter signs it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SupporterAuthorizationInput {
    pub number: String,
    pub signed_on: Date,
    /// The data categories (authorization scopes) the supporter authorizes; all when absent.
    #[serde(default)]
    pub scopes: Option<Vec<Scope>>,
}

impl App {
    /// Records supporter `seq`'s own letter for `household`; it supersedes only that supporter's
    /// earlier letter.
    pub fn record_supporter_authorization(
        &self,
        actor: &Caller,
        household: HouseholdId,
        seq: u32,
        input: &SupporterAuthorizationInput,
    ) -> AppResult<AuthorizationId> {
        actor.require_change()?;
        let h =
            self.store.household(household)?.ok_or_else(|| AppError::NotFound(format!("家庭 {household} 不存在")))?;
        if !h.supporters.iter().any(|s| s.seq == seq) {
            return Err(AppError::NotFound(format!("家庭 {} 没有第 {seq} 位义务人", h.number)));
        }
        if input.number.trim().is_empty() {
            return Err(AppError::Invalid("授权书编号不能为空".into()));
        }
        if input.signed_on > self.today() {
            return Err(AppError::Invalid(format!("授权书签署日期 {} 晚于今天", input.signed_on)));
        }
        let scopes = input.scopes.clone().unwrap_or_else(|| Scope::ALL.to_vec());
        if scopes.is_empty() {
            return Err(AppError::Invalid("义务人授权书至少应授权一类数据".into()));
        }
        let a = NewAuthorization {
            number: input.number.trim().to_string(),
            household,
            scopes,
            signatures: Vec::new(),
            signed_on: input.signed_on,
            supporter: Some(seq),
        };
        let names: Vec<&str> = a.scopes.iter().map(|s| s.name_zh()).collect();
        let audit = self.audit_entry(
            actor,
            "authorization.record",
            &format!("household:{}", h.number),
            AuditOutcome::Ok,
            format!("义务人 {seq} 本人授权书 {}：{}", a.number, names.join("、")),
        );
        Ok(self.store.create_authorization(&a, self.now(), &audit)?)
    }

    /// Supporter `seq`'s active letter on `on`, if any.
    pub(crate) fn supporter_letter(letters: &[AuthorizationRow], seq: u32, on: Date) -> Option<&AuthorizationRow> {
        letters.iter().rev().find(|a| {
            a.supporter == Some(seq)
                && a.status == hedui_core::authorization::AuthorizationStatus::Active
                && a.signed_on <= on
        })
    }

    /// The data categories a letter's scopes cover: those some source of the catalog supplies
    /// under a scope it names (and those no source supplies, which no letter needs to cover).
    pub(crate) fn categories_covered(&self, scopes: &[Scope]) -> Vec<Category> {
        self.catalog
            .categories
            .iter()
            .map(|d| &d.code)
            .filter(|c| {
                let mut suppliers = self.catalog.suppliers(c).peekable();
                suppliers.peek().is_none() || suppliers.any(|s| scopes.contains(&s.scope))
            })
            .cloned()
            .collect()
    }
}
