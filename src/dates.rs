//! Payment calendars and day counts.

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

/// How often a deal or an asset pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Monthly,
    Quarterly,
    Semiannual,
    Annual,
}

impl Frequency {
    pub fn months(self) -> u32 {
        match self {
            Frequency::Monthly => 1,
            Frequency::Quarterly => 3,
            Frequency::Semiannual => 6,
            Frequency::Annual => 12,
        }
    }

    pub fn per_year(self) -> u32 {
        12 / self.months()
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "monthly" => Some(Frequency::Monthly),
            "quarterly" => Some(Frequency::Quarterly),
            "semiannual" => Some(Frequency::Semiannual),
            "annual" => Some(Frequency::Annual),
            _ => None,
        }
    }

    pub const NAMES: &'static str = "monthly, quarterly, semiannual or annual";
}

/// Day-count convention for coupons and fees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DayCount {
    /// Actual days / 365, fixed denominator (ACT/365F), usual for Chinese exchange ABS coupons.
    Act365F,
    Act360,
    /// 30/360 US (bond basis).
    Thirty360,
}

impl DayCount {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ACT/365F" | "ACT/365" => Some(DayCount::Act365F),
            "ACT/360" => Some(DayCount::Act360),
            "30/360" => Some(DayCount::Thirty360),
            _ => None,
        }
    }

    pub const NAMES: &'static str = "\"ACT/365F\", \"ACT/360\" or \"30/360\"";

    /// The accrual fraction as (days, year basis), kept as integers so interest can be computed
    /// as `balance × rate × days / basis` with the division last.
    pub fn fraction(self, start: NaiveDate, end: NaiveDate) -> (u32, u32) {
        match self {
            DayCount::Act365F => (days_between(start, end), 365),
            DayCount::Act360 => (days_between(start, end), 360),
            DayCount::Thirty360 => (days_30_360(start, end), 360),
        }
    }
}

fn days_between(start: NaiveDate, end: NaiveDate) -> u32 {
    u32::try_from((end - start).num_days()).unwrap_or(0)
}

fn days_30_360(start: NaiveDate, end: NaiveDate) -> u32 {
    let d1 = start.day().min(30);
    let d2 = if d1 == 30 {
        end.day().min(30)
    } else {
        end.day()
    };
    let days = 360 * (end.year() - start.year())
        + 30 * (end.month() as i32 - start.month() as i32)
        + (d2 as i32 - d1 as i32);
    u32::try_from(days).unwrap_or(0)
}

/// Adds whole months, clamping to the end of shorter months (31 Jan + 1 month = 28/29 Feb).
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months)).unwrap_or(date)
}

/// Payment dates `first, first + f, first + 2f, ...` up to and including `last`.
/// Dates are computed from `first` each time so month-end clamping does not drift.
pub fn payment_dates(first: NaiveDate, frequency: Frequency, last: NaiveDate) -> Vec<NaiveDate> {
    let mut dates = Vec::new();
    let mut k: u32 = 0;
    // Past chrono's last date there are no more payment dates (and no endless loop).
    while let Some(date) = k
        .checked_mul(frequency.months())
        .and_then(|m| first.checked_add_months(Months::new(m)))
        .filter(|d| *d <= last)
    {
        dates.push(date);
        k += 1;
    }
    dates
}

/// Year fraction between two dates on ACT/365F, for WAL and yields.
pub fn years_between(start: NaiveDate, end: NaiveDate) -> f64 {
    (end - start).num_days() as f64 / 365.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn month_end_dates_do_not_drift() {
        let dates = payment_dates(d(2019, 1, 31), Frequency::Monthly, d(2019, 4, 30));
        assert_eq!(
            dates,
            vec![
                d(2019, 1, 31),
                d(2019, 2, 28),
                d(2019, 3, 31),
                d(2019, 4, 30)
            ]
        );
    }

    #[test]
    fn day_counts() {
        // 2019-03-08 to 2019-06-08: 31 + 30 + 31 = 92 days.
        assert_eq!(
            DayCount::Act365F.fraction(d(2019, 3, 8), d(2019, 6, 8)),
            (92, 365)
        );
        assert_eq!(
            DayCount::Act360.fraction(d(2019, 3, 8), d(2019, 6, 8)),
            (92, 360)
        );
        // 30/360: three whole months are 90 days whatever the calendar says.
        assert_eq!(
            DayCount::Thirty360.fraction(d(2019, 3, 8), d(2019, 6, 8)),
            (90, 360)
        );
        assert_eq!(
            DayCount::Thirty360.fraction(d(2019, 1, 31), d(2019, 2, 28)),
            (28, 360)
        );
    }
}
