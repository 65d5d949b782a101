//! The authorization matrix, built from the router's own table: every route × every role × the
//! object's place against the user's region (own, child, parent, sibling). Each denial is checked
//! (403 and its `access.deny` audit row naming the user and the object), not only each allow. The
//! expected matrix is written out here, independently of the implementation's table: a route
//! whose action the matrix does not list fails the test. A relative's case is refused, and a
//! 业务部门 reads only its own commissions.

use std::collections::BTreeMap;
use std::sync::Arc;

use hedui_app::admin::users::Account;
use hedui_app::cases::{CommissionInput, HouseholdInput, MemberInput};
use hedui_app::{Action, App, Caller, Role};
use hedui_core::household::Relation;
use hedui_core::programme::Programme;
use hedui_core::{HouseholdId, JobId};
use hedui_web::routes::ObjectKind;

use crate::common;

/// The matrix: for each action, the roles allowed it (by code). Written from the roles.
const MATRIX: &[(&str, &str)] = &[
    ("public", "township clerk reviewer department operator leader admin security auditor viewer"),
    ("session", "township clerk reviewer department operator leader admin security auditor viewer"),
    ("household.create", "township clerk"),
    ("household.read", "township clerk reviewer viewer"),
    ("household.change", "township clerk"),
    ("authorization.change", "township clerk"),
    ("commission.create", "township clerk"),
    ("job.list", "township clerk reviewer department viewer"),
    ("job.read", "township clerk reviewer department viewer"),
    ("job.run", "clerk"),
    ("job.objection", "township clerk"),
    ("job.recheck", "clerk"),
    ("report.read", "township clerk reviewer department viewer"),
    ("report.download", "township clerk reviewer department viewer"),
    ("report.review", "clerk reviewer"),
    ("report.approve", "reviewer"),
    ("report.receipt", "department"),
    ("import.read", "clerk operator"),
    ("import.run", "clerk operator"),
    ("record.link", "clerk"),
    ("source.read", "clerk operator admin"),
    ("policy.read", "clerk reviewer leader admin"),
    ("policy.simulate", "clerk reviewer leader"),
    ("audit.read", "auditor"),
    ("person.access_log", "township clerk reviewer auditor"),
    ("user.manage", "security"),
    ("security.events", "security"),
];

fn allowed(role: Role, action: Action) -> bool {
    let row = MATRIX.iter().find(|(a, _)| *a == action.code());
    let (_, roles) = row.unwrap_or_else(|| panic!("the matrix has no row for the action {}", action.code()));
    roles.split_whitespace().any(|r| r == role.code())
}

/// Where the object lies against the users' region, a county (溧阳, 320481).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Own,
    Child,
    Parent,
    Sibling,
}

const USER_REGION: &str = "320481";
const BUREAU: &str = "溧阳民政";
const PASSWORD: &str = "Matrix-pass-2026";

/// A valid ID number (GB 11643) born in `region6` on 1980-01-01 with sequence `seq`.
pub(crate) fn id_number(region6: &str, seq: u32) -> String {
    let body = format!("{region6}19800101{seq:03}");
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.chars().zip(W).map(|(c, w)| c.to_digit(10).unwrap() * w).sum();
    format!("{body}{}", "10X98765432".as_bytes()[(sum % 11) as usize] as char)
}

pub(crate) fn household(app: &App, number: &str, region: &str, id: &str) -> (HouseholdId, JobId) {
    let system = Caller::system("matrix");
    let input = HouseholdInput {
        number: number.into(),
        region: region.into(),
        address: "某街 1 号".into(),
        programme: Programme::Dibao,
        applied_on: common::as_of(),
        declared_income: Default::default(),
        declared_assets: Default::default(),
        members: vec![MemberInput {
            seq: 1,
            name: format!("户主{number}"),
            id_number: id.into(),
            relation: Relation::Applicant,
            excluded: None,
            capacity: hedui_core::household::Capacity::Full,
            guardian_seq: None,
            declared_income: Default::default(),
        }],
        supporters: Vec::new(),
    };
    let h = app.create_household(&system, &input).unwrap();
    let job = app
        .commission(
            &system,
            &CommissionInput {
                number: None,
                kind: hedui_core::commission::CommissionKind::Application,
                programme: Programme::Dibao,
                household: h,
                department: Some(BUREAU.into()),
                note: None,
                as_of: Some(common::as_of()),
                declared: Default::default(),
            },
        )
        .unwrap();
    (h, job)
}

/// The `access.deny` rows written since audit row `after`.
fn denials_since(app: &App, after: i64) -> Vec<hedui_store::AuditRow> {
    let rows = app.store.audit_log(None, 100).unwrap();
    rows.into_iter().filter(|r| r.id > after && r.entry.action == "access.deny").collect()
}

fn last_audit_id(app: &App) -> i64 {
    app.store.audit_log(None, 1).unwrap().first().map_or(0, |r| r.id)
}

#[test]
fn every_route_role_and_region_is_decided_and_every_denial_audited() {
    let store = common::stores("access").remove(0);
    let app = Arc::new(common::app(store, None));
    let places =
        [(Place::Own, "320481"), (Place::Child, "320481101"), (Place::Parent, "320400"), (Place::Sibling, "320412")];
    let mut objects = BTreeMap::new();
    for (i, (place, region)) in places.iter().enumerate() {
        let (h, j) = household(&app, &format!("M{i}"), region, &id_number("320481", 10 + i as u32));
        objects.insert(*place, (h, j));
    }
    let system = Caller::system("matrix");
    let mut tokens = BTreeMap::new();
    for role in hedui_app::access::ROLES {
        let login = format!("u_{}", role.code());
        let account = Account::new(&login, role.name_zh(), role, USER_REGION, BUREAU);
        app.create_user(&system, &account, PASSWORD).unwrap();
        tokens.insert(role, app.login(&login, PASSWORD, "matrix").unwrap().token);
    }

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(hedui_web::serve(listener, hedui_web::Web::new(app.clone())));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let table = hedui_web::route_table();
    assert!(table.len() >= 38, "the router's table was read: {} routes", table.len());
    let (mut allows, mut denials) = (0, 0);
    for route in &table {
        let kind = route.object_kind();
        let wheres: Vec<Place> =
            if kind == ObjectKind::None { vec![Place::Own] } else { objects.keys().copied().collect() };
        for place in wheres {
            let (h, j) = objects[&place];
            let id = match kind {
                ObjectKind::Household => h.0,
                ObjectKind::Job => j.0,
                ObjectKind::None => 1,
            };
            let path = route
                .path
                .replace("{id}", &id.to_string())
                .replace("{aid}", "1")
                .replace("{seq}", "100")
                .replace("{format}", "json")
                .replace("{ext}", "pdf");
            for role in hedui_app::access::ROLES {
                let expect = allowed(role, route.action) && matches!(place, Place::Own | Place::Child);
                let before = last_audit_id(&app);
                let req = if route.method == "GET" {
                    http.get(format!("{base}{path}"))
                } else {
                    http.post(format!("{base}{path}")).json(&serde_json::json!({}))
                };
                // Public routes are sent without a session (logging out would end it).
                let req = if route.action == Action::Public { req } else { req.bearer_auth(&tokens[&role]) };
                let resp = rt.block_on(req.send()).unwrap();
                let status = resp.status().as_u16();
                let body = rt.block_on(resp.text()).unwrap();
                let denied = denials_since(&app, before);
                let what = format!("{} {} as {} on {place:?}", route.method, route.path, role.code());
                if expect {
                    allows += 1;
                    assert!(denied.is_empty(), "{what} should be allowed, was denied: {:?}", denied[0].entry.detail);
                    // Allowed through: what the handler then answers is its own (a job without a
                    // letter is refused as authorization_required, a bad body as invalid_input).
                    assert_ne!(status, 401, "{what} should be allowed");
                    assert!(status != 403 || !body.contains("forbidden"), "{what} should be allowed: {body}");
                } else {
                    denials += 1;
                    assert_eq!(status, 403, "{what} should be refused");
                    assert_eq!(denied.len(), 1, "{what}: one access.deny audit row");
                    let row = &denied[0].entry;
                    assert_eq!(row.actor, format!("u_{}", role.code()), "{what}");
                    let object = match kind {
                        ObjectKind::Household => format!("household:{id}"),
                        ObjectKind::Job => format!("job:{id}"),
                        ObjectKind::None => "-".into(),
                    };
                    assert_eq!(row.object, object, "{what}");
                    assert!(row.detail.starts_with(route.action.code()), "{what}: {}", row.detail);
                }
            }
        }
    }
    println!("access matrix: {} routes, {allows} allowed and {denials} refused requests", table.len());
    assert!(denials > allows / 2, "the matrix refuses much: {denials} of {}", allows + denials);
}

#[test]
fn relatives_and_other_departments_are_kept_off_a_case() {
    let store = common::stores("access_kin").remove(0);
    let app = common::app(store, None);
    let relative = id_number("320481", 77);
    let (h, j) = household(&app, "K1", "320481101", &relative);
    let (_, other_job) = household(&app, "K2", "320481102", &id_number("320481", 78));
    let system = Caller::system("kin");
    app.create_user(&system, &Account::new("kin", "核对员", Role::Clerk, USER_REGION, ""), PASSWORD).unwrap();
    let kin = app.session_caller(&app.login("kin", PASSWORD, "t").unwrap().token, "t").unwrap();
    app.authorize(&kin, Action::JobRead, &hedui_app::Object::Job(j)).unwrap();
    app.record_relative(&kin, &relative, "兄弟姐妹").unwrap();
    for (action, object) in [
        (Action::JobRead, hedui_app::Object::Job(j)),
        (Action::HouseholdRead, hedui_app::Object::Household(h)),
        (Action::CommissionCreate, hedui_app::Object::Household(h)),
    ] {
        let before = last_audit_id(&app);
        let e = app.authorize(&kin, action, &object).unwrap_err();
        assert_eq!(e.code(), "forbidden");
        assert!(e.to_string().contains("近亲属"), "{e}");
        let denied = denials_since(&app, before);
        assert_eq!(denied.len(), 1);
        assert_eq!((denied[0].entry.actor.as_str(), denied[0].entry.object.clone()), ("kin", object.audit_name()));
    }
    app.authorize(&kin, Action::JobRead, &hedui_app::Object::Job(other_job)).unwrap();
    assert_eq!(app.record_relative(&kin, &relative, "兄弟姐妹").unwrap_err().code(), "conflict");
    assert_eq!(app.record_relative(&kin, "32048119800101001", "配偶").unwrap_err().code(), "invalid_input");

    // A department reads its own commissions, not another's in the same region.
    for (login, org, ok) in [("own_dept", BUREAU, true), ("other_dept", "武进民政", false)] {
        app.create_user(&system, &Account::new(login, "业务部门", Role::Department, USER_REGION, org), PASSWORD)
            .unwrap();
        let dept = app.session_caller(&app.login(login, PASSWORD, "t").unwrap().token, "t").unwrap();
        assert_eq!(app.authorize(&dept, Action::ReportRead, &hedui_app::Object::Job(other_job)).is_ok(), ok, "{login}");
        let (rows, _) = app.jobs(&dept, &hedui_store::JobFilter { limit: 50, ..Default::default() }).unwrap();
        assert_eq!(rows.len(), if ok { 2 } else { 0 }, "{login} lists its own commissions only");
    }
}
