//! `playbooks/holidays/<calendar>.yaml`: the public holidays business days skip, per calendar
//! and year. A year that is not in the file is not guessed: deadlines counted across it skip
//! weekends only and say so.
use super::schema::Verification;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayFile {
    /// The calendar's id (the file's name), as rules name it in `holidays:`.
    pub calendar: String,
    pub name: String,
    pub source: String,
    pub verification: Verification,
    #[serde(default)]
    pub notes: Vec<String>,
    pub years: BTreeMap<i32, Vec<Holiday>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name: String,
}

/// A calendar, ready for lookups.
#[derive(Debug, Clone)]
pub struct Calendar {
    pub id: String,
    pub name: String,
    pub verification: Verification,
    dates: BTreeSet<NaiveDate>,
    years: BTreeSet<i32>,
}

impl Calendar {
    /// Checks that each year's dates fall in that year and are listed once.
    pub fn from_file(f: HolidayFile) -> Result<Calendar, String> {
        let mut dates = BTreeSet::new();
        for (year, list) in &f.years {
            for h in list {
                if h.date.year() != *year {
                    return Err(format!(
                        "years.{year}: {} ({}) is not in {year}",
                        h.date, h.name
                    ));
                }
                if !dates.insert(h.date) {
                    return Err(format!("years.{year}: {} is listed twice", h.date));
                }
            }
        }
        Ok(Calendar {
            id: f.calendar,
            name: f.name,
            verification: f.verification,
            years: f.years.keys().copied().collect(),
            dates,
        })
    }

    /// Whether the calendar lists `year` (so a day of it that is not listed is a working day).
    pub fn knows_year(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    pub fn is_holiday(&self, day: NaiveDate) -> bool {
        self.dates.contains(&day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> HolidayFile {
        serde_yaml_ng::from_str(text).unwrap()
    }

    #[test]
    fn a_date_outside_its_year_or_listed_twice_is_refused() {
        let head = "calendar: X\nname: X\nsource: s\nverification: V1\nyears:\n";
        let bad = file(&format!(
            "{head}  2026:\n    - {{date: 2027-01-01, name: New Year}}\n"
        ));
        assert!(Calendar::from_file(bad)
            .unwrap_err()
            .contains("not in 2026"));
        let twice = file(&format!(
            "{head}  2026:\n    - {{date: 2026-01-01, name: A}}\n    - {{date: 2026-01-01, name: B}}\n"
        ));
        assert!(Calendar::from_file(twice).unwrap_err().contains("twice"));
        let ok = Calendar::from_file(file(&format!(
            "{head}  2026:\n    - {{date: 2026-12-25, name: Christmas}}\n"
        )))
        .unwrap();
        assert!(ok.knows_year(2026) && !ok.knows_year(2027));
        assert!(ok.is_holiday(NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()));
    }
}
