//! Every list's Excel file: one sheet, a header row, cells as the page shows them (names, not
//! codes; Beijing time), served as a download.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use hedui_app::{App, AppError, AppResult, Caller};

use crate::Web;
use crate::pages::page;

/// An `.xlsx` download named `<name>-<today>.xlsx`.
pub(crate) fn xlsx(app: &App, name: &str, sheet: &str, header: &[&str], rows: &[Vec<String>]) -> AppResult<Response> {
    let book =
        hedui_exchange::package::xlsx_bytes(sheet, header, rows).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}-{}.xlsx\"", app.today())),
        ],
        book,
    )
        .into_response())
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => hedui_core::Timestamp::parse(s).map_or_else(|_| s.clone(), hedui_core::Timestamp::beijing),
        other => other.to_string(),
    }
}

/// The import batches, as the 数据导入 page lists them.
pub async fn imports_xlsx(State(web): State<Web>, axum::Extension(actor): axum::Extension<Caller>) -> Response {
    page(&web, actor, move |app, actor, _| {
        let rows: Vec<Vec<String>> = app
            .batches(actor)?
            .into_iter()
            .rev()
            .map(|b| {
                let source = app
                    .catalog()
                    .get(&b.source)
                    .map_or(b.source.clone(), |s| format!("{}（{}）", s.name, s.department));
                let v = serde_json::to_value(&b).unwrap_or_default();
                let s = &v["stats"];
                vec![
                    text(&v["id"]),
                    source,
                    text(&v["file_name"]),
                    text(&v["as_of"]),
                    text(&s["total"]),
                    text(&s["accepted"]),
                    text(&s["duplicate"]),
                    text(&s["rejected"]),
                    text(&s["unresolved"]),
                    text(&v["finished_at"]),
                ]
            })
            .collect();
        let header =
            ["批次", "来源", "文件", "数据日期", "总行数", "接收", "重复", "拒收", "未识别", "完成时间（北京时间）"];
        xlsx(app, "imports", "数据导入", &header, &rows)
    })
    .await
}

/// The sources, as the 数据源 page lists them.
pub async fn sources_xlsx(State(web): State<Web>, axum::Extension(actor): axum::Extension<Caller>) -> Response {
    page(&web, actor, move |app, actor, _| {
        let rows: Vec<Vec<String>> = app
            .source_overview(actor)?
            .into_iter()
            .map(|s| {
                vec![
                    s.code,
                    s.name,
                    s.institution,
                    s.kind,
                    s.department,
                    s.channel,
                    s.scope,
                    s.sla,
                    s.latest_snapshot.map(|d| d.to_string()).unwrap_or_default(),
                    s.batches.to_string(),
                ]
            })
            .collect();
        let header = ["代码", "名称", "机构", "类别", "部门", "渠道", "范围", "反馈时限", "最新快照", "导入批次"];
        xlsx(app, "sources", "数据源", &header, &rows)
    })
    .await
}
