//! Scheduled (no default, no prepayment) cash flows of each asset, and their mapping onto the
//! deal's collection periods.
//!
//! Conventions: asset interest for one payment is `balance × rate / payments per year`, rounded
//! half-up to the fen (lease rent tables are quoted this way); a bullet pays simple interest for
//! its whole term at maturity; the last payment always clears the balance.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::asset::{Amortization, Asset};
use crate::dates::payment_dates;
use crate::money::Amount;

/// One scheduled payment of one asset.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetPayment {
    pub date: NaiveDate,
    pub opening_balance: Decimal,
    pub interest: Decimal,
    pub principal: Decimal,
}

/// Arithmetic on an asset's schedule left the range of the exact decimal type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the payment schedule of asset `{asset}` cannot be computed exactly (decimal overflow); keep the balance, rate and term within the documented bounds"
)]
pub struct ScheduleOverflow {
    pub asset: String,
}

/// The asset's scheduled payments on its own dates. Only for validated assets, whose bounds
/// (`scenario::bounds`) make the arithmetic fit; validation runs [`try_asset_payments`] on
/// every asset first.
pub fn asset_payments(asset: &Asset) -> Vec<AssetPayment> {
    try_asset_payments(asset).unwrap_or_else(|e| unreachable!("{e}: the asset was not validated"))
}

/// The asset's scheduled payments, with every operation checked for overflow.
pub fn try_asset_payments(asset: &Asset) -> Result<Vec<AssetPayment>, ScheduleOverflow> {
    let overflow = || ScheduleOverflow {
        asset: asset.id.clone(),
    };
    if asset.amortization == Amortization::Schedule {
        return Ok(explicit_payments(asset));
    }
    let dates = payment_dates(asset.first_payment, asset.frequency, asset.maturity);
    let n = dates.len();
    let periodic_rate = asset
        .rate
        .checked_div(Decimal::from(asset.frequency.per_year()))
        .ok_or_else(overflow)?;
    let level_payment = level_payment(asset.balance, periodic_rate, n).ok_or_else(overflow)?;
    let mut balance = asset.balance;
    let mut payments = Vec::with_capacity(n);
    for (k, date) in dates.into_iter().enumerate() {
        let last = k + 1 == n;
        let remaining = Decimal::from((n - k) as u64);
        let accrued = balance
            .checked_mul(periodic_rate)
            .ok_or_else(overflow)?
            .round_money();
        let (interest, principal) = match asset.amortization {
            Amortization::Level if !last => (
                accrued,
                level_payment
                    .checked_sub(accrued)
                    .ok_or_else(overflow)?
                    .min(balance),
            ),
            Amortization::EqualPrincipal if !last => (
                accrued,
                balance
                    .checked_div(remaining)
                    .ok_or_else(overflow)?
                    .round_money(),
            ),
            Amortization::Bullet if !last => (Decimal::ZERO, Decimal::ZERO),
            Amortization::Bullet => (
                asset
                    .balance
                    .checked_mul(periodic_rate)
                    .and_then(|x| x.checked_mul(Decimal::from(n as u64)))
                    .ok_or_else(overflow)?
                    .round_money(),
                balance,
            ),
            Amortization::InterestOnly if !last => (accrued, Decimal::ZERO),
            _ => (accrued, balance),
        };
        payments.push(AssetPayment {
            date,
            opening_balance: balance,
            interest,
            principal,
        });
        balance = balance.checked_sub(principal).ok_or_else(overflow)?;
    }
    Ok(payments)
}

/// The level (annuity) payment, `None` on overflow.
fn level_payment(balance: Decimal, periodic_rate: Decimal, n: usize) -> Option<Decimal> {
    if n == 0 {
        return Some(balance);
    }
    if periodic_rate.is_zero() {
        return Some(balance.checked_div(Decimal::from(n as u64))?.round_money());
    }
    // payment = B · r·g / (g − 1) with g = (1 + r)^n, computed with exact powers then rounded
    // to the fen. The factor r·g / (g − 1) (below 1 + r) is formed first, so the largest
    // intermediate is r·g (see scenario::bounds), not B·r·g.
    let mut growth = Decimal::ONE;
    for _ in 0..n {
        growth = growth.checked_mul(Decimal::ONE + periodic_rate)?;
    }
    let factor = periodic_rate
        .checked_mul(growth)?
        .checked_div(growth.checked_sub(Decimal::ONE)?)?;
    Some(balance.checked_mul(factor)?.round_money())
}

fn explicit_payments(asset: &Asset) -> Vec<AssetPayment> {
    let mut balance = asset.balance;
    asset
        .schedule
        .iter()
        .map(|row| {
            let payment = AssetPayment {
                date: row.date,
                opening_balance: balance,
                interest: row.interest,
                principal: row.principal,
            };
            balance -= row.principal;
            payment
        })
        .collect()
}

/// Scheduled flows of every asset bucketed into the deal's collection periods, as the fractions
/// of the asset's opening balance that the engine applies to whatever balance is still
/// performing. Period `t` collects the asset payments dated in `(period_end[t-1], period_end[t]]`.
#[derive(Debug, Clone)]
pub struct Projection<N> {
    pub periods: usize,
    pub assets: usize,
    /// `[period][asset]` (one period's assets contiguous, as the engine walks them):
    /// scheduled interest / scheduled opening balance.
    pub interest_fraction: Vec<N>,
    /// `[period][asset]`: scheduled principal / scheduled opening balance (1 when it pays off).
    pub principal_fraction: Vec<N>,
}

impl<N: Amount> Projection<N> {
    pub fn at(&self, asset: usize, period: usize) -> usize {
        period * self.assets + asset
    }
}

/// Builds the exact projection table from the assets' payments and the deal's period ends.
pub fn project(
    assets: &[Asset],
    closing: NaiveDate,
    period_ends: &[NaiveDate],
) -> Projection<Decimal> {
    let periods = period_ends.len();
    let mut interest_fraction = vec![Decimal::ZERO; assets.len() * periods];
    let mut principal_fraction = vec![Decimal::ZERO; assets.len() * periods];
    for (a, asset) in assets.iter().enumerate() {
        let payments = asset_payments(asset);
        let mut next = 0;
        for (t, &end) in period_ends.iter().enumerate() {
            let start = if t == 0 { closing } else { period_ends[t - 1] };
            let mut opening = None;
            let (mut interest, mut principal) = (Decimal::ZERO, Decimal::ZERO);
            while next < payments.len() && payments[next].date <= end {
                let p = &payments[next];
                if p.date > start || t == 0 {
                    opening.get_or_insert(p.opening_balance);
                    interest += p.interest;
                    principal += p.principal;
                }
                next += 1;
            }
            if let Some(opening) = opening.filter(|b| b.gt_zero()) {
                interest_fraction[t * assets.len() + a] = interest / opening;
                principal_fraction[t * assets.len() + a] = principal / opening;
            }
        }
    }
    Projection {
        periods,
        assets: assets.len(),
        interest_fraction,
        principal_fraction,
    }
}

impl Projection<Decimal> {
    /// The same table in `f64`, for Monte Carlo paths.
    pub fn to_f64(&self) -> Projection<f64> {
        Projection {
            periods: self.periods,
            assets: self.assets,
            interest_fraction: self.interest_fraction.iter().map(|x| x.to_f64()).collect(),
            principal_fraction: self.principal_fraction.iter().map(|x| x.to_f64()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dates::Frequency;
    use crate::pool::asset::{AssetType, IpKind};
    use rust_decimal::dec;

    pub(crate) fn asset(
        amortization: Amortization,
        balance: Decimal,
        rate: Decimal,
        n: u32,
    ) -> Asset {
        let first = NaiveDate::from_ymd_opt(2019, 6, 8).unwrap();
        Asset {
            id: "L1".into(),
            obligor: 0,
            asset_type: AssetType::IpLease,
            ip_kind: IpKind::InventionPatent,
            ip_items: 1,
            appraised_value: balance * dec!(2),
            balance,
            rate,
            amortization,
            frequency: Frequency::Quarterly,
            first_payment: first,
            maturity: crate::dates::add_months(first, 3 * (n - 1)),
            annual_pd: 0.03,
            recovery_rate: None,
            recovery_lag_months: None,
            schedule: vec![],
        }
    }

    #[test]
    fn equal_principal_lease() {
        // 1,000,000.00 at 6.5 % over 4 quarters: principal 250,000.00 each quarter; interest
        // 1,000,000 × 0.065 / 4 = 16,250.00, then 12,187.50, 8,125.00, 4,062.50.
        let pays = asset_payments(&asset(
            Amortization::EqualPrincipal,
            dec!(1000000),
            dec!(0.065),
            4,
        ));
        let interest: Vec<_> = pays.iter().map(|p| p.interest).collect();
        assert_eq!(
            interest,
            vec![dec!(16250.00), dec!(12187.50), dec!(8125.00), dec!(4062.50)]
        );
        assert!(pays.iter().all(|p| p.principal == dec!(250000.00)));
    }

    #[test]
    fn level_annuity_pays_off_exactly() {
        // 100,000.00 at 8 % quarterly (2 % a quarter) over 4 quarters:
        // payment = 100000 × 0.02 × 1.02^4 / (1.02^4 − 1) = 26,262.38.
        let pays = asset_payments(&asset(Amortization::Level, dec!(100000), dec!(0.08), 4));
        assert_eq!(pays[0].interest + pays[0].principal, dec!(26262.38));
        assert_eq!(
            pays.iter().map(|p| p.principal).sum::<Decimal>(),
            dec!(100000)
        );
        assert_eq!(pays[0].interest, dec!(2000.00));
    }

    #[test]
    fn long_high_rate_level_loans_compute() {
        // The largest rate over the longest term at the bound on amounts: (1 + 0.99/12)^600 is
        // about 4.6e20, and B·r·g would overflow; the payment is formed as B × (r·g / (g − 1)).
        let mut a = asset(
            Amortization::Level,
            crate::scenario::bounds::MAX_AMOUNT,
            dec!(0.99),
            600,
        );
        a.frequency = Frequency::Monthly;
        a.maturity = crate::dates::add_months(a.first_payment, 599);
        let pays = try_asset_payments(&a).unwrap();
        assert_eq!(pays.len(), 600);
        assert_eq!(
            pays.iter().map(|p| p.principal).sum::<Decimal>(),
            crate::scenario::bounds::MAX_AMOUNT
        );
        // Payments are level: 1e12 × 0.0825 / (1 − 1.0825^−600) ≈ 82,500,000,000.00.
        assert_eq!(pays[0].interest, dec!(82500000000.00));
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        // Far outside the validated bounds (100 years): 1.99^100 ≈ 8.6e29 does not fit, and
        // the checked arithmetic reports it.
        let mut a = asset(Amortization::Level, dec!(1000000), dec!(0.99), 100);
        a.frequency = Frequency::Annual;
        a.maturity = crate::dates::add_months(a.first_payment, 12 * 99);
        assert_eq!(
            try_asset_payments(&a),
            Err(ScheduleOverflow { asset: "L1".into() })
        );
    }

    #[test]
    fn bullet_and_interest_only() {
        let bullet = asset_payments(&asset(Amortization::Bullet, dec!(1000000), dec!(0.04), 4));
        assert_eq!(bullet[3].principal, dec!(1000000));
        assert_eq!(bullet[3].interest, dec!(40000.00));
        assert!(
            bullet[..3]
                .iter()
                .all(|p| p.interest.is_zero() && p.principal.is_zero())
        );
        let io = asset_payments(&asset(
            Amortization::InterestOnly,
            dec!(1000000),
            dec!(0.04),
            4,
        ));
        assert!(io.iter().all(|p| p.interest == dec!(10000.00)));
        assert_eq!(io[3].principal, dec!(1000000));
    }

    #[test]
    fn monthly_assets_bucket_into_quarterly_periods() {
        let mut a = asset(Amortization::EqualPrincipal, dec!(1200), dec!(0), 12);
        a.frequency = Frequency::Monthly;
        a.first_payment = NaiveDate::from_ymd_opt(2019, 4, 8).unwrap();
        a.maturity = NaiveDate::from_ymd_opt(2020, 3, 8).unwrap();
        let closing = NaiveDate::from_ymd_opt(2019, 3, 8).unwrap();
        let ends = crate::dates::payment_dates(
            NaiveDate::from_ymd_opt(2019, 6, 8).unwrap(),
            Frequency::Quarterly,
            NaiveDate::from_ymd_opt(2020, 3, 8).unwrap(),
        );
        let table = project(&[a], closing, &ends);
        // 3 monthly payments of 100 per quarter; opening balances 1200, 900, 600, 300.
        assert_eq!(table.principal_fraction[0], dec!(0.25));
        assert_eq!(table.principal_fraction[3], dec!(1));
    }
}
