//! One period of the pool: defaults, scheduled flows, prepayments and recoveries, asset by
//! asset (loan-level; obligors are few and lumpy).

use super::events::CreditEvents;
use super::prepared::{PoolTotals, Prepared, Trajectory, asset_flows};
use crate::money::Amount;

/// The pool's cash flows and balances for one period.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PoolPeriod<N> {
    pub period: usize,
    pub opening_balance: N,
    pub defaulted: N,
    pub interest: N,
    pub scheduled_principal: N,
    pub prepayment: N,
    /// Performing balance bought back by the originator under a clean-up call.
    pub sold_at_call: N,
    pub recovery: N,
    /// Defaulted exposure resolved this period minus its recovery.
    pub realized_loss: N,
    pub closing_balance: N,
    /// Defaulted exposure still waiting for its recovery at the period end.
    pub pending_exposure: N,
    /// Defaulted balance charged off to the principal deficiency this period.
    pub charged_off: N,
    /// Defaulted balance not yet charged off at the period end (still counted as collateral).
    pub uncharged_default: N,
    pub cumulative_defaulted: N,
}

/// Per-path pool state, reused across paths.
#[derive(Debug, Clone)]
pub struct PoolScratch<N> {
    pub balance: Vec<N>,
    /// Recovery cash and defaulted exposure due to resolve in each period (beyond the last
    /// period: never resolved within the deal).
    pub pending_cash: Vec<N>,
    pub pending_exposure: Vec<N>,
    pub pending_exposure_total: N,
    /// Defaulted balance due to be charged off in each period.
    pub pending_charge_off: Vec<N>,
    pub uncharged_total: N,
    pub cumulative_defaulted: N,
    /// With a trajectory: the pool's totals per period, less the flows of assets that have
    /// defaulted so far on this path, and the assets still counted in them. The opening
    /// balance is kept up for period 0 only: a later period opens with the closing total of
    /// the one before (see `whole_default_period`).
    pub totals: Vec<PoolTotals<N>>,
    pub counts: Vec<[u32; 5]>,
}

impl<N: Amount> PoolScratch<N> {
    pub fn new(prep: &Prepared<N>, max_lag: usize) -> Self {
        let slots = prep.periods + max_lag + 1;
        PoolScratch {
            balance: prep.asset_balance.clone(),
            pending_cash: vec![N::ZERO; slots],
            pending_exposure: vec![N::ZERO; slots],
            pending_exposure_total: N::ZERO,
            pending_charge_off: vec![N::ZERO; slots],
            uncharged_total: N::ZERO,
            cumulative_defaulted: N::ZERO,
            totals: prep
                .trajectory
                .as_ref()
                .map_or_else(Vec::new, |t| t.totals.clone()),
            counts: prep
                .trajectory
                .as_ref()
                .map_or_else(Vec::new, |t| t.counts.clone()),
        }
    }

    pub fn reset(&mut self, prep: &Prepared<N>) {
        self.balance.copy_from_slice(&prep.asset_balance);
        self.pending_cash.iter_mut().for_each(|x| *x = N::ZERO);
        self.pending_exposure.iter_mut().for_each(|x| *x = N::ZERO);
        self.pending_exposure_total = N::ZERO;
        self.pending_charge_off
            .iter_mut()
            .for_each(|x| *x = N::ZERO);
        self.uncharged_total = N::ZERO;
        self.cumulative_defaulted = N::ZERO;
        if let Some(t) = &prep.trajectory {
            self.totals.copy_from_slice(&t.totals);
            self.counts.copy_from_slice(&t.counts);
        }
    }

    /// Becomes a copy of `from` without reallocating.
    pub fn restore(&mut self, from: &Self) {
        let PoolScratch {
            balance,
            pending_cash,
            pending_exposure,
            pending_exposure_total,
            pending_charge_off,
            uncharged_total,
            cumulative_defaulted,
            totals,
            counts,
        } = from;
        self.balance.clone_from(balance);
        self.pending_cash.clone_from(pending_cash);
        self.pending_exposure.clone_from(pending_exposure);
        self.pending_exposure_total = *pending_exposure_total;
        self.pending_charge_off.clone_from(pending_charge_off);
        self.uncharged_total = *uncharged_total;
        self.cumulative_defaulted = *cumulative_defaulted;
        self.totals.clone_from(totals);
        self.counts.clone_from(counts);
    }

    /// Recovery cash still scheduled after period `last` (read-only): after a run that ended on
    /// period `last`, what the deal never receives.
    pub fn pending_cash_after(&self, last: usize) -> N {
        self.pending_cash
            .iter()
            .skip(last + 1)
            .fold(N::ZERO, |s, x| s + *x)
    }

    /// Clean-up call at the end of period `t`: the originator buys the performing loans at par
    /// and the pending recovery claims at the cash they will produce; what those claims will
    /// not recover is lost now (and what was not yet charged off is charged off). Updates
    /// `flows` and returns the price paid.
    pub fn sell_remaining(&mut self, t: usize, flows: &mut PoolPeriod<N>) -> N {
        let pending_cash = self.pending_cash[t + 1..]
            .iter()
            .fold(N::ZERO, |s, x| s + *x);
        let price = flows.closing_balance + pending_cash;
        flows.realized_loss += flows.pending_exposure - pending_cash;
        flows.sold_at_call = flows.closing_balance;
        flows.closing_balance = N::ZERO;
        flows.pending_exposure = N::ZERO;
        flows.charged_off += flows.uncharged_default;
        flows.uncharged_default = N::ZERO;
        self.balance.iter_mut().for_each(|b| *b = N::ZERO);
        self.pending_cash.iter_mut().for_each(|x| *x = N::ZERO);
        self.pending_exposure.iter_mut().for_each(|x| *x = N::ZERO);
        self.pending_exposure_total = N::ZERO;
        self.pending_charge_off
            .iter_mut()
            .for_each(|x| *x = N::ZERO);
        self.uncharged_total = N::ZERO;
        for s in t + 1..self.totals.len() {
            self.totals[s] = PoolTotals::ZERO;
            self.counts[s] = [0; 5];
        }
        price
    }
}

/// A default of `defaulted` yuan of `asset` at the start of period `t`: its recovery and the
/// exposure waiting for it are booked to the period they resolve in, its charge-off to the
/// period it is due.
fn book_default<N: Amount>(
    prep: &Prepared<N>,
    events: &impl CreditEvents,
    asset: usize,
    t: usize,
    defaulted: N,
    pool: &mut PoolScratch<N>,
    out: &mut PoolPeriod<N>,
) {
    let recovery = (defaulted
        * N::from_rate(events.recovery_fraction(asset, t, defaulted.to_f64())))
    .round_money();
    let lag = events.recovery_lag(asset, t);
    let slot = t + lag;
    pool.pending_cash[slot] += recovery;
    pool.pending_exposure[slot] += defaulted;
    pool.pending_exposure_total += defaulted;
    // Charged off after the deal's period, or when the recovery comes if sooner.
    pool.pending_charge_off[t + lag.min(prep.charge_off_periods)] += defaulted;
    pool.uncharged_total += defaulted;
    out.defaulted += defaulted;
}

/// Period `t` from the trajectory: each asset defaulting now leaves the totals of this and
/// every later period (its scheduled flows from here on are never paid); a count per period
/// and figure of the assets still in each total sets a total to exactly zero once none is
/// left, so floating-point residue cannot keep an exhausted pool alive or pay a phantom fen.
fn whole_default_period<N: Amount>(
    prep: &Prepared<N>,
    events: &impl CreditEvents,
    defaults: &[(u32, u32)],
    t: usize,
    pool: &mut PoolScratch<N>,
    out: &mut PoolPeriod<N>,
) {
    let trajectory = prep.trajectory.as_ref().expect("called with a trajectory");
    let periods = prep.periods;
    let now = t as u32;
    let first = defaults.partition_point(|(p, _)| *p < now);
    let width = trajectory.width;
    for &(_, asset) in defaults[first..].iter().take_while(|(p, _)| *p == now) {
        let a = asset as usize;
        let end = trajectory.open_until[a] as usize;
        if end <= t {
            // Repaid before this period: nothing left to default.
            continue;
        }
        let row = &trajectory.flows[(a * periods + t) * width..(a * periods + end) * width];
        let balance = match t {
            0 => prep.asset_balance[a],
            _ => trajectory.flows[(a * periods + t - 1) * width + Trajectory::<N>::CLOSING],
        };
        // Opening balances are not kept up: an asset opens each period with the balance it
        // closed the last one with, so the opening total of period s is the closing total of
        // s − 1 (the same amounts, added and removed in the same order).
        for (s, f) in (t..end).zip(row.chunks_exact(width)) {
            let (total, count) = (&mut pool.totals[s], &mut pool.counts[s]);
            remove(
                &mut total.interest,
                &mut count[1],
                f[Trajectory::<N>::INTEREST],
            );
            remove(
                &mut total.principal,
                &mut count[2],
                f[Trajectory::<N>::PRINCIPAL],
            );
            remove(
                &mut total.closing,
                &mut count[4],
                f[Trajectory::<N>::CLOSING],
            );
            if let Some(prepaid) = f.get(Trajectory::<N>::PREPAID) {
                remove(&mut total.prepaid, &mut count[3], *prepaid);
            }
        }
        book_default(prep, events, a, t, balance, pool, out);
    }
    let tot = pool.totals[t];
    out.opening_balance = match t {
        0 => tot.opening,
        _ => pool.totals[t - 1].closing,
    };
    out.interest = tot.interest;
    out.scheduled_principal = tot.principal;
    out.prepayment = tot.prepaid;
    out.closing_balance = tot.closing;
}

/// Takes one asset's `x` out of a total counting `count` non-zero amounts; the last one out
/// leaves exactly zero.
#[inline]
fn remove<N: Amount>(total: &mut N, count: &mut u32, x: N) {
    if x != N::ZERO {
        *total -= x;
        *count -= 1;
        if *count == 0 {
            *total = N::ZERO;
        }
    }
}

/// Runs period `t` of the pool.
pub fn pool_period<N: Amount>(
    prep: &Prepared<N>,
    events: &impl CreditEvents,
    t: usize,
    pool: &mut PoolScratch<N>,
) -> PoolPeriod<N> {
    let mut out = PoolPeriod {
        period: t,
        ..PoolPeriod::default_zero()
    };
    match (&prep.trajectory, events.whole_defaults()) {
        (Some(trajectory), Some(defaults))
            if trajectory.smm == events.prepayment_rate(t) && !pool.totals.is_empty() =>
        {
            whole_default_period(prep, events, defaults, t, pool, &mut out);
            return finish_period(t, pool, out);
        }
        _ => {}
    }
    let prepayment_rate = events.prepayment_rate(t);
    let smm = N::from_rate(prepayment_rate);
    for a in 0..pool.balance.len() {
        let mut balance = pool.balance[a];
        if !balance.gt_zero() {
            continue;
        }
        out.opening_balance += balance;
        let default_fraction = events.default_fraction(a, t);
        if default_fraction > 0.0 {
            let defaulted = if default_fraction >= 1.0 {
                balance
            } else {
                (balance * N::from_rate(default_fraction)).round_money()
            };
            balance -= defaulted;
            book_default(prep, events, a, t, defaulted, pool, &mut out);
        }
        // The one rule for an asset's scheduled flows (the trajectory uses it too).
        let f = asset_flows(prep, a, t, balance, prepayment_rate, smm);
        pool.balance[a] = f.closing;
        out.interest += f.interest;
        out.scheduled_principal += f.principal;
        out.prepayment += f.prepaid;
        out.closing_balance += f.closing;
    }
    finish_period(t, pool, out)
}

/// Recoveries, resolved exposure and charge-offs due in period `t`.
fn finish_period<N: Amount>(
    t: usize,
    pool: &mut PoolScratch<N>,
    mut out: PoolPeriod<N>,
) -> PoolPeriod<N> {
    out.recovery = pool.pending_cash[t];
    let resolved = pool.pending_exposure[t];
    pool.pending_exposure_total -= resolved;
    out.realized_loss = resolved - out.recovery;
    out.pending_exposure = pool.pending_exposure_total;
    out.charged_off = pool.pending_charge_off[t];
    pool.uncharged_total -= out.charged_off;
    out.uncharged_default = pool.uncharged_total;
    pool.cumulative_defaulted += out.defaulted;
    out.cumulative_defaulted = pool.cumulative_defaulted;
    out
}

impl<N: Amount> PoolPeriod<N> {
    fn default_zero() -> Self {
        PoolPeriod {
            period: 0,
            opening_balance: N::ZERO,
            defaulted: N::ZERO,
            interest: N::ZERO,
            scheduled_principal: N::ZERO,
            prepayment: N::ZERO,
            sold_at_call: N::ZERO,
            recovery: N::ZERO,
            realized_loss: N::ZERO,
            closing_balance: N::ZERO,
            pending_exposure: N::ZERO,
            charged_off: N::ZERO,
            uncharged_default: N::ZERO,
            cumulative_defaulted: N::ZERO,
        }
    }

    /// Cash the pool paid into the plan this period.
    pub fn collections(&self) -> N {
        self.interest + self.scheduled_principal + self.prepayment + self.recovery
    }
}
