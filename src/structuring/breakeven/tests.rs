//! Tests of the break-even search (beside the code, in their own file for length).
use super::*;

#[test]
fn timing_weights_sum_to_one() {
    for t in [Timing::Even, Timing::Front, Timing::Back] {
        let w = t.weights(5);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
    assert!(Timing::Front.weights(3)[0] > Timing::Front.weights(3)[2]);
    assert!(Timing::Back.weights(3)[0] < Timing::Back.weights(3)[2]);
}

#[test]
fn bisection_is_bounded_whatever_the_tolerance() {
    for tolerance in [0.0, 1e-17, -1.0, f64::NAN] {
        let mut calls = 0;
        let x = bisect_unit(tolerance, |x| {
            calls += 1;
            x <= 0.3
        });
        assert!(calls <= MAX_BISECTION_STEPS, "{calls} calls");
        assert!((x - 0.3).abs() < 1e-15 && x <= 0.3, "{x}");
    }
    let mut calls = 0;
    bisect_unit(1e-6, |_| {
        calls += 1;
        true
    });
    assert_eq!(calls, 20, "2^-20 < 1e-6 <= 2^-19");
}

#[test]
fn tolerance_below_what_bisection_resolves_is_rejected() {
    let c = BreakevenConfig {
        tolerance: 1e-17,
        ..BreakevenConfig::default()
    };
    let problems = c.check();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].0, "breakeven.tolerance");
    assert!(problems[0].1.contains("[1e-12, 0.1)"), "{}", problems[0].1);
    assert!(BreakevenConfig::default().check().is_empty());
}

#[test]
fn stress_sets() {
    let c = BreakevenConfig::default();
    assert_eq!(c.stresses().len(), 81);
    let one = BreakevenConfig {
        combine: Combine::OneAtATime,
        ..c
    };
    assert_eq!(one.stresses().len(), 9);
    assert_eq!(one.distance_from_base(&one.stresses()[0]), 0);
}

/// The search as it was before the grid search (the `Evaluator` of earlier versions): one
/// stress's pool projected and shifted on its own, every run from scratch, the plain
/// bisection of [`bisect_unit`].
fn reference_bdr(
    deal: &Deal,
    stress: &Stress,
    support: bool,
    periods: usize,
    tolerance: f64,
    i: usize,
) -> Bdr {
    let d = base_deal(deal);
    let mut events = AssumptionEvents::new(&d)
        .scale_recovery(stress.recovery_factor)
        .scale_prepayment(stress.cpr_factor);
    if !support {
        events = events.without_support();
    }
    let prep = search::shifted(deal, &Prepared::for_deal(deal), stress.spread_bp);
    let n = periods.min(prep.periods).max(1);
    let mut weights = stress.timing.weights(n);
    weights.resize(prep.periods, 0.0);
    let smm: Vec<f64> = (0..prep.periods)
        .map(|t| events.prepayment_rate(t))
        .collect();
    let scheduled = scheduled_balance(&prep);
    let b0 = prep.original_pool_balance;
    let fractions = |x: f64| -> Vec<f64> {
        let mut survival = 1.0;
        weights
            .iter()
            .enumerate()
            .map(|(t, w)| {
                let target = x * w * b0;
                let performing = scheduled[t] * survival;
                let f = if target > 0.0 && performing > 0.0 {
                    (target / performing).min(1.0)
                } else {
                    0.0
                };
                survival *= (1.0 - f) * (1.0 - smm[t]);
                f
            })
            .collect()
    };
    let original = tranche_original(deal);
    let run = |rates: Vec<f64>| {
        let ev = events.clone().with_period_default_rates(rates);
        let mut scratch = Scratch::new(&prep, ev.max_lag());
        run_outcome(&prep, &ev, &mut scratch, &original)
    };
    if !run(fractions(0.0)).passes[i] {
        return Bdr {
            value: 0.0,
            target: 0.0,
            note: BdrNote::FailsWithoutDefaults,
        };
    }
    let mut first = vec![0.0; prep.periods];
    first[0] = 1.0;
    if run(first).passes[i] {
        return Bdr {
            value: 1.0,
            target: 1.0,
            note: BdrNote::SurvivesTotalDefault,
        };
    }
    let whole = run(fractions(1.0));
    if whole.passes[i] {
        return Bdr {
            value: whole.reached,
            target: 1.0,
            note: BdrNote::CurveLimit,
        };
    }
    let lo = bisect_unit(tolerance, |x| run(fractions(x)).passes[i]);
    Bdr {
        value: run(fractions(lo)).reached,
        target: lo,
        note: BdrNote::None,
    }
}

/// Every row of `breakeven` against [`reference_bdr`], bit for bit; how many rows were
/// searched (note `None`).
fn assert_rows_as_reference(deal: &Deal, config: &BreakevenConfig) -> usize {
    let r = breakeven(deal, config, None);
    let mut rows = r.rows.iter();
    let mut searched = 0;
    for st in &r.stresses {
        for support in [true, false] {
            for i in 0..deal.structure.tranches.len() {
                let row = rows.next().expect("a row per stress, side and tranche");
                let want = reference_bdr(deal, st, support, r.periods, config.tolerance, i);
                assert_eq!(
                    (row.bdr.to_bits(), row.target.to_bits(), row.note),
                    (want.value.to_bits(), want.target.to_bits(), want.note),
                    "{} {} support {support}: {} vs {:?}",
                    row.tranche,
                    row.stress,
                    row.bdr,
                    want
                );
                searched += usize::from(want.note == BdrNote::None);
            }
        }
    }
    assert!(rows.next().is_none());
    searched
}

/// A pool of `loans` level-pay and equal-principal loans with assorted balances, rates,
/// terms, recovery rates and lags (some from the tape, some from the assumptions), under
/// A (coupon), B (coupon) and a residual class, with a cumulative-default trigger that
/// turns the principal sequential; a support for A when `support`.
fn assorted_deal(loans: usize, support: bool) -> Deal {
    let mut text = String::from(
        r#"[deal]
name = "assorted"
closing_date = 2024-01-01
first_payment_date = 2024-04-01
payment_frequency = "quarterly"
legal_final_date = 2031-01-01

[assumptions]
cdr = 0.01
cpr = 0.05
recovery_rate = 0.3
recovery_lag_months = 6
"#,
    );
    let mut total = 0_i64;
    for k in 0..loans {
        let balance = 1_000_000 + 37_000 * (k as i64 % 13);
        total += balance;
        let recovery = match k % 4 {
            0 => "recovery_rate = 0.1\n".to_string(),
            1 => format!(
                "recovery_rate = 0.{}\nrecovery_lag_months = 12\n",
                2 + k % 5
            ),
            2 => "recovery_lag_months = 3\n".to_string(),
            _ => String::new(),
        };
        text += &format!(
            r#"
[[pool.assets]]
id = "L{k}"
obligor = "O{k}"
sector = "s{}"
asset_type = "ip_lease"
ip_kind = "copyright"
appraised_value = 3_000_000.00
balance = {balance}.00
rate = 0.0{}
amortization = "{}"
frequency = "quarterly"
maturity_date = 20{}-01-01
annual_pd = 0.03
{recovery}"#,
            k % 3,
            4 + k % 5,
            if k % 2 == 0 {
                "level"
            } else {
                "equal_principal"
            },
            28 + k % 3,
        );
    }
    let a = total * 7 / 10;
    let b = total * 2 / 10;
    let sub = total - a - b;
    if support {
        text += "\n[[support]]\nname = \"parent\"\ncap = 2_000_000.00\n";
    }
    text += &format!(
        r#"
[[tranches]]
name = "A"
balance = {a}.00
coupon = 0.03

[[tranches]]
name = "B"
balance = {b}.00
coupon = 0.05

[[tranches]]
name = "Sub"
balance = {sub}.00
senior = false

[[triggers]]
name = "defaults"
condition = "cumulative_default_rate_above"
threshold = 0.04
effect = "switch_waterfall"
waterfall = "sequential"

[waterfall]
normal = [
  {}
  {{ step = "interest", tranches = ["A"] }},
  {{ step = "interest", tranches = ["B"] }},
  {{ step = "principal", tranches = ["A", "B", "Sub"], order = "pro_rata" }},
  {{ step = "residual", tranche = "Sub" }},
]
sequential = [
  {}
  {{ step = "interest", tranches = ["A"] }},
  {{ step = "interest", tranches = ["B"] }},
  {{ step = "principal", tranches = ["A", "B", "Sub"] }},
  {{ step = "residual", tranche = "Sub" }},
]
"#,
        if support {
            r#"{ step = "support", support = "parent", covers = ["A"] },"#
        } else {
            ""
        },
        if support {
            r#"{ step = "support", support = "parent", covers = ["A"] },"#
        } else {
            ""
        },
    );
    crate::scenario::load_text(std::path::Path::new("assorted.toml"), &text)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_grid_search_is_the_bisection() {
    for tolerance in [0.05, 1e-3, 1e-6, MIN_TOLERANCE] {
        let k = grid_level(tolerance);
        let top = 1_u64 << k;
        for b in [0.0, 1e-9, 0.123456789, 0.5, 0.75, 0.999999, 0.9999999999] {
            let pass = |x: f64| x <= b;
            let want = bisect_unit(tolerance, pass);
            let plain = adjacent_pair(0, top, None, |j| pass(grid_x(j, k)));
            assert_eq!(
                grid_x(plain, k),
                want,
                "tolerance {tolerance}, boundary {b}"
            );
            for hint in [
                0,
                1,
                plain.saturating_sub(1000),
                plain,
                plain + 1,
                plain + 7,
                top - 1,
            ] {
                let mut calls = 0;
                let j = adjacent_pair(0, top, Some(hint.min(top - 1)), |j| {
                    calls += 1;
                    pass(grid_x(j, k))
                });
                assert_eq!(j, plain, "tolerance {tolerance}, boundary {b}, hint {hint}");
                if hint == plain && plain + 1 < top && plain > 0 {
                    assert_eq!(calls, 2, "a right hint costs the two runs that verify it");
                }
            }
        }
    }
}

#[test]
fn a_hint_always_ends_on_a_verified_boundary() {
    // Passing turns back: 0..=100 and 300..=400 pass.
    let pass = |j: u64| j <= 100 || (300..=400).contains(&j);
    for hint in [0, 50, 100, 101, 200, 299, 300, 350, 400, 401, 1000, 1023] {
        let j = adjacent_pair(0, 1024, Some(hint), pass);
        assert!(pass(j) && !pass(j + 1), "hint {hint}: {j}");
    }
    assert_eq!(adjacent_pair(0, 1024, None, pass), 100);
}

#[test]
fn grid_level_is_where_the_bisection_stops() {
    assert_eq!(grid_level(1e-6), 20);
    assert_eq!(grid_level(MIN_TOLERANCE), 40);
    assert_eq!(grid_level(0.0625), 4);
    let mut calls = 0;
    bisect_unit(1e-6, |_| {
        calls += 1;
        true
    });
    assert_eq!(calls, grid_level(1e-6));
}

#[test]
fn every_row_is_the_plain_bisections_on_the_shipped_scenarios() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut searched = 0;
    for name in [
        "ip-lease-733m.toml",
        "patent-pledge-200m.toml",
        "patent-royalty-300m.toml",
    ] {
        let loaded = crate::structuring::load(&root.join(name)).unwrap();
        searched += assert_rows_as_reference(&loaded.deal, &loaded.config.breakeven);
    }
    assert!(searched > 100, "{searched} rows searched");
}

#[test]
fn every_row_is_the_plain_bisections_on_an_assorted_pool() {
    let config = BreakevenConfig {
        combine: Combine::OneAtATime,
        ..BreakevenConfig::default()
    };
    for support in [true, false] {
        let deal = assorted_deal(40, support);
        let searched = assert_rows_as_reference(&deal, &config);
        assert!(searched >= 18, "{searched} rows searched");
    }
}

/// The pool's cash flows of every period of one run.
struct PoolFlows(Vec<PoolPeriod<f64>>);

impl Recorder<f64> for PoolFlows {
    fn period_end(&mut self, pool: &PoolPeriod<f64>, _state: &DealState<f64>) {
        self.0.push(*pool);
    }
}

#[test]
fn recovery_classes_pay_what_their_loans_pay() {
    let deal = assorted_deal(40, true);
    let prep: Prepared<f64> = Prepared::for_deal(&deal);
    let config = BreakevenConfig::default();
    let pool = BreakevenPool::new(&deal, &prep, &config);
    // Three lags (3, 6 and 12 months) among the 40 loans; recovery rates vary within them.
    assert_eq!(pool.classes(), 3);
    let stress = Stress {
        recovery_factor: 0.8,
        timing: Timing::Front,
        spread_bp: -25.0,
        cpr_factor: 1.5,
    };
    let sp = pool.spread(stress.spread_bp);
    let all = prep.periods;
    let weights = {
        let mut w = stress.timing.weights(8);
        w.resize(all, 0.0);
        w
    };
    let smm: Vec<f64> = (0..all)
        .map(|t| pool.stress_events(&stress, true).prepayment_rate(t))
        .collect();
    let rates = default_fractions(&pool, &weights, &smm, 0.3);
    let loan_events = pool
        .stress_events(&stress, true)
        .with_period_default_rates(rates.clone());
    let mut class_events = pool.class_events(&stress, true);
    class_events.set_default_rates(rates);
    let mut loans = PoolFlows(Vec::new());
    let mut scratch = Scratch::new(&sp.loans, loan_events.max_lag());
    run_path(&sp.loans, &loan_events, &mut scratch, &mut loans);
    let mut classes = PoolFlows(Vec::new());
    let mut scratch = Scratch::new(&sp.classes, class_events.lag());
    run_path(&sp.classes, &class_events, &mut scratch, &mut classes);
    assert_eq!(loans.0.len(), classes.0.len());
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()));
    let mut recovered = 0.0;
    for (l, c) in loans.0.iter().zip(&classes.0) {
        for (what, x, y) in [
            ("defaulted", l.defaulted, c.defaulted),
            ("interest", l.interest, c.interest),
            ("principal", l.scheduled_principal, c.scheduled_principal),
            ("prepayment", l.prepayment, c.prepayment),
            ("recovery", l.recovery, c.recovery),
            ("charged off", l.charged_off, c.charged_off),
            ("closing balance", l.closing_balance, c.closing_balance),
        ] {
            assert!(close(x, y), "period {}: {what} {x} vs {y}", l.period);
        }
        recovered += l.recovery;
    }
    assert!(recovered > 1e6, "the run recovers something: {recovered}");
}
