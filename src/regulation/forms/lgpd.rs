//! Brazil: the ANPD's "Formulário de Comunicação de Incidente de Segurança com Dados Pessoais"
//! (REGULATIONS.md §3.4), its twelve sections in order, headings in English and Portuguese.
use super::draft::{both, list, number, say, text, time, yes_no, Draft};
use super::{Facts, VersionKind};
use crate::domain::RiskLevel;
use crate::regulation::document::Value;

/// The LGPD's sensitive data (Art. 5 II) in the base vocabulary.
const SENSITIVE: &[&str] = &[
    "racial_or_ethnic_origin",
    "political_opinions",
    "religious_beliefs",
    "trade_union_membership",
    "sex_life_or_orientation",
    "health",
    "genetic",
    "biometric",
];

pub fn build(f: &Facts) -> Draft {
    let i = f.incident;
    let org = f.org();
    let mut d = Draft::new(
        "BR-LGPD",
        &both(
            "Security incident communication (ANPD)",
            "Comunicação de incidente de segurança",
        ),
        "LGPD Art. 48; Resolução CD/ANPD nº 15/2024",
        i.id,
    );
    d.language("pt-BR");
    d.section("controller", &both("1. Controller", "Dados do controlador"));
    d.field("name", "Name / Razão social", text(&org.name));
    d.field("cnpj", "CNPJ / CPF", None);
    d.field("address", "Address / Endereço", None);
    d.field("email", "E-mail", text(&org.contact_email));
    d.field("phone", "Phone / Telefone", text(&org.contact_phone));

    d.section(
        "dpo",
        &both("2. Data protection officer", "Dados do encarregado"),
    );
    d.field("name", "Name / Nome", text(&org.dpo));
    d.field("email", "E-mail", text(&org.contact_email));
    d.field("phone", "Phone / Telefone", text(&org.contact_phone));

    d.section(
        "notifier",
        &both("3. Notifier", "Dados do notificante / representante legal"),
    );
    d.field("name", "Name and role / Nome e cargo", None);
    d.field(
        "proof_of_authority",
        "Proof of authority to represent / Documento de representação",
        None,
    );

    d.section(
        "communication",
        &both("4. Type of communication", "Tipo de comunicação"),
    );
    d.field(
        "type",
        "Complete, preliminary or complementary / Completa, preliminar ou complementar",
        say(match f.kind {
            VersionKind::Initial => "Preliminary / Preliminar",
            VersionKind::FollowUp => "Complementary / Complementar",
            VersionKind::Final => "Complete / Completa",
        }),
    );

    d.section(
        "risk",
        &both("5. Risk assessment", "Avaliação do risco do incidente"),
    );
    d.field(
        "assessment",
        "Could the incident cause relevant risk or damage to data subjects? / O incidente pode acarretar risco ou dano relevante?",
        say(match i.obligation_facts.risk_assessment {
            Some(RiskLevel::HighRisk) | Some(RiskLevel::Risk) => "Yes / Sim",
            Some(RiskLevel::Unlikely) => "No / Não",
            None => "Under assessment / Em apuração",
        }),
    );

    d.section(
        "discovery",
        &both("6. How the incident became known", "Ciência do incidente"),
    );
    d.field(
        "how_known",
        "How it became known / Como tomou conhecimento",
        None,
    );
    d.field(
        "processor",
        "Processor that reported it, if any / Dados do operador, se comunicado por ele",
        None,
    );

    d.section("timeliness", &both("7. Timeliness", "Tempestividade"));
    d.field(
        "occurred_at",
        "When it occurred / Data do incidente",
        f.occurred(),
    );
    d.field(
        "aware_at",
        "When the controller became aware / Data da ciência",
        time(Some(i.aware_at)),
    );
    d.field(
        "anpd_notified_at",
        "When the ANPD was notified / Data da comunicação à ANPD",
        match f.first_submitted_at {
            Some(t) => Some(Value::Time(t)),
            None if f.kind == VersionKind::Initial => {
                say("With this communication / Nesta comunicação")
            }
            None => None,
        },
    );
    d.field(
        "subjects_notified_at",
        "When data subjects were notified / Data da comunicação aos titulares",
        time(i.notices.dispatched_at),
    );
    d.field(
        "reasons_for_delay",
        "Reasons for any delay / Motivos da demora",
        if f.late("BR-LGPD") {
            None
        } else {
            say("Not applicable: within the deadline / Não se aplica")
        },
    );

    d.section(
        "subjects_communication",
        &both(
            "8. Communication to data subjects",
            "Comunicação aos titulares",
        ),
    );
    d.field(
        "notified",
        "Were the data subjects notified? / Os titulares foram comunicados?",
        yes_no(i.notices.dispatched_at.is_some()),
    );
    d.field(
        "how",
        "How / Meio utilizado",
        list(
            &i.channels
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect::<Vec<_>>(),
        ),
    );
    d.field(
        "how_many",
        "How many were notified individually / Quantos titulares foram comunicados individualmente",
        number(f.notified(Some("BR"), None)),
    );
    d.field(
        "legal_content",
        "Did the notice contain the items required by Res. 15 art. 9? / A comunicação continha as informações exigidas?",
        None,
    );

    d.section(
        "description",
        &both("9. Incident description", "Descrição do incidente"),
    );
    d.field(
        "type",
        "Type of incident (ransomware, malware, brute force, …) / Tipo de incidente",
        None,
    );
    d.field(
        "description",
        "Description / Descrição",
        text(&f.description()),
    );

    d.section(
        "impact",
        &both(
            "10. Impact on personal data",
            "Impactos sobre os dados pessoais",
        ),
    );
    d.field(
        "cia",
        "Confidentiality, integrity, availability affected / Confidencialidade, integridade, disponibilidade",
        None,
    );
    d.field(
        "data_categories",
        "Categories of personal data / Categorias de dados pessoais",
        list(&f.category_labels()),
    );
    let sensitive: Vec<String> = f
        .base_categories()
        .into_iter()
        .filter(|b| SENSITIVE.contains(&b.as_str()))
        .map(|b| crate::notices::content::category_label(f.playbooks, &b))
        .collect();
    d.field(
        "sensitive_data",
        "Sensitive personal data involved / Dados pessoais sensíveis",
        if sensitive.is_empty() {
            say("None / Nenhum")
        } else {
            list(&sensitive)
        },
    );
    d.field(
        "subjects",
        "Number of data subjects / Número de titulares afetados",
        (f.population.total > 0)
            .then(|| number(f.population.total))
            .flatten(),
    );
    d.field(
        "subjects_in_brazil",
        "Of whom in Brazil / Dos quais no Brasil",
        (f.population.total > 0)
            .then(|| number(f.in_country("BR")))
            .flatten(),
    );

    d.section(
        "risks",
        &both("11. Risks and consequences", "Riscos e consequências"),
    );
    d.field(
        "consequences",
        "Likely consequences for data subjects / Consequências para os titulares",
        text(&i.likely_consequences),
    );

    d.section(
        "measures",
        &both("12. Security measures", "Medidas de segurança"),
    );
    d.field(
        "before",
        "Technical and administrative measures in place before the incident / Medidas adotadas antes do incidente",
        None,
    );
    d.field(
        "after",
        "Measures taken or planned to reverse or mitigate the effects / Medidas adotadas após o incidente",
        text(&i.measures_taken),
    );
    d.field(
        "advice",
        "What data subjects are advised to do / Recomendações aos titulares",
        list(&i.mitigations),
    );
    d
}
