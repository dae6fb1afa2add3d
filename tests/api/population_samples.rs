//! Whose notices the notices tab previews: the first person (by position in the population) of
//! each locale, up to four, found by index seeks (`population::store::samples_by_locale`) on
//! the locale snapshotted when each person was added — not by grouping the population.
use crate::console::signed_in;
use crate::flow::open_incident;
use crate::helpers::TestApp;
use serde_json::json;
use tocsin::domain::Role;
use tocsin::population::store::samples_by_locale;

const REGISTRY: &str = "\
external_id,name,email,phone,country,region,locale
s-1,Anna Erste,anna@example.com,,DE,,de
s-2,Bruno Deux,bruno@example.com,,FR,,fr
s-3,Carla Dritte,carla@example.com,,DE,,de
s-4,Dana Nolocale,dana@example.com,,GB,,
s-5,Eiko Go,eiko@example.com,,JP,,ja
s-6,Fred Six,fred@example.com,,GB,,en-GB
s-7,Gaston Sept,gaston@example.com,,FR,,fr
";

async fn import(app: &TestApp, csv: &'static str) {
    let (status, _) = app
        .post_body("/api/v1/subjects/import", &app.admin_token, "text/csv", csv)
        .await;
    assert_eq!(status, 200);
}

/// Adds one person at a time, so their positions follow `ids`.
async fn add_in_order(app: &TestApp, id: i64, ids: &[&str]) {
    for one in ids {
        let (status, body) = app
            .post_json(
                &format!("/api/v1/incidents/{id}/population"),
                &app.admin_token,
                &json!({ "external_ids": [one] }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
}

fn owned(v: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
    v.iter()
        .map(|(e, l)| (e.to_string(), l.map(str::to_owned)))
        .collect()
}

async fn the_first_person_of_each_locale_is_previewed_in_population_order(app: TestApp) {
    import(&app, REGISTRY).await;
    let id = open_incident(&app, &app.admin_token).await;
    assert!(
        samples_by_locale(&app.db, id, 4).await.unwrap().is_empty(),
        "nobody yet"
    );
    add_in_order(&app, id, &["s-3", "s-2", "s-4", "s-1", "s-7", "s-5", "s-6"]).await;
    // Another incident's people never count.
    let other = open_incident(&app, &app.admin_token).await;
    add_in_order(&app, other, &["s-6", "s-1"]).await;

    let four = samples_by_locale(&app.db, id, 4).await.unwrap();
    assert_eq!(
        four,
        owned(&[
            ("s-3", Some("de")),
            ("s-2", Some("fr")),
            ("s-4", None),
            ("s-5", Some("ja")),
        ]),
        "the first of each locale (and of those without one), by position, four at most"
    );
    let all = samples_by_locale(&app.db, id, 10).await.unwrap();
    assert_eq!(all.len(), 5, "{all:?}");
    assert_eq!(all[4], ("s-6".to_string(), Some("en-GB".to_string())));
    assert!(samples_by_locale(&app.db, id, 0).await.unwrap().is_empty());
    assert_eq!(
        samples_by_locale(&app.db, other, 4).await.unwrap(),
        owned(&[("s-6", Some("en-GB")), ("s-1", Some("de"))])
    );

    // The notices tab previews exactly these people.
    let (mut c, _) = signed_in(&app, Role::Responder).await;
    let page = c.get(&format!("/incidents/{id}/notices")).await;
    assert_eq!(page.status, 200);
    for shown in ["s-3", "s-2", "s-4", "s-5"] {
        assert!(
            page.body.contains(&format!("<code>{shown}</code>")),
            "{shown} is previewed"
        );
    }
    for not in ["s-1", "s-6", "s-7"] {
        assert!(
            !page.body.contains(&format!("<code>{not}</code>")),
            "{not} is not previewed"
        );
    }

    // The locale that picks a sample is the one a person had when added (as their country and
    // region are); the preview itself is rendered in their locale of now.
    import(
        &app,
        "external_id,name,email,locale,country\ns-3,Carla Dritte,carla@example.com,it,DE\n",
    )
    .await;
    let after = samples_by_locale(&app.db, id, 2).await.unwrap();
    assert_eq!(after, owned(&[("s-3", Some("it")), ("s-2", Some("fr"))]));
    let added_later = open_incident(&app, &app.admin_token).await;
    add_in_order(&app, added_later, &["s-1", "s-3"]).await;
    assert_eq!(
        samples_by_locale(&app.db, added_later, 4).await.unwrap(),
        owned(&[("s-1", Some("de")), ("s-3", Some("it"))]),
        "people added after the change carry their new locale"
    );
}

crate::on_both_databases!(the_first_person_of_each_locale_is_previewed_in_population_order);
