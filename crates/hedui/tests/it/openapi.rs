//! The API's OpenAPI document is generated from the handlers and their types: every route of the
//! API router is in it with its method, every operation in it is routed, its schemas have their
//! fields, and the server serves exactly it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;

use std::collections::BTreeSet;
use std::sync::Arc;

/// (method, path) of every route of the API, from the table the router is built with.
fn routed() -> BTreeSet<(String, String)> {
    hedui_web::route_table()
        .into_iter()
        .filter_map(|r| Some((r.method.to_ascii_lowercase(), r.path.strip_prefix("/api/v1")?.to_string())))
        .collect()
}

fn documented(doc: &serde_json::Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            out.insert((method.clone(), path.clone()));
        }
    }
    out
}

#[test]
fn every_route_is_documented_and_every_operation_routed() {
    let doc = serde_json::to_value(hedui_web::openapi::document()).unwrap();
    let routes = routed();
    assert!(routes.len() >= 20, "the router was read: {routes:?}");
    let ops = documented(&doc);
    let undocumented: Vec<_> = routes.difference(&ops).collect();
    let unrouted: Vec<_> = ops.difference(&routes).collect();
    assert!(undocumented.is_empty(), "routes missing from the OpenAPI document: {undocumented:?}");
    assert!(unrouted.is_empty(), "operations the router does not serve: {unrouted:?}");
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
}

#[test]
fn schemas_are_the_types_fields() {
    let doc = serde_json::to_value(hedui_web::openapi::document()).unwrap();
    let schemas = &doc["components"]["schemas"];
    let props = |name: &str| -> BTreeSet<String> {
        schemas[name]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name} has properties"))
            .keys()
            .cloned()
            .collect()
    };
    for (schema, fields) in [
        ("Report", &["number", "job", "version", "household", "members", "sources", "assessment", "notice"][..]),
        ("Assessment", &["outcome", "items", "anomalies", "decision", "inputs"]),
        ("HouseholdInput", &["number", "region", "members"]),
        ("CommissionInput", &["kind", "programme", "household", "declared"]),
        ("Simulation", &["rows", "total", "changed", "errors"]),
        ("JobView", &["id", "state", "state_name", "outcome", "as_of"]),
        ("ErrorBody", &["code", "message", "request_id"]),
    ] {
        let have = props(schema);
        for f in fields {
            assert!(have.contains(*f), "{schema} lacks {f}: {have:?}");
        }
    }
    assert!(!props("Report").contains("seal"), "what serde skips is not in the schema");
    assert_eq!(schemas["Date"]["format"], "date");
    // Requests and replies name their schemas; no operation has an empty body schema.
    let report = &doc["paths"]["/jobs/{id}/report"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(report["$ref"], "#/components/schemas/Report");
    let login = &doc["paths"]["/login"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(login["$ref"], "#/components/schemas/LoginBody");
}

#[test]
fn the_server_serves_the_document_and_routes_every_operation() {
    let store = common::stores("openapi").remove(0);
    let app = Arc::new(common::app(store, None));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(hedui_web::serve(listener, hedui_web::Web::new(app)));
    rt.block_on(async {
        let http = reqwest::Client::new();
        let served: serde_json::Value =
            http.get(format!("{base}/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
        assert_eq!(served, serde_json::to_value(hedui_web::openapi::document()).unwrap());
        for (method, path) in documented(&served) {
            let url =
                format!("{base}/api/v1{}", path.replace("{id}", "1").replace("{aid}", "1").replace("{format}", "pdf"));
            let req = if method == "get" { http.get(&url) } else { http.post(&url).json(&serde_json::json!({})) };
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            assert_ne!(status, 405, "{method} {path} is not routed for its method");
            let body = resp.text().await.unwrap();
            // A 404 must be the handler's own answer (an error body), not the router's.
            if status == 404 {
                let v: serde_json::Value =
                    serde_json::from_str(&body).unwrap_or_else(|_| panic!("{method} {path}: not routed"));
                assert!(v["code"].is_string(), "{method} {path}: {body}");
            }
        }
    });
}
