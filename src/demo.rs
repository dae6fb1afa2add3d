//! The demo data set `tocsin serve --demo` loads, so a newcomer sees a populated system at once.
//!
//! About 3,000 synthetic buyers of a B2B sourcing marketplace (see PLATFORM.md): many countries,
//! each with its own languages and, where breach law is per subdivision, its regions; uneven
//! contact data; company attributes; data categories from the inventory; and a handful of hostile
//! or awkward names that must survive verbatim and be shown escaped. They go through the real
//! importer (as CSV), then one example incident of kind `chat-translation-leak` is opened and its
//! affected population scoped: every buyer whose chat records the incident reached.
//!
//! The buyers are generated from a fixed seed, so every load gives the same people. Loading is
//! done once: a `demo.loaded` audit entry marks it, and a later load changes nothing. A load that
//! stopped half-way picks up where it stopped.
use crate::app::AppState;
use crate::audit::{self, Actor, Target};
use crate::db::stmt;
use crate::incidents::{Content, NewIncident};
use crate::playbooks::Playbooks;
use crate::population::{import_subjects, set_population, Format, ImportTarget, PopulationRequest};
use anyhow::Context;
use chrono::{DateTime, Duration, DurationRound, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// How many buyers the demo holds (`demo-00001` … `demo-03000`).
pub const BUYERS: usize = 3000;
/// The seed of the generator: the same buyers on every load.
pub const SEED: u64 = 0x7_0C51_2026;
/// The kind (playbook) of the example incident.
pub const INCIDENT_KIND: &str = "chat-translation-leak";
/// The title of the example incident (with the kind, how a half-finished load finds it again).
pub const INCIDENT_TITLE: &str = "Chat records exposed by our IM chat-translation processor";
/// The audit action that records a finished load.
pub const LOADED_ACTION: &str = "demo.loaded";
/// The inventory category whose holders the example incident reaches.
const AFFECTED_CATEGORY: &str = "chat_records";

/// Hostile or awkward names, each carried by a fixed demo buyer (see [`awkward_buyers`]). They
/// must be stored verbatim and shown escaped wherever they appear.
pub const AWKWARD_NAMES: &[&str] = &[
    "<script>alert('xss')</script>",
    "Robert'); DROP TABLE subjects;--",
    "{{content.organisation}}",
    "\"><img src=x onerror=alert(1)>",
    // A right-to-left override: shows as "Mallory exe.txt" in naive displays.
    "Mallory \u{202E}txt.exe",
    "=HYPERLINK(\"https://example.com/x\",\"Click me\")",
    "O'Brien",
    "Zoë Ångström",
    "山田 太郎",
    "Nguyễn Văn A",
    "🦀 Ferris Crabbington 🚀",
    "👩\u{200D}💻 Ada 'Byte' Lovelace",
    "Dr. José \"Pepe\" García-Márquez, Jr.",
    "Null",
    // 200 characters, the longest name the registry accepts.
    "Hubert Blaine Wolfeschlegelsteinhausenbergerdorff Sr. of Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaftschaferswessenschafewarenwohlgepflegeundsorgfaltigkeitbeschutzenvorangreifen",
    "Maria del Carmen Fernández de Córdoba y Figueroa de la Cerda Osorio de Moscoso Pérez de Guzmán y Álvarez de Toledo",
];

/// The external id of the buyer carrying `AWKWARD_NAMES[k]`: spread through the registry.
fn awkward_index(k: usize) -> usize {
    2 + k * 181
}

/// `(external_id, name)` of every buyer with an awkward name.
pub fn awkward_buyers() -> Vec<(String, &'static str)> {
    AWKWARD_NAMES
        .iter()
        .enumerate()
        .map(|(k, n)| (external_id(awkward_index(k)), *n))
        .collect()
}

/// The company of the second awkward buyer: quotes, commas, markup and a formula.
pub const AWKWARD_COMPANY: &str = "Tables & Sons \"Wholesale\", Ltd. <b>=1+1</b>";

fn external_id(i: usize) -> String {
    format!("demo-{i:05}")
}

/// What a load did (or found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    /// Demo buyers in the registry.
    pub subjects: u64,
    /// The example incident.
    pub incident_id: i64,
    /// People in its population.
    pub population: i64,
    /// True when an earlier load had finished: nothing was changed.
    pub already_loaded: bool,
    /// Lines the importer rejected (0 unless the generator and the importer disagree).
    pub rejected: u64,
}

/// Loads the demo data set unless it was loaded before. See the module documentation.
pub async fn load(state: &AppState) -> anyhow::Result<DemoSummary> {
    let db = &state.db;
    if let Some(incident_id) = loaded_marker(db).await? {
        return Ok(DemoSummary {
            subjects: count_demo_subjects(db).await?,
            incident_id,
            population: count_population(db, incident_id).await?,
            already_loaded: true,
            rejected: 0,
        });
    }
    let buyers = generate();

    // 1. The buyers, through the real importer. Skipped when an earlier, unfinished load got
    //    this far (and so that edits made to demo buyers since are kept).
    let mut rejected = 0;
    if !subject_exists(db, &external_id(1)).await? {
        let report = import_subjects(
            &ImportTarget::Database(db.clone()),
            std::io::Cursor::new(to_csv(&buyers)?),
            Format::Csv,
            Arc::new(state.playbooks.own_categories()),
            &Actor::System,
            Arc::new(AtomicU64::new(0)),
            |_| {},
        )
        .await
        .context("importing the demo buyers")?;
        for r in &report.rejected {
            tracing::warn!(line = r.line, reason = %r.reason, "demo buyer rejected by the importer");
        }
        rejected = report.rejected_count;
    }

    // 2. The example incident (found again if an unfinished load created it).
    let incident_id = match find_demo_incident(db).await? {
        Some(id) => id,
        None => {
            let new = example_incident(&state.playbooks, state.clock.now())?;
            crate::incidents::create(db, &Actor::System, new, state.clock.now())
                .await
                .context("creating the demo incident")?
                .id
        }
    };

    // 3. Its affected population: everyone whose chat records the processor received.
    let affected: Vec<String> = buyers
        .iter()
        .filter(|b| b.categories.contains(&AFFECTED_CATEGORY))
        .map(|b| b.external_id.clone())
        .collect();
    let summary = set_population(
        db,
        &Actor::System,
        incident_id,
        PopulationRequest {
            external_ids: Some(affected),
            selector: None,
            reason: Some(
                "Chat records of this buyer were sent to the IM chat-translation processor \
                 during the exposure window (demo data)"
                    .into(),
            ),
        },
        false,
        state.clock.now(),
    )
    .await
    .context("scoping the demo incident's population")?;

    // 4. Mark the load as finished.
    let subjects = count_demo_subjects(db).await?;
    let txn = db.begin().await?;
    audit::record(
        &txn,
        &Actor::System,
        LOADED_ACTION,
        Target::new("incident", incident_id),
        json!({ "subjects": subjects, "population": summary.count, "rejected": rejected, "seed": SEED }),
    )
    .await?;
    txn.commit().await?;

    Ok(DemoSummary {
        subjects,
        incident_id,
        population: summary.count,
        already_loaded: false,
        rejected,
    })
}

/// The example incident: a chat-translation processor's leak, discovered three hours ago.
fn example_incident(playbooks: &Playbooks, now: DateTime<Utc>) -> anyhow::Result<NewIncident> {
    let kind = playbooks
        .kinds
        .get(INCIDENT_KIND)
        .with_context(|| format!("the playbooks have no kind '{INCIDENT_KIND}'"))?;
    let now = now.duration_trunc(Duration::minutes(1)).unwrap_or(now);
    let aware_at = now - Duration::hours(3);
    let occurred_from = now - Duration::days(6) - Duration::hours(7);
    let occurred_to = now - Duration::days(2) - Duration::hours(2);
    let day = |t: DateTime<Utc>| t.format("%-d %B %Y").to_string();
    let summary = format!(
        "Our machine-translation processor for instant-messaging chat told us on {aware} that a \
         storage bucket holding chat messages sent to it for translation could be read from the \
         internet without authentication between {from} and {to}. The messages are chats between \
         buyers and suppliers: they may include names, company details, order details, contact \
         details and the names of shared files. The processor found access from addresses it \
         cannot account for; we have no evidence so far that the messages were misused. \
         (This incident is demo data.)",
        aware = day(aware_at),
        from = day(occurred_from),
        to = day(occurred_to),
    );
    let mut content = Content::from_kind(kind, playbooks, INCIDENT_TITLE, &summary);
    content.occurred_from = Some(occurred_from);
    content.occurred_to = Some(occurred_to);
    content.systems = vec!["instant_messaging".into()];
    content.cause = "A storage bucket at the IM chat-translation processor, holding cached \
         translation requests, was made publicly readable by a configuration change on the \
         processor's side."
        .into();
    Ok(NewIncident {
        kind: kind.id.clone(),
        severity: kind.severity,
        aware_at,
        content,
    })
}

// ---- Queries -------------------------------------------------------------------------------

async fn loaded_marker(db: &impl ConnectionTrait) -> anyhow::Result<Option<i64>> {
    let row = db
        .query_one(stmt(
            db.get_database_backend(),
            "SELECT target_id FROM audit_log WHERE action = ? ORDER BY seq DESC LIMIT 1",
            [LOADED_ACTION.into()],
        ))
        .await?;
    match row {
        None => Ok(None),
        Some(r) => {
            let id: String = r.try_get("", "target_id")?;
            Ok(Some(id.parse().with_context(|| {
                format!("the {LOADED_ACTION} audit entry names incident '{id}'")
            })?))
        }
    }
}

async fn find_demo_incident(db: &impl ConnectionTrait) -> anyhow::Result<Option<i64>> {
    let row = db
        .query_one(stmt(
            db.get_database_backend(),
            "SELECT id FROM incidents WHERE kind = ? AND title = ? AND created_by IS NULL \
             ORDER BY id LIMIT 1",
            [INCIDENT_KIND.into(), INCIDENT_TITLE.into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get::<i64>("", "id")).transpose()?)
}

async fn subject_exists(db: &impl ConnectionTrait, external_id: &str) -> anyhow::Result<bool> {
    let sql = "SELECT COUNT(*) AS n FROM subjects WHERE external_id = ?";
    Ok(count(db, sql, vec![external_id.into()]).await? > 0)
}

async fn count_demo_subjects(db: &impl ConnectionTrait) -> anyhow::Result<u64> {
    let sql = "SELECT COUNT(*) AS n FROM subjects WHERE external_id LIKE 'demo-%'";
    Ok(count(db, sql, vec![]).await?.max(0) as u64)
}

async fn count_population(db: &impl ConnectionTrait, incident_id: i64) -> anyhow::Result<i64> {
    let sql = "SELECT COUNT(*) AS n FROM incident_population WHERE incident_id = ?";
    count(db, sql, vec![incident_id.into()]).await
}

/// Runs a `SELECT COUNT(*) AS n …`.
async fn count(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> anyhow::Result<i64> {
    let row = db
        .query_one(stmt(db.get_database_backend(), sql, values))
        .await?;
    Ok(match row {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    })
}

// ---- The buyers ----------------------------------------------------------------------------

/// One generated buyer, as it goes into the import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buyer {
    pub external_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub locale: Option<&'static str>,
    pub country: &'static str,
    pub region: Option<&'static str>,
    pub birth_date: Option<String>,
    pub push: Option<(&'static str, String)>,
    pub categories: Vec<&'static str>,
    pub company: Option<String>,
    pub company_type: &'static str,
    pub annual_volume: &'static str,
    pub purchase_frequency: &'static str,
    pub products_sourced: String,
    pub segment: &'static str,
    pub signup_channel: &'static str,
    pub member_since: u16,
}

/// How people are named in a culture: comma-separated given and family names. Entries are
/// `native|romanised` where the script is not Latin (the romanised form builds e-mail addresses).
struct Names {
    given: &'static str,
    family: &'static str,
    order: Order,
}

#[derive(Clone, Copy)]
enum Order {
    /// "Anna Müller"
    GivenFamily,
    /// "山田 太郎", "Tan Wei Ming"
    FamilySpaceGiven,
    /// "王伟", "김민준"
    FamilyGiven,
}

const EN: Names = Names {
    given:
        "Oliver, Amelia, George, Olivia, Harry, Isla, Jack, Ava, James, Emily, Liam, Noah, Emma, \
            Sophia, Mason, Charlotte, Ethan, Grace, Aoife, Seán, Siobhán, Ciarán, Chloe, Daniel, \
            Megan, Ryan, Hannah, Lucas, Zoe, Max",
    family:
        "Smith, Jones, Williams, Taylor, Brown, Davies, Evans, Wilson, Johnson, Miller, Davis, \
             Murphy, Kelly, Walsh, Thompson, Anderson, Clarke, Martin, White, Harris, Robinson, \
             Walker, Young, King, Wright, Scott, Baker, Nguyen, Patel, Campbell",
    order: Order::GivenFamily,
};
const DE: Names = Names {
    given:
        "Lukas, Anna, Jonas, Lea, Felix, Sophie, Maximilian, Marie, Paul, Laura, Jürgen, Käthe, \
            Stefan, Sabine, Tobias, Jörg, Katrin, Uwe",
    family:
        "Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Hoffmann, Schäfer, \
             Koch, Groß, Schröder, Neumann, Schwarz, Zimmermann",
    order: Order::GivenFamily,
};
const FR: Names = Names {
    given:
        "Camille, Louis, Léa, Hugo, Chloé, Lucas, Manon, Théo, Inès, Gabriel, Élodie, François, \
            Hélène, Noël, Margaux, Benoît",
    family: "Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Lefèvre, Moreau, \
             Laurent, Girard, Roux, Fournier, Mercier, Lemaître",
    order: Order::GivenFamily,
};
const QC: Names = Names {
    given: FR.given,
    family: "Tremblay, Gagnon, Roy, Côté, Bouchard, Gauthier, Morin, Lavoie, Fortin, Gagné, \
             Ouellet, Pelletier, Bélanger, Lévesque",
    order: Order::GivenFamily,
};
const ES: Names = Names {
    given: "Lucía, Hugo, Martina, Mateo, Sofía, Daniel, Paula, Alejandro, Carmen, Javier, Jordi, \
            Núria, José, María, Ángel, Inés",
    family: "García, Fernández, González, Rodríguez, López, Martínez, Sánchez, Pérez, Gómez, \
             Núñez, Hernández, Díaz, Moreno, Muñoz, Álvarez, Romero",
    order: Order::GivenFamily,
};
const IT: Names = Names {
    given: "Giulia, Francesco, Chiara, Alessandro, Sofia, Lorenzo, Aurora, Matteo, Giorgia, \
            Leonardo, Niccolò, Gabriele",
    family: "Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco, \
             Bruno, Gallo, De Luca, D'Angelo",
    order: Order::GivenFamily,
};
const NL: Names = Names {
    given: "Daan, Emma, Sem, Julia, Lucas, Mila, Levi, Tess, Bram, Sanne, Joris, Fleur",
    family: "de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Janssen, Visser, Smit, \
             Meijer, de Boer, van 't Hof",
    order: Order::GivenFamily,
};
const PL: Names = Names {
    given: "Zuzanna, Jakub, Julia, Antoni, Maja, Jan, Hanna, Szymon, Łucja, Wojciech, Małgorzata, \
            Paweł",
    family: "Nowak, Kowalski, Wiśniewski, Wójcik, Kowalczyk, Kamiński, Lewandowski, Zieliński, \
             Szymański, Woźniak, Dąbrowski, Król",
    order: Order::GivenFamily,
};
const SV: Names = Names {
    given: "Elsa, Lars, Astrid, Erik, Maja, Nils, Ebba, Oskar, Åsa, Björn",
    family: "Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsson, Öberg, Lindqvist, Ström, \
             Åkesson",
    order: Order::GivenFamily,
};
const PT: Names = Names {
    given: "Miguel, Helena, Arthur, Alice, Gael, Laura, Heitor, Valentina, Théo, Júlia, João, \
            Conceição, Luís, Letícia",
    family: "Silva, Santos, Oliveira, Souza, Rodrigues, Ferreira, Alves, Pereira, Lima, Gomes, \
             Conceição, Araújo",
    order: Order::GivenFamily,
};
const JA: Names = Names {
    given:
        "翔|sho, 陽菜|hina, 蓮|ren, 結衣|yui, 大翔|hiroto, さくら|sakura, 悠真|yuma, 美咲|misaki, \
            健太|kenta, 由美|yumi, 太郎|taro, 花子|hanako",
    family: "佐藤|sato, 鈴木|suzuki, 高橋|takahashi, 田中|tanaka, 伊藤|ito, 渡辺|watanabe, \
             山本|yamamoto, 中村|nakamura, 小林|kobayashi, 加藤|kato, 山田|yamada, 吉田|yoshida",
    order: Order::FamilySpaceGiven,
};
const ZH: Names = Names {
    given: "伟|wei, 芳|fang, 娜|na, 敏|min, 静|jing, 磊|lei, 洋|yang, 艳|yan, 勇|yong, 军|jun, \
            秀英|xiuying, 建华|jianhua, 志强|zhiqiang, 丽娟|lijuan",
    family:
        "王|wang, 李|li, 张|zhang, 刘|liu, 陈|chen, 杨|yang, 黄|huang, 赵|zhao, 吴|wu, 周|zhou, \
             欧阳|ouyang, 徐|xu",
    order: Order::FamilyGiven,
};
const KO: Names = Names {
    given:
        "민준|minjun, 서연|seoyeon, 도윤|doyun, 지우|jiwoo, 하준|hajun, 서윤|seoyun, 시우|siwoo, \
            하은|haeun, 주원|juwon, 지민|jimin",
    family: "김|kim, 이|lee, 박|park, 최|choi, 정|jung, 강|kang, 조|cho, 윤|yoon, 장|jang, 임|lim",
    order: Order::FamilyGiven,
};
const VI: Names = Names {
    given: "Văn An|vanan, Thị Lan|thilan, Minh Tuấn|minhtuan, Thị Hương|thihuong, Đức Anh|ducanh, \
            Ngọc Bích|ngocbich, Quốc Bảo|quocbao, Thu Trang|thutrang",
    family: "Nguyễn|nguyen, Trần|tran, Lê|le, Phạm|pham, Hoàng|hoang, Huỳnh|huynh, Phan|phan, \
             Vũ|vu, Đặng|dang, Bùi|bui",
    order: Order::FamilySpaceGiven,
};
const HI: Names = Names {
    given: "Aarav, Ananya, Vihaan, Diya, Arjun, Saanvi, Reyansh, Aadhya, Vivaan, Isha, Rohan, \
            Priya, Rajesh, Lakshmi",
    family: "Sharma, Patel, Singh, Kumar, Gupta, Reddy, Iyer, Nair, Das, Mehta, Banerjee, Chopra",
    order: Order::GivenFamily,
};
const SG: Names = Names {
    given: "Wei Ming, Hui Min, Jun Jie, Xin Yi, Kai Wen, Li Ting, Zhi Hao, Mei Ling",
    family: "Tan, Lim, Lee, Ng, Ong, Wong, Goh, Chua, Koh, Teo",
    order: Order::FamilySpaceGiven,
};
const AR: Names = Names {
    given: "Mohammed, Fatima, Ahmed, Aisha, Omar, Mariam, Khalid, Noura, Yousef, Layla",
    family: "Al Mansouri, Al Hashimi, Al Marzouqi, Khan, Haddad, Al Falasi, Al Suwaidi, Saleh",
    order: Order::GivenFamily,
};

/// A country where buyers live: how many (weight per mille), where, in which languages.
/// `regions` and `locales` are weighted lists, `value weight, …`; region `-` is "not known".
struct Market {
    country: &'static str,
    weight: u32,
    regions: &'static str,
    locales: &'static str,
}

const MARKETS: &[Market] = &[
    Market {
        country: "US",
        weight: 170,
        regions: "US-CA 22, US-NY 14, US-TX 13, US-FL 10, US-IL 6, US-WA 6, US-MA 5, US-NJ 5, \
                  US-CO 4, US-GA 4, US-PA 4, US-VA 3, US-OH 3, US-MI 3, US-NC 3, US-AZ 2, \
                  US-OR 2, US-MN 2, - 3",
        locales: "en-US 86, es-US 8, en 4, zh-CN 2",
    },
    Market {
        country: "CA",
        weight: 50,
        regions: "CA-ON 45, CA-QC 25, CA-BC 18, CA-AB 12",
        locales: "", // by province, see `locale_for`
    },
    Market {
        country: "GB",
        weight: 75,
        regions: "",
        locales: "en-GB 95, en 5",
    },
    Market {
        country: "IE",
        weight: 20,
        regions: "",
        locales: "en-IE 75, en 25",
    },
    Market {
        country: "DE",
        weight: 70,
        regions: "",
        locales: "de 85, de-DE 5, en 10",
    },
    Market {
        country: "FR",
        weight: 55,
        regions: "",
        locales: "fr 90, fr-FR 5, en 5",
    },
    Market {
        country: "ES",
        weight: 40,
        regions: "",
        locales: "es 90, es-ES 5, ca 5",
    },
    Market {
        country: "IT",
        weight: 35,
        regions: "",
        locales: "it 95, en 5",
    },
    Market {
        country: "NL",
        weight: 30,
        regions: "",
        locales: "nl 80, en 20",
    },
    Market {
        country: "PL",
        weight: 30,
        regions: "",
        locales: "pl 95, en 5",
    },
    Market {
        country: "SE",
        weight: 15,
        regions: "",
        locales: "sv 85, en 15",
    },
    Market {
        country: "JP",
        weight: 70,
        regions: "",
        locales: "ja 95, en 5",
    },
    Market {
        country: "CN",
        weight: 75,
        regions: "",
        locales: "zh-CN 97, en 3",
    },
    Market {
        country: "KR",
        weight: 40,
        regions: "",
        locales: "ko 95, en 5",
    },
    Market {
        country: "BR",
        weight: 55,
        regions: "",
        locales: "pt-BR 97, en 3",
    },
    Market {
        country: "MX",
        weight: 20,
        regions: "",
        locales: "es-MX 95, en 5",
    },
    Market {
        country: "AU",
        weight: 45,
        regions: "AU-NSW 40, AU-VIC 30, AU-QLD 18, AU-WA 7, AU-SA 5",
        locales: "en-AU 90, en 10",
    },
    Market {
        country: "SG",
        weight: 30,
        regions: "",
        locales: "en-SG 60, en 20, zh-SG 20",
    },
    Market {
        country: "IN",
        weight: 60,
        regions: "",
        locales: "en-IN 75, hi 15, en 10",
    },
    Market {
        country: "VN",
        weight: 15,
        regions: "",
        locales: "vi 90, en 10",
    },
    Market {
        country: "AE",
        weight: 15,
        regions: "",
        locales: "en 60, ar 40",
    },
];

fn locale_for(rng: &mut StdRng, m: &Market, region: Option<&str>) -> &'static str {
    match (m.country, region) {
        ("CA", Some("CA-QC")) => pick_spec(rng, "fr-CA 80, en-CA 20"),
        ("CA", _) => pick_spec(rng, "en-CA 90, fr-CA 10"),
        _ => pick_spec(rng, m.locales),
    }
}

/// Whose names a buyer has: by language, then by country.
fn names_for(country: &str, locale: &str) -> &'static Names {
    let lang = locale.split('-').next().unwrap_or(locale);
    match (country, lang) {
        ("IN", _) => &HI,
        ("SG", "en") => &SG,
        ("AE", _) => &AR,
        ("CA", "fr") => &QC,
        (_, "de") => &DE,
        (_, "fr") => &FR,
        (_, "es") | (_, "ca") => &ES,
        (_, "it") => &IT,
        (_, "nl") => &NL,
        (_, "pl") => &PL,
        (_, "sv") => &SV,
        (_, "pt") => &PT,
        (_, "ja") => &JA,
        (_, "zh") => &ZH,
        (_, "ko") => &KO,
        (_, "vi") => &VI,
        // English speakers outside English-speaking countries keep their country's names.
        ("DE", _) => &DE,
        ("FR", _) => &FR,
        ("IT", _) => &IT,
        ("NL", _) => &NL,
        ("PL", _) => &PL,
        ("SE", _) => &SV,
        ("JP", _) => &JA,
        ("CN", _) => &ZH,
        ("KR", _) => &KO,
        ("BR", _) => &PT,
        ("MX", _) => &ES,
        ("VN", _) => &VI,
        _ => &EN,
    }
}

/// A company name in the country's usual form; `{}` is a family name.
fn company_for(rng: &mut StdRng, country: &str, family: &str, family_roman: &str) -> String {
    const TRADE: &[&str] = &[
        "Global Sourcing",
        "Home & Garden",
        "Trading",
        "Imports",
        "Supply",
        "Retail Group",
        "Electronics",
        "Textiles",
        "Packaging",
        "Hardware",
    ];
    let trade = *pick_uniform(rng, TRADE);
    let f = family;
    let r = capitalise(family_roman);
    match country {
        "US" => format!(
            "{f} {trade} {}",
            pick_uniform(rng, &["LLC", "Inc.", "Corp.", "Co."])
        ),
        "CA" | "AU" | "GB" | "IE" => format!(
            "{f} {trade} {}",
            match country {
                "AU" => "Pty Ltd",
                "CA" => "Inc.",
                _ => "Ltd",
            }
        ),
        "DE" => format!("{f} {trade} GmbH"),
        "FR" => format!("{f} {trade} SARL"),
        "ES" | "MX" => format!("{f} {trade} S.A."),
        "IT" => format!("{f} {trade} S.r.l."),
        "NL" => format!("{f} {trade} B.V."),
        "PL" => format!("{f} {trade} Sp. z o.o."),
        "SE" => format!("{f} {trade} AB"),
        "BR" => format!("{f} {trade} Ltda."),
        "JP" => format!("株式会社{f}商事"),
        "CN" => format!("{f}氏贸易有限公司"),
        "KR" => format!("(주){f}무역"),
        "SG" => format!("{r} {trade} Pte. Ltd."),
        "IN" => format!("{f} {trade} Pvt. Ltd."),
        "VN" => format!("Công ty TNHH {f} {trade}"),
        "AE" => format!("{f} {trade} FZE"),
        _ => format!("{r} {trade}"),
    }
}

/// A phone number valid for the country (known-valid mobile ranges), international or national.
fn phone_for(rng: &mut StdRng, country: &str, region: Option<&str>) -> String {
    // (country calling code, national significant number, trunk prefix for national format)
    let (cc, nsn, trunk): (&str, String, &str) = match country {
        "US" | "CA" => {
            let areas: &[&str] = match region.unwrap_or("") {
                "US-CA" => &["415", "213", "310", "408", "650"],
                "US-NY" => &["212", "718", "917"],
                "US-TX" => &["512", "713", "214"],
                "US-FL" => &["305", "407", "813"],
                "US-IL" => &["312", "773"],
                "US-WA" => &["206", "425"],
                "US-MA" => &["617", "508"],
                "US-NJ" => &["201", "973"],
                "US-CO" => &["303", "720"],
                "US-GA" => &["404", "678"],
                "US-PA" => &["215", "412"],
                "US-VA" => &["703", "804"],
                "US-OH" => &["614", "216"],
                "US-MI" => &["313", "616"],
                "US-NC" => &["704", "919"],
                "US-AZ" => &["602", "480"],
                "US-OR" => &["503", "541"],
                "US-MN" => &["612", "651"],
                "CA-ON" => &["416", "647", "613"],
                "CA-QC" => &["514", "438", "418"],
                "CA-BC" => &["604", "778"],
                "CA-AB" => &["403", "780"],
                _ => &["415", "212", "312"],
            };
            let area = *pick_uniform(rng, areas);
            // Exchange 2xx with a last digit 2–9: never N11, never 555.
            let exchange = format!("2{}{}", rng.gen_range(0..10), rng.gen_range(2..10));
            let line = digits(rng, 4);
            if rng.gen_bool(0.4) {
                return format!("({area}) {exchange}-{line}");
            }
            return format!("+1 {area} {exchange} {line}");
        }
        // 7911 takes 0, 2 or 8 next; 740–744 take anything.
        "GB" => (
            "44",
            if rng.gen_bool(0.5) {
                format!("7911{}{}", pick_listed(rng, "0, 2, 8"), digits(rng, 5))
            } else {
                format!("74{}{}", rng.gen_range(0..5), digits(rng, 7))
            },
            "0",
        ),
        "IE" => (
            "353",
            format!(
                "8{}{}",
                pick_uniform(rng, &["3", "5", "6", "7", "9"]),
                digits(rng, 7)
            ),
            "0",
        ),
        "DE" => (
            "49",
            format!("15{}{}", pick_uniform(rng, &["1", "2"]), digits(rng, 8)),
            "0",
        ),
        // 63 and 69 are only partly mobile.
        "FR" => (
            "33",
            format!(
                "6{}{}",
                pick_listed(rng, "0, 1, 2, 4, 5, 6, 7, 8"),
                digits(rng, 7)
            ),
            "0",
        ),
        "ES" => ("34", format!("6{}", digits(rng, 8)), ""),
        "IT" => ("39", format!("34{}", digits(rng, 8)), ""),
        "NL" => (
            "31",
            format!("6{}{}", rng.gen_range(1..6), digits(rng, 7)),
            "0",
        ),
        "PL" => (
            "48",
            format!(
                "{}{}",
                pick_uniform(
                    rng,
                    &["50", "51", "53", "57", "60", "66", "69", "72", "78", "79", "88"]
                ),
                digits(rng, 7)
            ),
            "",
        ),
        "SE" => (
            "46",
            format!(
                "7{}{}",
                pick_uniform(rng, &["0", "2", "3", "6"]),
                digits(rng, 7)
            ),
            "0",
        ),
        // 90, 80, 70 and then not 0.
        "JP" => (
            "81",
            format!(
                "{}{}{}",
                pick_listed(rng, "90, 80, 70"),
                rng.gen_range(1..10),
                digits(rng, 7)
            ),
            "0",
        ),
        "CN" => (
            "86",
            format!(
                "1{}{}",
                pick_uniform(rng, &["38", "39", "36", "50", "58", "86", "88"]),
                digits(rng, 8)
            ),
            "",
        ),
        "KR" => (
            "82",
            format!(
                "10{}{}",
                pick_uniform(rng, &["2", "3", "4", "6", "7", "8", "9"]),
                digits(rng, 7)
            ),
            "0",
        ),
        "BR" => {
            let area = *pick_uniform(rng, &["11", "21", "31", "41", "51", "61", "71", "81"]);
            let sub = format!("9{}{}", rng.gen_range(6..10), digits(rng, 3));
            let line = digits(rng, 4);
            if rng.gen_bool(0.4) {
                return format!("({area}) {sub}-{line}");
            }
            return format!("+55 {area} {sub} {line}");
        }
        "MX" => (
            "52",
            format!(
                "{}{}",
                pick_uniform(rng, &["55", "33", "81"]),
                digits(rng, 8)
            ),
            "",
        ),
        "AU" => (
            "61",
            format!("4{}{}", rng.gen_range(0..4), digits(rng, 7)),
            "0",
        ),
        "SG" => (
            "65",
            format!("9{}{}", rng.gen_range(1..9), digits(rng, 6)),
            "",
        ),
        "IN" => (
            "91",
            format!("9{}{}", pick_uniform(rng, &["8", "9"]), digits(rng, 8)),
            "0",
        ),
        "VN" => (
            "84",
            format!(
                "9{}{}",
                pick_uniform(rng, &["0", "1", "3", "4", "8"]),
                digits(rng, 7)
            ),
            "0",
        ),
        "AE" => (
            "971",
            format!(
                "5{}{}",
                pick_uniform(rng, &["0", "2", "5", "6"]),
                digits(rng, 7)
            ),
            "0",
        ),
        other => unreachable!("no phone plan for {other}"),
    };
    if rng.gen_bool(0.3) {
        format!("{trunk}{nsn}")
    } else {
        let (head, tail) = nsn.split_at(nsn.len().min(3));
        format!("+{cc} {head} {tail}")
    }
}

fn push_for(rng: &mut StdRng) -> (&'static str, String) {
    const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const HEX: &[u8] = b"0123456789abcdef";
    let platform = pick(rng, &[("fcm", 55), ("apns", 35), ("webpush", 10)]);
    let token = match platform {
        "fcm" => format!(
            "{}:APA91b{}",
            random_text(rng, B64URL, 11),
            random_text(rng, B64URL, 134)
        ),
        "apns" => random_text(rng, HEX, 64),
        _ => format!(
            "https://push.example.net/wpush/v2/{}",
            random_text(rng, B64URL, 43)
        ),
    };
    (platform, token)
}

fn email_for(rng: &mut StdRng, given: &str, family: &str, company: Option<&str>) -> String {
    let g = ascii_fold(given);
    let f = ascii_fold(family);
    let domain = pick(
        rng,
        &[
            ("example.com", 60),
            ("example.org", 20),
            ("example.net", 20),
        ],
    );
    let n: u16 = rng.gen_range(1..1000);
    let local = match rng.gen_range(0..6) {
        0 => format!("{g}.{f}"),
        1 => format!("{g}{f}{n}"),
        2 => format!("{}.{f}", g.chars().next().unwrap_or('x')),
        3 => format!("{f}_{g}"),
        4 => match company {
            Some(c) if !ascii_fold(c).is_empty() => {
                let c: String = ascii_fold(c).chars().take(20).collect();
                format!("purchasing.{c}")
            }
            _ => format!("{g}.{f}.{n}"),
        },
        _ => format!("{g}.{f}+sourcing"),
    };
    // Mixed case now and then: the importer lower-cases the domain only.
    let local = if rng.gen_bool(0.05) {
        capitalise(&local)
    } else {
        local
    };
    let domain = if rng.gen_bool(0.03) {
        domain.to_ascii_uppercase()
    } else {
        domain.to_owned()
    };
    format!("{local}@{domain}")
}

/// Lower-case ASCII letters and digits of a Latin-script text, accents dropped.
fn ascii_fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars().flat_map(char::to_lowercase) {
        let mapped: &str = match ch {
            'a'..='z' | '0'..='9' => {
                out.push(ch);
                continue;
            }
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ą' | 'ă' => "a",
            'æ' => "ae",
            'ç' | 'ć' | 'č' => "c",
            'è' | 'é' | 'ê' | 'ë' | 'ę' | 'ế' | 'ề' | 'ễ' | 'ệ' => "e",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'ñ' | 'ń' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ơ' | 'ọ' | 'ố' | 'ồ' => "o",
            'ù' | 'ú' | 'û' | 'ü' | 'ư' | 'ũ' => "u",
            'ý' | 'ÿ' | 'ỹ' => "y",
            'ß' => "ss",
            'ł' => "l",
            'ś' | 'š' => "s",
            'ź' | 'ż' | 'ž' => "z",
            'đ' => "d",
            _ => "",
        };
        out.push_str(mapped);
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn digits(rng: &mut StdRng, n: usize) -> String {
    random_text(rng, b"0123456789", n)
}

fn random_text(rng: &mut StdRng, alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
        .collect()
}

/// A weighted pick. Weights are small positive integers.
fn pick<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut n = rng.gen_range(0..total.max(1));
    for (item, w) in items {
        if n < *w {
            return *item;
        }
        n -= w;
    }
    items[items.len() - 1].0
}

fn pick_uniform<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// `native|romanised` → both; a Latin-script entry is its own romanisation.
fn split_name(entry: &str) -> (&str, &str) {
    entry.split_once('|').unwrap_or((entry, entry))
}

/// A uniform pick from a comma-separated list.
fn pick_listed(rng: &mut StdRng, list: &'static str) -> &'static str {
    let items: Vec<&'static str> = list.split(',').map(str::trim).collect();
    items[rng.gen_range(0..items.len())]
}

/// A weighted list, `value weight, …` (see `Market`).
fn weighted(spec: &'static str) -> Vec<(&'static str, u32)> {
    spec.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| match e.rsplit_once(' ') {
            Some((v, w)) => (v, w.parse().unwrap_or(1)),
            None => (e, 1),
        })
        .collect()
}

/// A weighted pick from a `value weight, …` list; `""` from an empty one.
fn pick_spec(rng: &mut StdRng, spec: &'static str) -> &'static str {
    let items = weighted(spec);
    if items.is_empty() {
        return "";
    }
    pick(rng, &items)
}

/// Generates the demo buyers. Deterministic: the same buyers every time.
pub fn generate() -> Vec<Buyer> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let market_weights: Vec<(usize, u32)> = MARKETS
        .iter()
        .enumerate()
        .map(|(i, m)| (i, m.weight))
        .collect();
    let awkward = awkward_buyers();
    let mut buyers = Vec::with_capacity(BUYERS);
    for i in 1..=BUYERS {
        let market = &MARKETS[pick(&mut rng, &market_weights)];
        let mut b = buyer(&mut rng, i, market);
        if i == 1 {
            showcase(&mut rng, &mut b);
        }
        if let Some(k) = awkward.iter().position(|(id, _)| *id == b.external_id) {
            b.name = Some(AWKWARD_NAMES[k].to_owned());
            // In the population, so they show up in notices, reports and the console.
            if !b.categories.contains(&AFFECTED_CATEGORY) {
                b.categories.push(AFFECTED_CATEGORY);
            }
            if !b.categories.contains(&"name") {
                b.categories.insert(0, "name");
            }
            if let Some(h) = AWKWARD_HOMES.iter().find(|h| h.name == AWKWARD_NAMES[k]) {
                move_home(&mut rng, &mut b, h);
            }
            if k == 1 {
                b.company = Some(AWKWARD_COMPANY.to_owned());
            }
        }
        buyers.push(b);
    }
    buyers
}

/// Where the awkward names that belong somewhere live, and the names their e-mail addresses and
/// companies are made of.
struct Home {
    name: &'static str,
    country: &'static str,
    region: Option<&'static str>,
    locale: &'static str,
    given: &'static str,
    family: &'static str,
}

const AWKWARD_HOMES: &[Home] = &[
    Home {
        name: "O'Brien",
        country: "IE",
        region: None,
        locale: "en-IE",
        given: "Siobhán",
        family: "O'Brien",
    },
    Home {
        name: "Zoë Ångström",
        country: "SE",
        region: None,
        locale: "sv",
        given: "Zoë",
        family: "Ångström",
    },
    Home {
        name: "山田 太郎",
        country: "JP",
        region: None,
        locale: "ja",
        given: "太郎|taro",
        family: "山田|yamada",
    },
    Home {
        name: "Nguyễn Văn A",
        country: "VN",
        region: None,
        locale: "vi",
        given: "Văn A|vana",
        family: "Nguyễn|nguyen",
    },
    Home {
        name: "Dr. José \"Pepe\" García-Márquez, Jr.",
        country: "MX",
        region: None,
        locale: "es-MX",
        given: "José",
        family: "García-Márquez",
    },
    Home {
        name: "Maria del Carmen Fernández de Córdoba y Figueroa de la Cerda Osorio de Moscoso Pérez de Guzmán y Álvarez de Toledo",
        country: "ES",
        region: None,
        locale: "es",
        given: "María del Carmen",
        family: "Fernández de Córdoba",
    },
    Home {
        name: "Hubert Blaine Wolfeschlegelsteinhausenbergerdorff Sr. of Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaftschaferswessenschafewarenwohlgepflegeundsorgfaltigkeitbeschutzenvorangreifen",
        country: "US",
        region: Some("US-PA"),
        locale: "en-US",
        given: "Hubert",
        family: "Wolfe",
    },
];

/// Moves a buyer to `h`'s country and language, with contact points and company to match.
fn move_home(rng: &mut StdRng, b: &mut Buyer, h: &Home) {
    let (_, given_roman) = split_name(h.given);
    let (family, family_roman) = split_name(h.family);
    b.country = h.country;
    b.region = h.region;
    b.locale = Some(h.locale);
    if b.company.is_some() {
        b.company = Some(company_for(rng, h.country, family, family_roman));
    }
    if b.email.is_some() {
        b.email = Some(email_for(
            rng,
            given_roman,
            family_roman,
            b.company.as_deref(),
        ));
    }
    if b.phone.is_some() {
        b.phone = Some(phone_for(rng, h.country, h.region));
    }
}

/// `demo-00001`, the buyer the README points at: every kind of contact point, in the incident.
fn showcase(rng: &mut StdRng, b: &mut Buyer) {
    b.country = "US";
    b.region = Some("US-CA");
    b.locale = Some("en-US");
    b.name = Some("Ann Lee".into());
    b.company = Some("Lee Global Sourcing LLC".into());
    b.email = Some("ann.lee@example.com".into());
    b.phone = Some(phone_for(rng, "US", Some("US-CA")));
    b.push = Some(push_for(rng));
    b.categories = vec![
        "name",
        "email_address",
        "phone_number",
        "member_credentials",
        "company_profile",
        "device_info",
        AFFECTED_CATEGORY,
        "service_logs",
    ];
}

fn buyer(rng: &mut StdRng, i: usize, m: &'static Market) -> Buyer {
    let region = match pick_spec(rng, m.regions) {
        "" | "-" => None,
        r => Some(r),
    };
    let locale = locale_for(rng, m, region);
    let names = names_for(m.country, locale);
    let (given, given_roman) = split_name(pick_listed(rng, names.given));
    let (family, family_roman) = split_name(pick_listed(rng, names.family));
    let name = match names.order {
        Order::GivenFamily => format!("{given} {family}"),
        Order::FamilySpaceGiven => format!("{family} {given}"),
        Order::FamilyGiven => format!("{family}{given}"),
    };
    let has_name = rng.gen_bool(0.97);
    let has_locale = rng.gen_bool(0.97);

    let segment = pick(
        rng,
        &[
            ("sme", 55),
            ("enterprise", 12),
            ("startup", 13),
            ("individual", 20),
        ],
    );
    let company = (segment != "individual" || rng.gen_bool(0.2))
        .then(|| company_for(rng, m.country, family, family_roman));
    let company_type = if segment == "individual" {
        "individual"
    } else {
        pick(
            rng,
            &[
                ("retailer", 25),
                ("wholesaler", 20),
                ("distributor", 15),
                ("importer", 15),
                ("e-commerce seller", 15),
                ("brand owner", 5),
                ("sourcing agent", 5),
            ],
        )
    };
    let annual_volume = pick(
        rng,
        &[
            ("under US$10k", 30),
            ("US$10k-100k", 35),
            ("US$100k-1M", 25),
            ("over US$1M", 10),
        ],
    );
    let purchase_frequency = pick(
        rng,
        &[
            ("weekly", 10),
            ("monthly", 40),
            ("quarterly", 30),
            ("yearly", 20),
        ],
    );
    const PRODUCTS: &[&str] = &[
        "consumer electronics",
        "apparel",
        "home & garden",
        "packaging",
        "machinery",
        "toys",
        "beauty",
        "auto parts",
        "furniture",
        "lighting",
    ];
    let n_products = rng.gen_range(1..4);
    let mut products: Vec<&str> = Vec::with_capacity(n_products);
    while products.len() < n_products {
        let p = *pick_uniform(rng, PRODUCTS);
        if !products.contains(&p) {
            products.push(p);
        }
    }
    let signup_channel = pick(rng, &[("pc", 45), ("mobile web", 20), ("app", 35)]);
    let member_since = rng.gen_range(2012..2026);

    // Contact points: ~6% none at all; otherwise e-mail ~70%, phone ~55%, push ~25% overall.
    let (email, phone, push) = if rng.gen_bool(0.06) {
        (false, false, false)
    } else {
        let e = rng.gen_bool(0.64);
        let p = rng.gen_bool(0.585);
        let u = rng.gen_bool(0.265);
        (e || !(p || u), p, u)
    };
    let email = email.then(|| email_for(rng, given_roman, family_roman, company.as_deref()));
    let phone = phone.then(|| phone_for(rng, m.country, region));
    let push = push.then(|| push_for(rng));

    let mut categories: Vec<&'static str> = Vec::new();
    if has_name {
        categories.push("name");
    }
    if email.is_some() {
        categories.push("email_address");
    }
    if phone.is_some() {
        categories.push("phone_number");
    }
    categories.push("member_credentials");
    if company.is_some() {
        categories.push("company_profile");
    }
    for (cat, p) in [
        (AFFECTED_CATEGORY, 0.62),
        ("device_info", if push.is_some() { 1.0 } else { 0.7 }),
        ("service_logs", 0.9),
        ("tracking_identifiers", 0.7),
        ("email_receipts", 0.4),
        ("uploads", 0.3),
        ("social_login", 0.2),
        ("gps_location", if push.is_some() { 0.3 } else { 0.05 }),
        ("payment_reconciliation", 0.1),
        ("call_recordings", 0.07),
        ("live_video", 0.05),
        ("prize_winner_address", 0.04),
        ("identity_verification", 0.03),
    ] {
        if rng.gen_bool(p) {
            categories.push(cat);
        }
    }
    // Identity verification records a date of birth (adults only: the services are for adults).
    let birth_date = categories.contains(&"identity_verification").then(|| {
        format!(
            "{}-{:02}-{:02}",
            rng.gen_range(1950..2004),
            rng.gen_range(1..13),
            rng.gen_range(1..29)
        )
    });

    Buyer {
        external_id: external_id(i),
        name: has_name.then_some(name),
        email,
        phone,
        locale: has_locale.then_some(locale),
        country: m.country,
        region,
        birth_date,
        push,
        categories,
        company,
        company_type,
        annual_volume,
        purchase_frequency,
        products_sourced: products.join(";"),
        segment,
        signup_channel,
        member_since,
    }
}

/// The import file: CSV with a header row; columns beyond the known ones become attributes.
pub fn to_csv(buyers: &[Buyer]) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(buyers.len() * 400));
    w.write_record([
        "external_id",
        "name",
        "email",
        "phone",
        "locale",
        "country",
        "region",
        "birth_date",
        "push_platform",
        "push_token",
        "data_categories",
        "company",
        "company_type",
        "annual_volume",
        "purchase_frequency",
        "products_sourced",
        "segment",
        "signup_channel",
        "member_since",
    ])?;
    // Grouped by country: phone validation keeps a small cache of compiled patterns, and a file
    // that hops between countries on every line recompiles them on every line (20x slower).
    let mut ordered: Vec<&Buyer> = buyers.iter().collect();
    ordered.sort_by_key(|b| b.country);
    for b in ordered {
        let (platform, token) = match &b.push {
            Some((p, t)) => (*p, t.as_str()),
            None => ("", ""),
        };
        let member_since = b.member_since.to_string();
        let categories = b.categories.join(";");
        w.write_record([
            b.external_id.as_str(),
            b.name.as_deref().unwrap_or(""),
            b.email.as_deref().unwrap_or(""),
            b.phone.as_deref().unwrap_or(""),
            b.locale.unwrap_or(""),
            b.country,
            b.region.unwrap_or(""),
            b.birth_date.as_deref().unwrap_or(""),
            platform,
            token,
            categories.as_str(),
            b.company.as_deref().unwrap_or(""),
            b.company_type,
            b.annual_volume,
            b.purchase_frequency,
            b.products_sourced.as_str(),
            b.segment,
            b.signup_channel,
            member_since.as_str(),
        ])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Country, Email, Locale, PersonName, Phone, Region};
    use std::collections::{HashMap, HashSet};

    #[test]
    fn generation_is_deterministic() {
        let a = generate();
        assert_eq!(a.len(), BUYERS);
        assert_eq!(a, generate());
        assert_eq!(a[0].external_id, "demo-00001");
        assert_eq!(a[BUYERS - 1].external_id, "demo-03000");
    }

    #[test]
    fn every_value_passes_the_importers_rules() {
        let mut bad_phones = Vec::new();
        let mut buyers = generate();
        buyers.sort_by_key(|b| b.country); // see `to_csv`
        for b in buyers {
            let id = &b.external_id;
            let country = Country::parse(b.country).unwrap();
            if let Some(r) = b.region {
                let r = Region::parse(r).unwrap();
                assert_eq!(r.country_code(), b.country, "{id}");
            }
            if let Some(l) = b.locale {
                assert_eq!(Locale::parse(l).unwrap().as_str(), l, "{id}");
            }
            if let Some(n) = &b.name {
                assert_eq!(PersonName::parse(n).unwrap().expose(), n, "{id}: verbatim");
            }
            if let Some(e) = &b.email {
                let e = Email::parse(e).unwrap_or_else(|x| panic!("{id}: {e}: {x}"));
                let domain = e.expose().rsplit('@').next().unwrap();
                assert!(
                    ["example.com", "example.org", "example.net"].contains(&domain),
                    "{id}"
                );
            }
            if let Some(p) = &b.phone {
                if let Err(x) = Phone::parse(p, Some(&country)) {
                    bad_phones.push(format!("{id}: {p} ({}): {x}", b.country));
                }
            }
        }
        assert!(bad_phones.is_empty(), "{}", bad_phones.join("\n"));
    }

    #[test]
    fn the_mix_looks_like_the_platform() {
        let buyers = generate();
        let n = buyers.len() as f64;
        let share = |f: &dyn Fn(&Buyer) -> bool| buyers.iter().filter(|b| f(b)).count() as f64 / n;
        let email = share(&|b| b.email.is_some());
        let phone = share(&|b| b.phone.is_some());
        let push = share(&|b| b.push.is_some());
        let none = share(&|b| b.email.is_none() && b.phone.is_none() && b.push.is_none());
        assert!((0.65..0.75).contains(&email), "{email}");
        assert!((0.50..0.60).contains(&phone), "{phone}");
        assert!((0.20..0.30).contains(&push), "{push}");
        assert!((0.04..0.08).contains(&none), "{none}");
        let countries: HashSet<&str> = buyers.iter().map(|b| b.country).collect();
        assert!(countries.len() >= 20, "{countries:?}");
        let us_states: HashSet<&str> = buyers
            .iter()
            .filter_map(|b| b.region.filter(|r| r.starts_with("US-")))
            .collect();
        assert!(us_states.len() >= 15, "{us_states:?}");
        let mut by_lang: HashMap<&str, HashSet<&str>> = HashMap::new();
        for b in &buyers {
            if let Some(l) = b.locale {
                by_lang.entry(b.country).or_default().insert(l);
            }
        }
        assert!(by_lang["JP"].iter().all(|l| ["ja", "en"].contains(l)));
        assert!(by_lang["CA"].contains("fr-CA"));
        assert!(by_lang["BR"].contains("pt-BR"));
        let affected = share(&|b| b.categories.contains(&AFFECTED_CATEGORY));
        assert!((0.55..0.70).contains(&affected), "{affected}");
    }

    #[test]
    fn awkward_names_are_placed_once_each() {
        let buyers = generate();
        for (id, name) in awkward_buyers() {
            let b = buyers.iter().find(|b| b.external_id == id).unwrap();
            assert_eq!(b.name.as_deref(), Some(name));
            assert!(b.categories.contains(&AFFECTED_CATEGORY));
        }
        assert!(AWKWARD_NAMES.iter().any(|n| n.chars().count() == 200));
        let ids: HashSet<String> = awkward_buyers().into_iter().map(|(i, _)| i).collect();
        assert_eq!(ids.len(), AWKWARD_NAMES.len());
        assert!(!ids.contains("demo-00001"));
        for h in AWKWARD_HOMES {
            let k = AWKWARD_NAMES.iter().position(|n| *n == h.name).unwrap();
            let b = &buyers[awkward_index(k) - 1];
            assert_eq!(
                (b.country, b.locale),
                (h.country, Some(h.locale)),
                "{}",
                h.name
            );
        }
    }

    #[test]
    fn ascii_fold_drops_accents() {
        assert_eq!(ascii_fold("Müller-Lüdenscheidt"), "mullerludenscheidt");
        assert_eq!(ascii_fold("Łucja Wiśniewska"), "lucjawisniewska");
        assert_eq!(ascii_fold("Groß"), "gross");
        assert_eq!(ascii_fold("山田"), "");
    }
}
