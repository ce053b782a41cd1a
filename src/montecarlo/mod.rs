//! The Monte Carlo driver: paths of correlated credit events through the deal's one waterfall,
//! in parallel, reproducible for any thread count.
//!
//! Paths run in chunks of [`CHUNK`] on a rayon pool; each path draws from its own stream keyed
//! by (seed, path index) and writes one row of numbers. Chunks are handed to the caller in path
//! order (so the per-path file is written in order and statistics are reduced in order), and
//! only per-path rows are kept — no per-period arrays per path: per-date statistics are
//! accumulated per chunk (O(tranches × dates)) and merged in chunk order.

pub mod by_date;
mod columns;
pub mod fan;
mod importance;
pub mod path;
pub mod stream;
pub mod summary;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::credit::{CreditSampler, NO_DEFAULT};
use crate::dates::years_between;
use crate::deal::Deal;
use crate::engine::{Prepared, Scratch, run_from, run_path};
use crate::metrics::YieldConvention;
use crate::metrics::exact::ExactSum;
use by_date::DateMoments;
use fan::{FanHistogram, FanRow};
use path::{Folded, PathRecorder, References, TrancheInputs, column_names};
pub use summary::ImportanceReport;
pub use summary::{InMemory, RowSource};
use summary::{PoolStats, TrancheDateStats, TrancheInfo, TrancheStats, summarise};

/// Paths per chunk (the unit of parallel work and of writing).
pub const CHUNK: usize = 4096;

/// The most worker threads a run may ask for (more than this is a mistyped number: the
/// paths are CPU-bound, so threads beyond the cores only add overhead).
pub const MAX_THREADS: usize = 1024;

/// How to run.
#[derive(Debug, Clone, Copy)]
pub struct McOptions {
    pub paths: u64,
    pub seed: u64,
    /// Worker threads; 0 = all cores, otherwise 1..=[`MAX_THREADS`].
    pub threads: usize,
    /// Importance sampling toward the loss region of this tranche (index in the deal's
    /// tranche order); `None` for plain Monte Carlo.
    pub importance: Option<usize>,
}

impl McOptions {
    /// The worker threads this run uses (`threads` 0 = every core).
    pub fn threads_used(&self) -> usize {
        worker_threads(self.threads)
    }
}

/// Everything a run produced besides the per-path rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct McResults {
    pub paths: u64,
    pub seed: u64,
    pub generator: std::borrow::Cow<'static, str>,
    pub columns: Vec<String>,
    /// How every yield (`tranches[..].yield_at_par`, the paths' yield column) is quoted.
    pub yield_convention: YieldConvention,
    pub pool: PoolStats,
    pub tranches: Vec<TrancheStats>,
    /// Per tranche and payment date: mean and standard error of the cumulative loss and the
    /// balance over paths, yuan (tranche-major, then date).
    pub tranche_by_date: Vec<TrancheDateStats>,
    /// Performing pool balance per payment date across paths, yuan.
    pub pool_balance_fan: Vec<FanRow>,
    /// Senior classes' total balance per payment date across paths, yuan.
    pub senior_balance_fan: Vec<FanRow>,
    /// How the paths were sampled, when by importance sampling (`None`: plain Monte Carlo,
    /// every path weighs 1).
    #[serde(default)]
    pub importance_sampling: Option<ImportanceReport>,
}

/// Why a Monte Carlo did not finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum McError {
    /// Stopped (Ctrl-C, SIGTERM) at a chunk boundary before all paths ran.
    #[error("interrupted")]
    Interrupted,
    /// The worker threads could not be started.
    #[error("cannot start {threads} worker threads: {reason}")]
    Threads { threads: usize, reason: String },
}

/// The worker threads a run asking for `requested` uses (0 = every core).
pub fn worker_threads(requested: usize) -> usize {
    if requested == 0 {
        rayon::current_num_threads().max(1)
    } else {
        requested
    }
}

/// Paths `start..end` of a run: whole chunks of [`CHUNK`] paths (the last one may be short).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathRange {
    pub start: u64,
    pub end: u64,
}

impl PathRange {
    /// Every path of a run of `paths`.
    pub fn all(paths: u64) -> Self {
        PathRange {
            start: 0,
            end: paths,
        }
    }

    /// Shard `index` (0-based) of `count` of a run of `paths`: contiguous whole chunks, the
    /// chunks shared out as evenly as they go (a shard may be empty when there are fewer
    /// chunks than shards).
    pub fn shard(paths: u64, index: u64, count: u64) -> Self {
        let chunks = paths.div_ceil(CHUNK as u64);
        let at = |k: u64| {
            let chunk = (u128::from(chunks) * u128::from(k) / u128::from(count.max(1))) as u64;
            (chunk * CHUNK as u64).min(paths)
        };
        PathRange {
            start: at(index),
            end: at(index + 1),
        }
    }

    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// What a range of paths added to the run's statistics besides its rows: the per-date moments
/// and the balance fans, as exact sums, so that the totals of shards merge to the bits of a
/// single run ([`RangeTotals::merge`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RangeTotals {
    pub range: PathRange,
    pub pool_fan: FanHistogram<ExactSum>,
    pub senior_fan: FanHistogram<ExactSum>,
    pub loss_by_date: DateMoments<ExactSum>,
    pub balance_by_date: DateMoments<ExactSum>,
}

impl RangeTotals {
    fn new(setup: &Setup, range: PathRange) -> Self {
        let references = &setup.default_free.references;
        RangeTotals {
            range,
            pool_fan: FanHistogram::new(&references.pool_share),
            senior_fan: FanHistogram::new(&references.senior_share),
            loss_by_date: DateMoments::new(references.loss.clone()),
            balance_by_date: DateMoments::new(references.balance.clone()),
        }
    }

    /// Adds the totals of the range that follows this one; `Err` when it does not follow it
    /// or measures other cells (another deal).
    pub fn merge(&mut self, next: &RangeTotals) -> Result<(), String> {
        if next.range.start != self.range.end {
            return Err(format!(
                "paths {}..{} do not follow paths {}..{}",
                next.range.start, next.range.end, self.range.start, self.range.end
            ));
        }
        if !(self.pool_fan.same_bins(&next.pool_fan)
            && self.senior_fan.same_bins(&next.senior_fan)
            && self.loss_by_date.same_cells(&next.loss_by_date)
            && self.balance_by_date.same_cells(&next.balance_by_date))
        {
            return Err("the per-date statistics are of another deal".into());
        }
        self.pool_fan.merge(&next.pool_fan);
        self.senior_fan.merge(&next.senior_fan);
        self.loss_by_date.merge(&next.loss_by_date);
        self.balance_by_date.merge(&next.balance_by_date);
        self.range.end = next.range.end;
        Ok(())
    }
}

/// What [`simulate_range`] produced besides the rows it handed out.
#[derive(Debug, Clone)]
pub struct RangeRun {
    pub totals: RangeTotals,
    /// The factors' shift of an importance-sampled run (the same for every range of a run:
    /// the pilot has its own seed stream).
    pub shift: Option<crate::credit::FactorShift>,
    pub columns: Vec<String>,
}

/// Runs the Monte Carlo. `on_chunk(first_path, rows)` receives each chunk's rows in path order
/// (row width = `columns.len()`), and `progress(paths_done)` after each batch.
pub fn simulate(
    deal: &Deal,
    options: McOptions,
    mut on_chunk: impl FnMut(u64, &[f64]),
    progress: impl FnMut(u64),
) -> Result<McResults, McError> {
    let mut setup = Setup::new(deal);
    // One row of numbers per path; reserved up to 4 M paths, grown beyond.
    let width = setup.columns.len();
    let mut rows: Vec<f64> = Vec::with_capacity(options.paths.min(4_000_000) as usize * width);
    let run = simulate_range_with(
        &mut setup,
        deal,
        options,
        PathRange::all(options.paths),
        |first, chunk| {
            on_chunk(first, chunk);
            rows.extend_from_slice(chunk);
        },
        progress,
    )?;
    let rows = summary::InMemory { rows: &rows, width };
    Ok(
        results(deal, options, run.shift.as_ref(), &run.totals, &rows)
            .expect("rows in memory read without error"),
    )
}

/// Runs the paths of `range` of the run `options` describes: `on_chunk(first_path, rows)`
/// receives their rows in path order. The rows and the totals of the ranges of a run, in path
/// order, are what [`summarise_paths`] makes the run's results of.
pub fn simulate_range(
    deal: &Deal,
    options: McOptions,
    range: PathRange,
    on_chunk: impl FnMut(u64, &[f64]),
    progress: impl FnMut(u64),
) -> Result<RangeRun, McError> {
    simulate_range_with(
        &mut Setup::new(deal),
        deal,
        options,
        range,
        on_chunk,
        progress,
    )
}

/// The results of a run from the rows of all its paths (in path order: in memory or streamed
/// from `paths.bin`) and the merged totals of its ranges: the same bits as [`simulate`] gives,
/// however the paths were split.
pub fn summarise_paths(
    deal: &Deal,
    options: McOptions,
    shift: Option<crate::credit::FactorShift>,
    totals: &RangeTotals,
    rows: &dyn RowSource,
) -> std::io::Result<McResults> {
    results(deal, options, shift.as_ref(), totals, rows)
}

fn simulate_range_with(
    setup: &mut Setup,
    deal: &Deal,
    options: McOptions,
    range: PathRange,
    mut on_chunk: impl FnMut(u64, &[f64]),
    mut progress: impl FnMut(u64),
) -> Result<RangeRun, McError> {
    let threads = worker_threads(options.threads);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| McError::Threads {
            threads,
            reason: e.to_string(),
        })?;
    if let Some(tranche) = options.importance {
        pool.install(|| setup.calibrate_importance(deal, tranche, options.seed));
    }
    let setup = &*setup;
    let chunk = CHUNK as u64;
    let (first, end) = (range.start / chunk, range.end.div_ceil(chunk));
    let batch = (threads * 4) as u64;
    let mut totals = RangeTotals::new(setup, range);
    // Each batch's row buffers are an earlier batch's, handed back: a fresh buffer per chunk
    // would be a fresh mapping of memory per chunk, paid in page faults.
    let mut spare: Vec<Vec<f64>> = Vec::new();
    let compute = |from: u64, buffers: Vec<Vec<f64>>| -> Vec<ChunkResult> {
        buffers
            .into_par_iter()
            .enumerate()
            .map(|(k, rows)| {
                let c = from + k as u64;
                let start = (c * chunk).max(range.start);
                let stop = ((c + 1) * chunk).min(range.end);
                setup.run_chunk(options.seed, start, stop, rows)
            })
            .collect()
    };
    // Pipelined: the pool computes the next batch while this thread hands the last one's rows
    // to `on_chunk` (writing paths.bin) and adds its totals, so no core waits for the writing.
    // Batches are handed over in path order.
    let (mut next, mut done) = (first, first);
    let mut pending: Option<Vec<ChunkResult>> = None;
    while done < end {
        if crate::cancel::requested() {
            return Err(McError::Interrupted);
        }
        let last = (next + batch).min(end);
        let buffers: Vec<Vec<f64>> = (next..last)
            .map(|_| spare.pop().unwrap_or_default())
            .collect();
        let mut computed: Option<Vec<ChunkResult>> = None;
        pool.in_place_scope(|scope| {
            if next < last {
                let (computed, compute) = (&mut computed, &compute);
                scope.spawn(move |_| *computed = Some(compute(next, buffers)));
            }
            if let Some(results) = pending.take() {
                for (k, result) in results.iter().enumerate() {
                    on_chunk(((done + k as u64) * chunk).max(range.start), &result.rows);
                    // Exact sums: the same totals for any thread count, batching or sharding.
                    totals.pool_fan.add_chunk(&result.pool_fan);
                    totals.senior_fan.add_chunk(&result.senior_fan);
                    totals.loss_by_date.add_chunk(&result.loss_by_date);
                    totals.balance_by_date.add_chunk(&result.balance_by_date);
                }
                done += results.len() as u64;
                spare.extend(results.into_iter().map(|r| r.rows));
                progress((done * chunk).min(range.end) - range.start);
            }
        });
        pending = computed;
        next = last;
    }
    Ok(RangeRun {
        totals,
        shift: setup.shift.clone(),
        columns: setup.columns.clone(),
    })
}

/// The run's results from every path's row (in path order), the run's totals and the
/// importance-sampling shift: what the summaries need of the deal is read from the deal itself
/// (no projected pool, no default-free path), so a merge or a streamed run pays for neither
/// twice.
fn results(
    deal: &Deal,
    options: McOptions,
    shift: Option<&crate::credit::FactorShift>,
    totals: &RangeTotals,
    rows: &dyn RowSource,
) -> std::io::Result<McResults> {
    let amount = |a| crate::money::Amount::to_f64(a);
    let structure = &deal.structure.tranches;
    let tranches: Vec<TrancheInfo> = structure
        .iter()
        .map(|t| TrancheInfo {
            name: t.name.clone(),
            original_balance: amount(t.balance),
            has_coupon: crate::money::Amount::gt_zero(t.coupon),
        })
        .collect();
    let senior_original: f64 = structure
        .iter()
        .filter(|t| t.senior)
        .map(|t| amount(t.balance))
        .sum();
    let names: Vec<String> = tranches.iter().map(|t| t.name.clone()).collect();
    let tranche_by_date = summary::tranche_by_date(
        &tranches,
        &deal.period_ends,
        &totals.loss_by_date,
        &totals.balance_by_date,
    );
    let weighted = shift.is_some_and(|s| !s.is_zero());
    let summarise_all = || {
        summarise(
            rows,
            &tranches,
            deal.pool.obligors.len(),
            deal.frequency.per_year(),
            weighted,
            options.importance,
        )
    };
    // The columns are summarised in parallel, each in path order: the same results on any
    // number of threads.
    let summary = match rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads_used())
        .build()
    {
        Ok(pool) => pool.install(summarise_all),
        Err(_) => summarise_all(),
    }?;
    let importance_sampling = options.importance.zip(shift).map(|(i, shift)| {
        ImportanceReport::new(
            &summary.weights,
            options.paths,
            &tranches[i],
            &summary.tranches[i],
            shift.clone(),
        )
    });
    Ok(McResults {
        paths: options.paths,
        seed: options.seed,
        generator: stream::GENERATOR.into(),
        columns: column_names(&names),
        yield_convention: YieldConvention::of(deal.frequency),
        pool: summary.pool,
        tranches: summary.tranches,
        tranche_by_date,
        pool_balance_fan: totals.pool_fan.bands(amount(deal.pool.balance())),
        senior_balance_fan: totals.senior_fan.bands(senior_original),
        importance_sampling,
    })
}

/// Runs a single path with the given seed and index in `N`, for tests and diagnostics: the
/// same draws and the same waterfall as inside [`simulate`].
pub fn run_one_path<N: crate::money::Amount, R: crate::engine::Recorder<N>>(
    deal: &Deal,
    seed: u64,
    path: u64,
    recorder: &mut R,
) {
    let sampler = CreditSampler::new(deal);
    let prep: Prepared<N> = Prepared::for_deal(deal).with_trajectory(sampler.prepayment_rate());
    let mut scratch = Scratch::new(&prep, sampler.max_lag());
    let mut draws = sampler.new_draws();
    sampler.draw(&mut stream::path_rng(seed, path), &mut draws);
    run_path(&prep, &sampler.events(&draws), &mut scratch, recorder);
}

/// Shared, read-only inputs of every path.
struct Setup {
    sampler: CreditSampler,
    prep: Prepared<f64>,
    years: Vec<f64>,
    tranche_original: Vec<f64>,
    senior: Vec<bool>,
    has_coupon: Vec<bool>,
    /// Compounding periods per year of the yields (the deal's payment frequency).
    per_year: u32,
    yield_guess: Vec<f64>,
    columns: Vec<String>,
    /// Last period in which each obligor still owes principal: a later default is no default.
    obligor_horizon: Vec<u32>,
    default_free: DefaultFree,
    /// The factors' shift under importance sampling (`None`: plain Monte Carlo; a zero shift
    /// when the target tranche's loss region is not in the tail).
    shift: Option<crate::credit::FactorShift>,
    /// ν of a Student-t copula (`None`: Gaussian).
    student_t_df: Option<f64>,
}

/// The path on which nothing happens (no obligor or promisor defaults), run once. A path is
/// that path up to its first event: it starts from the saved state at that date instead of
/// from closing, and a path whose first event comes after the deal has ended is that path.
/// Both give the same numbers as running the path from closing (the dates before the event
/// are the same computation on the same state).
struct DefaultFree {
    /// Per date the default-free path ran: the engine's state and the recorder's folds at the
    /// start of that date.
    states: Vec<(Scratch<f64>, Folded)>,
    /// The recorder's cash per tranche and date at the end of the path.
    cash: Vec<f64>,
    /// Dates it ran (it may end early: clean-up call, pool exhausted).
    periods_run: usize,
    row: Vec<f64>,
    references: References,
}

struct ChunkResult {
    rows: Vec<f64>,
    pool_fan: FanHistogram,
    senior_fan: FanHistogram,
    loss_by_date: DateMoments,
    balance_by_date: DateMoments,
}

/// Obligors in default on a path: those whose drawn default period is one the path ran (at or
/// before its last payment date, which may come before the deal's last: clean-up call, pool
/// exhausted) and at or before the last period they still owe principal (`horizon`). A default
/// drawn later never happens in the deal.
fn defaulted_obligors(
    defaulted: &[u32],
    defaults: &[u32],
    horizon: &[u32],
    last_period: usize,
) -> usize {
    let last = u32::try_from(last_period).unwrap_or(u32::MAX);
    defaulted
        .iter()
        .map(|&o| (defaults[o as usize], horizon[o as usize]))
        .filter(|(d, h)| *d != NO_DEFAULT && *d <= last && *d <= *h)
        .count()
}

impl Setup {
    fn new(deal: &Deal) -> Self {
        let tranches = &deal.structure.tranches;
        let names: Vec<String> = tranches.iter().map(|t| t.name.clone()).collect();
        let tranche_original: Vec<f64> = tranches
            .iter()
            .map(|t| crate::money::Amount::to_f64(t.balance))
            .collect();
        let senior: Vec<bool> = tranches.iter().map(|t| t.senior).collect();
        let has_coupon: Vec<bool> = tranches
            .iter()
            .map(|t| crate::money::Amount::gt_zero(t.coupon))
            .collect();
        let sampler = CreditSampler::new(deal);
        let prep: Prepared<f64> =
            Prepared::for_deal(deal).with_trajectory(sampler.prepayment_rate());
        let mut obligor_horizon = vec![0u32; deal.pool.obligors.len()];
        for (a, asset) in deal.pool.assets.iter().enumerate() {
            let last = (0..prep.periods)
                .rev()
                .find(|&t| prep.projection.principal_fraction[prep.projection.at(a, t)] > 0.0);
            // An asset still owing after the last period counts up to the end.
            let last = last.map_or(prep.periods as u32, |t| t as u32);
            obligor_horizon[asset.obligor] = obligor_horizon[asset.obligor].max(last);
        }
        let mut setup = Setup {
            sampler,
            prep,
            obligor_horizon,
            shift: None,
            student_t_df: match deal.credit.copula {
                crate::credit::Copula::StudentT { df } => Some(df),
                crate::credit::Copula::Gaussian => None,
            },
            default_free: DefaultFree {
                states: Vec::new(),
                cash: Vec::new(),
                periods_run: 0,
                row: Vec::new(),
                references: References::zero(0, 0),
            },
            years: deal
                .period_ends
                .iter()
                .map(|d| years_between(deal.closing, *d))
                .collect(),
            // A par bond yields about its coupon: the start of each path's yield search.
            yield_guess: tranches
                .iter()
                .map(|t| crate::money::Amount::to_f64(t.coupon))
                .collect(),
            columns: column_names(&names),
            tranche_original,
            senior,
            has_coupon,
            per_year: deal.frequency.per_year(),
        };
        setup.default_free = setup.run_default_free();
        setup
    }

    fn recorder(&self, references: &References) -> PathRecorder<'_> {
        PathRecorder::new(
            &self.years,
            TrancheInputs {
                original: &self.tranche_original,
                senior: &self.senior,
                has_coupon: &self.has_coupon,
                coupon: &self.yield_guess,
            },
            self.prep.original_pool_balance,
            self.per_year,
            references,
        )
    }

    fn run_default_free(&self) -> DefaultFree {
        let (tranches, periods) = (self.tranche_original.len(), self.prep.periods);
        let mut scratch = Scratch::new(&self.prep, self.sampler.max_lag());
        let draws = self.sampler.new_draws();
        let mut recorder = self.recorder(&References::zero(tranches, periods));
        recorder.start_trace();
        recorder.start_path();
        let mut states = Vec::with_capacity(periods);
        scratch.reset(&self.prep);
        let periods_run = run_from(
            &self.prep,
            &self.sampler.events(&draws),
            &mut scratch,
            &mut recorder,
            0,
            |_, scratch, recorder| states.push((scratch.clone(), recorder.folded().clone())),
        );
        let trace = recorder.take_trace();
        let cash = recorder.cash().to_vec();
        let mut row = vec![0.0; self.columns.len()];
        recorder.finish_path(0, &self.yield_guess, &mut row);
        DefaultFree {
            states,
            cash,
            periods_run,
            row,
            references: References::from_trace(&trace, tranches, periods),
        }
    }

    /// Paths `start..end`, their rows written into `rows` (an earlier chunk's buffer, or a
    /// new one: resized, its old values overwritten).
    fn run_chunk(&self, seed: u64, start: u64, end: u64, mut rows: Vec<f64>) -> ChunkResult {
        let width = self.columns.len();
        rows.clear();
        rows.resize((end - start) as usize * width, 0.0);
        let mut scratch = Scratch::new(&self.prep, self.sampler.max_lag());
        let mut draws = self.sampler.new_draws();
        let free = &self.default_free;
        let mut recorder = self.recorder(&free.references);
        for (k, row) in rows.chunks_exact_mut(width).enumerate() {
            let mut rng = stream::path_rng(seed, start + k as u64);
            self.sampler.draw(&mut rng, &mut draws);
            recorder.set_weight(draws.weight);
            let first = draws.first_event() as usize;
            if first >= free.periods_run {
                recorder.default_free_path();
                row.copy_from_slice(&free.row);
                row[path::WEIGHT_COLUMN] = draws.weight;
                continue;
            }
            let (state, folded) = &free.states[first];
            scratch.restore(state);
            recorder.resume(first, folded, &free.cash);
            run_from(
                &self.prep,
                &self.sampler.events(&draws),
                &mut scratch,
                &mut recorder,
                first,
                |_, _, _| {},
            );
            let defaulted = defaulted_obligors(
                &draws.defaulted,
                &draws.obligor_default,
                &self.obligor_horizon,
                recorder.last_period(),
            );
            recorder.finish_path(defaulted, &self.yield_guess, row);
        }
        ChunkResult {
            rows,
            pool_fan: recorder.pool_fan,
            senior_fan: recorder.senior_fan,
            loss_by_date: recorder.loss_by_date,
            balance_by_date: recorder.balance_by_date,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_after_the_paths_last_date_do_not_count() {
        // Obligors drawn to default at periods 0, 3, 5, 9 and never; each owes principal up to
        // period 8 except the second (to 2: its default at 3 comes after it repaid).
        let defaults = [0, 3, 5, 9, NO_DEFAULT];
        let drawn = [0, 1, 2, 3];
        let horizon = [8, 2, 8, 8, 8];
        // The path ran to the deal's last date (index 9, the tenth).
        assert_eq!(defaulted_obligors(&drawn, &defaults, &horizon, 9), 2);
        // A clean-up call ended the path at period 4: the default drawn at 5 never happened.
        assert_eq!(defaulted_obligors(&drawn, &defaults, &horizon, 4), 1);
        // The default on the last date itself counts.
        assert_eq!(defaulted_obligors(&drawn, &defaults, &horizon, 5), 2);
        assert_eq!(defaulted_obligors(&drawn, &defaults, &[9; 5], 9), 4);
    }
}
