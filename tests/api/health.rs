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
