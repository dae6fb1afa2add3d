//! Asia-Pacific forms: the OAIC's Notifiable Data Breach statement (REGULATIONS.md §3.3), the
//! PPC's 漏えい等報告 with the nine items of Rule 8 (§2.15, §3.7), the PIPC report under PIPA
//! Art. 34 (§2.21) and the PIPL Art. 57 report to the CAC (§2.4, §2.5). Japanese, Korean and
//! Chinese reports carry the local label beside the English one.
use super::draft::{both, list, number, say, text, time, Draft};
use super::{Facts, VersionKind};
use crate::regulation::document::Value;

fn dispatched_words(f: &Facts) -> Option<Value> {
    say(match f.incident.notices.dispatched_at {
        Some(t) => format!(
            "Notified from {} ({} people reached)",
            t.format("%Y-%m-%d %H:%M UTC"),
            f.notified(None, None)
        ),
        None => "Not yet notified".into(),
    })
}

pub fn ndb(f: &Facts) -> Draft {
    let i = f.incident;
    let org = f.org();
    let mut d = Draft::new(
        "AU-NDB",
        "Notifiable Data Breach statement (OAIC)",
        "Privacy Act 1988 (Cth), s 26WK",
        i.id,
    );
    d.section("entity", "Part one, 1: Organisation or agency details");
    d.field("name", "Organisation or agency name", text(&org.name));
    d.field("phone", "Phone", text(&org.contact_phone));
    d.field("email", "E-mail", text(&org.contact_email));
    d.field("address", "Street address", None);
    d.field("suburb", "Suburb", None);
    d.field("state", "State", None);
    d.field("postcode", "Postcode", None);
    d.field("other_contact", "Other contact details", text(&org.website));

    d.section("statement", "Part one, 2-4: The statement");
    d.field(
        "description",
        "2. Description of the eligible data breach",
        text(&f.description()),
    );
    d.field(
        "information_kinds",
        "3. Kind(s) of information involved",
        list(&f.category_labels()),
    );
    d.field(
        "recommended_steps",
        "4. Recommended steps individuals should take in response",
        list(&i.mitigations),
    );
    d.field(
        "other_entities",
        "Other entities whose eligible data breach this also is (s 26WK(4)): name and contact",
        None,
    );

    d.section("details", "Part two: Additional information (confidential)");
    d.field("contact_person", "Contact person", text(&f.contact_point()));
    d.field("occurred", "When the breach occurred", f.occurred());
    d.field(
        "discovered",
        "When the breach was discovered",
        time(Some(i.aware_at)),
    );
    d.field("cause", "Primary cause of the breach", text(&i.cause));
    d.field(
        "individuals",
        "Number of individuals whose personal information is involved",
        (f.population.total > 0)
            .then(|| number(f.population.total))
            .flatten(),
    );
    d.field(
        "individuals_in_australia",
        "Of whom in Australia",
        (f.population.total > 0)
            .then(|| number(f.in_country("AU")))
            .flatten(),
    );
    d.field(
        "containment",
        "Action taken to contain the breach and remedial action",
        text(&i.measures_taken),
    );
    d.field(
        "assistance_offered",
        "Assistance offered to affected individuals",
        text(org.statement("mitigation_services_offered").unwrap_or("")),
    );
    d.field(
        "third_parties",
        "Other data protection authorities, law enforcement or bodies notified",
        list(&f.other_authorities("AU-NDB")),
    );
    d.field(
        "complaints",
        "How individuals can complain to the entity (and to the OAIC)",
        say(format!(
            "To us: {}. To the OAIC: oaic.gov.au",
            org.contact_line()
        )),
    );
    d.field(
        "individuals_notified",
        "Have the individuals been notified?",
        dispatched_words(f),
    );
    d.field(
        "template_notice",
        "Template of the notice to individuals",
        f.sample_notice.as_deref().and_then(text),
    );
    d
}

pub fn appi(f: &Facts) -> Draft {
    let i = f.incident;
    let org = f.org();
    let mut d = Draft::new(
        "JP-APPI",
        &both(
            "Report of a leakage of personal data (PPC)",
            "個人データの漏えい等の報告",
        ),
        "APPI Art. 26; PPC Enforcement Rules Art. 7, 8 (個人情報保護法第26条、施行規則第7条・第8条)",
        i.id,
    );
    d.language("ja");
    d.section("report", &both("Report", "報告"));
    d.field(
        "report_type",
        &both("Preliminary or final report", "速報・確報の別"),
        say(match f.kind {
            VersionKind::Initial => both("Preliminary report", "速報"),
            VersionKind::FollowUp => both("Follow-up report", "追加報告"),
            VersionKind::Final => both("Final report", "確報"),
        }),
    );
    d.field(
        "reporter",
        &both("Reporting business", "報告者の名称"),
        text(&org.name),
    );
    d.field(
        "contact",
        &both("Contact person and details", "担当者・連絡先"),
        text(&f.contact_point()),
    );

    d.section(
        "items",
        &both("Report items (Rule 8)", "報告事項（規則第8条）"),
    );
    d.field(
        "overview",
        &both("1. Overview of the incident", "事態の概要"),
        text(&i.summary),
    );
    d.field(
        "occurred_at",
        &both("1. When it occurred", "発生日時"),
        f.occurred(),
    );
    d.field(
        "discovered_at",
        &both("1. When it was discovered", "発覚日時"),
        time(Some(i.aware_at)),
    );
    d.field(
        "data_items",
        &both(
            "2. Items of personal data leaked (or possibly leaked)",
            "漏えい等が発生し、又は発生したおそれがある個人データの項目",
        ),
        list(&f.category_labels()),
    );
    d.field(
        "subjects",
        &both(
            "3. Number of data subjects",
            "漏えい等が発生し、又は発生したおそれがある個人データに係る本人の数",
        ),
        (f.population.total > 0)
            .then(|| number(f.population.total))
            .flatten(),
    );
    d.field(
        "subjects_in_japan",
        &both("3. Of whom in Japan", "うち日本国内"),
        (f.population.total > 0)
            .then(|| number(f.in_country("JP")))
            .flatten(),
    );
    d.field("cause", &both("4. Cause", "原因"), text(&i.cause));
    d.field(
        "secondary_damage",
        &both(
            "5. Secondary damage or the risk of it, and its details",
            "二次被害又はそのおそれの有無及びその内容",
        ),
        text(&i.likely_consequences),
    );
    d.field(
        "response_to_subjects",
        &both(
            "6. Status of the response to data subjects",
            "本人への対応の実施状況",
        ),
        dispatched_words(f),
    );
    d.field(
        "public_announcement",
        &both("7. Status of public announcement", "公表の実施状況"),
        say(match f.announced_at {
            Some(t) => format!("Published {}", t.format("%Y-%m-%d %H:%M UTC")),
            None => "Not published".into(),
        }),
    );
    d.field(
        "prevention",
        &both("8. Measures to prevent recurrence", "再発防止のための措置"),
        text(&i.measures_taken),
    );
    d.field(
        "other",
        &both("9. Other matters for reference", "その他参考となる事項"),
        None,
    );
    d
}

pub fn pipa(f: &Facts) -> Draft {
    let i = f.incident;
    let org = f.org();
    let mut d = Draft::new(
        "KR-PIPA",
        &both(
            "Report of a personal information leak (PIPC / KISA)",
            "개인정보 유출 등 신고",
        ),
        "Personal Information Protection Act Art. 34 (개인정보 보호법 제34조); Enforcement Decree Arts. 39-40",
        i.id,
    );
    d.language("ko");
    d.section(
        "controller",
        &both("Personal information controller", "개인정보처리자"),
    );
    d.field("name", &both("Name", "기관명"), text(&org.name));
    d.field(
        "contact",
        &both("Responsible department and contact", "담당부서 및 연락처"),
        text(&f.contact_point()),
    );

    d.section("leak", &both("The leak", "유출 내용"));
    d.field(
        "items_leaked",
        &both(
            "Personal information items leaked",
            "유출된 개인정보의 항목",
        ),
        list(&f.category_labels()),
    );
    d.field(
        "subjects",
        &both("Number of data subjects affected", "유출된 정보주체의 수"),
        (f.population.total > 0)
            .then(|| number(f.population.total))
            .flatten(),
    );
    d.field(
        "subjects_in_korea",
        &both("Of whom in Korea", "그중 국내 정보주체"),
        (f.population.total > 0)
            .then(|| number(f.in_country("KR")))
            .flatten(),
    );
    d.field(
        "when",
        &both("When the leak occurred", "유출된 시점"),
        f.occurred(),
    );
    d.field(
        "aware_at",
        &both("When the controller became aware", "유출 인지 시점"),
        time(Some(i.aware_at)),
    );
    d.field(
        "how",
        &both("How the leak happened", "유출 경위"),
        text(&f.description()),
    );

    d.section("response", &both("Response", "대응 조치"));
    d.field(
        "minimize_damage",
        &both(
            "What data subjects can do to minimise damage",
            "정보주체가 할 수 있는 피해 최소화 방법",
        ),
        list(&i.mitigations),
    );
    d.field(
        "countermeasures",
        &both(
            "The controller's countermeasures and remedial procedures",
            "개인정보처리자의 대응조치 및 피해 구제절차",
        ),
        text(&i.measures_taken),
    );
    d.field(
        "help_desk",
        &both(
            "Department and contact for reporting damage",
            "피해 신고 접수 담당부서 및 연락처",
        ),
        text(&org.contact_line()),
    );
    d.field(
        "subjects_notified",
        &both("Notification of data subjects", "정보주체 통지 여부"),
        dispatched_words(f),
    );
    d
}

pub fn pipl(f: &Facts) -> Draft {
    let i = f.incident;
    let org = f.org();
    let mut d = Draft::new(
        "CN-PIPL",
        &both(
            "Personal information security incident report (CAC)",
            "个人信息安全事件报告",
        ),
        "Personal Information Protection Law Art. 57 (个人信息保护法第五十七条)",
        i.id,
    );
    d.language("zh-Hans");
    d.notice("The content list of the CAC's 2025 incident reporting measures is unverified (U): this report holds PIPL Art. 57's items.");
    d.section(
        "processor",
        &both("Personal information processor", "个人信息处理者"),
    );
    d.field("name", &both("Name", "名称"), text(&org.name));
    d.field(
        "contact",
        &both("Contact information", "联系方式"),
        text(&org.contact_line()),
    );

    d.section("incident", &both("The incident", "事件情况"));
    d.field(
        "discovered_at",
        &both("When it was discovered", "发现时间"),
        time(Some(i.aware_at)),
    );
    d.field(
        "occurred_at",
        &both("When it occurred", "发生时间"),
        f.occurred(),
    );
    d.field(
        "categories",
        &both(
            "Categories of personal information leaked, tampered with or lost",
            "发生或者可能发生泄露、篡改、丢失的个人信息种类",
        ),
        list(&f.category_labels()),
    );
    d.field(
        "subjects",
        &both("Number of individuals affected", "涉及个人数量"),
        (f.population.total > 0)
            .then(|| number(f.population.total))
            .flatten(),
    );
    d.field(
        "subjects_in_china",
        &both("Of whom in China", "其中境内个人"),
        (f.population.total > 0)
            .then(|| number(f.in_country("CN")))
            .flatten(),
    );
    d.field("causes", &both("Causes", "原因"), text(&i.cause));
    d.field(
        "possible_harm",
        &both("Possible harm", "可能造成的危害"),
        text(&i.likely_consequences),
    );

    d.section("measures", &both("Measures", "措施"));
    d.field(
        "remedial_measures",
        &both("Remedial measures taken", "个人信息处理者采取的补救措施"),
        text(&i.measures_taken),
    );
    d.field(
        "individual_measures",
        &both(
            "Measures individuals can take to mitigate harm",
            "个人可以采取的减轻危害的措施",
        ),
        list(&i.mitigations),
    );
    d.field(
        "individuals_notified",
        &both("Notification of individuals", "通知个人情况"),
        dispatched_words(f),
    );
    d
}
