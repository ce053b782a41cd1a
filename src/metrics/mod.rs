//! Tranche measures from cash flows: WAL, yield, duration; and summary statistics.

pub mod stats;

/// Weighted average life in years: Σ principalₜ·τₜ / Σ principalₜ (0 when nothing was repaid).
pub fn wal(flows: impl IntoIterator<Item = (f64, f64)>) -> f64 {
    let (mut weighted, mut total) = (0.0, 0.0);
    for (years, principal) in flows {
        weighted += years * principal;
        total += principal;
    }
    if total > 0.0 { weighted / total } else { 0.0 }
}

/// Present value at annual effective yield `y` of cash flows at `years`.
fn present_value(flows: &[(f64, f64)], y: f64) -> f64 {
    flows.iter().map(|(t, cf)| cf * (1.0 + y).powf(-t)).sum()
}

/// Annual effective yield that prices `flows` at `price` (IRR). `None` when there is no cash
/// flow or no yield above −99 % prices them (a total loss).
pub fn yield_at_price(price: f64, flows: &[(f64, f64)]) -> Option<f64> {
    if price <= 0.0 || flows.iter().all(|(_, cf)| *cf <= 0.0) {
        return None;
    }
    let f = |y: f64| present_value(flows, y) - price;
    let (mut lo, mut hi) = (-0.99, 1.0);
    while f(hi) > 0.0 {
        hi *= 2.0;
        if hi > 1e6 {
            return None;
        }
    }
    if f(lo) < 0.0 {
        return None;
    }
    // Bisection: PV is decreasing in y, so this always converges; 100 halvings reach 1e-15.
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if f(mid) > 0.0 {
            lo = mid
        } else {
            hi = mid
        }
        if hi - lo < 1e-12 {
            break;
        }
    }
    Some(0.5 * (lo + hi))
}

/// The same yield as [`yield_at_price`] for cash flows `days` after the start on ACT/365F
/// (`t = days / 365`), by Newton's method from `guess`, safeguarded by a bracket (a step that
/// leaves the bracket bisects instead), so it is fast near the guess and never diverges.
/// Consecutive discount factors differ by q^Δdays with q = (1 + y)^(−1/365): one `exp` per
/// iteration, not one per flow. Used on every Monte Carlo path.
pub fn yield_newton_days(price: f64, flows: &[(u32, f64)], guess: f64) -> Option<f64> {
    if price <= 0.0 || flows.iter().all(|(_, cf)| *cf <= 0.0) {
        return None;
    }
    let value_and_slope = |y: f64| {
        let q = (-(1.0 + y).ln() / 365.0).exp();
        let (mut pv, mut slope, mut discount, mut last) = (0.0, 0.0, 1.0, 0u32);
        for (d, cf) in flows {
            discount *= q.powi((d - last) as i32);
            last = *d;
            let discounted = cf * discount;
            pv += discounted;
            slope -= f64::from(*d) / 365.0 * discounted;
        }
        (pv - price, slope / (1.0 + y))
    };
    // PV − price is decreasing in y for non-negative flows. Below par undiscounted, the yield is
    // negative and may not exist (PV at −99 % still short of the price: nothing to report).
    let (mut lo, mut hi) = (-0.99, f64::INFINITY);
    let undiscounted: f64 = flows.iter().map(|(_, cf)| cf).sum();
    if undiscounted < price && value_and_slope(lo).0 < 0.0 {
        return None;
    }
    let mut y = guess.max(lo + 1e-6);
    for _ in 0..100 {
        let (f, slope) = value_and_slope(y);
        // The bracket tightens around the root as Newton goes; a step leaving it bisects.
        if f > 0.0 {
            lo = y
        } else {
            hi = y
        }
        let newton = y - f / slope;
        let next = if newton.is_finite() && newton > lo && newton < hi {
            newton
        } else if hi.is_finite() {
            0.5 * (lo + hi)
        } else {
            2.0 * y.abs() + 1.0
        };
        // 1e-10 in yield is 0.000001 % — far below what any report shows.
        if (next - y).abs() < 1e-10 || hi - lo < 1e-10 {
            return Some(next);
        }
        y = next;
    }
    Some(y)
}

/// Modified duration at annual effective yield `y`: Macaulay duration / (1 + y).
pub fn modified_duration(flows: &[(f64, f64)], y: f64) -> f64 {
    let pv = present_value(flows, y);
    if pv <= 0.0 {
        return 0.0;
    }
    let weighted: f64 = flows
        .iter()
        .map(|(t, cf)| t * cf * (1.0 + y).powf(-t))
        .sum();
    weighted / pv / (1.0 + y)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOL: f64 = 1e-9;

    #[test]
    fn par_bond_yields_its_coupon() {
        // 100 at par, 5 % annual coupon for 3 years: yield 5 %, Macaulay duration
        // (5/1.05 + 2·5/1.05² + 3·105/1.05³) / 100 = 2.85941, modified 2.72325.
        let flows = [(1.0, 5.0), (2.0, 5.0), (3.0, 105.0)];
        let y = yield_at_price(100.0, &flows).unwrap();
        assert!((y - 0.05).abs() < TOL);
        assert!((modified_duration(&flows, y) - 2.859410 / 1.05).abs() < 1e-5);
    }

    #[test]
    fn newton_agrees_with_bisection() {
        let days = [(92, 1.0), (183, 1.0), (275, 1.0), (365, 60.0)];
        let years: Vec<(f64, f64)> = days
            .iter()
            .map(|(d, c)| (f64::from(*d) / 365.0, *c))
            .collect();
        let a = yield_at_price(55.0, &years).unwrap();
        for guess in [-0.5, 0.04, 3.0] {
            let b = yield_newton_days(55.0, &days, guess).unwrap();
            assert!((a - b).abs() < 1e-9, "guess {guess}: {a} vs {b}");
        }
        assert_eq!(yield_newton_days(55.0, &[(92, 0.0)], 0.04), None);
    }

    #[test]
    fn wal_of_equal_amortisation() {
        // 25 repaid at 1, 2, 3 and 4 years: WAL 2.5 years.
        assert!((wal([(1.0, 25.0), (2.0, 25.0), (3.0, 25.0), (4.0, 25.0)]) - 2.5).abs() < TOL);
    }

    #[test]
    fn total_loss_has_no_yield() {
        assert_eq!(yield_at_price(100.0, &[(1.0, 0.0)]), None);
    }
}
