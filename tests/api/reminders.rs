//! Deadline reminders, on both databases: e-mailed to responders and admins before each
//! deadline (24 h and 4 h by default) and once when it is missed; written before they are sent;
//! sent once, across restarts.
use crate::helpers::TestApp;
use crate::obligations::{by_key, import, incident, instant, obligations, people, scope};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use tocsin::domain::Role;
use tocsin::regulation::obligations::reminders::Reminders;

/// The reminder e-mails written so far (no SMTP server: `.eml` files), by file name.
fn sent(app: &TestApp) -> Vec<(String, String)> {
    let dir = app.test_db.dir.path().join("outbox/email");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .map(|d| {
            d.map(|e| e.unwrap().path())
                .filter(|p| {
                    p.file_name()
                        .unwrap()
                        .to_str()
                        .unwrap()
                        .starts_with("reminder-")
                })
                .map(|p| {
                    let name = p.file_name().unwrap().to_str().unwrap().to_owned();
                    (name, std::fs::read_to_string(&p).unwrap())
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn reminders(app: &TestApp) -> Reminders {
    Reminders::for_app(&app.state).expect("reminders")
}

fn to_of(mail: &str) -> &str {
    mail.lines()
        .find_map(|l| l.strip_prefix("To: "))
        .unwrap_or("")
}

async fn reminders_are_sent_once_before_each_deadline_and_when_missed(app: TestApp) {
    // Who gets them: responders and admins, not approvers or viewers.
    for role in [Role::Responder, Role::Approver, Role::Viewer] {
        app.token_for(role).await;
    }
    import(&app, people("r", &[("DE", 3)], 0)).await;
    let (id, aware) = incident(&app, Duration::hours(1), json!({})).await;
    scope(&app, id, json!({"selector": {"countries": ["DE"]}})).await;
    let o = by_key(&obligations(&app, id).await, "EU-GDPR/authority/DE").clone();
    let due: DateTime<Utc> = instant(&o["due_at"]);
    assert_eq!(due, aware + Duration::hours(72));

    let pass = reminders(&app)
        .run_once(due - Duration::hours(30))
        .await
        .unwrap();
    assert_eq!(
        (pass.planned, pass.sent),
        (0, 0),
        "more than 24 hours before: nothing"
    );
    let pass = reminders(&app)
        .run_once(due - Duration::hours(23))
        .await
        .unwrap();
    assert_eq!(
        (pass.planned, pass.sent),
        (2, 2),
        "the admin and the responder"
    );
    let mails = sent(&app);
    assert_eq!(mails.len(), 2);
    for (_, m) in &mails {
        assert!(m.contains("Subject: [Tocsin] TOCSIN-"), "{m}");
        assert!(m.contains("is due in 1 day"), "{m}");
        assert!(m.contains("EU-GDPR"), "{m}");
        assert!(
            !to_of(m).contains("approver") && !to_of(m).contains("viewer"),
            "{m}"
        );
    }
    assert!(mails
        .iter()
        .any(|(_, m)| to_of(m).contains("admin@example.test")));
    // Again within the same window: nothing new.
    let pass = reminders(&app)
        .run_once(due - Duration::hours(22))
        .await
        .unwrap();
    assert_eq!((pass.planned, pass.sent), (0, 0));

    // After a restart, what was sent is not sent again.
    let second = app.restarted().await;
    let pass = reminders(&second)
        .run_once(due - Duration::hours(22))
        .await
        .unwrap();
    assert_eq!((pass.planned, pass.sent), (0, 0));
    // Written, then the process stops before sending: the next one sends them, once.
    assert_eq!(
        reminders(&second)
            .plan(due - Duration::hours(3))
            .await
            .unwrap(),
        2
    );
    drop(second);
    let third = app.restarted().await;
    assert_eq!(
        reminders(&third)
            .send(due - Duration::hours(3))
            .await
            .unwrap(),
        (2, 0)
    );
    assert_eq!(
        reminders(&third)
            .send(due - Duration::hours(3))
            .await
            .unwrap(),
        (0, 0)
    );
    let mails = sent(&app);
    assert_eq!(mails.len(), 4);
    assert_eq!(
        mails
            .iter()
            .filter(|(_, m)| m.contains("is due in 4 hours"))
            .count(),
        2
    );

    // Missed: once.
    let pass = reminders(&third)
        .run_once(due + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!((pass.planned, pass.sent), (2, 2));
    assert_eq!(
        sent(&app)
            .iter()
            .filter(|(_, m)| m.contains("is overdue"))
            .count(),
        2
    );
    let pass = reminders(&third)
        .run_once(due + Duration::hours(2))
        .await
        .unwrap();
    assert_eq!((pass.planned, pass.sent), (0, 0));
    assert_eq!(
        app.count("obligation_reminders WHERE sent_at IS NULL")
            .await,
        0
    );
    assert_eq!(app.count("obligation_reminders").await, 6);
}

/// A reminder whose obligation was done before it went out is not sent.
async fn a_reminder_for_an_obligation_done_meanwhile_is_not_sent(app: TestApp) {
    import(&app, people("q", &[("KR", 2)], 0)).await;
    let (id, _) = incident(&app, Duration::hours(1), json!({})).await;
    scope(&app, id, json!({"selector": {"countries": ["KR"]}})).await;
    let o = by_key(&obligations(&app, id).await, "KR-PIPA/individuals").clone();
    let due = instant(&o["due_at"]);
    assert_eq!(
        reminders(&app)
            .plan(due - Duration::hours(2))
            .await
            .unwrap(),
        1
    );
    let path = format!("/api/v1/incidents/{id}/obligations/{}/done", o["id"]);
    let (status, _) = app
        .post_json(
            &path,
            &app.admin_token,
            &json!({"how": "e-mailed every data subject"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        reminders(&app)
            .send(due - Duration::hours(2))
            .await
            .unwrap(),
        (0, 0)
    );
    assert!(sent(&app).is_empty());
    assert_eq!(
        app.count("obligation_reminders WHERE sent_at IS NULL")
            .await,
        0
    );
}

crate::on_both_databases!(
    reminders_are_sent_once_before_each_deadline_and_when_missed,
    a_reminder_for_an_obligation_done_meanwhile_is_not_sent,
);
