//! The population reads the console makes on every page view, kept cheap for millions: whose
//! notices the notices tab previews (the first person by position of each locale, up to four,
//! found by index seeks in `population::store::samples_by_locale` on the locale snapshotted
//! when each person was added, not by grouping the population); the people and unreachable
//! counts per jurisdiction in one pass (`groups_with_unreachable`, what the obligations and
//! every next deadline read); and the bare total the incident lists show.
use crate::console::signed_in;
use crate::flow::open_incident;
use crate::helpers::TestApp;
use serde_json::json;
use tocsin::domain::Channel;
use tocsin::domain::Role;
use tocsin::population::store::{groups_with_unreachable, samples_by_locale};
use tocsin::population::PopulationFacts;

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

/// Text as the console's templates escape it.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('`', "&#x60;")
        .replace('=', "&#x3D;")
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

    // Not composed yet, each preview on the page (which reads the population's counts once for
    // all of them) says what the API's preview (which reads them itself) says.
    for who in ["s-3", "s-2", "s-4", "s-5"] {
        let (status, api) = app
            .get(
                &format!("/api/v1/incidents/{id}/notices/preview?external_id={who}&channel=email"),
                &app.admin_token,
            )
            .await;
        assert_eq!(status, 200, "{api}");
        assert_eq!(api["composed"], false);
        let text = escape(api["text"].as_str().unwrap());
        assert!(
            page.body.contains(&format!(
                r#"<pre class="preview-text" lang="{}">{text}</pre>"#,
                api["locale"].as_str().unwrap_or_default()
            )),
            "{who}'s preview is the API's"
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

async fn people_and_unreachable_are_counted_per_jurisdiction_in_one_pass(app: TestApp) {
    import(
        &app,
        "external_id,name,email,phone,country,region,locale
u-1,Ann,ann@example.com,,US,US-CA,en-US
u-2,Ben,,+14155550123,US,US-CA,en-US
u-3,Cal,,,US,US-CA,en-US
u-4,Dee,,,DE,,de
u-5,Eve,eve@example.com,,DE,,de
u-6,Fay,,,,,
",
    )
    .await;
    let id = open_incident(&app, &app.admin_token).await;
    let empty = open_incident(&app, &app.admin_token).await;
    add_in_order(&app, id, &["u-1", "u-2", "u-3", "u-4", "u-5", "u-6"]).await;
    let mut email = groups_with_unreachable(&app.db, id, &[Channel::Email])
        .await
        .unwrap();
    email.sort();
    let g = |c: Option<&str>, r: Option<&str>, n: i64, u: i64| {
        (c.map(str::to_owned), r.map(str::to_owned), n, u)
    };
    assert_eq!(
        email,
        vec![
            g(None, None, 1, 1),
            g(Some("DE"), None, 2, 1),
            g(Some("US"), Some("US-CA"), 3, 2),
        ]
    );
    let mut both = groups_with_unreachable(&app.db, id, &[Channel::Email, Channel::Sms])
        .await
        .unwrap();
    both.sort();
    assert_eq!(
        both.iter().map(|x| x.3).collect::<Vec<_>>(),
        vec![1, 1, 1],
        "a phone reaches Ben by SMS"
    );
    let none = groups_with_unreachable(&app.db, id, &[]).await.unwrap();
    assert!(none.iter().all(|x| x.2 == x.3), "no channel reaches anyone");
    assert!(groups_with_unreachable(&app.db, empty, &[Channel::Email])
        .await
        .unwrap()
        .is_empty());

    // The bare total is the grouped one.
    let facts = PopulationFacts::load(&app.db, id).await.unwrap();
    assert_eq!(facts.total, 6);
    assert_eq!(PopulationFacts::total(&app.db, id).await.unwrap(), 6);
    assert_eq!(PopulationFacts::total(&app.db, empty).await.unwrap(), 0);
    // And the lists show it.
    let (mut c, _) = signed_in(&app, Role::Viewer).await;
    let list = c.get("/incidents").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains(r#"data-label="People affected">6</td>"#));
    assert!(list.body.contains(r#"data-label="People affected">0</td>"#));
    let show = c.get(&format!("/incidents/{id}")).await;
    assert!(show.body.contains(r#"<strong class="big">6</strong>"#));
}

/// Migration 000015 gives people already in a population their subject's locale (and undoes
/// cleanly): the samples are the same after it as before.
async fn the_locale_migration_fills_in_people_added_before_it(app: TestApp) {
    use migration::MigratorTrait;
    import(&app, REGISTRY).await;
    let id = open_incident(&app, &app.admin_token).await;
    add_in_order(&app, id, &["s-5", "s-4", "s-1", "s-2"]).await;
    let before = samples_by_locale(&app.db, id, 4).await.unwrap();
    migration::Migrator::down(&app.db, Some(1)).await.unwrap();
    migration::Migrator::up(&app.db, None).await.unwrap();
    assert_eq!(
        app.count(&format!(
            "incident_population WHERE incident_id = {id} AND locale IS NOT NULL"
        ))
        .await,
        3,
        "everyone with a locale got it back"
    );
    assert_eq!(samples_by_locale(&app.db, id, 4).await.unwrap(), before);
    assert_eq!(
        before,
        owned(&[
            ("s-5", Some("ja")),
            ("s-4", None),
            ("s-1", Some("de")),
            ("s-2", Some("fr")),
        ])
    );
}

crate::on_both_databases!(
    the_first_person_of_each_locale_is_previewed_in_population_order,
    the_locale_migration_fills_in_people_added_before_it,
    people_and_unreachable_are_counted_per_jurisdiction_in_one_pass,
);
