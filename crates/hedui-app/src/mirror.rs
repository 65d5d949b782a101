//! Department mirrors as a service: importing a snapshot file, reading one as an import would
//! (a dry run), the list of snapshots, and a snapshot's issue list. The import itself is
//! `hedui-import`'s; this is the one way web and CLI reach it.

use hedui_core::BatchId;
use hedui_import::mapping::Mappings;
use hedui_import::{DryRun, ImportInput, ImportSummary};
use hedui_store::{AuditOutcome, Batch};

use crate::{App, AppError, AppResult, Caller};

impl App {
    /// Refuses a source the catalog does not list as a mirror, and mappings that disagree with
    /// the catalog's categories and code lists.
    fn mirror_source(&self, mappings: &Mappings, source: &str) -> AppResult<()> {
        match self.catalog.get(source) {
            Some(s) if s.channel == hedui_core::catalog::Channel::Mirror => {}
            Some(s) => {
                return Err(AppError::Invalid(format!(
                    "数据源“{source}”在目录中的接入方式是{}，不能导入数据镜像",
                    s.channel.name_zh()
                )));
            }
            None => return Err(AppError::Invalid(format!("数据源“{source}”不在数据源目录中，请先在目录中登记"))),
        }
        mappings.check(&self.catalog).map_err(AppError::Invalid)
    }

    /// Imports one department file under `mappings`. The import writes its own audit rows, in
    /// the caller's name, in the transactions that store the rows.
    pub fn import_file(
        &self,
        actor: &Caller,
        mappings: &Mappings,
        input: &ImportInput<'_>,
    ) -> AppResult<ImportSummary> {
        actor.require_change()?;
        self.mirror_source(mappings, input.source)?;
        if input.actor != actor.name() {
            return Err(AppError::Invalid(format!("导入人“{}”与当前用户“{}”不一致", input.actor, actor.name())));
        }
        Ok(hedui_import::import_with(self.store.as_ref(), &self.identity, mappings, input)?)
    }

    /// Reads a file as an import would and counts rows new, gone and changed against the last
    /// full snapshot; stores nothing but the audit row of the reading.
    pub fn dry_run_import(&self, actor: &Caller, mappings: &Mappings, input: &ImportInput<'_>) -> AppResult<DryRun> {
        actor.require_change()?;
        self.mirror_source(mappings, input.source)?;
        let d = hedui_import::dry_run(self.store.as_ref(), &self.identity, mappings, input)?;
        self.audit(
            actor,
            "import.dry_run",
            &format!("source:{}", input.source),
            AuditOutcome::Ok,
            format!("{}（{}）试导入", input.file_name, input.as_of),
        )?;
        Ok(d)
    }

    /// Every snapshot imported, newest last.
    pub fn batches(&self, actor: &Caller) -> AppResult<Vec<Batch>> {
        self.authorize(actor, crate::Action::ImportRead, &crate::Object::None)?;
        let batches = self.store.batches()?;
        self.audit(actor, "import.list", "imports", AuditOutcome::Ok, format!("{} 批", batches.len()))?;
        Ok(batches)
    }

    /// A snapshot's issue list as CSV, audited as a download: the raw lines are opened for roles
    /// that see names, and masked for the others (a 数据源管理员 sees which lines failed and why).
    pub fn import_issues_csv(&self, actor: &Caller, batch: BatchId) -> AppResult<String> {
        self.authorize(actor, crate::Action::ImportRead, &crate::Object::None)?;
        let raw = actor.role.sees_names();
        let csv = hedui_import::issues_csv(self.store.as_ref(), &self.identity, batch, raw)?;
        let detail = if raw { "含原始内容" } else { "原始内容已屏蔽" };
        self.audit(actor, "import.issues.download", &format!("batch:{batch}"), AuditOutcome::Ok, detail.into())?;
        Ok(csv)
    }
}
