use crate::helpers::TestApp;

async fn health_readiness_and_metrics_answer(app: TestApp) {
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    // A request to count, then the counter shows it.
    app.client.get(app.url("/healthz")).send().await.unwrap();
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            "tocsin_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}"
        ),
        "{text}"
    );
    assert!(text.trim_end().ends_with("# EOF"));
}

async fn unknown_routes_and_bad_bodies_get_json_errors(app: TestApp) {
    let (status, body) = app.get("/api/v1/nope", &app.admin_token).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) = app
        .post_body(
            "/api/v1/subjects/import",
            &app.admin_token,
            "application/pdf",
            "%PDF",
        )
        .await;
    assert_eq!(status, 415);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("text/csv"));
}

crate::on_both_databases!(
    health_readiness_and_metrics_answer,
    unknown_routes_and_bad_bodies_get_json_errors
);

/// Every documented operation is routed, and every route in the code is documented.
async fn the_openapi_document_matches_the_router(app: TestApp) {
    let doc: serde_json::Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    for (path, ops) in paths {
        let concrete = path
            .replace("{id}", "999999")
            .replace("{external_id}", "nobody")
            .replace("{slug}", "nothing")
            .replace("{jurisdiction}", "EU-GDPR");
        for method in ops.as_object().unwrap().keys() {
            let req = app
                .client
                .request(method.to_uppercase().parse().unwrap(), app.url(&concrete))
                .bearer_auth(&app.admin_token);
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            assert_ne!(status, 405, "{method} {path} is documented but not routed");
            assert!(
                !body.contains("route not found"),
                "{method} {path} is documented but not routed"
            );
        }
    }
    // Route literals in the code, but the console's (HTML pages and their static files, not
    // the API: they live in `console.rs` files, `console/` folders and `web/statics.rs`).
    let mut stack = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let console = path
                .file_stem()
                .is_some_and(|n| n == "console" || n == "statics");
            if console {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for (i, _) in text.match_indices(".route(") {
                let rest = text[i..].trim_start_matches(".route(").trim_start();
                let Some(lit) = rest.strip_prefix('"').and_then(|r| r.split('"').next()) else {
                    continue;
                };
                if lit.ends_with('/') && lit.len() > 1 {
                    continue; // trailing-slash alias
                }
                assert!(
                    paths.contains_key(lit),
                    "route {lit} in {} is not in the OpenAPI document",
                    path.display()
                );
            }
        }
    }
}

crate::on_both_databases!(the_openapi_document_matches_the_router);
