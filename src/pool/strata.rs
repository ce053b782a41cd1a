//! Pool stratification tables, as an offering circular and a rating report print them: the
//! obligors with their shares, and the balance by sector, IP kind, loan-to-value, remaining term
//! and rate bucket. Written as `stratification.json` by `run` and `cashflow`, read back (the
//! same type) by the report and the workbook.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::Pool;
use crate::dates::years_between;
use crate::money::Amount;

/// One row of a stratification table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stratum {
    pub label: String,
    pub assets: usize,
    /// Outstanding principal at the cut-off, yuan.
    #[serde(serialize_with = "crate::money::serialize_fen")]
    pub balance: Decimal,
    /// Share of the pool balance.
    pub share: f64,
    /// Balance-weighted annual rate of the stratum's assets.
    pub wac: f64,
}

/// One obligor: its assets, balance, share, sector and balance-weighted annual PD.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObligorStratum {
    pub obligor: String,
    pub sector: String,
    pub assets: usize,
    #[serde(serialize_with = "crate::money::serialize_fen")]
    pub balance: Decimal,
    pub share: f64,
    pub annual_pd: f64,
}

/// Every table, each covering the whole pool (shares add up to 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stratification {
    /// Largest first.
    pub obligors: Vec<ObligorStratum>,
    pub sector: Vec<Stratum>,
    pub ip_kind: Vec<Stratum>,
    /// Balance / appraised value of the asset's IP, buckets of 10 points from 40 % to 80 %.
    pub ltv: Vec<Stratum>,
    /// Months from the cut-off to the asset's maturity.
    pub remaining_term: Vec<Stratum>,
    /// Annual interest (or lease/royalty) rate.
    pub rate: Vec<Stratum>,
}

/// Bucket edges (upper bounds, inclusive) and labels. The last label takes the rest.
const LTV_BUCKETS: [(f64, &str); 6] = [
    (0.4, "≤ 40%"),
    (0.5, "40–50%"),
    (0.6, "50–60%"),
    (0.7, "60–70%"),
    (0.8, "70–80%"),
    (f64::INFINITY, "> 80%"),
];
const TERM_BUCKETS: [(f64, &str); 6] = [
    (12.0, "≤ 12 months"),
    (24.0, "12–24 months"),
    (36.0, "24–36 months"),
    (48.0, "36–48 months"),
    (60.0, "48–60 months"),
    (f64::INFINITY, "> 60 months"),
];
const RATE_BUCKETS: [(f64, &str); 6] = [
    (0.04, "≤ 4%"),
    (0.05, "4–5%"),
    (0.06, "5–6%"),
    (0.07, "6–7%"),
    (0.08, "7–8%"),
    (f64::INFINITY, "> 8%"),
];

/// Accumulates assets into labelled strata, in first-seen (or bucket) order.
#[derive(Default)]
struct Table {
    rows: Vec<(String, usize, Decimal, f64)>,
}

impl Table {
    fn add(&mut self, label: &str, balance: Decimal, rate: f64) {
        let row = match self.rows.iter().position(|r| r.0 == label) {
            Some(k) => &mut self.rows[k],
            None => {
                self.rows.push((label.to_string(), 0, Decimal::ZERO, 0.0));
                self.rows.last_mut().expect("just pushed")
            }
        };
        row.1 += 1;
        row.2 += balance;
        row.3 += balance.to_f64() * rate;
    }

    /// With `order`, rows follow it (empty buckets left out); otherwise largest balance first.
    fn finish(mut self, total: f64, order: Option<&[&str]>) -> Vec<Stratum> {
        match order {
            Some(order) => self
                .rows
                .sort_by_key(|r| order.iter().position(|l| *l == r.0).unwrap_or(usize::MAX)),
            None => self.rows.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0))),
        }
        self.rows
            .into_iter()
            .map(|(label, assets, balance, rate_sum)| {
                let b = balance.to_f64();
                Stratum {
                    label,
                    assets,
                    balance,
                    share: b / total,
                    wac: if b > 0.0 { rate_sum / b } else { 0.0 },
                }
            })
            .collect()
    }
}

fn bucket(value: f64, buckets: &[(f64, &'static str)]) -> &'static str {
    buckets
        .iter()
        .find(|(edge, _)| value <= *edge + 1e-12)
        .map_or(buckets[buckets.len() - 1].1, |(_, l)| l)
}

impl Stratification {
    pub fn of(pool: &Pool, cutoff: NaiveDate) -> Self {
        let total = pool.balance().to_f64().max(f64::MIN_POSITIVE);
        let (mut sector, mut ip_kind, mut ltv, mut term, mut rate) = Default::default();
        let mut obligors: BTreeMap<usize, (usize, Decimal, f64)> = BTreeMap::new();
        for a in &pool.assets {
            let r = a.rate.to_f64();
            let o = &pool.obligors[a.obligor];
            Table::add(&mut sector, &pool.sectors[o.sector], a.balance, r);
            Table::add(&mut ip_kind, a.ip_kind.name(), a.balance, r);
            let ltv_label = if a.appraised_value.gt_zero() {
                bucket(
                    a.balance.to_f64() / a.appraised_value.to_f64(),
                    &LTV_BUCKETS,
                )
            } else {
                "no appraisal"
            };
            Table::add(&mut ltv, ltv_label, a.balance, r);
            let months = years_between(cutoff, a.maturity) * 12.0;
            Table::add(&mut term, bucket(months, &TERM_BUCKETS), a.balance, r);
            Table::add(&mut rate, bucket(r, &RATE_BUCKETS), a.balance, r);
            let entry = obligors.entry(a.obligor).or_insert((0, Decimal::ZERO, 0.0));
            entry.0 += 1;
            entry.1 += a.balance;
            entry.2 += a.balance.to_f64() * a.annual_pd;
        }
        let labels = |b: &[(f64, &'static str)]| b.iter().map(|(_, l)| *l).collect::<Vec<_>>();
        let mut ltv_order = labels(&LTV_BUCKETS);
        ltv_order.push("no appraisal");
        let mut obligors: Vec<ObligorStratum> = obligors
            .into_iter()
            .map(|(k, (assets, balance, pd_sum))| {
                let o = &pool.obligors[k];
                let b = balance.to_f64();
                ObligorStratum {
                    obligor: o.name.clone(),
                    sector: pool.sectors[o.sector].clone(),
                    assets,
                    balance,
                    share: b / total,
                    annual_pd: if b > 0.0 { pd_sum / b } else { 0.0 },
                }
            })
            .collect();
        obligors.sort_by(|a, b| b.balance.cmp(&a.balance).then(a.obligor.cmp(&b.obligor)));
        Stratification {
            obligors,
            sector: sector.finish(total, None),
            ip_kind: ip_kind.finish(total, None),
            ltv: ltv.finish(total, Some(&ltv_order)),
            remaining_term: term.finish(total, Some(&labels(&TERM_BUCKETS))),
            rate: rate.finish(total, Some(&labels(&RATE_BUCKETS))),
        }
    }

    /// The bucketed tables with their titles, in the order a report prints them.
    pub fn tables(&self) -> [(&'static str, &[Stratum]); 5] {
        [
            ("Sector 行业", &self.sector),
            ("IP kind 知识产权类型", &self.ip_kind),
            ("Loan-to-value 抵质押率", &self.ltv),
            ("Remaining term 剩余期限", &self.remaining_term),
            ("Rate 利率", &self.rate),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_inclusive_above() {
        assert_eq!(bucket(0.4, &LTV_BUCKETS), "≤ 40%");
        assert_eq!(bucket(0.4000001, &LTV_BUCKETS), "40–50%");
        assert_eq!(bucket(3.0, &LTV_BUCKETS), "> 80%");
        assert_eq!(bucket(12.0, &TERM_BUCKETS), "≤ 12 months");
        assert_eq!(bucket(0.065, &RATE_BUCKETS), "6–7%");
    }

    #[test]
    fn shipped_pool_tables_cover_the_pool() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join("ip-lease-733m.toml");
        let deal = crate::scenario::load(&path).unwrap();
        let s = Stratification::of(&deal.pool, deal.closing);
        let total = deal.pool.balance();
        assert_eq!(s.obligors.len(), deal.pool.obligors.len());
        assert!(s.obligors.windows(2).all(|w| w[0].balance >= w[1].balance));
        let obligor_sum: Decimal = s.obligors.iter().map(|o| o.balance).sum();
        assert_eq!(obligor_sum, total);
        for (title, rows) in s.tables() {
            let sum: Decimal = rows.iter().map(|r| r.balance).sum();
            assert_eq!(sum, total, "{title}");
            let shares: f64 = rows.iter().map(|r| r.share).sum();
            assert!((shares - 1.0).abs() < 1e-12, "{title}: {shares}");
            let assets: usize = rows.iter().map(|r| r.assets).sum();
            assert_eq!(assets, deal.pool.assets.len(), "{title}");
        }
        // The same type reads back what it writes.
        let text = serde_json::to_string(&s).unwrap();
        let back: Stratification = serde_json::from_str(&text).unwrap();
        assert_eq!(back, s);
    }
}
