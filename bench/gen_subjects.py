#!/usr/bin/env python3
"""Generate synthetic subjects for benchmarking `tocsin subjects import`.

The rows are shaped like the buyers of a B2B sourcing marketplace (see shared/PLATFORM.md):
buyers from the US, the EU, the UK, Japan, Brazil, Australia, Canada, Singapore, India, South Korea
and China, each with a locale that fits the country, uneven contact data (about 80% e-mail, 60%
phone, 30% app push token), and five extra columns that the importer keeps as attributes
(company, company_type, annual_volume, buyer_since, segment).

Phones are mobile numbers drawn only from number ranges that libphonenumber metadata (9.0.x)
accepts as valid for the country; they are written as E.164, in international format, or in the
country's national format (which the importer must normalise using the subject's country).

Standard library only. Output is deterministic for a given --seed and --rows.

    python3 bench/gen_subjects.py --rows 1000000 --seed 42 --out bench/out/subjects-1m.csv
    python3 bench/gen_subjects.py --rows 10 --jsonl --out -
"""

import argparse
import base64
import csv
import json
import random
import sys
import unicodedata
from itertools import accumulate

COLUMNS = [
    "external_id", "name", "email", "phone", "locale", "country", "region", "birth_date",
    "push_platform", "push_token", "data_categories", "company", "company_type",
    "annual_volume", "buyer_since", "segment",
]

# ---------------------------------------------------------------------------------------------
# Weighted choice helper: precomputed cumulative weights, one random() per draw.


class Pick:
    __slots__ = ("items", "cum", "total")

    def __init__(self, pairs):
        pairs = [(v, w) for v, w in pairs if w > 0]
        self.items = [v for v, _ in pairs]
        self.cum = list(accumulate(w for _, w in pairs))
        self.total = self.cum[-1]

    def __call__(self, rng):
        x = rng.random() * self.total
        lo, hi = 0, len(self.cum) - 1
        cum = self.cum
        while lo < hi:
            mid = (lo + hi) // 2
            if cum[mid] > x:
                hi = mid
            else:
                lo = mid + 1
        return self.items[lo]


def uniform(items):
    return Pick([(i, 1) for i in items])


# ---------------------------------------------------------------------------------------------
# Names. Latin-script names are given as display strings (transliterated for e-mail addresses);
# CJK names as (display, romanised) pairs.

_SPECIAL = str.maketrans({"ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "æ": "ae",
                          "Æ": "AE", "œ": "oe", "Œ": "OE", "đ": "d", "ı": "i"})
_ascii_cache = {}


def ascii_slug(s):
    """'Dell'Acqua' -> 'dellacqua', 'Müller' -> 'muller', 'Łukasz' -> 'lukasz'."""
    r = _ascii_cache.get(s)
    if r is None:
        t = unicodedata.normalize("NFKD", s.translate(_SPECIAL))
        r = "".join(c for c in t if c.isascii() and c.isalnum()).lower()
        _ascii_cache[s] = r
    return r


def w(s):
    return s.split()


EN_FIRST = w("""James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara
Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Nancy Daniel Lisa Matthew Betty
Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle
Kenneth Carol Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald Rebecca Jason Laura
Olivia Liam Emma Noah Ava Oliver Sophia Elijah Isabella Lucas Mia Mason Amelia Logan Harper Ethan
Evelyn Aiden Abigail Jackson Ella Sebastian Scarlett Jack Grace Owen Chloe Zoë Chloë Renée Noël
Siobhan Niamh Seán Aoife Callum Hamish Fiona Rhys Gareth Bethan Dylan Megan Connor Riley""")
EN_LAST = w("""Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore
Jackson Martin Lee Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott
Hill Green Adams Nelson Baker Hall Campbell Mitchell Carter Roberts Phillips Evans Turner Parker
Collins Edwards Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson Reed Bailey Bell Kelly Howard
Ward Cox Richardson Wood Watson Brooks Bennett Gray James Hughes Price Sanders Myers Long Ross Foster
Nguyen Kim Patel O'Brien O'Connor O'Neill O'Sullivan D'Souza McDonald MacLeod McKenzie Fitzgerald
Gallagher Byrne Walsh Lloyd Davies Jenkins Griffiths Owen Fraser Sinclair Thornton Ashworth""")
ES_FIRST = w("""José María Antonio Carmen Manuel Josefa Francisco Ana David Isabel Juan Lucía Javier
Sofía Martín Álvaro Íñigo Begoña Nuria Pilar Jesús Ramón Inés Alejandro Paula Pablo Elena Sergio Laura
Jorge Marta Alberto Raquel Diego Cristina Adrián Rocío Andrés Mercedes Rubén Dolores Óscar Ángela""")
ES_LAST = w("""García Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez
Ruiz Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez Vázquez
Ramos Gil Ramírez Serrano Blanco Núñez Peña Castillo Ortega Rubio Molina Delgado Ortiz Morales Iglesias""")
DE_FIRST = w("""Lukas Leon Finn Jonas Paul Felix Maximilian Elias Jürgen Günter Jörg Uwe Sabine Ursula
Anna Lena Hannah Leonie Katharina Björn Sören Käthe Dörte Stefan Andreas Michael Thomas Frank
Christian Martin Monika Petra Claudia Susanne Andrea Birgit Heike Karin Tobias Florian Moritz Mia
Emilia Marie Sophie Lea Jannik Niklas Till Malte Frauke Anke Gisela""")
DE_LAST = w("""Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch
Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange
Schmitt Werner Krause Meier Lehmann Köhler Groß Weiß Jäger Günther Böhm Vogel Friedrich Keller
Frank Berger Fuchs Roth Beck Lorenz Baumann Franke Albrecht Schuster Simon Ludwig Böhmer Kühn""")
DE_LAST += ["von Bülow", "von der Heide", "zu Solms"]
FR_FIRST = w("""Jean Marie Pierre Michel François Hélène Élodie Zoë Chloé Léa Manon Camille Théo Hugo
Louis Gabriel Jules Noël Anaïs Loïc Gaëlle Jérôme Stéphane Nathalie Isabelle Sylvie Catherine
Philippe Alain Nicolas Julien Sébastien Céline Aurélie Émilie Mathilde Inès Raphaël Benoît Agnès""")
FR_LAST = w("""Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent
Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefebvre Mercier Dupont
Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc Guérin Muller Henry Roussel
Nicolas Perrin Morin Mathieu Clément Gauthier Dumont Lopez Fontaine Chevalier Robin""")
FR_LAST += ["N'Diaye", "d'Artagnan", "Le Gall", "de la Fontaine", "Saint-Éloi", "L'Hôte"]
IT_FIRST = w("""Giuseppe Giovanni Antonio Mario Luigi Francesco Angelo Vincenzo Pietro Salvatore Maria
Anna Giuseppina Rosa Angela Giovanna Teresa Lucia Carmela Caterina Niccolò Nicolò Luca Matteo
Giulia Chiara Sofia Aurora Alessandro Lorenzo Leonardo Martina Federica Elisa Simone Davide""")
IT_LAST = w("""Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo
Conti Mancini Costa Giordano Rizzo Lombardi Moretti Fabbri Cantù Barbieri Fontana Santoro Mariani
Rinaldi Caruso Ferrara Galli Martini Leone Longo Gentile Martinelli Vitale Lombardo Serra Coppola""")
IT_LAST += ["De Luca", "D'Angelo", "D'Amico", "Dell'Acqua", "De Santis", "Lo Russo"]
NL_FIRST = w("""Jan Pieter Kees Johannes Daan Sem Lucas Levi Bram Emma Julia Mila Sophie Tess Anouk
Femke Sanne Lotte Maarten Joost Sjoerd Ruud Wouter Floor Fleur Ilse Marloes Thijs Sven Jeroen""")
NL_LAST = ["de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen",
           "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters",
           "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits",
           "de Graaf", "van der Meer", "'t Hart", "van 't Hof", "Kuipers", "Vermeulen"]
PL_FIRST_M = w("""Piotr Krzysztof Andrzej Tomasz Paweł Michał Marcin Łukasz Jakub Grzegorz Mateusz
Wojciech Mariusz Dariusz Kamil Maciej Rafał Zbigniew Jerzy Szymon""")
PL_FIRST_F = w("""Anna Maria Katarzyna Małgorzata Agnieszka Barbara Ewa Magdalena Joanna Żaneta Zofia
Krystyna Elżbieta Aleksandra Monika Dorota Beata Justyna Jadwiga Urszula""")
PL_LAST = w("""Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański
Woźniak Dąbrowski Kozłowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski Nowakowski
Pawłowski Michalski Nowicki Adamczyk Dudek Zając Wieczorek Jabłoński Król Majewski Olszewski""")
PT_FIRST = w("""João Maria José Ana Francisco Antônio Carlos Paulo Pedro Lucas Luiz Marcos Luís Gabriel
Rafael Juliana Márcia Fernanda Patrícia Aline Letícia Conceição Thiago Bruno Felipe Mateus Gustavo
Larissa Camila Beatriz Vitória Júlia Sebastião Raimunda Gonçalo Cauã Heloísa""")
PT_LAST = w("""Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa Ribeiro
Martins Carvalho Almeida Lopes Sousa Fernandes Vieira Barbosa Rocha Dias Nascimento Araújo Gonçalves
Conceição Moreira Cardoso Teixeira Correia Mendes Nunes Soares Monteiro Magalhães Brandão Falcão""")
IN_FIRST = w("""Aarav Vivaan Aditya Vihaan Arjun Sai Rohan Rahul Amit Suresh Ramesh Rajesh Vikram
Sanjay Anil Deepak Priya Ananya Diya Aadhya Saanvi Pooja Neha Sunita Kavya Lakshmi Divya Anjali
Meera Shreya Karthik Venkatesh Harpreet Gurpreet Mohammed Imran Farhan Ayesha Fatima""")
IN_LAST = w("""Sharma Verma Gupta Singh Kumar Patel Shah Reddy Rao Iyer Nair Menon Das Banerjee
Chatterjee Mukherjee Joshi Desai Mehta Agarwal Khan Bhat Pillai Chaudhary Malhotra Kapoor Saxena
Srinivasan Krishnan Naidu Sethi Bose Ghosh Kulkarni Jain Thakur Mishra Pandey Sinha Qureshi""")
SG_FAMILY = w("Tan Lim Lee Ng Ong Wong Goh Chua Chan Koh Teo Ang Yeo Tay Ho Low Toh Sim Chong Lau")
SG_GIVEN = ["Wei Ming", "Hui Min", "Jia Hui", "Xin Yi", "Jun Jie", "Kai Wen", "Mei Ling",
            "Zhi Hao", "Li Ting", "Wen Jie", "Shu Fen", "Boon Keng", "Siew Lan", "Kok Leong"]
SG_MALAY = ["Nurul Aisyah binte Ahmad", "Muhammad Hafiz bin Ismail", "Siti Nurhaliza binte Osman",
            "Ahmad Faizal bin Rahman", "Nur Izzati binte Hassan", "Mohamed Irfan bin Yusof"]
SG_INDIAN = ["Rajesh s/o Kumar", "Priya d/o Subramaniam", "Arun Pillai", "Kavitha Nair",
             "Suresh Ramasamy", "Devi Krishnan"]
# (display, romanised)
JA_FAMILY = [("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"),
             ("伊藤", "ito"), ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"),
             ("小林", "kobayashi"), ("加藤", "kato"), ("吉田", "yoshida"), ("山田", "yamada"),
             ("佐々木", "sasaki"), ("山口", "yamaguchi"), ("松本", "matsumoto"), ("井上", "inoue"),
             ("木村", "kimura"), ("林", "hayashi"), ("斎藤", "saito"), ("清水", "shimizu"),
             ("山崎", "yamazaki"), ("森", "mori"), ("池田", "ikeda"), ("橋本", "hashimoto")]
JA_GIVEN = [("太郎", "taro"), ("翔太", "shota"), ("大輔", "daisuke"), ("健一", "kenichi"),
            ("拓也", "takuya"), ("誠", "makoto"), ("花子", "hanako"), ("陽子", "yoko"),
            ("美咲", "misaki"), ("さくら", "sakura"), ("由美", "yumi"), ("直子", "naoko"),
            ("愛", "ai"), ("恵子", "keiko"), ("蓮", "ren"), ("結衣", "yui"), ("浩", "hiroshi"),
            ("修", "osamu"), ("明美", "akemi"), ("陽翔", "haruto"), ("ひなた", "hinata")]
ZH_FAMILY = [("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
             ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"),
             ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"),
             ("何", "he"), ("林", "lin"), ("罗", "luo"), ("高", "gao"), ("欧阳", "ouyang"),
             ("司马", "sima"), ("郑", "zheng"), ("谢", "xie")]
ZH_GIVEN = [("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("秀英", "xiuying"), ("敏", "min"),
            ("静", "jing"), ("丽", "li"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"),
            ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("娟", "juan"),
            ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀兰", "xiulan"), ("霞", "xia"),
            ("平", "ping"), ("刚", "gang"), ("子涵", "zihan"), ("浩然", "haoran"),
            ("雨桐", "yutong"), ("建华", "jianhua"), ("志强", "zhiqiang"), ("晓东", "xiaodong")]
KO_FAMILY = [("김", "kim"), ("이", "lee"), ("박", "park"), ("최", "choi"), ("정", "jung"),
             ("강", "kang"), ("조", "cho"), ("윤", "yoon"), ("장", "jang"), ("임", "lim"),
             ("한", "han"), ("오", "oh"), ("서", "seo"), ("신", "shin"), ("권", "kwon")]
KO_GIVEN = [("민준", "minjun"), ("서준", "seojun"), ("도윤", "doyun"), ("예준", "yejun"),
            ("시우", "siwoo"), ("서연", "seoyeon"), ("서윤", "seoyun"), ("지우", "jiwoo"),
            ("지민", "jimin"), ("하은", "haeun"), ("수빈", "subin"), ("영희", "younghee"),
            ("철수", "cheolsu"), ("현우", "hyunwoo"), ("은지", "eunji"), ("상훈", "sanghoon")]


def latin(first_list, last_list):
    fp, lp = uniform(first_list), uniform(last_list)

    def gen(rng):
        f, l = fp(rng), lp(rng)
        return f"{f} {l}", ascii_slug(f), ascii_slug(l), l
    return gen


def spanish():
    fp, lp = uniform(ES_FIRST), uniform(ES_LAST)

    def gen(rng):
        f, l1 = fp(rng), lp(rng)
        if rng.random() < 0.6:  # two surnames, as in Spain
            return f"{f} {l1} {lp(rng)}", ascii_slug(f), ascii_slug(l1), l1
        return f"{f} {l1}", ascii_slug(f), ascii_slug(l1), l1
    return gen


def polish():
    mp, fp, lp = uniform(PL_FIRST_M), uniform(PL_FIRST_F), uniform(PL_LAST)

    def gen(rng):
        last = lp(rng)
        if rng.random() < 0.5:
            first = fp(rng)
            if last.endswith("ski") or last.endswith("cki"):
                last = last[:-1] + "a"
        else:
            first = mp(rng)
        return f"{first} {last}", ascii_slug(first), ascii_slug(last), last
    return gen


def brazilian():
    fp, lp = uniform(PT_FIRST), uniform(PT_LAST)

    def gen(rng):
        f, l = fp(rng), lp(rng)
        x = rng.random()
        if x < 0.25:
            return f"{f} {fp(rng)} {l}", ascii_slug(f), ascii_slug(l), l
        if x < 0.45:
            return f"{f} {rng.choice(('da', 'dos', 'de'))} {l}", ascii_slug(f), ascii_slug(l), l
        return f"{f} {l}", ascii_slug(f), ascii_slug(l), l
    return gen


def cjk(family, given, sep_prob, romanised_prob):
    fam, giv = uniform(family), uniform(given)

    def gen(rng):
        (fd, fr), (gd, gr) = fam(rng), giv(rng)
        x = rng.random()
        if x < romanised_prob:  # "Taro Yamada", as written on an English-language site
            return f"{gr.capitalize()} {fr.capitalize()}", gr, fr, fr.capitalize()
        if x < romanised_prob + sep_prob:
            return f"{fd} {gd}", gr, fr, fr.capitalize()
        return f"{fd}{gd}", gr, fr, fr.capitalize()
    return gen


def singaporean():
    fam, giv = uniform(SG_FAMILY), uniform(SG_GIVEN)
    eng = uniform(EN_FIRST)
    malay, indian = uniform(SG_MALAY), uniform(SG_INDIAN)

    def gen(rng):
        x = rng.random()
        if x < 0.55:
            f, g = fam(rng), giv(rng)
            return f"{f} {g}", g.replace(" ", "").lower(), f.lower(), f
        if x < 0.75:
            f, g = fam(rng), eng(rng)
            return f"{g} {f}", ascii_slug(g), f.lower(), f
        n = malay(rng) if x < 0.9 else indian(rng)
        parts = n.split()
        return n, ascii_slug(parts[0]), ascii_slug(parts[-1]), parts[-1]
    return gen


NAMES = {
    "en": latin(EN_FIRST, EN_LAST), "es": spanish(), "de": latin(DE_FIRST, DE_LAST),
    "fr": latin(FR_FIRST, FR_LAST), "it": latin(IT_FIRST, IT_LAST),
    "nl": latin(NL_FIRST, NL_LAST), "pl": polish(), "pt": brazilian(),
    "in": latin(IN_FIRST, IN_LAST), "sg": singaporean(),
    "ja": cjk(JA_FAMILY, JA_GIVEN, sep_prob=0.65, romanised_prob=0.12),
    "zh": cjk(ZH_FAMILY, ZH_GIVEN, sep_prob=0.05, romanised_prob=0.12),
    "zh_rom": cjk(ZH_FAMILY, ZH_GIVEN, sep_prob=0.0, romanised_prob=1.0),
    "ko": cjk(KO_FAMILY, KO_GIVEN, sep_prob=0.05, romanised_prob=0.2),
}

# ---------------------------------------------------------------------------------------------
# Phones. Each country: calling code, mobile prefixes (national significant number) with the
# NSN length, and national/international formatters. The prefixes were checked against
# libphonenumber 9.0.33 metadata (the version the Rust `phonenumber` crate embeds).

R = range


def digits(rng, n):
    return str(rng.randrange(10 ** n)).zfill(n)


def pfx(*groups):
    out = []
    for g in groups:
        out.extend(g.split())
    return out


def rng_list(lo, hi, width=3, exclude=()):
    return [str(i).zfill(width) for i in R(lo, hi + 1) if str(i).zfill(width) not in exclude]


US_AREA = {
    "CA": "213 310 323 408 415 510 562 619 626 650 661 707 714 760 805 818 858 909 916 949",
    "NY": "212 315 347 516 518 585 607 631 646 716 718 845 914 917",
    "TX": "210 214 254 281 361 409 432 469 512 682 713 737 806 817 830 832 903 915 936 940 956 972 979",
    "FL": "239 305 321 352 386 407 561 727 754 772 786 813 850 863 904 941 954",
    "WA": "206 253 360 425 509", "IL": "217 224 309 312 618 630 708 773 815 847 872",
    "PA": "215 267 412 484 570 610 717 724 814", "OH": "216 234 330 419 440 513 614 740 937",
    "GA": "229 404 470 478 678 706 770 912", "NC": "252 336 704 828 910 919 980",
    "MI": "231 248 269 313 517 586 616 734 810 906 989",
    "NJ": "201 551 609 732 848 856 862 908 973", "VA": "276 434 540 571 703 757 804",
    "AZ": "480 520 602 623 928", "MA": "339 351 413 508 617 774 781 857 978",
    "TN": "423 615 629 731 865 901 931", "IN": "219 260 317 574 765 812",
    "MD": "240 301 410 443", "MO": "314 417 573 636 660 816", "WI": "262 414 608 715 920",
    "CO": "303 719 720 970", "MN": "218 320 507 612 651 763 952", "OR": "458 503 541 971",
    "NV": "702 725 775", "UT": "385 435 801", "SC": "803 843 864", "AL": "205 251 256 334",
    "KY": "270 502 606 859", "LA": "225 318 337 504 985", "CT": "203 475 860",
    "OK": "405 539 580 918", "IA": "319 515 563 641 712", "KS": "316 620 785 913", "HI": "808",
    "DC": "202", "NM": "505 575", "AR": "479 501 870", "NE": "308 402", "ID": "208",
    "NH": "603", "ME": "207", "RI": "401", "DE": "302", "MS": "228 601 662",
}
CA_AREA = {
    "ON": "226 249 289 343 365 416 437 519 613 647 705 807 905",
    "QC": "367 418 438 450 514 579 581 819 873", "BC": "236 250 604 672 778",
    "AB": "368 403 587 780 825", "MB": "204 431", "SK": "306 639", "NS": "782 902", "NB": "506",
}
# Brazilian area codes (DDD) by state.
BR_DDD = {
    "SP": "11 12 13 14 15 16 17 18 19", "RJ": "21 22 24", "MG": "31 32 33 34 35 37 38",
    "PR": "41 42 43 44 45 46", "SC": "47 48 49", "RS": "51 53 54 55", "BA": "71 73 74 75 77",
    "DF": "61", "PE": "81 87",
}


def nanp_number(rng, area):
    while True:
        nxx = rng.randrange(200, 1000)
        if nxx % 100 != 11 and nxx not in (555, 950, 958, 959, 976):
            return f"{area}{nxx}{digits(rng, 4)}"


def fmt_nanp(n, kind, rng):
    a, b, c = n[:3], n[3:6], n[6:]
    if kind == "intl":
        return f"+1 {a}-{b}-{c}"
    return rng.choice((f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", n))


def sp(n, *cuts):
    """Split n at the given cut positions, joined by spaces."""
    parts, last = [], 0
    for c in cuts:
        parts.append(n[last:c])
        last = c
    parts.append(n[last:])
    return " ".join(parts)


# country -> (calling code, [(prefix, nsn length)], formatter(nsn, kind, rng))
def _gb(n, kind, rng):
    return f"+44 {sp(n, 4)}" if kind == "intl" else rng.choice((f"0{sp(n, 4)}", f"0{n}"))


def _de(n, kind, rng):
    if kind == "intl":
        return f"+49 {sp(n, 3)}"
    return rng.choice((f"0{sp(n, 3)}", f"0{n[:3]}/{n[3:]}", f"0{n}"))


def _fr(n, kind, rng):
    if kind == "intl":
        return f"+33 {sp(n, 1, 3, 5, 7)}"
    return rng.choice((f"0{sp(n, 1, 3, 5, 7)}", "0" + ".".join((n[0], n[1:3], n[3:5], n[5:7], n[7:])), f"0{n}"))


def _es(n, kind, rng):
    return f"+34 {sp(n, 3, 5, 7)}" if kind == "intl" else rng.choice((sp(n, 3, 5, 7), sp(n, 3, 6), n))


def _it(n, kind, rng):
    return f"+39 {sp(n, 3, 6)}" if kind == "intl" else rng.choice((sp(n, 3, 6), n))


def _nl(n, kind, rng):
    return f"+31 {sp(n, 1)}" if kind == "intl" else rng.choice((f"0{sp(n, 1)}", f"0{n[0]}-{n[1:]}", f"0{n}"))


def _pl(n, kind, rng):
    return f"+48 {sp(n, 3, 6)}" if kind == "intl" else rng.choice((sp(n, 3, 6), f"{n[:3]}-{n[3:6]}-{n[6:]}", n))


def _jp(n, kind, rng):
    if kind == "intl":
        return f"+81 {n[:2]}-{n[2:6]}-{n[6:]}"
    return rng.choice((f"0{n[:2]}-{n[2:6]}-{n[6:]}", f"0{n}"))


def _br(n, kind, rng):
    if kind == "intl":
        return f"+55 {n[:2]} {n[2:7]}-{n[7:]}"
    return rng.choice((f"({n[:2]}) {n[2:7]}-{n[7:]}", f"{n[:2]} {n[2:7]}-{n[7:]}", n))


def _au(n, kind, rng):
    return f"+61 {sp(n, 3, 6)}" if kind == "intl" else rng.choice((f"0{sp(n, 3, 6)}", f"0{n}"))


def _sg(n, kind, rng):
    return f"+65 {sp(n, 4)}" if kind == "intl" else rng.choice((sp(n, 4), n))


def _in(n, kind, rng):
    if kind == "intl":
        return f"+91 {sp(n, 5)}"
    return rng.choice((sp(n, 5), f"0{sp(n, 5)}", f"0{n}", n))


def _kr(n, kind, rng):
    if kind == "intl":
        return f"+82 {n[:2]}-{n[2:6]}-{n[6:]}"
    return rng.choice((f"0{n[:2]}-{n[2:6]}-{n[6:]}", f"0{n}"))


def _cn(n, kind, rng):
    return f"+86 {sp(n, 3, 7)}" if kind == "intl" else rng.choice((sp(n, 3, 7), n))


PHONES = {
    "GB": (44, [(p, 10) for p in pfx("740 741 742 743 744 746 747 748 749 751 753 754 755 756 757 758 759",
                                       "771 772 773 774 775 776 777 780 781 784 785 786 787 788 789",
                                       "790 792 794 795 796 797 798 799")], _gb),
    "DE": (49, [(p, 11) for p in pfx("150 151 152 155 156 157 159 160 162 163 170 171 172 173 174 175 176 177 178 179")]
           + [(p, 10) for p in pfx("160 162 163 170 171 172 173 174 175 176 177 178 179")], _de),
    "FR": (33, [(p, 9) for p in pfx("60 61 62 64 65 66 67 68 73 74 75 76 77 78 79")], _fr),
    "ES": (34, [(p, 9) for p in pfx("60 61 62 63 64 65 66 67 68 69 71 72 73 74")], _es),
    "IT": (39, [(p, 10) for p in rng_list(320, 399)], _it),
    "NL": (31, [(p, 9) for p in pfx("61 62 63 64 65 68")], _nl),
    "PL": (48, [(p, 9) for p in pfx("45 50 51 53 57 60 66 69 72 73 78 79 88")], _pl),
    "JP": (81, [(a + "0" + b, 10) for a in "789" for b in "123456789"], _jp),
    "AU": (61, [(p, 9) for p in rng_list(400, 499, exclude=pfx("441 442 443 445 446 453 471 479 483 495 496"))], _au),
    "SG": (65, [(p, 8) for p in pfx("81 82 83 84 85 86 87 88 89 90 91 92 93 94 95 96 97 98")], _sg),
    "IN": (91, [(p, 10) for p in rng_list(900, 999) + rng_list(800, 801) + rng_list(810, 815)
                + rng_list(840, 860) + rng_list(700, 709) + rng_list(740, 750) + rng_list(620, 620)
                + rng_list(630, 630) + rng_list(690, 699) + rng_list(771, 787)], _in),
    "KR": (82, [(p, 10) for p in pfx("100 101 102 103 104 106 107 108 109")], _kr),
    "CN": (86, [(p, 11) for p in pfx("130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159",
                                       "166 170 171 172 173 175 176 177 178 180 181 182 183 184 185 186 187 188 189",
                                       "190 191 192 193 195 196 197 198 199")], _cn),
}
PHONE_PICK = {c: (cc, uniform(p), f) for c, (cc, p, f) in PHONES.items()}
US_AREA_PICK = {s: uniform(v.split()) for s, v in US_AREA.items()}
CA_AREA_PICK = {s: uniform(v.split()) for s, v in CA_AREA.items()}
BR_DDD_PICK = {s: uniform(v.split()) for s, v in BR_DDD.items()}
US_ANY = uniform(" ".join(US_AREA.values()).split())
CA_ANY = uniform(" ".join(CA_AREA.values()).split())
BR_ANY = uniform(" ".join(BR_DDD.values()).split())
PHONE_STYLE = Pick([("e164", 55), ("intl", 20), ("national", 25)])


def make_phone(rng, country, region):
    """-> (phone as written, E.164)."""
    sub = region.split("-", 1)[1] if region else None
    if country in ("US", "CA"):
        picks, any_ = (US_AREA_PICK, US_ANY) if country == "US" else (CA_AREA_PICK, CA_ANY)
        area = picks[sub](rng) if sub in picks else any_(rng)
        nsn, cc, fmt = nanp_number(rng, area), 1, fmt_nanp
    elif country == "BR":
        ddd = BR_DDD_PICK[sub](rng) if sub in BR_DDD_PICK else BR_ANY(rng)
        nsn, cc, fmt = f"{ddd}9{digits(rng, 8)}", 55, _br
    else:
        cc, prefixes, fmt = PHONE_PICK[country]
        p, n = prefixes(rng)
        nsn = p + digits(rng, n - len(p))
    e164 = f"+{cc}{nsn}"
    style = PHONE_STYLE(rng)
    if style == "e164":
        return e164, e164
    return fmt(nsn, style, rng), e164


# ---------------------------------------------------------------------------------------------
# Countries: weight, locales, name cultures, regions, e-mail domains, company style.

def regions(s):
    return Pick([(code, int(wt)) for code, wt in (x.split(":") for x in s.split())])


COUNTRIES = {
    #     weight, locale mix, name-culture mix, regions (ISO 3166-2, weighted), P(region given)
    "US": (25, Pick([("en-US", 80), ("en", 12), ("es-US", 8)]),
           Pick([("en", 84), ("es", 10), ("in", 3), ("zh_rom", 2), ("ko", 1)]),
           regions("US-CA:39 US-TX:30 US-FL:22 US-NY:20 US-PA:13 US-IL:13 US-OH:12 US-GA:11 "
                   "US-NC:11 US-MI:10 US-NJ:9 US-VA:9 US-WA:8 US-AZ:7 US-MA:7 US-TN:7 US-IN:7 "
                   "US-MD:6 US-MO:6 US-WI:6 US-CO:6 US-MN:6 US-SC:5 US-AL:5 US-LA:5 US-KY:4 "
                   "US-OR:4 US-OK:4 US-CT:4 US-UT:3 US-IA:3 US-NV:3 US-AR:3 US-MS:3 US-KS:3 "
                   "US-NM:2 US-NE:2 US-ID:2 US-HI:1 US-NH:1 US-ME:1 US-RI:1 US-DE:1 US-DC:1"), 0.93),
    "GB": (7, Pick([("en-GB", 85), ("en", 15)]), Pick([("en", 90), ("in", 6), ("pl", 4)]),
           regions("GB-ENG:84 GB-SCT:8 GB-WLS:5 GB-NIR:3"), 0.6),
    "DE": (7, Pick([("de-DE", 50), ("de", 45), ("en", 5)]), Pick([("de", 95), ("pl", 5)]),
           regions("DE-NW:22 DE-BY:16 DE-BW:13 DE-NI:10 DE-HE:8 DE-BE:5 DE-SN:5 DE-HH:3 DE-RP:5"), 0.8),
    "FR": (5, Pick([("fr-FR", 50), ("fr", 45), ("en", 5)]), Pick([("fr", 100)]),
           regions("FR-IDF:19 FR-ARA:12 FR-NAQ:9 FR-OCC:9 FR-HDF:9 FR-GES:8 FR-PAC:8 FR-PDL:6 FR-BRE:5"), 0.75),
    "ES": (4, Pick([("es-ES", 50), ("es", 45), ("ca", 5)]), Pick([("es", 100)]),
           regions("ES-AN:18 ES-CT:16 ES-MD:14 ES-VC:11 ES-GA:6 ES-PV:5 ES-CL:5"), 0.75),
    "IT": (4, Pick([("it-IT", 50), ("it", 50)]), Pick([("it", 100)]),
           regions("IT-25:17 IT-62:10 IT-72:10 IT-82:8 IT-34:8 IT-45:7 IT-21:7 IT-52:6"), 0.75),
    "NL": (3, Pick([("nl-NL", 40), ("nl", 45), ("en", 15)]), Pick([("nl", 100)]),
           regions("NL-ZH:21 NL-NH:17 NL-NB:15 NL-GE:12 NL-UT:8"), 0.7),
    "PL": (2, Pick([("pl-PL", 40), ("pl", 55), ("en", 5)]), Pick([("pl", 100)]),
           regions("PL-14:14 PL-24:12 PL-30:9 PL-12:9 PL-02:8 PL-10:6 PL-22:6"), 0.7),
    "JP": (6, Pick([("ja-JP", 30), ("ja", 65), ("en", 5)]), Pick([("ja", 100)]),
           regions("JP-13:14 JP-14:9 JP-27:9 JP-23:6 JP-11:6 JP-12:5 JP-28:5 JP-01:4 JP-40:4"), 0.8),
    "BR": (6, Pick([("pt-BR", 92), ("pt", 3), ("en", 5)]), Pick([("pt", 100)]),
           regions("BR-SP:22 BR-MG:10 BR-RJ:8 BR-BA:7 BR-PR:5 BR-RS:5 BR-PE:4 BR-SC:4 BR-DF:2"), 0.9),
    "AU": (4, Pick([("en-AU", 80), ("en", 20)]), Pick([("en", 88), ("zh_rom", 6), ("in", 6)]),
           regions("AU-NSW:32 AU-VIC:26 AU-QLD:20 AU-WA:11 AU-SA:7 AU-TAS:2 AU-ACT:2 AU-NT:1"), 0.9),
    "CA": (5, None, None,  # locale and names follow the province (Quebec is mostly French)
           regions("CA-ON:39 CA-QC:22 CA-BC:14 CA-AB:12 CA-MB:4 CA-SK:3 CA-NS:3 CA-NB:2"), 0.92),
    "SG": (2, Pick([("en-SG", 55), ("en", 30), ("zh-SG", 12), ("ms", 3)]), Pick([("sg", 100)]),
           regions("SG-01:40 SG-02:15 SG-03:15 SG-04:15 SG-05:15"), 0.3),
    "IN": (8, Pick([("en-IN", 70), ("en", 20), ("hi-IN", 10)]), Pick([("in", 100)]),
           regions("IN-MH:18 IN-DL:12 IN-KA:12 IN-TN:10 IN-GJ:10 IN-UP:10 IN-WB:7 IN-RJ:5 IN-KL:5 IN-HR:5"), 0.75),
    "KR": (4, Pick([("ko-KR", 45), ("ko", 50), ("en", 5)]), Pick([("ko", 100)]),
           regions("KR-11:40 KR-41:30 KR-26:10 KR-28:8 KR-27:6"), 0.7),
    "CN": (8, Pick([("zh-CN", 85), ("zh", 10), ("en", 5)]), Pick([("zh", 100)]),
           regions("CN-GD:20 CN-ZJ:18 CN-JS:12 CN-SH:10 CN-BJ:8 CN-FJ:8 CN-SD:8"), 0.8),
}
COUNTRY_PICK = Pick([(c, v[0]) for c, v in COUNTRIES.items()])
CA_EN_LOCALE = Pick([("en-CA", 80), ("en", 17), ("fr-CA", 3)])
CA_QC_LOCALE = Pick([("fr-CA", 75), ("fr", 10), ("en-CA", 15)])

DOMAINS = {
    "US": "gmail.com:45 yahoo.com:15 outlook.com:10 hotmail.com:8 icloud.com:8 aol.com:3 comcast.net:2",
    "GB": "gmail.com:40 hotmail.co.uk:15 outlook.com:12 yahoo.co.uk:8 btinternet.com:6 icloud.com:5 sky.com:3",
    "DE": "gmail.com:25 web.de:20 gmx.de:20 t-online.de:12 gmx.net:8 outlook.de:5",
    "FR": "gmail.com:35 orange.fr:18 hotmail.fr:12 free.fr:10 laposte.net:8 sfr.fr:6 outlook.fr:5",
    "ES": "gmail.com:45 hotmail.com:20 yahoo.es:10 outlook.es:8 telefonica.net:4",
    "IT": "gmail.com:40 libero.it:18 hotmail.it:12 virgilio.it:8 alice.it:6 yahoo.it:6",
    "NL": "gmail.com:40 hotmail.com:15 outlook.com:12 ziggo.nl:10 kpnmail.nl:8 live.nl:5",
    "PL": "gmail.com:35 wp.pl:20 onet.pl:15 o2.pl:10 interia.pl:10",
    "JP": "gmail.com:30 yahoo.co.jp:25 docomo.ne.jp:10 ezweb.ne.jp:8 icloud.com:10 outlook.jp:5",
    "BR": "gmail.com:50 hotmail.com:20 yahoo.com.br:8 outlook.com:8 uol.com.br:6 bol.com.br:4",
    "AU": "gmail.com:40 bigpond.com:15 outlook.com:12 hotmail.com:10 optusnet.com.au:6 icloud.com:6",
    "CA": "gmail.com:40 hotmail.com:15 outlook.com:10 yahoo.ca:8 rogers.com:6 shaw.ca:5 videotron.ca:4",
    "SG": "gmail.com:50 hotmail.com:12 yahoo.com.sg:10 singnet.com.sg:8 outlook.com:8",
    "IN": "gmail.com:60 yahoo.co.in:12 rediffmail.com:8 outlook.com:8 hotmail.com:6",
    "KR": "naver.com:45 gmail.com:20 daum.net:15 hanmail.net:10 kakao.com:5",
    "CN": "qq.com:40 163.com:20 126.com:10 sina.com:6 foxmail.com:6 gmail.com:5 aliyun.com:4",
}
DOMAIN_PICK = {c: Pick([(d, int(x)) for d, x in (p.split(":") for p in s.split())]) for c, s in DOMAINS.items()}
TLD = {"US": "com", "GB": "co.uk", "DE": "de", "FR": "fr", "ES": "es", "IT": "it", "NL": "nl",
       "PL": "pl", "JP": "co.jp", "BR": "com.br", "AU": "com.au", "CA": "ca", "SG": "com.sg",
       "IN": "in", "KR": "co.kr", "CN": "cn"}

# ---------------------------------------------------------------------------------------------
# Companies.

TRADE_WORDS = w("""Trading Imports Supply Wholesale Distribution Retail Goods Sourcing Industries Brands
Outfitters Home Electronics Apparel Hardware Packaging Merchandise Commerce Logistics Ventures""")
ADJ = w("""Blue Summit Harbor Pacific Atlantic Northern Golden Silver Evergreen Pioneer Prime Apex
Liberty Red Oak Cedar Coastal Metro United Global Bright Sterling Crown Eagle Maple Lakeside""")
SUFFIX = {
    "US": Pick([("LLC", 45), ("Inc.", 35), ("Corp.", 10), ("Co.", 10)]),
    "GB": Pick([("Ltd", 70), ("Limited", 20), ("LLP", 10)]),
    "AU": Pick([("Pty Ltd", 100)]), "CA": Pick([("Inc.", 60), ("Ltd.", 40)]),
    "SG": Pick([("Pte. Ltd.", 100)]), "IN": Pick([("Pvt. Ltd.", 70), ("LLP", 15), ("Enterprises", 15)]),
    "DE": Pick([("GmbH", 70), ("GmbH & Co. KG", 15), ("AG", 5), ("e.K.", 10)]),
    "FR": Pick([("SARL", 50), ("SAS", 40), ("SA", 10)]), "ES": Pick([("S.L.", 80), ("S.A.", 20)]),
    "IT": Pick([("S.r.l.", 85), ("S.p.A.", 15)]), "NL": Pick([("B.V.", 100)]),
    "PL": Pick([("sp. z o.o.", 80), ("S.A.", 20)]), "BR": Pick([("Ltda.", 80), ("ME", 10), ("S.A.", 10)]),
}
LOCAL_TRADE = {
    "DE": w("Handel Import Vertrieb Großhandel Warenhandel Einkauf"),
    "FR": ["Import", "Négoce", "Distribution", "Commerce", "Trading"],
    "ES": ["Importaciones", "Distribuciones", "Comercial", "Suministros"],
    "IT": ["Import", "Commerciale", "Forniture", "Distribuzione"],
    "NL": ["Handel", "Import", "Groothandel", "Trading"],
    "PL": ["Handel", "Import", "Hurtownia", "Trade"],
    "BR": ["Comércio", "Importação", "Distribuidora", "Atacado"],
}
JA_CO = [("商事", "shoji"), ("物産", "bussan"), ("貿易", "boeki"), ("産業", "sangyo"), ("通商", "tsusho")]
ZH_CITY = [("上海", "shanghai"), ("深圳市", "shenzhen"), ("广州", "guangzhou"), ("义乌市", "yiwu"),
           ("杭州", "hangzhou"), ("宁波", "ningbo"), ("东莞市", "dongguan"), ("北京", "beijing"),
           ("厦门", "xiamen"), ("青岛", "qingdao")]
ZH_BRAND = [("华贸", "huamao"), ("鑫源", "xinyuan"), ("恒达", "hengda"), ("金泰", "jintai"),
            ("宏发", "hongfa"), ("永盛", "yongsheng"), ("瑞丰", "ruifeng"), ("天成", "tiancheng")]
ZH_KIND = ["贸易有限公司", "进出口有限公司", "电子科技有限公司", "实业有限公司", "商贸有限公司"]
KO_CO = [("무역", "trading"), ("상사", "corp"), ("유통", "distribution")]
KO_BRAND = [("대한", "daehan"), ("한빛", "hanbit"), ("세종", "sejong"), ("미래", "mirae"),
            ("동방", "dongbang"), ("신성", "shinsung"), ("우리", "woori"), ("태양", "taeyang")]
COMPANY_TYPE = Pick([("retailer", 25), ("wholesaler", 20), ("e_commerce_seller", 15),
                     ("distributor", 12), ("brand_owner", 8), ("importer", 8),
                     ("sourcing_agent", 5), ("manufacturer", 4), ("other", 3)])


def make_company(rng, country, last):
    """-> (display, slug for a company e-mail domain)."""
    x = rng.random()
    if country == "JP":
        fam, fam_r = rng.choice(JA_FAMILY)
        co, co_r = rng.choice(JA_CO)
        if x < 0.7:
            return f"株式会社{fam}{co}", f"{fam_r}-{co_r}"
        return f"{fam}{co}株式会社", f"{fam_r}{co_r}"
    if country == "CN":
        (c, cr), (b, br) = rng.choice(ZH_CITY), rng.choice(ZH_BRAND)
        return f"{c}{b}{rng.choice(ZH_KIND)}", f"{cr}{br}"
    if country == "KR":
        (b, br), (k, kr) = rng.choice(KO_BRAND), rng.choice(KO_CO)
        if x < 0.06:  # the English form, with its comma
            return f"{br.capitalize()} {kr.capitalize()} Co., Ltd.", f"{br}{kr}"
        return (f"(주){b}{k}" if x < 0.6 else f"주식회사 {b}{k}"), f"{br}{kr}"
    if country in LOCAL_TRADE:
        base = last if x < 0.6 else rng.choice(ADJ)
        word = rng.choice(LOCAL_TRADE[country])
        suffix = SUFFIX[country](rng)
        if country == "FR" and rng.random() < 0.08:
            name = f"{base} et Fils"
        else:
            name = f"{base} {word} {suffix}"
        return name, ascii_slug(base) + ascii_slug(word)
    # English-speaking markets
    suffix = SUFFIX.get(country, SUFFIX["US"])(rng)
    word = rng.choice(TRADE_WORDS)
    if x < 0.45:
        base = last
    elif x < 0.9:
        base = rng.choice(ADJ)
    else:
        base = f"{last} & {rng.choice(EN_LAST)}"
    if rng.random() < 0.04 and country in ("US", "CA"):  # the one comma that real data has
        return f"{base} {word}, {suffix}", ascii_slug(base) + ascii_slug(word)
    return f"{base} {word} {suffix}", ascii_slug(base) + ascii_slug(word)


# ---------------------------------------------------------------------------------------------
# Row generation.

CATEGORY_EXTRAS = (("postal_address", 0.35), ("online_identifiers", 0.8), ("usage_logs", 0.7),
                   ("communications_content", 0.3))
PUSH_PLATFORM = Pick([("fcm", 50), ("apns", 35), ("webpush", 15)])
DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def rand_date(rng, y0, y1, mode=None):
    y = int(rng.triangular(y0, y1 + 1, mode)) if mode else rng.randint(y0, y1)
    y = min(y, y1)
    m = rng.randint(1, 12)
    dmax = 29 if (m == 2 and y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else DAYS[m - 1]
    return f"{y:04d}-{m:02d}-{rng.randint(1, dmax):02d}"


def push_token(rng, platform):
    if platform == "apns":  # 32-byte device token, hex
        return f"{rng.getrandbits(256):064x}"
    if platform == "fcm":   # "<instance id>:APA91b<...>", ~163 chars
        raw = rng.getrandbits(8 * 117).to_bytes(117, "big")
        t = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return f"{t[:22]}:APA91b{t[22:]}"
    raw = rng.getrandbits(8 * 65).to_bytes(65, "big")  # Web Push: an 87-char url-safe key
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class Generator:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.id_offset = random.Random(f"ids-{seed}").randrange(10 ** 10)
        self.emails = set()

    def email(self, rng, country, first, last, company_slug):
        x = rng.random()
        if company_slug and rng.random() < 0.25:
            domain = f"{company_slug}.{TLD[country]}"
            local = rng.choice((f"{first}.{last}", f"{first[:1]}{last}", first, "sales", "purchasing", "info"))
        else:
            domain = DOMAIN_PICK[country](rng)
            if domain in ("qq.com", "foxmail.com") and x < 0.6:
                local = str(rng.randrange(10 ** 5, 10 ** 10))
            elif x < 0.35:
                local = f"{first}.{last}"
            elif x < 0.55:
                local = f"{first}{last}{rng.randrange(100)}"
            elif x < 0.7:
                local = f"{first[:1]}.{last}"
            elif x < 0.8:
                local = f"{first}_{last}{rng.randrange(1950, 2010)}"
            else:
                local = f"{last}.{first}{rng.randrange(1000)}"
        local = local.strip(".") or "buyer"
        email = f"{local}@{domain}"
        n = 2
        while email in self.emails:  # keep them unique: append a counter
            email = f"{local}{n}@{domain}"
            n += 1
        self.emails.add(email)
        return email

    def row(self, i):
        rng = self.rng
        country = COUNTRY_PICK(rng)
        _, locale_pick, culture_pick, region_pick, p_region = COUNTRIES[country]
        region_for_phone = region_pick(rng)
        region = region_for_phone if rng.random() < p_region else ""
        if country == "CA":
            qc = region_for_phone == "CA-QC"
            locale = (CA_QC_LOCALE if qc else CA_EN_LOCALE)(rng)
            culture = "fr" if locale.startswith("fr") else "en"
        else:
            locale = locale_pick(rng)
            culture = culture_pick(rng)
        if culture == "es" and country == "US" and rng.random() < 0.5:
            locale = "es-US"

        name, first, last, last_display = NAMES[culture](rng)
        x = rng.random()
        if x < 0.001 and culture in ("en", "es", "fr", "de", "it", "nl", "pt"):
            surname = name.split(" ", 1)[1] if " " in name else name
            name = f"{surname}, {name.split(' ', 1)[0]}"  # "Last, First": a comma inside the field
        elif x < 0.0015 and culture == "en":
            f, _, l = name.partition(" ")
            name = f'{f} "{f[:3]}" {l}'  # a nickname in double quotes
        if rng.random() < 0.02:
            name = ""  # some buyers never gave a name

        # Company and buyer profile (extra attribute columns).
        if rng.random() < 0.12:
            company, slug, ctype = "", None, "individual"
            volume = int(rng.lognormvariate(8.5, 1.0)) // 100 * 100 + 100
        else:
            company, slug = make_company(rng, country, last_display)
            ctype = COMPANY_TYPE(rng)
            volume = int(rng.lognormvariate(11.0, 1.4)) // 1000 * 1000 + 1000
        if ctype == "individual":
            segment = "individual"
        elif volume < 50_000:
            segment = "smb"
        elif volume < 500_000:
            segment = "mid_market"
        elif volume < 5_000_000:
            segment = "enterprise"
        else:
            segment = "key_account"
        buyer_since = rand_date(rng, 2009, 2025, mode=2021)

        email = self.email(rng, country, first or "buyer", last or "x", slug) if rng.random() < 0.80 else ""
        phone = make_phone(rng, country, region_for_phone)[0] if rng.random() < 0.60 else ""
        if rng.random() < 0.30:
            platform = PUSH_PLATFORM(rng)
            token = push_token(rng, platform)
        else:
            platform = token = ""
        birth = rand_date(rng, 1950, 2006, mode=1984) if rng.random() < 0.5 else ""

        if rng.random() < 0.02:
            cats = []
        else:
            cats = (["name"] if name else []) + (["email_address"] if email else []) + \
                   (["phone_number"] if phone else [])
            cats += [c for c, p in CATEGORY_EXTRAS if rng.random() < p]

        external_id = "B%010d" % ((i * 6364136223 + self.id_offset) % 10 ** 10)
        return [external_id, name, email, phone, locale, country, region, birth, platform, token,
                cats, company, ctype, volume, buyer_since, segment]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="number of subjects (default 1,000,000)")
    ap.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    ap.add_argument("--out", default="-", help="output file, '-' for stdout (default)")
    ap.add_argument("--jsonl", action="store_true", help="write JSONL (one object per line) instead of CSV")
    args = ap.parse_args(argv)
    if args.rows < 0:
        ap.error("--rows must be >= 0")

    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8", newline="")
    try:
        gen = Generator(args.seed)
        if args.jsonl:
            dumps = json.dumps
            write = out.write
            for i in range(args.rows):
                r = gen.row(i)
                obj = {}
                for k, v in zip(COLUMNS, r):
                    if v == "" or v == []:
                        continue  # absent key: nothing to say about this field
                    obj[k] = v
                write(dumps(obj, ensure_ascii=False) + "\n")
        else:
            wr = csv.writer(out, lineterminator="\n")
            wr.writerow(COLUMNS)
            for i in range(args.rows):
                r = gen.row(i)
                r[10] = ";".join(r[10])
                wr.writerow(r)
    except BrokenPipeError:  # e.g. `| head`
        sys.stderr.close()
        return 0
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
