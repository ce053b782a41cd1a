//! Tranche measures from cash flows: WAL, yield, duration; and summary statistics.
//!
//! # Yield convention
//!
//! A yield is a **nominal annual rate compounded at the deal's payment frequency** (`m` times a
//! year: 4 for a quarterly deal), so a quarterly 4.30 % coupon bond bought at par yields 4.30 %
//! (DOMAIN §7), not its annual-effective 4.37 %. Cash flows are timed exactly, `t` = ACT/365F
//! years from closing, and discounted by `(1 + y/m)^(−m·t)`. The annual-effective rate is
//! `(1 + y/m)^m − 1`.
//!
//! Every holder who receives some cash has a yield: the solver works in the continuously
//! compounded rate `u = m·ln(1 + y/m)`, on which the price is defined and strictly decreasing
//! over the whole real line, so a root always exists and is bracketed and found. A holder who
//! receives nothing gets the floor `y = −m` (`1 + y/m = 0`: −100 % annual effective; −400 %
//! nominal for a quarterly deal) — the limit of the yield as the cash received goes to zero, so
//! yields stay ordered by what was received.

use serde::{Deserialize, Serialize};

pub mod exact;
pub mod select;
pub mod stats;

/// How yields are quoted, written beside them in `summary.json` and `mc-summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct YieldConvention {
    /// E.g. "nominal p.a., compounded quarterly".
    pub label: String,
    /// Compounding periods per year `m` (the deal's payment frequency).
    pub periods_per_year: u32,
    /// How a cash flow is timed.
    pub time: String,
    /// Yield of a holder who receives nothing: `−m` (−100 % annual effective).
    pub total_loss_yield: f64,
}

impl YieldConvention {
    /// Nominal p.a. compounded `periods_per_year` times a year on ACT/365F time from closing.
    pub fn nominal(periods_per_year: u32) -> Self {
        let m = periods_per_year.max(1);
        YieldConvention {
            label: format!("nominal p.a., compounded {}", compounding_name(m)),
            periods_per_year: m,
            time: "ACT/365F years from closing; discount factor (1 + y/m)^(-m*t)".into(),
            total_loss_yield: -f64::from(m),
        }
    }

    /// The convention of a deal paying at `frequency`.
    pub fn of(frequency: crate::dates::Frequency) -> Self {
        Self::nominal(frequency.per_year())
    }

    /// A short note for tables: "yield = IRR at par, nominal p.a., compounded quarterly (total
    /// loss −400 %)".
    pub fn note(&self) -> String {
        format!(
            "yield = IRR at par, {} (a total loss is {:.0}%, i.e. -100% annual effective)",
            self.label,
            self.total_loss_yield * 100.0
        )
    }
}

fn compounding_name(m: u32) -> String {
    match m {
        1 => "annually".into(),
        2 => "semi-annually".into(),
        4 => "quarterly".into(),
        12 => "monthly".into(),
        m => format!("{m} times a year"),
    }
}

/// Weighted average life in years: Σ principalₜ·τₜ / Σ principalₜ (0 when nothing was repaid).
pub fn wal(flows: impl IntoIterator<Item = (f64, f64)>) -> f64 {
    let (mut weighted, mut total) = (0.0, 0.0);
    for (years, principal) in flows {
        weighted += years * principal;
        total += principal;
    }
    if total > 0.0 { weighted / total } else { 0.0 }
}

/// `ln(1 + y/m)` for a nominal rate `y` compounded `m` times a year (−∞ at the floor `−m`).
fn log_growth(y: f64, m: u32) -> f64 {
    let m = f64::from(m.max(1));
    if y <= -m {
        f64::NEG_INFINITY
    } else {
        (y / m).ln_1p()
    }
}

/// Present value at nominal yield `y` (compounded `m` times a year) of cash flows at `years`.
fn present_value(flows: &[(f64, f64)], y: f64, m: u32) -> f64 {
    let u = f64::from(m.max(1)) * log_growth(y, m);
    flows.iter().map(|(t, cf)| cf * (-u * t).exp()).sum()
}

/// The nominal rate compounded `m` times a year of a continuously compounded rate `u`.
fn nominal_of(u: f64, m: u32) -> f64 {
    let m = f64::from(m.max(1));
    m * (u / m).exp_m1()
}

/// The continuously compounded rate of nominal `y` compounded `m` times a year.
fn continuous_of(y: f64, m: u32) -> f64 {
    f64::from(m.max(1)) * log_growth(y, m)
}

/// Finds the continuously compounded rate `u` at which `pv_and_slope(u) = (PV, dPV/du)` equals
/// `price`. PV must be a sum of non-negative cash flows discounted by `e^(−u·t)` with some cash
/// after `t = 0`: strictly decreasing from +∞ (at u → −∞) to 0, so exactly one root exists.
///
/// Newton on `g(u) = ln PV(u) − ln price`, which is convex, decreasing and asymptotically linear
/// (slope −(PV-weighted mean time), between −t_max and −t_min): one step is exact for a single
/// cash flow, and far from the root steps are long, not 1/t at a time as on PV itself. The
/// bracket [lo, hi] tightens as it goes; a step leaving it (or an overflow) bisects, or, while
/// one side is still open, doubles the distance outward. From the left of the root Newton on a
/// convex decreasing function never overshoots, so it converges from any start.
fn solve_continuous(price: f64, guess: f64, pv_and_slope: impl Fn(f64) -> (f64, f64)) -> f64 {
    let log_price = price.ln();
    let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
    let mut u = if guess.is_finite() { guess } else { 0.0 };
    for _ in 0..400 {
        let (pv, slope) = pv_and_slope(u);
        if pv > price {
            lo = u
        } else if pv < price {
            hi = u
        } else {
            return u;
        }
        let newton = u - (pv.ln() - log_price) / (slope / pv);
        let next = if newton.is_finite() && newton > lo && newton < hi {
            newton
        } else if lo.is_finite() && hi.is_finite() {
            0.5 * (lo + hi)
        } else if lo.is_finite() {
            u + u.abs().max(1.0)
        } else {
            u - u.abs().max(1.0)
        };
        // 1e-14 in the rate is far below anything reported (and below 1e-9 after conversion).
        let tolerance = 1e-14 * u.abs().max(1.0);
        if (next - u).abs() <= tolerance || hi - lo <= tolerance {
            return next;
        }
        u = next;
    }
    u
}

/// Nominal yield, compounded `periods_per_year` times a year, that prices `flows` (ACT/365F
/// years from closing, yuan received) at `price`: the IRR. The floor `−periods_per_year` when
/// nothing is received (a total loss); `None` without a positive price, or when the only cash
/// is at `t ≤ 0` (no rate prices it).
pub fn yield_at_price(price: f64, flows: &[(f64, f64)], periods_per_year: u32) -> Option<f64> {
    let m = periods_per_year.max(1);
    if price.is_nan() || price <= 0.0 {
        return None;
    }
    if flows.iter().all(|(_, cf)| *cf <= 0.0) {
        return Some(-f64::from(m));
    }
    if flows.iter().all(|(t, cf)| *cf <= 0.0 || *t <= 0.0) {
        return None;
    }
    let u = solve_continuous(price, continuous_of(0.0, m), |u| {
        let (mut pv, mut slope) = (0.0, 0.0);
        for (t, cf) in flows {
            let discounted = cf * (-u * t).exp();
            pv += discounted;
            slope -= t * discounted;
        }
        (pv, slope)
    });
    Some(nominal_of(u, m))
}

/// The same yield as [`yield_at_price`] for cash flows `days` after closing (`t = days / 365`,
/// ACT/365F), starting the search at nominal `guess` (a coupon), so it is fast near a par bond.
/// Consecutive discount factors differ by q^Δdays with q = e^(−u/365): one `exp` per iteration,
/// not one per flow, so `flows` must be in date order. Used on every Monte Carlo path.
pub fn yield_days(
    price: f64,
    flows: &[(u32, f64)],
    periods_per_year: u32,
    guess: f64,
) -> Option<f64> {
    let m = periods_per_year.max(1);
    if price.is_nan() || price <= 0.0 {
        return None;
    }
    if flows.iter().all(|(_, cf)| *cf <= 0.0) {
        return Some(-f64::from(m));
    }
    if flows.iter().all(|(d, cf)| *cf <= 0.0 || *d == 0) {
        return None;
    }
    let guess = continuous_of(guess.max(-0.99 * f64::from(m)), m);
    // Payment dates are a few distinct gaps apart (90, 91, 92 days for a quarterly deal): each
    // step raises the daily factor to each distinct gap once, not once per flow. The factors
    // are the same `powi` values, so the yield is too.
    let gaps = DistinctGaps::of(flows);
    let u = solve_continuous(price, guess, |u| {
        let q = (-u / 365.0).exp();
        let powers = gaps.powers(q);
        let (mut pv, mut slope, mut discount, mut last) = (0.0, 0.0, 1.0, 0u32);
        for (d, cf) in flows {
            discount *= gaps.power(&powers, q, d.saturating_sub(last));
            last = last.max(*d);
            let discounted = cf * discount;
            pv += discounted;
            slope -= f64::from(*d) / 365.0 * discounted;
        }
        (pv, slope)
    });
    Some(nominal_of(u, m))
}

/// The first [`DistinctGaps::MAX`] distinct day gaps between consecutive flows.
struct DistinctGaps {
    gaps: [u32; DistinctGaps::MAX],
    len: usize,
}

impl DistinctGaps {
    const MAX: usize = 8;

    fn of(flows: &[(u32, f64)]) -> Self {
        let mut found = DistinctGaps {
            gaps: [0; Self::MAX],
            len: 0,
        };
        let mut last = 0u32;
        for (d, _) in flows {
            let gap = d.saturating_sub(last);
            last = last.max(*d);
            if found.len < Self::MAX && !found.gaps[..found.len].contains(&gap) {
                found.gaps[found.len] = gap;
                found.len += 1;
            }
        }
        found
    }

    /// `q` raised to each gap.
    fn powers(&self, q: f64) -> [f64; Self::MAX] {
        let mut powers = [1.0; Self::MAX];
        for (p, g) in powers.iter_mut().zip(&self.gaps[..self.len]) {
            *p = q.powi(*g as i32);
        }
        powers
    }

    /// `q^gap`, from `powers` when `gap` is one of the gaps.
    #[inline]
    fn power(&self, powers: &[f64; Self::MAX], q: f64, gap: u32) -> f64 {
        match self.gaps[..self.len].iter().position(|g| *g == gap) {
            Some(i) => powers[i],
            None => q.powi(gap as i32),
        }
    }
}

/// Modified duration at nominal yield `y` compounded `periods_per_year` times a year:
/// −(1/P)·dP/dy = Macaulay duration / (1 + y/m); 0 when the flows are worth nothing.
pub fn modified_duration(flows: &[(f64, f64)], y: f64, periods_per_year: u32) -> f64 {
    let m = periods_per_year.max(1);
    let pv = present_value(flows, y, m);
    if pv.is_nan() || pv <= 0.0 {
        return 0.0;
    }
    let u = continuous_of(y, m);
    let weighted: f64 = flows.iter().map(|(t, cf)| t * cf * (-u * t).exp()).sum();
    weighted / pv / (1.0 + y / f64::from(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dates::{DayCount, Frequency, payment_dates};
    use chrono::NaiveDate;

    const TOL: f64 = 1e-9;

    /// Raising the daily factor to each distinct gap once gives the same yield, to the bit, as
    /// raising it for every flow: with a few gaps (a quarterly deal) and with more distinct
    /// gaps than are kept.
    #[test]
    fn distinct_gaps_give_the_yield_of_one_power_per_flow() {
        fn per_flow(price: f64, flows: &[(u32, f64)], m: u32, guess: f64) -> f64 {
            let u = solve_continuous(price, continuous_of(guess, m), |u| {
                let q = (-u / 365.0).exp();
                let (mut pv, mut slope, mut discount, mut last) = (0.0, 0.0, 1.0, 0u32);
                for (d, cf) in flows {
                    discount *= q.powi(d.saturating_sub(last) as i32);
                    last = last.max(*d);
                    let discounted = cf * discount;
                    pv += discounted;
                    slope -= f64::from(*d) / 365.0 * discounted;
                }
                (pv, slope)
            });
            nominal_of(u, m)
        }
        let quarterly: Vec<(u32, f64)> = (1..=20u32)
            .map(|k| (k * 91 + k % 3, if k == 20 { 101.0 } else { 1.6 }))
            .collect();
        let ragged: Vec<(u32, f64)> = (1..=15u32).map(|k| (k * k * 7, 9.0)).collect();
        for (flows, m) in [(&quarterly, 4), (&ragged, 1)] {
            for (price, guess) in [(100.0, 0.064), (80.0, 0.0), (130.0, 0.1)] {
                let y = yield_days(price, flows, m, guess).unwrap();
                assert_eq!(y.to_bits(), per_flow(price, flows, m, guess).to_bits());
            }
        }
    }

    /// A par bond of 100 paying `coupon × τₖ × 100` at the end of each period of `τₖ` years
    /// and 100 at the end: (years from the start, cash).
    fn par_bond(coupon: f64, times: &[f64]) -> Vec<(f64, f64)> {
        let mut last = 0.0;
        let mut flows: Vec<(f64, f64)> = times
            .iter()
            .map(|t| {
                let cf = 100.0 * coupon * (t - last);
                last = *t;
                (*t, cf)
            })
            .collect();
        flows.last_mut().unwrap().1 += 100.0;
        flows
    }

    #[test]
    fn quarterly_par_bond_yields_its_coupon() {
        // The convention discounts by (1 + y/4)^(−4t) on ACT/365F time t = days / 365. A par
        // bond then yields exactly its coupon when each period is exactly a quarter of a
        // 365-day year, 91.25 days (t = k/4): each period's coupon 100·c/4 is then exactly the
        // period's growth (1 + c/4)^1 − 1. No calendar quarter is 91.25 days (they run 90–92),
        // so the dates here are the 365/4-day grid, given as year fractions; calendar quarters
        // are within 1e-6 (next test).
        let times: Vec<f64> = (1..=12).map(|k| f64::from(k) / 4.0).collect();
        let flows = par_bond(0.043, &times);
        let y = yield_at_price(100.0, &flows, 4).unwrap();
        assert!((y - 0.043).abs() < TOL, "{y}");
        // The annual-effective figure it replaces: (1 + 0.043/4)^4 − 1 = 4.36984 % (4.370 %).
        let effective = (1.0 + y / 4.0).powi(4) - 1.0;
        assert!((effective - 0.043_698_4).abs() < 1e-6, "{effective}");
        // Annual bond on 365-day years, in whole days: exact too, through the path solver.
        let days = [(365, 5.0), (730, 5.0), (1095, 105.0)];
        let y = yield_days(100.0, &days, 1, 0.0).unwrap();
        assert!((y - 0.05).abs() < TOL, "{y}");
        // Modified duration = Macaulay / (1 + y/m): 100 at par, 5 % annual, 3 years:
        // (5/1.05 + 2·5/1.05² + 3·105/1.05³) / 100 = 2.85941.
        let years = [(1.0, 5.0), (2.0, 5.0), (3.0, 105.0)];
        assert!((modified_duration(&years, 0.05, 1) - 2.859410 / 1.05).abs() < 1e-5);
    }

    #[test]
    fn calendar_quarter_par_bond_yields_its_coupon_within_a_millionth() {
        // The reference deal's calendar: closing 2019-03-08, quarterly from 2019-06-08, ACT/365F
        // coupons (90–92-day periods). Each period's coupon c·d/365 differs from the
        // convention's growth (1 + c/4)^(4d/365) − 1 by < 1e-6, so the yield is the coupon to
        // 2e-7 (4.29998 %) — 4.300 % in every report.
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let closing = d(2019, 3, 8);
        let dates = payment_dates(d(2019, 6, 8), Frequency::Quarterly, d(2023, 3, 8));
        let mut start = closing;
        let mut days = Vec::new();
        for end in &dates {
            let (n, basis) = DayCount::Act365F.fraction(start, *end);
            let coupon = 100.0 * 0.043 * f64::from(n) / f64::from(basis);
            days.push(((*end - closing).num_days() as u32, coupon));
            start = *end;
        }
        days.last_mut().unwrap().1 += 100.0;
        let y = yield_days(100.0, &days, 4, 0.043).unwrap();
        assert!((y - 0.043).abs() < 1e-6, "{y}");
        let years: Vec<(f64, f64)> = days
            .iter()
            .map(|(d, c)| (f64::from(*d) / 365.0, *c))
            .collect();
        assert!((yield_at_price(100.0, &years, 4).unwrap() - y).abs() < 1e-12);
    }

    #[test]
    fn path_solver_agrees_with_the_general_one() {
        let days = [(92, 1.0), (183, 1.0), (275, 1.0), (365, 60.0)];
        let years: Vec<(f64, f64)> = days
            .iter()
            .map(|(d, c)| (f64::from(*d) / 365.0, *c))
            .collect();
        for m in [1, 2, 4, 12] {
            let a = yield_at_price(55.0, &years, m).unwrap();
            for guess in [-0.5, 0.04, 3.0] {
                let b = yield_days(55.0, &days, m, guess).unwrap();
                assert!((a - b).abs() < 1e-12, "m {m}, guess {guess}: {a} vs {b}");
            }
            // It prices the flows.
            assert!((present_value(&years, a, m) - 55.0).abs() < 1e-9);
        }
    }

    #[test]
    fn total_loss_is_the_floor_and_any_cash_has_a_yield() {
        // Nothing back: 1 + y/4 = 0, i.e. −400 % nominal quarterly, −100 % annual effective.
        assert_eq!(yield_at_price(100.0, &[(1.0, 0.0)], 4), Some(-4.0));
        assert_eq!(yield_days(100.0, &[], 4, 0.04), Some(-4.0));
        assert_eq!(yield_days(100.0, &[(92, 0.0)], 1, 0.04), Some(-1.0));
        assert_eq!(yield_at_price(0.0, &[(1.0, 5.0)], 4), None);
        // One fen back on 37 M after four years: a yield far below −100 % nominal but above
        // the floor, that prices the cash; and more cash is a higher yield.
        let mut previous = -4.0;
        for cash in [0.01, 1.0, 1e4, 3.7e6, 3.7e7, 7.4e7] {
            let flows = [(365 * 4, cash)];
            let y = yield_days(3.7e7, &flows, 4, 0.0).unwrap();
            assert!(y > previous, "{cash}: {y} after {previous}");
            let years = [(4.0, cash)];
            let pv = present_value(&years, y, 4);
            assert!((pv / 3.7e7 - 1.0).abs() < 1e-9, "{cash}: PV {pv}");
            // Annual effective (1 + y/4)^4 − 1 = (cash / price)^(1/4) − 1.
            let effective = (1.0 + y / 4.0).powi(4) - 1.0;
            assert!((effective - ((cash / 3.7e7).powf(0.25) - 1.0)).abs() < 1e-9);
            previous = y;
        }
    }

    #[test]
    fn wal_of_equal_amortisation() {
        // 25 repaid at 1, 2, 3 and 4 years: WAL 2.5 years.
        assert!((wal([(1.0, 25.0), (2.0, 25.0), (3.0, 25.0), (4.0, 25.0)]) - 2.5).abs() < TOL);
    }

    #[test]
    fn convention_is_named() {
        let q = YieldConvention::of(Frequency::Quarterly);
        assert_eq!(q.label, "nominal p.a., compounded quarterly");
        assert_eq!((q.periods_per_year, q.total_loss_yield), (4, -4.0));
        assert_eq!(YieldConvention::of(Frequency::Monthly).periods_per_year, 12);
    }
}
