//! The 工作台's 授权书需补签: a commission whose household's letter was withdrawn is listed with
//! the reason a run would give, for those who record letters; a new letter takes it off the
//! list; a refused job waits there too until its letter is signed again. On SQLite and
//! PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use hedui_app::{Caller, Role};
use hedui_core::authorization::AuthorizationStatus;

use crate::common;

#[test]
fn commissions_waiting_for_a_new_letter_are_on_the_workbench() {
    let city = common::city(3, 93);
    for store in common::stores("resign") {
        let app = common::app(store.clone(), None);
        let clerk = common::clerk();
        hedui::city::import_mirrors(&app, &clerk, &city).unwrap();
        let apps = hedui::city::applications(&city).unwrap();
        let filed = hedui::city::file_applications(&app, &clerk, &apps, common::as_of(), &|_| true).unwrap();
        assert!(app.workbench(&clerk).unwrap().resign.is_empty(), "every letter is in order");

        let job = app.job(filed[0].job).unwrap();
        let letter = store.authorizations(job.household).unwrap().into_iter().find(|a| a.supporter.is_none()).unwrap();
        app.end_authorization(&clerk, job.household, letter.id, AuthorizationStatus::Withdrawn, "家庭撤回").unwrap();
        let w = app.workbench(&clerk).unwrap();
        assert_eq!(w.resign.iter().map(|r| r.job).collect::<Vec<_>>(), [job.id]);
        assert!(!w.resign[0].reason.is_empty() && w.resign[0].household == job.household, "{:?}", w.resign);
        let reviewer = Caller::user("rev", Role::Reviewer, "", "t");
        assert!(app.workbench(&reviewer).unwrap().resign.is_empty(), "only for those who record letters");

        // Run anyway: refused, and still listed until the family signs again.
        assert!(app.run_job(&clerk, job.id).is_err());
        let w = app.workbench(&clerk).unwrap();
        assert_eq!((w.resign.len(), w.resign[0].state_name.as_str()), (1, "已拒绝（授权无效）"), "{:?}", w.resign);
        let again = hedui_app::cases::AuthorizationInput {
            number: format!("{}-2", letter.number),
            signed_on: common::as_of(),
            scopes: Some(letter.scopes.clone()),
            signatures: letter.signatures.clone(),
        };
        app.record_authorization(&clerk, job.household, &again).unwrap();
        assert!(app.workbench(&clerk).unwrap().resign.is_empty(), "signed again");
    }
}
