//! Tranche statistics analysts read (issue 9, item 6): P(default) beside P(loss) and P(missed
//! interest), yields over every path (total losses at the floor), the defaulted-obligor count up
//! to each path's last payment date, and per-date means and standard errors of cumulative loss
//! and balance.

mod common;

use common::*;
use ipabs::credit::{CreditSampler, NO_DEFAULT};
use ipabs::deal::Deal;
use ipabs::engine::{PoolPeriod, Recorder};
use ipabs::montecarlo::summary::TrancheDateStats;
use ipabs::montecarlo::{CHUNK, McResults, run_one_path, stream};
use ipabs::waterfall::DealState;

fn reference() -> Deal {
    load(&shipped_text("ip-lease-733m.toml"))
}

/// The rows of `tranche` in date order.
fn by_date<'a>(results: &'a McResults, tranche: &str) -> Vec<&'a TrancheDateStats> {
    results
        .tranche_by_date
        .iter()
        .filter(|r| r.tranche == tranche)
        .collect()
}

#[test]
fn yield_mean_counts_every_path() {
    // PDs tripled, so the subordinate gets little or nothing back on many paths.
    let deal = load(&edit(
        &shipped_text("ip-lease-733m.toml"),
        "pd_multiplier = 1.0",
        "pd_multiplier = 3.0",
    ));
    let paths = 2 * CHUNK as u64 + 300;
    let (results, rows) = simulate_rows(&deal, paths, 20190308, 2);
    let floor = results.yield_convention.total_loss_yield;
    assert_eq!(floor, -4.0, "quarterly deal: 1 + y/4 = 0");
    for t in &results.tranches {
        let yields = column(&results, &rows, &format!("{}_yield", t.tranche));
        assert!(
            yields.iter().all(|y| y.is_finite() && *y >= floor),
            "{}: every path has a yield",
            t.tranche
        );
        // The reported mean is the mean over every path (the same two-pass sum in path order).
        let mean = yields.iter().sum::<f64>() / paths as f64;
        let reported = t.yield_at_par.as_ref().expect("a yield").mean;
        assert!(
            (reported - mean).abs() <= 1e-12 * mean.abs().max(1.0),
            "{}: {reported} vs {mean}",
            t.tranche
        );
        // Restated annual effective: a total loss is −100 %.
        let effective = t.yield_annual_effective.as_ref().unwrap();
        let restated: f64 = yields
            .iter()
            .map(|y| (1.0 + y / 4.0).max(0.0).powi(4) - 1.0)
            .sum::<f64>()
            / paths as f64;
        assert!((effective.mean - restated).abs() < 1e-12, "{}", t.tranche);
    }
    // The subordinate gets little or nothing back on many paths. Those below −99 % annual
    // effective were dropped from the mean before (the old search stopped there); they count
    // now, with a yield that prices their cash, and total losses sit at the floor.
    let sub = column(&results, &rows, "Sub_yield");
    let sub_loss = column(&results, &rows, "Sub_loss_rate");
    let deep = sub
        .iter()
        .filter(|y| (1.0 + *y / 4.0).powi(4) - 1.0 < -0.99)
        .count();
    let total_losses = sub.iter().filter(|y| **y == floor).count();
    eprintln!(
        "Sub: {deep} of {paths} paths below -99 % annual effective, {total_losses} total losses"
    );
    assert!(deep as f64 > 0.01 * paths as f64, "{deep} deep-loss paths");
    assert!(total_losses > 50, "{total_losses} total losses");
    for (y, loss) in sub.iter().zip(&sub_loss) {
        if *y == floor {
            assert_eq!(*loss, 1.0);
        }
    }
    assert!(
        results.tranches[3]
            .yield_annual_effective
            .as_ref()
            .unwrap()
            .p5
            >= -1.0
    );
}

#[test]
fn probability_of_default_is_missed_interest_or_loss() {
    // Heavy defaults and a promisor that defaults too: seniors miss interest on some paths.
    let text = shipped_text("ip-lease-733m.toml");
    let text = edit(&text, "pd_multiplier = 1.0", "pd_multiplier = 6.0");
    let deal = load(&edit(&text, "annual_pd = 0.001", "annual_pd = 0.5"));
    // A senior class misses interest only when the promisor fails too and the pool is nearly
    // lost: rarer than one path in 6,000, so enough paths to see it on any stream.
    let paths = 60000;
    let (results, rows) = simulate_rows(&deal, paths, 7, 2);
    let mut saw_missed = false;
    for t in &results.tranches {
        let loss = column(&results, &rows, &format!("{}_loss_rate", t.tranche));
        let missed = column(&results, &rows, &format!("{}_missed_interest", t.tranche));
        let original = t.original_balance;
        let lost = |l: f64| l * original > 0.005;
        let share = |n: usize| n as f64 / paths as f64;
        if t.tranche == "Sub" {
            // No coupon: no interest is owed, so none can be missed.
            assert!(missed.iter().all(|m| m.is_nan()));
            assert_eq!(t.probability_of_missed_interest, None);
            assert_eq!(t.probability_of_default, t.probability_of_loss);
            continue;
        }
        let either = loss
            .iter()
            .zip(&missed)
            .filter(|(l, m)| lost(**l) || **m == 1.0)
            .count();
        let p_miss = t.probability_of_missed_interest.expect("a coupon");
        assert_eq!(t.probability_of_default, share(either), "{}", t.tranche);
        assert!(t.probability_of_default >= t.probability_of_loss.max(p_miss));
        assert!(t.probability_of_default <= t.probability_of_loss + p_miss + 1e-12);
        saw_missed |= p_miss > 0.0;
    }
    // (The union with a missed payment but no loss is the unit test's in summary.rs: on this
    // deal the parent's undertaking and the principal account cover senior interest on all
    // but the worst paths, which also lose principal.)
    assert!(
        saw_missed,
        "some path should miss interest: {:?}",
        results
            .tranches
            .iter()
            .map(|t| (t.probability_of_missed_interest, t.probability_of_loss))
            .collect::<Vec<_>>()
    );
}

/// Counts the payment dates a path ran.
#[derive(Default)]
struct Dates(usize);

impl Recorder<f64> for Dates {
    fn period_end(&mut self, _pool: &PoolPeriod<f64>, _state: &DealState<f64>) {
        self.0 += 1;
    }
}

#[test]
fn defaults_after_a_paths_last_date_are_not_counted() {
    // A clean-up call below 80 % of the pool: every path ends after a few payment dates, long
    // before any lease (36 months or more) is repaid, so an obligor whose default is drawn by
    // the path's last date still owes principal then; and PDs are tripled so many defaults are
    // drawn later, on dates the deal never reaches.
    let text = shipped_text("ip-lease-733m.toml");
    let text = edit(&text, "pd_multiplier = 1.0", "pd_multiplier = 3.0");
    let deal = load(&edit(
        &text,
        "threshold = 0.10\neffect = \"clean_up_call\"",
        "threshold = 0.80\neffect = \"clean_up_call\"",
    ));
    let seed = 11;
    let paths = 3000;
    let (results, rows) = simulate_rows(&deal, paths, seed, 2);
    let counted = column(&results, &rows, "defaulted_obligors");
    let cdr = column(&results, &rows, "pool_cdr");
    let first_maturity = deal.pool.assets.iter().map(|a| a.maturity).min().unwrap();
    let sampler = CreditSampler::new(&deal);
    let mut draws = sampler.new_draws();
    let mut later = 0;
    let mut histogram = vec![0usize; deal.pool.obligors.len() + 1];
    for path in 0..paths {
        sampler.draw(&mut stream::path_rng(seed, path), &mut draws);
        let mut dates = Dates::default();
        run_one_path::<f64, _>(&deal, seed, path, &mut dates);
        let ran = dates.0 as u32;
        assert!(dates.0 < deal.period_ends.len(), "path {path} ends early");
        assert!(deal.period_ends[dates.0 - 1] < first_maturity);
        let drawn: Vec<u32> = draws
            .obligor_default
            .iter()
            .copied()
            .filter(|d| *d != NO_DEFAULT)
            .collect();
        let expected = drawn.iter().filter(|d| **d < ran).count();
        later += drawn.len() - expected;
        let i = path as usize;
        assert_eq!(
            counted[i], expected as f64,
            "path {path}: drawn {drawn:?}, ran {ran}"
        );
        // No obligor in default exactly when the pool had no default.
        assert_eq!(expected == 0, cdr[i] == 0.0, "path {path}");
        histogram[expected] += 1;
    }
    assert!(later > 100, "{later} defaults drawn after a path ended");
    let shares: Vec<f64> = histogram.iter().map(|n| *n as f64 / paths as f64).collect();
    assert_eq!(results.pool.defaulted_obligors_histogram, shares);
}

/// Each tranche's balance after every payment date of one path, in `f64`.
#[derive(Default)]
struct Balances(Vec<Vec<f64>>);

impl Recorder<f64> for Balances {
    fn period_end(&mut self, _pool: &PoolPeriod<f64>, state: &DealState<f64>) {
        self.0
            .push(state.tranches.iter().map(|t| t.balance).collect());
    }
}

#[test]
fn without_defaults_the_mean_balance_is_the_deterministic_path() {
    let deal = load(&riskless_reference());
    let base = ipabs::results::run_cashflow(&deal);
    let (results, _) = simulate_rows(&deal, CHUNK as u64 + 50, 3, 2);
    // Any path: they are all the same.
    let mut path = Balances::default();
    run_one_path::<f64, _>(&deal, 3, 17, &mut path);
    assert_eq!(
        results.tranche_by_date.len(),
        deal.structure.tranches.len() * deal.period_ends.len()
    );
    for (i, tranche) in deal.structure.tranches.iter().enumerate() {
        let rows = by_date(&results, &tranche.name);
        assert_eq!(rows.len(), deal.period_ends.len());
        for (p, r) in rows.iter().enumerate() {
            assert_eq!((r.period, r.date), (p + 1, deal.period_ends[p]));
            // Every path is the same: no spread, and no loss.
            assert_eq!(r.se_balance, 0.0, "{} {}", r.tranche, r.date);
            assert_eq!(r.se_cumulative_loss, 0.0);
            assert_eq!(r.mean_cumulative_loss, 0.0);
            // The mean is the path's balance, bit for bit; after the deal's last date, 0.
            let f64_path = path.0.get(p).map_or(0.0, |b| b[i]);
            assert_eq!(
                r.mean_balance.to_bits(),
                f64_path.to_bits(),
                "{} {}",
                r.tranche,
                r.date
            );
            // The deterministic run in exact decimals (rounded to the fen at each step, the
            // paths are not): the same to a few fen on 10⁸ yuan.
            let decimal = base
                .tranches
                .iter()
                .find(|t| t.tranche == tranche.name && t.period == p + 1)
                .map_or(0.0, |t| ipabs::money::Amount::to_f64(t.closing_balance));
            assert!(
                (r.mean_balance - decimal).abs() <= 1e-9 * tranche_original(&deal, i) + 0.01,
                "{} {}: {} vs {decimal}",
                r.tranche,
                r.date,
                r.mean_balance
            );
        }
    }
}

fn tranche_original(deal: &Deal, i: usize) -> f64 {
    ipabs::money::Amount::to_f64(deal.structure.tranches[i].balance)
}

#[test]
fn last_date_mean_cumulative_loss_is_the_expected_loss() {
    let deal = reference();
    let (results, _) = simulate_rows(&deal, 3 * CHUNK as u64, 20190308, 2);
    let last = deal.period_ends.len();
    let mut some_loss = false;
    for t in &results.tranches {
        let rows = by_date(&results, &t.tranche);
        let end = rows[last - 1];
        let el = t.expected_loss * t.original_balance;
        // EL counts losses above half a fen; the write-downs count every one.
        assert!(
            (end.mean_cumulative_loss - el).abs() <= 1e-9 * el + 0.01,
            "{}: {} vs EL × balance {el}",
            t.tranche,
            end.mean_cumulative_loss
        );
        let se = t.expected_loss_std_error * t.original_balance;
        assert!((end.se_cumulative_loss - se).abs() <= 1e-6 * se + 0.01);
        assert_eq!(end.mean_balance, 0.0, "{}: the deal is over", t.tranche);
        some_loss |= el > 0.0;
    }
    assert!(some_loss);
}

#[test]
fn per_date_statistics_do_not_depend_on_the_thread_count() {
    let deal = reference();
    let paths = 2 * CHUNK as u64 + 77;
    let (one, _) = simulate_rows(&deal, paths, 9, 1);
    for threads in [2, 3] {
        let (r, _) = simulate_rows(&deal, paths, 9, threads);
        let bits = |rows: &[TrancheDateStats]| -> Vec<[u64; 4]> {
            rows.iter()
                .map(|r| {
                    [
                        r.mean_cumulative_loss.to_bits(),
                        r.se_cumulative_loss.to_bits(),
                        r.mean_balance.to_bits(),
                        r.se_balance.to_bits(),
                    ]
                })
                .collect()
        };
        assert_eq!(bits(&r.tranche_by_date), bits(&one.tranche_by_date));
    }
}
