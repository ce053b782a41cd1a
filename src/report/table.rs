//! Readable terminal tables.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::pool::PoolSummary;
use crate::results::cashflow::{CashflowRun, TrancheMetrics};

/// `1234567.8` → `1,234,567.80`.
pub fn thousands(value: Decimal) -> String {
    let text = format!("{:.2}", value);
    let (int, frac) = text.split_once('.').unwrap_or((&text, "00"));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped}.{frac}")
}

fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

/// The pool summary block of `ipabs validate`.
pub fn pool_summary(deal_name: &str, s: &PoolSummary) -> String {
    let mut out = format!("Pool of {deal_name}\n");
    let row = |k: &str, v: String| format!("  {k:<30}{v}\n");
    out += &row(
        "assets / obligors / IP items",
        format!("{} / {} / {}", s.assets, s.obligors, s.ip_items),
    );
    out += &row("balance (yuan)", thousands(s.balance));
    out += &row("appraised IP value (yuan)", thousands(s.appraised_value));
    out += &row("WAC", pct(s.wac));
    out += &row("WAM (months)", format!("{:.1}", s.wam_months));
    out += &row("WAL (years)", format!("{:.2}", s.wal_years));
    out += &row(
        "top-1 / top-5 obligor share",
        format!("{} / {}", pct(s.top1_share), pct(s.top5_share)),
    );
    out += &row("weighted LTV", pct(s.weighted_ltv));
    out += &row("weighted annual PD", pct(s.weighted_pd));
    out += "  sector mix\n";
    for (k, v) in &s.sector_mix {
        out += &format!("    {k:<28}{}\n", pct(*v));
    }
    out += "  IP kind mix\n";
    for (k, v) in &s.ip_kind_mix {
        out += &format!("    {k:<28}{}\n", pct(*v));
    }
    out
}

/// The tranche table of `ipabs cashflow`.
pub fn tranche_metrics(metrics: &[TrancheMetrics]) -> String {
    let mut out = format!(
        "{:<8} {:>18} {:>7} {:>17} {:>18} {:>15} {:>7} {:>8} {:>6} {:>11}\n",
        "tranche",
        "balance",
        "coupon",
        "interest",
        "principal",
        "loss",
        "WAL",
        "yield",
        "MD",
        "final"
    );
    for m in metrics {
        out += &format!(
            "{:<8} {:>18} {:>7} {:>17} {:>18} {:>15} {:>7.2} {:>8} {:>6.2} {:>11}\n",
            m.tranche,
            thousands(m.original_balance),
            format!("{:.2}%", m.coupon.to_f64().unwrap_or(0.0) * 100.0),
            thousands(m.total_interest + m.total_subordinate_return + m.total_residual),
            thousands(m.total_principal),
            thousands(m.principal_loss),
            m.wal_years,
            m.yield_at_par
                .map_or("-".to_string(), |y| format!("{:.3}%", y * 100.0)),
            m.modified_duration,
            m.final_payment_date
                .map_or("-".to_string(), |d| d.to_string()),
        );
    }
    out
}

/// The whole terminal report of a deterministic run.
pub fn cashflow_report(run: &CashflowRun) -> String {
    let mut out = tranche_metrics(&run.metrics);
    out += &format!(
        "(interest column includes the subordinate's period return and residual; WAL in years; {}; MD = modified duration)\n",
        run.yield_convention.note()
    );
    for t in &run.triggers {
        let applies = match t.applies_from {
            Some(d) if d == t.date => "applies on that date".to_string(),
            Some(d) => format!("applies from {d}"),
            None => "the deal ended first".to_string(),
        };
        out += &format!(
            "trigger {} breached at the determination for payment date {} ({}); {applies}\n",
            t.trigger, t.period, t.date
        );
    }
    for (name, drawn) in &run.support_drawn {
        out += &format!("support {name} drawn: {} yuan\n", thousands(*drawn));
    }
    if run.pool_balance_at_end > Decimal::ZERO {
        out += &format!(
            "pool principal uncollected at the end: {} yuan\n",
            thousands(run.pool_balance_at_end)
        );
    }
    out
}

fn opt_pct(x: Option<f64>) -> String {
    x.map_or("-".to_string(), |v| format!("{:.3}%", v * 100.0))
}

/// The cell of a probability that is not defined for the class (no coupon: no interest due).
pub const NOT_APPLICABLE: &str = "–";

/// How the paths were sampled, in one line (the terminal summary and the report).
pub fn sampling_note(
    importance: Option<&crate::montecarlo::ImportanceReport>,
    paths: u64,
) -> String {
    let Some(is) = importance else {
        return "plain Monte Carlo (every path weighs 1)".into();
    };
    if is.shift.is_zero() {
        return format!(
            "importance sampling toward {}: no shift (the tranche loses on 10 % or more of the plain pilot paths, or no pilot path lost anything), so plain Monte Carlo",
            is.tranche
        );
    }
    let factor =
        |f: Option<f64>| f.map_or("– (no loss seen)".to_string(), |f| format!("{f:.0}×"));
    format!(
        "importance sampling toward {} (global factor mean {:+.3}{}; target pool loss {:.0} yuan): variance reduction {} for its P(loss), {} for its EL; effective sample size {:.0} of {} paths; mean likelihood ratio {:.3} ± {:.3}; statistics weighted by each path's likelihood ratio",
        is.tranche,
        is.shift.global,
        if is.shift.mixing_scale == 1.0 {
            String::new()
        } else {
            format!(", t mixing variable scaled by {:.3}", is.shift.mixing_scale)
        },
        is.shift.target_pool_loss,
        factor(is.variance_reduction_probability_of_loss),
        factor(is.variance_reduction_expected_loss),
        is.effective_sample_size,
        paths,
        is.mean_likelihood_ratio,
        is.mean_likelihood_ratio_std_error,
    )
}

/// The Monte Carlo block of `ipabs run`.
pub fn monte_carlo_report(r: &crate::montecarlo::McResults) -> String {
    let mut out = format!(
        "{:<8} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7} {:>9}\n",
        "tranche",
        "EL",
        "± s.e.",
        "P(loss)",
        "P(miss)",
        "P(def)",
        "LGL",
        "loss p99",
        "WAL",
        "yield"
    );
    for t in &r.tranches {
        out += &format!(
            "{:<8} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7} {:>9}\n",
            t.tranche,
            format!("{:.4}%", t.expected_loss * 100.0),
            format!("{:.4}%", t.expected_loss_std_error * 100.0),
            pct(t.probability_of_loss),
            t.probability_of_missed_interest
                .map_or(NOT_APPLICABLE.to_string(), pct),
            pct(t.probability_of_default),
            opt_pct(t.loss_given_loss),
            pct(t.loss_rate.p99),
            t.wal_years
                .as_ref()
                .map_or("-".to_string(), |d| format!("{:.2}", d.mean)),
            opt_pct(t.yield_at_par.as_ref().map(|d| d.mean)),
        );
    }
    out += &format!(
        "(P(miss) = missed interest, {NOT_APPLICABLE} for a class without a coupon; P(def) = missed interest or principal loss; \
         WAL and yield = means over paths; {})\n",
        r.yield_convention.note()
    );
    let p = &r.pool;
    let d = |x: &crate::metrics::stats::Distribution| {
        format!(
            "mean {} std {} p50 {} p95 {} p99 {} p99.9 {}",
            pct(x.mean),
            pct(x.std),
            pct(x.p50),
            pct(x.p95),
            pct(x.p99),
            pct(x.p99_9)
        )
    };
    out += &format!(
        "pool cumulative default rate: {}\n",
        d(&p.cumulative_default_rate)
    );
    out += &format!("pool loss rate:               {}\n", d(&p.loss_rate));
    out += &format!(
        "support drawn: probability {}, mean {:.2} yuan, p99 {:.2} yuan\n",
        pct(p.support_drawn_probability),
        p.support_drawn_mean,
        p.support_drawn_p99
    );
    out += &format!(
        "sampling: {}\n",
        sampling_note(r.importance_sampling.as_ref(), r.paths)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(dec!(1234567.8)), "1,234,567.80");
        assert_eq!(thousands(dec!(-999.5)), "-999.50");
        assert_eq!(thousands(dec!(100)), "100.00");
    }
}
