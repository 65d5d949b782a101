//! Batch commissions from the Excel template (批量委托): a list is filed whole or, when a row is
//! wrong, not at all, with each row's reason; the template comes from the job list.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use hedui_app::cases::batch::COLUMNS;
use hedui_app::{AppError, Caller};
use hedui_store::JobFilter;

use crate::common;

fn sheet(rows: &[[&str; 6]]) -> Vec<u8> {
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    hedui_exchange::package::xlsx_bytes("批量委托", &COLUMNS, &rows).unwrap()
}

#[test]
fn a_list_is_filed_whole_or_not_at_all() {
    let city = common::city(3, 103);
    for store in common::stores("batch") {
        let app = common::app(store.clone(), Some(&city));
        let system = Caller::system("t");
        hedui::city::import_mirrors(&app, &system, &city).unwrap();
        let apps = hedui::city::applications(&city).unwrap();
        let filed = hedui::city::file_applications(&app, &system, &apps, common::as_of(), &|_| true).unwrap();
        let clerk = common::clerk();
        let jobs = || store.count_jobs(&JobFilter::default()).unwrap();
        let before = jobs();
        let (h1, h2) = (filed[0].number.as_str(), filed[1].number.as_str());
        let day = common::as_of().to_string();
        let wrong = sheet(&[
            [h1, "定期复核", "最低生活保障", "溧阳市民政局", &day, ""],
            ["H999999", "定期复核", "最低生活保障", "", "", ""],
            [h2, "年度检查", "最低生活保障", "", "", ""],
        ]);
        let lines = app.commission_batch(&clerk, &wrong).unwrap();
        assert_eq!(lines.len(), 3);
        assert!(lines[1].error.as_deref().unwrap().contains("未登记"), "{lines:?}");
        assert!(lines[2].error.as_deref().unwrap().contains("委托类型"), "{lines:?}");
        assert!(lines.iter().all(|l| l.job.is_none()), "nothing filed: {lines:?}");
        assert_eq!(jobs(), before);

        let right = sheet(&[
            [h1, "定期复核", "最低生活保障", "溧阳市民政局", &day, "年度复核"],
            ["", "", "", "", "", ""],
            [h2, "periodic_recheck", "dibao", "", "", ""],
        ]);
        let lines = app.commission_batch(&clerk, &right).unwrap();
        assert_eq!(lines.iter().map(|l| l.row).collect::<Vec<_>>(), [2, 4], "the empty row is skipped");
        assert!(lines.iter().all(|l| l.job.is_some() && l.error.is_none()), "{lines:?}");
        assert_eq!(jobs(), before + 2);
        let job = app.job(hedui_core::JobId(lines[0].job.unwrap())).unwrap();
        assert_eq!((job.department.as_str(), job.household_number.as_str()), ("溧阳市民政局", h1));

        let headless = sheet(&[[h1, "定期复核", "最低生活保障", "", "", ""]]);
        let bad = hedui_exchange::package::xlsx_bytes("x", &["户号", "类型"], &[]).unwrap();
        assert!(matches!(app.commission_batch(&clerk, &bad), Err(AppError::Invalid(_))), "not the template");
        let empty = sheet(&[]);
        assert!(matches!(app.commission_batch(&clerk, &empty), Err(AppError::Invalid(_))), "no row");
        let viewer = Caller::user("v", hedui_app::Role::Viewer, "", "t");
        assert!(app.commission_batch(&viewer, &headless).is_err(), "a viewer files nothing");
    }
}
