//! Turns the raw scenario into a validated [`Deal`], reporting every problem with its location.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

use super::bounds::{MAX_AMOUNT, MAX_RECOVERY_LAG_MONTHS, MAX_TERM_MONTHS};
use super::ctx::Ctx;
use super::document::Attachments;
use super::error::{Location, Problem};
use super::raw::*;
use super::tape::{self, AssetRecord, Cell, TapeAsset};
use super::warning::{RECOVERY_COLUMNS, Warning, WarningKind};
use crate::credit::{Copula, CreditModel, PdCurve, RecoveryModel, RecoverySource, SectorLoading};
use crate::dates::{DayCount, Frequency, add_months, payment_dates};
use crate::deal::{Assumptions, Deal, ObligorDefault, Simulation};
use crate::pool::{Amortization, Asset, Obligor, Pool};
use crate::waterfall::spec::*;

/// Default Monte Carlo settings when the scenario has no `[simulation]`.
pub const DEFAULT_PATHS: u64 = 10_000;
pub const DEFAULT_SEED: u64 = 20190308;

pub fn validate(raw: &RawScenario, ctx: &mut Ctx<'_>, attachments: &Attachments) -> Option<Deal> {
    let d = &raw.deal;
    let name = d.name.get_ref().clone();
    let closing = ctx.date(&d.closing_date, "deal.closing_date");
    let first_payment = ctx.date(&d.first_payment_date, "deal.first_payment_date");
    let legal_final = ctx.date(&d.legal_final_date, "deal.legal_final_date");
    let frequency = ctx.choice(
        &d.payment_frequency,
        "deal.payment_frequency",
        Frequency::parse,
        Frequency::NAMES,
    );
    let day_count = match &d.day_count {
        Some(t) => ctx.choice(t, "deal.day_count", DayCount::parse, DayCount::NAMES),
        None => Some(DayCount::Act365F),
    };
    if let (Some(c), Some(f)) = (closing, first_payment)
        && f <= c
    {
        ctx.err(
            d.first_payment_date.span(),
            "deal.first_payment_date",
            format!("must be after the closing date {c}"),
        );
    }
    if let (Some(f), Some(l)) = (first_payment, legal_final)
        && l < f
    {
        ctx.err(
            d.legal_final_date.span(),
            "deal.legal_final_date",
            format!("must not be before the first payment date {f}"),
        );
    }
    // The latest date a deal may reach (bounds.rs): the legal final date, asset maturities and
    // schedule rows must not be later.
    let horizon = closing.map(|c| add_months(c, MAX_TERM_MONTHS));
    let beyond_horizon = matches!((horizon, legal_final), (Some(h), Some(l)) if l > h);
    if let (true, Some(h)) = (beyond_horizon, horizon) {
        ctx.err(
            d.legal_final_date.span(),
            "deal.legal_final_date",
            format!(
                "must be at most {MAX_TERM_MONTHS} months after the closing date, i.e. not after {h}"
            ),
        );
    }
    // Every section is checked even when another one failed; a section that cannot be built
    // checks what it can without the others.
    let pool = validate_pool(raw, ctx, attachments, closing.zip(horizon));
    let tranche_names: Vec<String> = raw
        .tranches
        .get_ref()
        .iter()
        .map(|t| t.name.get_ref().clone())
        .collect();
    let structure = validate_structure(
        raw,
        ctx,
        &tranche_names,
        day_count.unwrap_or(DayCount::Act365F),
    );
    if let (Some(pool), Some(structure), Some(flag)) = (&pool, &structure, &d.tranches_equal_pool) {
        let total: Decimal = structure.tranches.iter().map(|t| t.balance).sum();
        if *flag.get_ref() && total != pool.balance() {
            ctx.err(
                raw.tranches.span(),
                "tranches",
                format!("tranche balances add up to {total} but the pool balance is {} (deal.tranches_equal_pool = true)", pool.balance()),
            );
        }
    }
    let period_ends = match (first_payment, frequency, legal_final) {
        (Some(f), Some(q), Some(l)) if !beyond_horizon => Some(payment_dates(f, q, l)),
        _ => None,
    };
    let assumptions = validate_assumptions(
        raw,
        ctx,
        pool.as_ref(),
        structure.as_ref(),
        period_ends.as_ref().map(Vec::len),
    );
    let credit = validate_model(raw, ctx, pool.as_ref(), assumptions.as_ref());
    let simulation = validate_simulation(raw, ctx);
    if !ctx.problems.is_empty() {
        return None;
    }
    let (closing, first_payment, legal_final, frequency) =
        (closing?, first_payment?, legal_final?, frequency?);
    let (period_ends, pool, structure) = (period_ends?, pool?, structure?);
    let credit = credit?;
    let warnings = recovery_source_warnings(raw, ctx, attachments, &pool, &credit);
    Some(Deal {
        name,
        currency: d
            .currency
            .as_ref()
            .map_or_else(|| "CNY".to_string(), |c| c.get_ref().clone()),
        closing,
        first_payment,
        frequency,
        legal_final,
        period_ends,
        pool,
        structure,
        assumptions: assumptions?,
        credit,
        simulation: simulation?,
        warnings,
    })
}

/// A warning per file whose assets carry recovery columns when the scenario also has a
/// `[model.recovery]` table but does not say which one the Monte Carlo uses.
fn recovery_source_warnings(
    raw: &RawScenario,
    ctx: &Ctx<'_>,
    attachments: &Attachments,
    pool: &Pool,
    credit: &CreditModel,
) -> Vec<Warning> {
    let unset = raw
        .model
        .as_ref()
        .and_then(|m| m.recovery.as_ref())
        .is_some_and(|r| r.source.is_none());
    if !unset {
        return Vec::new();
    }
    // The pool is the inline assets, then the tape's rows (one asset per record once valid).
    let inline = raw.pool.assets.len();
    let (inline_assets, tape_assets) = pool.assets.split_at(inline.min(pool.assets.len()));
    let tape_file = attachments.tape.as_ref().map(|f| f.path.clone());
    [
        (Some(ctx.file.clone()), inline_assets),
        (tape_file, tape_assets),
    ]
    .into_iter()
    .filter_map(|(file, assets)| {
        let given = |column: &str, a: &Asset| match column {
            "recovery_rate" => a.recovery_rate.is_some(),
            _ => a.recovery_lag_months.is_some(),
        };
        let columns: Vec<&'static str> = RECOVERY_COLUMNS
            .into_iter()
            .filter(|c| assets.iter().any(|a| given(c, a)))
            .collect();
        let count = assets
            .iter()
            .filter(|a| RECOVERY_COLUMNS.iter().any(|c| given(c, a)))
            .count();
        if count == 0 {
            return None;
        }
        Some(Warning {
            file: file?,
            kind: WarningKind::RecoverySourceUnset {
                columns,
                assets: count,
                used: credit.recovery_source,
            },
        })
    })
    .collect()
}

fn inline_record(ctx: &Ctx<'_>, k: usize, table: &BTreeMap<String, Num>) -> AssetRecord {
    let cells = table
        .iter()
        .map(|(key, num)| {
            // Digit separators are allowed in numbers; names and words are kept as written.
            let text = match num.get_ref() {
                toml::Value::String(s) => s.clone(),
                _ => ctx.literal(num).replace('_', ""),
            };
            (
                key.clone(),
                Cell {
                    text,
                    location: Location::Span(num.span()),
                },
            )
        })
        .collect();
    let first_span = table
        .values()
        .map(|n| n.span())
        .min_by_key(|s| s.start)
        .unwrap_or(0..0);
    AssetRecord {
        file: ctx.file.clone(),
        location: Location::Span(first_span),
        label: format!("pool.assets[{k}]"),
        cells,
    }
}

fn validate_pool(
    raw: &RawScenario,
    ctx: &mut Ctx<'_>,
    att: &Attachments,
    // The closing date and the latest date allowed; `None` when the closing date is invalid
    // (the assets' cells are still checked).
    dates: Option<(NaiveDate, NaiveDate)>,
) -> Option<Pool> {
    let start = ctx.problems.len();
    let mut records: Vec<AssetRecord> = raw
        .pool
        .assets
        .iter()
        .enumerate()
        .map(|(k, t)| inline_record(ctx, k, t))
        .collect();
    // The files were read and parsed once, with the document; their problems count each time.
    if let Some(tape) = &att.tape {
        ctx.problems.extend(tape.problems.iter().cloned());
        records.extend(tape.parsed.iter().cloned());
    }
    let no_schedules = HashMap::new();
    let schedules = match &att.schedules {
        Some(file) => {
            ctx.problems.extend(file.problems.iter().cloned());
            &file.parsed
        }
        None => &no_schedules,
    };
    if records.is_empty() {
        let tape_unread = raw.pool.loan_tape.is_some() && att.tape.is_none();
        if tape_unread || ctx.problems.len() > start {
            // The tape could not be read: the reason is already reported.
            return None;
        }
        let span = raw.pool.loan_tape.as_ref().map_or(0..0, |t| t.span());
        ctx.err(
            span,
            "pool",
            "the pool has no assets: give `loan_tape` or `[[pool.assets]]`",
        );
        return None;
    }
    let mut ids: HashMap<String, Location> = HashMap::new();
    let mut obligors: Vec<Obligor> = Vec::new();
    let mut obligor_index: HashMap<String, usize> = HashMap::new();
    let mut sectors: Vec<String> = Vec::new();
    let mut assets = Vec::new();
    for record in &records {
        let Some(a) = tape::read_asset(record, &mut ctx.problems) else {
            continue;
        };
        let id_location = record
            .cells
            .get("id")
            .map_or(record.location.clone(), |c| c.location.clone());
        if ids.insert(a.id.clone(), id_location.clone()).is_some() {
            ctx.problems.push(Problem {
                file: record.file.clone(),
                location: id_location,
                field: "id".into(),
                message: format!("duplicate asset id `{}`", a.id),
            });
            continue;
        }
        let sector = sectors
            .iter()
            .position(|s| *s == a.sector)
            .unwrap_or_else(|| {
                sectors.push(a.sector.clone());
                sectors.len() - 1
            });
        let obligor = *obligor_index.entry(a.obligor.clone()).or_insert_with(|| {
            obligors.push(Obligor {
                name: a.obligor.clone(),
                sector,
            });
            obligors.len() - 1
        });
        if obligors[obligor].sector != sector {
            let loc = record
                .cells
                .get("sector")
                .map_or(record.location.clone(), |c| c.location.clone());
            ctx.problems.push(Problem {
                file: record.file.clone(),
                location: loc,
                field: "sector".into(),
                message: format!(
                    "obligor `{}` is already in sector `{}`",
                    a.obligor, sectors[obligors[obligor].sector]
                ),
            });
        }
        if let Some((closing, horizon)) = dates
            && let Some(asset) = build_asset(ctx, record, a, obligor, closing, horizon, schedules)
        {
            assets.push(asset);
        }
    }
    if ctx.problems.len() > start || dates.is_none() {
        // Later checks (orphan schedules, tranche totals) would only echo these problems.
        return None;
    }
    let total: Decimal = assets.iter().map(|a| a.balance).sum();
    if total > MAX_AMOUNT {
        let span = raw.pool.loan_tape.as_ref().map_or(0..0, |t| t.span());
        ctx.err(
            span,
            "pool",
            format!(
                "the pool balance is {total}; expected at most {MAX_AMOUNT} yuan (the largest amount computed exactly to the fen)"
            ),
        );
        return None;
    }
    // In file order: the map's own order changes from run to run.
    let mut by_line: Vec<(&String, &super::document::ScheduleRows)> = schedules.iter().collect();
    by_line.sort_by_key(|&(_, rows)| rows.line);
    for (id, rows) in by_line {
        if !assets
            .iter()
            .any(|a| a.id == *id && a.amortization == Amortization::Schedule)
        {
            let path = att
                .schedules
                .as_ref()
                .map(|f| f.path.clone())
                .unwrap_or_default();
            ctx.problems.push(Problem {
                file: path,
                location: rows.at.clone(),
                field: "asset_id".into(),
                message: format!(
                    "schedule rows for `{id}`, which is not an asset with amortization = schedule"
                ),
            });
        }
    }
    (ctx.problems.len() == start).then_some(Pool {
        assets,
        obligors,
        sectors,
    })
}

fn build_asset(
    ctx: &mut Ctx<'_>,
    record: &AssetRecord,
    a: TapeAsset,
    obligor: usize,
    closing: NaiveDate,
    horizon: NaiveDate,
    schedules: &super::document::Schedules,
) -> Option<Asset> {
    let mut fail = |field: &str, message: String| {
        let loc = record
            .cells
            .get(field)
            .map_or(record.location.clone(), |c| c.location.clone());
        // Inline assets name their table (`pool.assets[0].maturity_date`), as the tape reader does.
        let field = match loc {
            Location::Span(_) => format!("{}.{field}", record.label),
            _ => field.to_string(),
        };
        ctx.problems.push(Problem {
            file: record.file.clone(),
            location: loc,
            field,
            message,
        });
    };
    let (schedule, first_payment, maturity) = if a.amortization == Amortization::Schedule {
        let Some(super::document::ScheduleRows { payments: rows, .. }) = schedules.get(&a.id)
        else {
            fail(
                "amortization",
                format!(
                    "asset `{}` has amortization = schedule but no rows in the schedules file (pool.schedules)",
                    a.id
                ),
            );
            return None;
        };
        let principal: Decimal = rows.iter().map(|r| r.principal).sum();
        if principal != a.balance {
            fail(
                "balance",
                format!(
                    "the schedule of `{}` repays {principal} of principal, but the balance is {}",
                    a.id, a.balance
                ),
            );
            return None;
        }
        if rows[0].date <= closing {
            fail(
                "amortization",
                format!(
                    "the schedule of `{}` starts on {}, not after the closing date {closing}",
                    a.id, rows[0].date
                ),
            );
            return None;
        }
        (rows.clone(), rows[0].date, rows[rows.len() - 1].date)
    } else {
        let (first, maturity) = tape::asset_dates(&a, closing);
        if first <= closing {
            fail(
                "first_payment_date",
                format!("must be after the closing date {closing}"),
            );
            return None;
        }
        if maturity < first {
            fail(
                "maturity_date",
                format!("must not be before the first payment date {first}"),
            );
            return None;
        }
        (Vec::new(), first, maturity)
    };
    if maturity > horizon {
        let field = if a.amortization == Amortization::Schedule {
            "amortization"
        } else if a.maturity.is_some() {
            "maturity_date"
        } else {
            "term_months"
        };
        fail(
            field,
            format!(
                "the last payment of `{}` falls on {maturity}; expected at most {MAX_TERM_MONTHS} months after the closing date, i.e. not after {horizon}",
                a.id
            ),
        );
        return None;
    }
    let asset = Asset {
        id: a.id,
        obligor,
        asset_type: a.asset_type,
        ip_kind: a.ip_kind,
        ip_items: a.ip_items,
        appraised_value: a.appraised_value,
        balance: a.balance,
        rate: a.rate,
        amortization: a.amortization,
        frequency: a.frequency,
        first_payment,
        maturity,
        annual_pd: a.annual_pd,
        recovery_rate: a.recovery_rate,
        recovery_lag_months: a.recovery_lag_months,
        schedule,
    };
    // Within the bounds this cannot overflow; the check keeps a panic impossible.
    if let Err(e) = crate::pool::try_asset_payments(&asset) {
        fail("balance", e.to_string());
        return None;
    }
    Some(asset)
}

fn names_of(ctx: &mut Ctx<'_>, names: &[&Text], what: &str) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for n in names {
        if n.get_ref().trim().is_empty() {
            ctx.err(n.span(), what, "expected a non-empty name");
        } else if seen.contains(n.get_ref()) {
            ctx.err(
                n.span(),
                what,
                format!("duplicate name \"{}\"", n.get_ref()),
            );
        }
        seen.push(n.get_ref().clone());
    }
    seen
}

fn validate_structure(
    raw: &RawScenario,
    ctx: &mut Ctx<'_>,
    tranche_names: &[String],
    day_count: DayCount,
) -> Option<Structure> {
    let start = ctx.problems.len();
    let raw_tranches = raw.tranches.get_ref();
    if raw_tranches.is_empty() {
        ctx.err(
            raw.tranches.span(),
            "tranches",
            "expected at least one tranche",
        );
    }
    names_of(
        ctx,
        &raw_tranches.iter().map(|t| &t.name).collect::<Vec<_>>(),
        "tranches.name",
    );
    let last = raw_tranches.len().saturating_sub(1);
    let mut tranches = Vec::new();
    for (i, t) in raw_tranches.iter().enumerate() {
        let f = |k: &str| format!("tranches[{i}].{k}");
        let balance = ctx.money(&t.balance, &f("balance"), true);
        let coupon = match &t.coupon {
            Some(c) => ctx
                .number_in(c, &f("coupon"), 0.0, 1.0, true)
                .and_then(|_| ctx.decimal(c, &f("coupon"))),
            None => Some(Decimal::ZERO),
        };
        let mut targets = Vec::new();
        if let Some(list) = &t.target_balances {
            let mut previous = balance;
            for (k, num) in list.get_ref().iter().enumerate() {
                let field = format!("tranches[{i}].target_balances[{k}]");
                if let Some(v) = ctx.money(num, &field, false) {
                    if previous.is_some_and(|p| v > p) {
                        ctx.err(
                            num.span(),
                            &field,
                            "target balances must not increase nor exceed the tranche balance",
                        );
                    }
                    previous = Some(v);
                    targets.push(v);
                }
            }
        }
        let expected_maturity = t
            .expected_maturity
            .as_ref()
            .and_then(|d| ctx.date(d, &f("expected_maturity")));
        if let (Some(balance), Some(coupon)) = (balance, coupon) {
            tranches.push(Tranche {
                name: t.name.get_ref().clone(),
                balance,
                coupon,
                rank: i,
                senior: t.senior.unwrap_or(i < last),
                target_balances: targets,
                expected_maturity,
                rating: t.rating.as_ref().map(|r| r.get_ref().clone()),
            });
        }
    }
    let fee_names = names_of(
        ctx,
        &raw.fees.iter().map(|f| &f.name).collect::<Vec<_>>(),
        "fees.name",
    );
    let fees = raw
        .fees
        .iter()
        .enumerate()
        .filter_map(|(i, f)| validate_fee(ctx, i, f))
        .collect();
    let account_names = names_of(
        ctx,
        &raw.accounts.iter().map(|a| &a.name).collect::<Vec<_>>(),
        "accounts.name",
    );
    let accounts = raw
        .accounts
        .iter()
        .enumerate()
        .filter_map(|(i, a)| validate_account(ctx, i, a, tranche_names))
        .collect();
    let support_names = names_of(
        ctx,
        &raw.support.iter().map(|s| &s.name).collect::<Vec<_>>(),
        "support.name",
    );
    let supports = raw
        .support
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let cap = s
                .cap
                .as_ref()
                .map(|c| ctx.money(c, &format!("support[{i}].cap"), false));
            let pd = s.annual_pd.as_ref().map_or(Some(0.0), |p| {
                ctx.rate(p, &format!("support[{i}].annual_pd"))
            });
            Some(Support {
                name: s.name.get_ref().clone(),
                cap: cap.unwrap_or(None),
                annual_pd: pd?,
            })
        })
        .collect();
    let waterfall_names: Vec<String> = raw.waterfall.get_ref().keys().cloned().collect();
    if !waterfall_names.iter().any(|n| n == "normal") {
        ctx.err(
            raw.waterfall.span(),
            "waterfall",
            "expected a step list named `normal` (the priority of payments before any trigger)",
        );
    }
    // `normal` first, then the others in name order.
    let mut ordered: Vec<&String> = waterfall_names.iter().filter(|n| *n == "normal").collect();
    ordered.extend(waterfall_names.iter().filter(|n| *n != "normal"));
    let ordered_names: Vec<String> = ordered.iter().map(|s| s.to_string()).collect();
    let names = Names {
        tranches: tranche_names,
        fees: &fee_names,
        accounts: &account_names,
        supports: &support_names,
    };
    let mut waterfalls = Vec::new();
    for name in &ordered_names {
        let list = &raw.waterfall.get_ref()[name];
        if list.get_ref().is_empty() {
            ctx.err(
                list.span(),
                format!("waterfall.{name}"),
                "expected at least one step",
            );
        }
        let separate_accounts = list.get_ref().iter().any(|s| s.from.is_some());
        let mut steps = Vec::new();
        let mut from = Vec::new();
        for (k, s) in list.get_ref().iter().enumerate() {
            let at = format!("waterfall.{name}[{k}]");
            let (Some(step), Some(pot)) = (
                validate_step(ctx, &at, s, &names),
                step_account(ctx, &at, s, separate_accounts),
            ) else {
                continue;
            };
            steps.push(step);
            from.push(pot);
        }
        waterfalls.push(Waterfall {
            name: name.clone(),
            separate_accounts,
            steps,
            from,
        });
    }
    let triggers = raw
        .triggers
        .iter()
        .enumerate()
        .filter_map(|(i, t)| validate_trigger(ctx, i, t, &names, &ordered_names))
        .collect();
    let tranche_total: Decimal = tranches.iter().map(|t: &Tranche| t.balance).sum();
    if tranche_total > MAX_AMOUNT {
        ctx.err(
            raw.tranches.span(),
            "tranches",
            format!(
                "tranche balances add up to {tranche_total}; expected at most {MAX_AMOUNT} yuan (the largest amount computed exactly to the fen)"
            ),
        );
    }
    if ctx.problems.len() > start {
        return None;
    }
    let charge_off_months = match &raw.deal.charge_off_months {
        Some(num) => ctx.whole_in(num, "deal.charge_off_months", 0, MAX_RECOVERY_LAG_MONTHS)?,
        None => 0,
    };
    Some(Structure {
        day_count,
        tranches,
        fees,
        accounts,
        supports,
        triggers,
        waterfalls,
        charge_off_months,
    })
}

/// The account a step pays from. A waterfall keeps separate revenue and principal accounts as
/// soon as one of its steps names `from`; then every step must (the cross-uses have fixed
/// accounts), and the cross-uses are refused in a combined waterfall.
fn step_account(ctx: &mut Ctx<'_>, at: &str, s: &RawStep, separate: bool) -> Option<Pot> {
    let kind = s.step.get_ref().as_str();
    let cross_use = matches!(kind, "pdl_cure" | "principal_to_revenue");
    let field = format!("{at}.from");
    match (&s.from, separate) {
        (_, false) if cross_use => {
            ctx.err(s.step.span(), &field, format!("step \"{kind}\" moves cash between the revenue and the principal account; it needs a waterfall whose steps name their account with `from = \"revenue\"` or `from = \"principal\"` (in a combined waterfall a pass-through principal step cures the deficiency itself)"));
            None
        }
        (None, false) => Some(Pot::Revenue),
        (None, true) if cross_use => Some(Pot::Revenue),
        (None, true) => {
            ctx.err(s.step.span(), &field, "this waterfall keeps separate revenue and principal accounts (a step names `from`); expected `from = \"revenue\"` or `from = \"principal\"` on every step");
            None
        }
        (Some(f), true) => {
            let pot = ctx.choice(
                f,
                &field,
                |x| match x {
                    "revenue" => Some(Pot::Revenue),
                    "principal" => Some(Pot::Principal),
                    _ => None,
                },
                "\"revenue\" or \"principal\"",
            )?;
            if cross_use && pot != Pot::Revenue {
                ctx.err(f.span(), &field, format!("step \"{kind}\" is a step of the revenue account; expected `from = \"revenue\"` or no `from`"));
                return None;
            }
            Some(pot)
        }
        (Some(_), false) => unreachable!("a step naming `from` makes the waterfall separate"),
    }
}

struct Names<'a> {
    tranches: &'a [String],
    fees: &'a [String],
    accounts: &'a [String],
    supports: &'a [String],
}

fn validate_fee(ctx: &mut Ctx<'_>, i: usize, f: &RawFee) -> Option<Fee> {
    let field = |k: &str| format!("fees[{i}].{k}");
    let need = |ctx: &mut Ctx<'_>, v: &Option<Num>, k: &str| -> Option<Num> {
        if v.is_none() {
            ctx.err(
                f.basis.span(),
                field(k),
                format!("basis \"{}\" needs `{k}`", f.basis.get_ref()),
            );
        }
        v.clone()
    };
    let rate = |ctx: &mut Ctx<'_>| {
        let num = need(ctx, &f.rate, "rate")?;
        ctx.rate(&num, &field("rate"))?;
        ctx.decimal(&num, &field("rate"))
    };
    let basis = match f.basis.get_ref().as_str() {
        "fixed" => {
            let num = need(ctx, &f.amount, "amount")?;
            FeeBasis::FixedPerYear {
                amount: ctx.money(&num, &field("amount"), false)?,
            }
        }
        "pool_balance" => FeeBasis::PoolBalance { rate: rate(ctx)? },
        "tranche_balance" => FeeBasis::TrancheBalance { rate: rate(ctx)? },
        "interest_collections" => FeeBasis::InterestCollections { rate: rate(ctx)? },
        other => {
            ctx.err(f.basis.span(), field("basis"), format!("expected fixed, pool_balance, tranche_balance or interest_collections, found \"{other}\""));
            return None;
        }
    };
    let annual_cap = match &f.annual_cap {
        Some(c) => Some(ctx.money(c, &field("annual_cap"), false)?),
        None => None,
    };
    Some(Fee {
        name: f.name.get_ref().clone(),
        basis,
        annual_cap,
    })
}

fn validate_account(
    ctx: &mut Ctx<'_>,
    i: usize,
    a: &RawAccount,
    tranches: &[String],
) -> Option<Account> {
    let field = |k: &str| format!("accounts[{i}].{k}");
    let initial_balance = match &a.initial_balance {
        Some(n) => ctx.money(n, &field("initial_balance"), false)?,
        None => Decimal::ZERO,
    };
    if let (Some(_), None) = (&a.target_floor, &a.target_rate) {
        ctx.err(
            a.name.span(),
            field("target_floor"),
            "a floor applies only to a `target_rate` target; give `target_rate` and `target_of`, or drop `target_floor`",
        );
        return None;
    }
    let floor = match &a.target_floor {
        Some(n) => ctx.money(n, &field("target_floor"), false)?,
        None => Decimal::ZERO,
    };
    let target = match (&a.target, &a.target_rate, &a.target_of) {
        (Some(t), None, None) => AccountTarget::Fixed {
            amount: ctx.money(t, &field("target"), false)?,
        },
        (None, Some(r), Some(of)) => {
            ctx.rate(r, &field("target_rate"))?;
            let rate = ctx.decimal(r, &field("target_rate"))?;
            let ids: Vec<Option<usize>> = of
                .iter()
                .map(|t| ctx.resolve(t, &field("target_of"), "tranche", tranches))
                .collect();
            if !no_duplicates(ctx, of, &field("target_of"), "tranche") {
                return None;
            }
            AccountTarget::ShareOfTranches {
                rate,
                tranches: ids.into_iter().collect::<Option<_>>()?,
                floor,
            }
        }
        _ => {
            ctx.err(a.name.span(), field("target"), "expected either `target` (an amount) or `target_rate` with `target_of` (tranche names)");
            return None;
        }
    };
    Some(Account {
        name: a.name.get_ref().clone(),
        initial_balance,
        target,
    })
}

fn list(
    ctx: &mut Ctx<'_>,
    names: &Option<Vec<Text>>,
    field: &str,
    step: &Text,
    kind: &str,
    known: &[String],
) -> Option<Vec<usize>> {
    let Some(names) = names else {
        ctx.err(
            step.span(),
            field,
            format!(
                "step \"{}\" needs `{field}` (a list of {kind} names)",
                step.get_ref()
            ),
        );
        return None;
    };
    if names.is_empty() {
        ctx.err(step.span(), field, format!("expected at least one {kind}"));
        return None;
    }
    let ids: Vec<Option<usize>> = names
        .iter()
        .map(|n| ctx.resolve(n, field, kind, known))
        .collect();
    if !no_duplicates(ctx, names, field, kind) {
        return None;
    }
    ids.into_iter().collect()
}

/// Reports every name given twice in one list (a tranche named twice in a step would be paid
/// twice); true when there is none.
fn no_duplicates(ctx: &mut Ctx<'_>, names: &[Text], field: &str, kind: &str) -> bool {
    let mut ok = true;
    for (k, n) in names.iter().enumerate() {
        if names[..k].iter().any(|m| m.get_ref() == n.get_ref()) {
            ctx.err(
                n.span(),
                field,
                format!(
                    "{kind} \"{}\" is named more than once in this list; name each {kind} once",
                    n.get_ref()
                ),
            );
            ok = false;
        }
    }
    ok
}

fn one(
    ctx: &mut Ctx<'_>,
    name: &Option<Text>,
    field: &str,
    step: &Text,
    kind: &str,
    known: &[String],
) -> Option<usize> {
    let Some(name) = name else {
        ctx.err(
            step.span(),
            field,
            format!(
                "step \"{}\" needs `{field}` (a {kind} name)",
                step.get_ref()
            ),
        );
        return None;
    };
    ctx.resolve(name, field, kind, known)
}

fn validate_step(ctx: &mut Ctx<'_>, at: &str, s: &RawStep, n: &Names<'_>) -> Option<Step> {
    let f = |k: &str| format!("{at}.{k}");
    let st = &s.step;
    Some(match st.get_ref().as_str() {
        "fee" => Step::Fee {
            fee: one(ctx, &s.fee, &f("fee"), st, "fee", n.fees)?,
        },
        "interest" => Step::Interest {
            tranches: list(ctx, &s.tranches, &f("tranches"), st, "tranche", n.tranches)?,
        },
        "principal" => {
            let tranches = list(ctx, &s.tranches, &f("tranches"), st, "tranche", n.tranches)?;
            let order = match &s.order {
                Some(o) => ctx.choice(
                    o,
                    &f("order"),
                    |x| match x {
                        "sequential" => Some(Order::Sequential),
                        "pro_rata" => Some(Order::ProRata),
                        _ => None,
                    },
                    "\"sequential\" or \"pro_rata\"",
                )?,
                None => Order::Sequential,
            };
            let amount = match &s.amount {
                Some(a) => ctx.choice(
                    a,
                    &f("amount"),
                    |x| match x {
                        "pass_through" => Some(PrincipalAmount::PassThrough),
                        "scheduled" => Some(PrincipalAmount::Scheduled),
                        "turbo" => Some(PrincipalAmount::Turbo),
                        _ => None,
                    },
                    "\"pass_through\", \"scheduled\" or \"turbo\"",
                )?,
                None => PrincipalAmount::PassThrough,
            };
            Step::Principal {
                tranches,
                order,
                amount,
            }
        }
        "support" => Step::Support {
            support: one(ctx, &s.support, &f("support"), st, "support", n.supports)?,
            covers: list(ctx, &s.covers, &f("covers"), st, "tranche", n.tranches)?,
        },
        "reserve_fund" => Step::ReserveFund {
            account: one(ctx, &s.account, &f("account"), st, "account", n.accounts)?,
        },
        "reserve_draw" => Step::ReserveDraw {
            account: one(ctx, &s.account, &f("account"), st, "account", n.accounts)?,
            covers: list(ctx, &s.covers, &f("covers"), st, "tranche", n.tranches)?,
        },
        "subordinate_return" => {
            let tranche = one(ctx, &s.tranche, &f("tranche"), st, "tranche", n.tranches)?;
            let Some(rate) = &s.rate else {
                ctx.err(st.span(), f("rate"), "step \"subordinate_return\" needs `rate` (the annual cap on the period return)");
                return None;
            };
            ctx.rate(rate, &f("rate"))?;
            Step::SubordinateReturn {
                tranche,
                rate: ctx.decimal(rate, &f("rate"))?,
            }
        }
        "residual" => Step::Residual {
            tranche: one(ctx, &s.tranche, &f("tranche"), st, "tranche", n.tranches)?,
        },
        "pdl_cure" => Step::PdlCure {
            tranches: list(ctx, &s.tranches, &f("tranches"), st, "tranche", n.tranches)?,
        },
        "principal_to_revenue" => Step::PrincipalToRevenue {
            covers: list(ctx, &s.covers, &f("covers"), st, "tranche", n.tranches)?,
        },
        other => {
            ctx.err(st.span(), f("step"), format!("unknown step \"{other}\", expected fee, interest, principal, support, reserve_fund, reserve_draw, subordinate_return, residual, pdl_cure or principal_to_revenue"));
            return None;
        }
    })
}

fn validate_trigger(
    ctx: &mut Ctx<'_>,
    i: usize,
    t: &RawTrigger,
    names: &Names<'_>,
    waterfalls: &[String],
) -> Option<Trigger> {
    let tranches = names.tranches;
    let f = |k: &str| format!("triggers[{i}].{k}");
    let threshold = |ctx: &mut Ctx<'_>| {
        let Some(num) = &t.threshold else {
            ctx.err(
                t.condition.span(),
                f("threshold"),
                format!(
                    "condition \"{}\" needs `threshold` (a share in [0, 1])",
                    t.condition.get_ref()
                ),
            );
            return None;
        };
        ctx.rate(num, &f("threshold"))
    };
    let condition = match t.condition.get_ref().as_str() {
        "cumulative_default_rate_above" => TriggerCondition::CumulativeDefaultRateAbove {
            threshold: threshold(ctx)?,
        },
        "pool_factor_below" => TriggerCondition::PoolFactorBelow {
            threshold: threshold(ctx)?,
        },
        "interest_shortfall" => TriggerCondition::InterestShortfall {
            tranches: list(
                ctx,
                &t.tranches,
                &f("tranches"),
                &t.condition,
                "tranche",
                tranches,
            )?,
        },
        "support_failure" => TriggerCondition::SupportFailure {
            support: one(
                ctx,
                &t.support,
                &f("support"),
                &t.condition,
                "support",
                names.supports,
            )?,
        },
        other => {
            ctx.err(t.condition.span(), f("condition"), format!("expected cumulative_default_rate_above, interest_shortfall, pool_factor_below or support_failure, found \"{other}\""));
            return None;
        }
    };
    let effect = match t.effect.get_ref().as_str() {
        "switch_waterfall" => TriggerEffect::SwitchWaterfall {
            waterfall: one(
                ctx,
                &t.waterfall,
                &f("waterfall"),
                &t.effect,
                "waterfall",
                waterfalls,
            )?,
        },
        "clean_up_call" => TriggerEffect::CleanUpCall,
        other => {
            ctx.err(
                t.effect.span(),
                f("effect"),
                format!("expected switch_waterfall or clean_up_call, found \"{other}\""),
            );
            return None;
        }
    };
    let effective = match &t.effective {
        Some(e) => ctx.choice(
            e,
            &f("effective"),
            |x| match x {
                "this_date" => Some(Effective::ThisDate),
                "next_date" => Some(Effective::NextDate),
                _ => None,
            },
            "\"this_date\" (the payment date after the determination date it is tested on) or \"next_date\"",
        )?,
        None => Effective::ThisDate,
    };
    Some(Trigger {
        name: t.name.get_ref().clone(),
        condition,
        effect,
        effective,
    })
}

/// A rate or a per-period vector of rates, each in [0, 1].
fn curve(ctx: &mut Ctx<'_>, num: &Option<Num>, field: &str, default: f64) -> Option<Vec<f64>> {
    let Some(num) = num else {
        return Some(vec![default]);
    };
    let values: Vec<f64> = match num.get_ref() {
        toml::Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|v| {
                v.as_float()
                    .or(v.as_integer().map(|i| i as f64))
                    .unwrap_or(f64::NAN)
            })
            .collect(),
        toml::Value::Float(x) => vec![*x],
        toml::Value::Integer(i) => vec![*i as f64],
        _ => vec![f64::NAN],
    };
    if values.iter().any(|v| !(0.0..=1.0).contains(v)) {
        ctx.err(num.span(), field, "expected a rate in [0, 1] or a non-empty list of such rates (one per period, the last repeats)");
        return None;
    }
    Some(values)
}

fn validate_assumptions(
    raw: &RawScenario,
    ctx: &mut Ctx<'_>,
    pool: Option<&Pool>,
    s: Option<&Structure>,
    periods: Option<usize>,
) -> Option<Assumptions> {
    let empty = RawAssumptions {
        cdr: None,
        cpr: None,
        recovery_rate: None,
        recovery_lag_months: None,
        obligor_defaults: vec![],
        support_defaults: vec![],
    };
    let a = raw.assumptions.as_ref().unwrap_or(&empty);
    let cdr = curve(ctx, &a.cdr, "assumptions.cdr", 0.0);
    let cpr = curve(ctx, &a.cpr, "assumptions.cpr", 0.0);
    let recovery_rate = curve(ctx, &a.recovery_rate, "assumptions.recovery_rate", 0.0);
    let lag = lag_curve(
        ctx,
        &a.recovery_lag_months,
        "assumptions.recovery_lag_months",
    );
    // Without a valid pool or structure the names cannot be resolved (the reason is reported);
    // the periods are still checked.
    let obligor_names: Option<Vec<String>> =
        pool.map(|p| p.obligors.iter().map(|o| o.name.clone()).collect());
    let mut obligor_defaults = Vec::new();
    for (k, d) in a.obligor_defaults.iter().enumerate() {
        let field = format!("assumptions.obligor_defaults[{k}]");
        let obligor = obligor_names.as_ref().and_then(|names| {
            ctx.resolve(&d.obligor, &format!("{field}.obligor"), "obligor", names)
        });
        let period = period_number(ctx, &d.period, &format!("{field}.period"), periods);
        if let (Some(obligor), Some(period)) = (obligor, period) {
            obligor_defaults.push(ObligorDefault { obligor, period });
        }
    }
    let support_names: Option<Vec<String>> =
        s.map(|s| s.supports.iter().map(|x| x.name.clone()).collect());
    let mut support_default_period = vec![None; support_names.as_ref().map_or(0, Vec::len)];
    for (k, d) in a.support_defaults.iter().enumerate() {
        let field = format!("assumptions.support_defaults[{k}]");
        let support = support_names.as_ref().and_then(|names| {
            ctx.resolve(&d.support, &format!("{field}.support"), "support", names)
        });
        let period = period_number(ctx, &d.period, &format!("{field}.period"), periods);
        if let (Some(support), Some(period)) = (support, period) {
            support_default_period[support] = Some(period);
        }
    }
    Some(Assumptions {
        cdr: cdr?,
        cpr: cpr?,
        recovery_rate: recovery_rate?,
        recovery_lag_months: lag?,
        obligor_defaults,
        support_default_period,
    })
}

/// Whole months, or a non-empty per-period list of them (the last repeats).
fn lag_curve(ctx: &mut Ctx<'_>, num: &Option<Num>, field: &str) -> Option<Vec<u32>> {
    let Some(num) = num else { return Some(vec![0]) };
    let whole = |v: &toml::Value| {
        v.as_integer()
            .and_then(|i| u32::try_from(i).ok())
            .filter(|m| *m <= MAX_RECOVERY_LAG_MONTHS)
    };
    let values: Option<Vec<u32>> = match num.get_ref() {
        toml::Value::Array(items) if !items.is_empty() => items.iter().map(whole).collect(),
        v => whole(v).map(|m| vec![m]),
    };
    if values.is_none() {
        ctx.err(num.span(), field, format!("expected whole months in 0..={MAX_RECOVERY_LAG_MONTHS}, or a non-empty list of them (one per period, the last repeats)"));
    }
    values
}

/// A 1-based payment-date number in the file, 0-based inside; the range is checked when the
/// deal's dates are valid.
fn period_number(
    ctx: &mut Ctx<'_>,
    num: &Num,
    field: &str,
    periods: Option<usize>,
) -> Option<usize> {
    let p = usize::try_from(ctx.whole(num, field, 1)?).ok()?;
    let periods = periods?;
    if p > periods {
        ctx.err(
            num.span(),
            field,
            format!("the deal has {periods} payment dates; expected 1..={periods}"),
        );
        return None;
    }
    Some(p - 1)
}

fn validate_model(
    raw: &RawScenario,
    ctx: &mut Ctx<'_>,
    pool: Option<&Pool>,
    a: Option<&Assumptions>,
) -> Option<CreditModel> {
    // Without a valid pool the loadings are checked but not matched to its sectors.
    let no_sectors = Vec::new();
    let sectors = pool.map_or(&no_sectors, |p| &p.sectors);
    let fallback_rate = a
        .and_then(|a| a.recovery_rate.first().copied())
        .unwrap_or(0.2);
    let fallback_lag = a
        .and_then(|a| a.recovery_lag_months.first().copied())
        .unwrap_or(0);
    let support_loadings: Option<Vec<f64>> = raw
        .support
        .iter()
        .enumerate()
        .map(|(i, x)| {
            x.factor_loading.as_ref().map_or(Some(0.0), |n| {
                ctx.number_in(n, &format!("support[{i}].factor_loading"), 0.0, 1.0, true)
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect::<Option<_>>();
    let Some(m) = &raw.model else {
        let support_loadings = support_loadings?;
        let loading = SectorLoading::from_correlations(0.30, 0.15);
        return Some(CreditModel {
            copula: Copula::Gaussian,
            sector_loadings: vec![loading; sectors.len()],
            pd_curve: PdCurve::ConstantHazard,
            pd_multiplier: 1.0,
            recovery: RecoveryModel::Rate {
                rate: fallback_rate,
            },
            recovery_lag_months: fallback_lag,
            recovery_source: RecoverySource::Model,
            cpr: a.and_then(|a| a.cpr.first().copied()).unwrap_or(0.0),
            support_loadings,
        });
    };
    let copula = match &m.copula {
        None => Some(Copula::Gaussian),
        Some(c) => match c.get_ref().as_str() {
            "gaussian" => Some(Copula::Gaussian),
            "student_t" => match &m.df {
                Some(df) => ctx
                    .number_in(df, "model.df", f64::NEG_INFINITY, f64::INFINITY, false)
                    .and_then(|v| {
                        if v <= 2.0 || v > 1e6 {
                            ctx.err(
                                df.span(),
                                "model.df",
                                format!("expected degrees of freedom in (2, 1000000], found {v}"),
                            );
                            None
                        } else {
                            Some(Copula::StudentT { df: v })
                        }
                    }),
                None => {
                    ctx.err(
                        c.span(),
                        "model.df",
                        "copula \"student_t\" needs `df` (degrees of freedom above 2)",
                    );
                    None
                }
            },
            other => {
                ctx.err(
                    c.span(),
                    "model.copula",
                    format!("expected \"gaussian\" or \"student_t\", found \"{other}\""),
                );
                None
            }
        },
    };
    let sector_loadings = match (&m.correlation, &m.sector_loadings) {
        (Some(c), None) => {
            let intra = ctx.number_in(
                &c.intra_sector,
                "model.correlation.intra_sector",
                0.0,
                1.0,
                true,
            );
            let inter = ctx.number_in(
                &c.inter_sector,
                "model.correlation.inter_sector",
                0.0,
                1.0,
                true,
            );
            match (intra, inter) {
                (Some(intra), Some(inter)) if inter > intra => {
                    ctx.err(
                        c.inter_sector.span(),
                        "model.correlation.inter_sector",
                        format!("must not exceed intra_sector ({intra})"),
                    );
                    None
                }
                (Some(intra), Some(inter)) => {
                    Some(vec![
                        SectorLoading::from_correlations(intra, inter);
                        sectors.len()
                    ])
                }
                _ => None,
            }
        }
        (None, Some(table)) => {
            let mut loadings = Vec::new();
            for sector in sectors {
                match table.get_ref().get(sector) {
                    None => {
                        ctx.err(
                            table.span(),
                            "model.sector_loadings",
                            format!("sector \"{sector}\" of the pool has no loading"),
                        );
                    }
                    Some(l) => {
                        let f = format!("model.sector_loadings.{sector}");
                        let g = ctx.number_in(&l.global, &format!("{f}.global"), 0.0, 1.0, true);
                        let b = ctx.number_in(&l.sector, &format!("{f}.sector"), 0.0, 1.0, true);
                        if let (Some(g), Some(b)) = (g, b) {
                            if g * g + b * b >= 1.0 {
                                ctx.err(
                                    l.global.span(),
                                    f,
                                    format!(
                                        "loadings' squares must sum below 1; {g}² + {b}² = {}",
                                        g * g + b * b
                                    ),
                                );
                            } else {
                                loadings.push(SectorLoading {
                                    global: g,
                                    sector: b,
                                });
                            }
                        }
                    }
                }
            }
            (loadings.len() == sectors.len()).then_some(loadings)
        }
        (None, None) => Some(vec![
            SectorLoading::from_correlations(0.30, 0.15);
            sectors.len()
        ]),
        (Some(_), Some(t)) => {
            ctx.err(
                t.span(),
                "model.sector_loadings",
                "give either `correlation` or `sector_loadings`, not both",
            );
            None
        }
    };
    let pd_curve = match &m.cumulative_pd {
        None => Some(PdCurve::ConstantHazard),
        Some(list) => {
            let values: Option<Vec<f64>> = list
                .get_ref()
                .iter()
                .enumerate()
                .map(|(k, n)| ctx.rate(n, &format!("model.cumulative_pd[{k}]")))
                .collect();
            match values {
                Some(v) if v.is_empty() || v.windows(2).any(|w| w[1] < w[0]) => {
                    ctx.err(
                        list.span(),
                        "model.cumulative_pd",
                        "expected a non-empty, non-decreasing list of cumulative PDs by year",
                    );
                    None
                }
                Some(v) => Some(PdCurve::TermStructure { cumulative: v }),
                None => None,
            }
        }
    };
    let pd_multiplier = m.pd_multiplier.as_ref().map_or(Some(1.0), |n| {
        ctx.number_in(n, "model.pd_multiplier", 0.0, 1000.0, false)
    });
    let cpr = m
        .cpr
        .as_ref()
        .map_or(Some(0.0), |n| ctx.rate(n, "model.cpr"));
    let (recovery, lag) = match &m.recovery {
        None => (
            Some(RecoveryModel::Rate {
                rate: fallback_rate,
            }),
            Some(fallback_lag),
        ),
        Some(r) => validate_recovery(ctx, r, fallback_lag),
    };
    let recovery_source = match m.recovery.as_ref().and_then(|r| r.source.as_ref()) {
        None => Some(RecoverySource::default()),
        Some(t) => ctx.choice(
            t,
            "model.recovery.source",
            |s| match s {
                "model" => Some(RecoverySource::Model),
                "tape" => Some(RecoverySource::Tape),
                _ => None,
            },
            "\"model\" or \"tape\"",
        ),
    };
    Some(CreditModel {
        copula: copula?,
        sector_loadings: sector_loadings?,
        pd_curve: pd_curve?,
        pd_multiplier: pd_multiplier?,
        recovery: recovery?,
        recovery_lag_months: lag?,
        recovery_source: recovery_source?,
        cpr: cpr?,
        support_loadings: support_loadings?,
    })
}

fn validate_recovery(
    ctx: &mut Ctx<'_>,
    r: &RawRecovery,
    fallback_lag: u32,
) -> (Option<RecoveryModel>, Option<u32>) {
    let lag = r.lag_months.as_ref().map_or(Some(fallback_lag), |n| {
        ctx.whole_in(n, "model.recovery.lag_months", 0, MAX_RECOVERY_LAG_MONTHS)
    });
    let need = |ctx: &mut Ctx<'_>, v: &Option<Num>, k: &str, lo: f64, hi: f64| -> Option<f64> {
        match v {
            Some(n) => ctx.number_in(n, &format!("model.recovery.{k}"), lo, hi, false),
            None => {
                ctx.err(
                    r.mode.span(),
                    format!("model.recovery.{k}"),
                    format!("mode \"{}\" needs `{k}`", r.mode.get_ref()),
                );
                None
            }
        }
    };
    let model = match r.mode.get_ref().as_str() {
        "rate" => need(ctx, &r.rate, "rate", 0.0, 1.0).map(|rate| RecoveryModel::Rate { rate }),
        "collateral" => {
            let volatility = need(ctx, &r.volatility, "volatility", 0.0, 5.0);
            let rho = r.systematic_correlation.as_ref().map_or(Some(0.0), |n| {
                ctx.number_in(n, "model.recovery.systematic_correlation", -1.0, 1.0, false)
            });
            let haircut = need(ctx, &r.haircut, "haircut", 0.0, 1.0);
            let cost = r
                .disposal_cost
                .as_ref()
                .map_or(Some(0.0), |n| ctx.rate(n, "model.recovery.disposal_cost"));
            match (volatility, rho, haircut, cost) {
                (
                    Some(volatility),
                    Some(systematic_correlation),
                    Some(haircut),
                    Some(disposal_cost),
                ) => Some(RecoveryModel::Collateral {
                    volatility,
                    systematic_correlation,
                    haircut,
                    disposal_cost,
                }),
                _ => None,
            }
        }
        other => {
            ctx.err(
                r.mode.span(),
                "model.recovery.mode",
                format!("expected \"rate\" or \"collateral\", found \"{other}\""),
            );
            None
        }
    };
    (model, lag)
}

fn validate_simulation(raw: &RawScenario, ctx: &mut Ctx<'_>) -> Option<Simulation> {
    let Some(s) = &raw.simulation else {
        return Some(Simulation {
            paths: DEFAULT_PATHS,
            seed: DEFAULT_SEED,
        });
    };
    let paths = s
        .paths
        .as_ref()
        .map_or(Some(DEFAULT_PATHS), |n| ctx.whole(n, "simulation.paths", 1));
    let seed = s
        .seed
        .as_ref()
        .map_or(Some(DEFAULT_SEED), |n| ctx.whole(n, "simulation.seed", 0));
    Some(Simulation {
        paths: paths?,
        seed: seed?,
    })
}
