//! Deadline arithmetic in a jurisdiction's time zone. Hours are exact; calendar days, business
//! days and months end at the end of the last day (23:59:59 local), whatever the offset that day
//! (daylight saving time changes between the start and the end are the time zone's business).
//! Business days skip Saturdays, Sundays and the calendar's holidays; the day the clock starts
//! is day zero.
use super::holidays::Calendar;
use super::schema::Unit;
use chrono::{
    DateTime, Datelike, Duration, LocalResult, Months, NaiveDate, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

/// A due time, and what the arithmetic could not know (a holiday year missing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Computed {
    pub due_at: DateTime<Utc>,
    pub notes: Vec<String>,
}

/// The end of `day` (23:59:59) in `tz`, as an instant. In the rare zones whose clocks jump over
/// 23:59:59, the last second before the next day starts.
pub fn end_of_day(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let last = day.and_hms_opt(23, 59, 59).expect("a valid time");
    match tz.from_local_datetime(&last) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(_, later) => later.with_timezone(&Utc),
        LocalResult::None => start_of_day(day.succ_opt().unwrap_or(day), tz) - Duration::seconds(1),
    }
}

/// The first instant of `day` in `tz` (midnight, or the first valid time after a gap).
fn start_of_day(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).expect("a valid time");
    (0..=24 * 4)
        .find_map(|q| {
            tz.from_local_datetime(&(midnight + Duration::minutes(15 * q)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
}

fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// `value` `unit`s after `start`, counted in `tz`, skipping `calendar`'s holidays for business
/// days.
pub fn due_at(
    start: DateTime<Utc>,
    value: u32,
    unit: Unit,
    tz: Tz,
    calendar: Option<&Calendar>,
) -> Computed {
    let day0 = start.with_timezone(&tz).date_naive();
    let mut notes = Vec::new();
    let due_at = match unit {
        Unit::Hours => start + Duration::hours(i64::from(value)),
        Unit::CalendarDays => end_of_day(day0 + Duration::days(i64::from(value)), tz),
        Unit::Month => end_of_day(
            day0.checked_add_months(Months::new(value))
                .unwrap_or(NaiveDate::MAX),
            tz,
        ),
        Unit::BusinessDays => {
            let mut day = day0;
            let mut counted = 0;
            let mut unknown_years: Vec<i32> = Vec::new();
            while counted < value {
                day = day.succ_opt().unwrap_or(NaiveDate::MAX);
                if is_weekend(day) {
                    continue;
                }
                match calendar {
                    Some(c) if c.is_holiday(day) => continue,
                    Some(c)
                        if !c.knows_year(day.year()) && !unknown_years.contains(&day.year()) =>
                    {
                        unknown_years.push(day.year());
                    }
                    _ => {}
                }
                counted += 1;
            }
            match calendar {
                None => notes.push(
                    "no holiday calendar for this rule: business days skip weekends only".into(),
                ),
                Some(c) => {
                    for y in unknown_years {
                        notes.push(format!(
                            "the holidays of {y} are not in playbooks/holidays/{}.yaml: \
                             business days in {y} skip weekends only",
                            c.id
                        ));
                    }
                }
            }
            end_of_day(day, tz)
        }
    };
    Computed { due_at, notes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playbooks::jurisdictions::holidays::{Calendar, HolidayFile};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn us_2026() -> Calendar {
        let f: HolidayFile = serde_yaml_ng::from_str(
            "calendar: US\nname: t\nsource: t\nverification: V2\nyears:\n  2026:\n    \
             - {date: 2026-11-11, name: Veterans Day}\n    - {date: 2026-11-26, name: Thanksgiving Day}\n",
        )
        .unwrap();
        Calendar::from_file(f).unwrap()
    }

    /// Each row: start, value, unit, zone, expected due (UTC), why.
    #[test]
    fn due_times_across_weekends_holidays_and_dst() {
        let cal = us_2026();
        let ny: Tz = "America/New_York".parse().unwrap();
        let la: Tz = "America/Los_Angeles".parse().unwrap();
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let rows: &[(&str, u32, Unit, Tz, &str, &str)] = &[
            // 72 hours are 72 hours, whatever the clocks do (Berlin leaves DST on 25 Oct).
            (
                "2026-10-24T10:00:00Z",
                72,
                Unit::Hours,
                berlin,
                "2026-10-27T10:00:00Z",
                "hours are exact",
            ),
            // Thu 29 Oct (EDT) + 4 business days: Fri 30, Mon 2, Tue 3, Wed 4 Nov, which ends
            // at 23:59:59 EST (UTC−5): the weekend and the DST change are crossed.
            (
                "2026-10-29T15:00:00Z",
                4,
                Unit::BusinessDays,
                ny,
                "2026-11-05T04:59:59Z",
                "weekend and DST",
            ),
            // Thu 5 Nov + 4: Fri 6, Mon 9, Tue 10, (Wed 11 Veterans Day), Thu 12.
            (
                "2026-11-05T15:00:00Z",
                4,
                Unit::BusinessDays,
                ny,
                "2026-11-13T04:59:59Z",
                "weekend and a holiday",
            ),
            // Fri 30 Oct + 10: 2,3,4,5,6, 9,10, (11), 12,13, 16 Nov: all three at once.
            (
                "2026-10-30T20:00:00Z",
                10,
                Unit::BusinessDays,
                ny,
                "2026-11-17T04:59:59Z",
                "weekends, DST and a holiday",
            ),
            // Late on Thursday evening in New York is Friday in UTC: the local day counts, so
            // one business day later is Friday, not Monday.
            (
                "2026-10-30T02:30:00Z",
                1,
                Unit::BusinessDays,
                ny,
                "2026-10-31T03:59:59Z",
                "the local day is Thursday",
            ),
            // 30 calendar days from 10 Oct (PDT) end on 9 Nov at 23:59:59 PST (UTC−8).
            (
                "2026-10-10T18:00:00Z",
                30,
                Unit::CalendarDays,
                la,
                "2026-11-10T07:59:59Z",
                "calendar days across DST",
            ),
            // A month after 31 January is the end of February.
            (
                "2027-01-31T12:00:00Z",
                1,
                Unit::Month,
                berlin,
                "2027-02-28T22:59:59Z",
                "months clamp to the month's end",
            ),
        ];
        for (start, value, unit, tz, want, why) in rows {
            let got = due_at(utc(start), *value, *unit, *tz, Some(&cal));
            assert_eq!(got.due_at, utc(want), "{why}: {start} + {value} {unit:?}");
        }
    }

    #[test]
    fn a_year_without_holidays_is_counted_and_said() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let got = due_at(
            utc("2027-01-04T15:00:00Z"),
            3,
            Unit::BusinessDays,
            ny,
            Some(&us_2026()),
        );
        assert_eq!(got.due_at, utc("2027-01-08T04:59:59Z"));
        assert_eq!(got.notes.len(), 1);
        assert!(got.notes[0].contains("2027"), "{:?}", got.notes);
        let none = due_at(utc("2026-11-05T15:00:00Z"), 4, Unit::BusinessDays, ny, None);
        assert_eq!(
            none.due_at,
            utc("2026-11-12T04:59:59Z"),
            "no calendar: weekends only"
        );
        assert!(none.notes[0].contains("weekends only"));
    }

    #[test]
    fn the_end_of_a_day_is_its_last_second_in_the_zone() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert_eq!(end_of_day(d, ny), utc("2026-11-02T04:59:59Z"));
        let d = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        assert_eq!(end_of_day(d, ny), utc("2026-03-09T03:59:59Z"));
    }
}
