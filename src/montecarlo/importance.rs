//! Where importance sampling moves the factors, calibrated on the deal's own waterfall.
//!
//! The tail-bound rule of [`crate::credit::importance`] sees the pool as Bernoulli losses at
//! closing exposures against the tranche's subordination; the deal's waterfall also has
//! amortisation, recoveries and excess spread, so the loss at which the tranche really starts
//! to lose is elsewhere. The shift is therefore refined by the cross-entropy method
//! (Rubinstein & Kroese 2004; for credit portfolios, e.g. Chan & Kroese 2010): pilot paths run
//! through the deal at the current mean μ, and μ moves to the likelihood-ratio-weighted mean of
//! the factors over the paths in the event — the estimate of E[Z | event], the mean of the
//! zero-variance sampling distribution's best normal approximation. While the target tranche
//! loses on fewer than [`ELITE_SHARE`] of the pilot paths, the event is the pilot's
//! [`ELITE_SHARE`] of paths that came closest — by the target's loss, then each junior class's
//! loss nearest first, then the pool's loss rate (the multilevel rule) — so μ walks toward
//! the tail. A
//! tranche that loses on at least that share of plain paths is not in the tail: no shift.
//!
//! Under the Student-t copula the joint tail comes mostly from the χ² mixing variable W (a
//! small W scales every latent variable up): the refinement also scales W's distribution,
//! Gamma(ν/2, 2c) instead of Gamma(ν/2, 2), with c the weighted maximum-likelihood E[W]/ν over
//! the event (kept in [0.05, 1]).
//!
//! A last pilot step at the chosen shift checks that it reduces the variance of the target's
//! P(loss); where it does not (no pilot path lost, or a factor below 1) the shift is dropped
//! and the run is plain Monte Carlo.
//!
//! The pilot draws from its own seed stream, and its paths are run in parallel but collected
//! in path order, so the shift — and with it the whole run — is the same for any thread count. Any shift gives unbiased results: the
//! refinement only changes the variance.
//!
//! The refinement also moves the mean of each support promisor's own normal (the tail-bound
//! rule leaves it at 0): where a tranche loses only when its guarantor fails too, the event
//! needs the promisor's default as much as the pool's losses.

use rayon::prelude::*;

use super::Setup;
use super::path::{LOSS_EPSILON, POOL_COLUMNS, TRANCHE_COLUMNS, WEIGHT_COLUMN};
use super::summary::variance_reduction;
use super::{CHUNK, stream};
use crate::deal::Deal;

/// Pilot paths per cross-entropy step.
const PILOT_PATHS: u64 = CHUNK as u64;
/// Pieces of a step run in parallel.
const PILOT_PIECES: u64 = 8;
/// At most this many steps.
const MAX_STEPS: u32 = 8;
/// The elite share of the pilot paths (the multilevel rule's quantile).
const ELITE_SHARE: f64 = 0.1;
/// Added to the run's seed for the pilot's streams (independent of the run's paths).
const PILOT_SEED: u64 = 0x5049_4C4F_545F_4345;

impl Setup {
    /// Chooses the factors' shift toward tranche `tranche`'s loss region and sets it.
    pub(super) fn calibrate_importance(&mut self, deal: &Deal, tranche: usize, seed: u64) {
        let mut shift = crate::credit::importance::shift_for_tranche(deal, &self.sampler, tranche);
        // From the tail-bound start, or from no shift where the rule sees no tail (its
        // Bernoulli pool overstates losses that amortisation and excess spread absorb).
        // How close a path came to the event: the target's loss, then each junior class's
        // (nearest first), then the pool's loss rate, compared in that order.
        let tranches = &deal.structure.tranches;
        let mut juniors: Vec<usize> = (0..tranches.len())
            .filter(|&j| tranches[j].rank > tranches[tranche].rank)
            .collect();
        juniors.sort_by_key(|&j| tranches[j].rank);
        let loss_column = |j: usize| POOL_COLUMNS.len() + TRANCHE_COLUMNS.len() * j;
        let mut score: Vec<usize> = std::iter::once(tranche)
            .chain(juniors)
            .map(loss_column)
            .collect();
        score.push(1); // pool_loss_rate
        let seed = seed.wrapping_add(PILOT_SEED);
        self.refine(&mut shift, tranche, &score, seed);
        if !shift.is_zero() {
            // Keep the shift only if fresh pilot paths say it reduces the variance: a copula
            // whose tail comes from elsewhere (the Student-t mixing variable) may not gain.
            self.sampler.set_shift(&shift);
            let start = u64::from(MAX_STEPS) * PILOT_PATHS;
            let factor = self.pilot_variance_reduction(tranche, seed, start);
            shift.pilot_paths += PILOT_PATHS;
            shift.pilot_variance_reduction = factor;
            if factor.is_none_or(|f| f < 1.0) {
                shift.global = 0.0;
                shift.sectors.iter_mut().for_each(|m| *m = 0.0);
                shift.promisors.iter_mut().for_each(|m| *m = 0.0);
                shift.mixing_scale = 1.0;
            }
        }
        self.sampler.set_shift(&shift);
        self.shift = Some(shift);
    }

    /// The rows of pilot paths `start..start + PILOT_PATHS`, in parallel on the run's pool in
    /// pieces collected in path order (the same rows for any thread count).
    fn pilot_rows(&self, seed: u64, start: u64) -> Vec<f64> {
        let piece = PILOT_PATHS / PILOT_PIECES;
        (0..PILOT_PIECES)
            .into_par_iter()
            .map(|j| {
                let from = start + j * piece;
                self.run_chunk(seed, from, from + piece, Vec::new()).rows
            })
            .collect::<Vec<_>>()
            .concat()
    }

    /// The variance-reduction factor of the target's P(loss) at the current shift, on fresh
    /// pilot paths; `None` when none of them lost.
    fn pilot_variance_reduction(&self, tranche: usize, seed: u64, start: u64) -> Option<f64> {
        let width = self.columns.len();
        let base = POOL_COLUMNS.len() + TRANCHE_COLUMNS.len() * tranche;
        let original = self.tranche_original[tranche];
        let rows = self.pilot_rows(seed, start);
        let n = (rows.len() / width) as f64;
        let (mut sum, mut squares) = (0.0, 0.0);
        for row in rows.chunks_exact(width) {
            if row[base] * original > LOSS_EPSILON {
                let w = row[WEIGHT_COLUMN];
                sum += w;
                squares += w * w;
            }
        }
        let p = sum / n;
        // Every losing path with the same weight leaves no variance: as good as it gets.
        (sum > 0.0).then(|| {
            variance_reduction(p * (1.0 - p), squares / n - p * p).unwrap_or(f64::INFINITY)
        })
    }

    fn refine(
        &mut self,
        shift: &mut crate::credit::FactorShift,
        tranche: usize,
        score: &[usize],
        seed: u64,
    ) {
        let width = self.columns.len();
        let base = POOL_COLUMNS.len() + TRANCHE_COLUMNS.len() * tranche;
        let original = self.tranche_original[tranche];
        let mut draws = self.sampler.new_draws();
        for step in 0..MAX_STEPS {
            self.sampler.set_shift(shift);
            let start = u64::from(step) * PILOT_PATHS;
            let rows = self.pilot_rows(seed, start);
            // (score, target lost, weight, factors) per pilot path; the factors are drawn
            // again (the same stream gives the same draws).
            let mut pilot: Vec<(Vec<f64>, bool, f64, Vec<f64>)> = rows
                .chunks_exact(width)
                .enumerate()
                .map(|(k, row)| {
                    self.sampler
                        .draw(&mut stream::path_rng(seed, start + k as u64), &mut draws);
                    let mut factors = vec![draws.global_factor];
                    factors.extend_from_slice(draws.sector_factors());
                    factors.extend_from_slice(draws.promisor_normals());
                    factors.push(draws.mixing);
                    let closeness = score.iter().map(|&c| row[c]).collect();
                    (
                        closeness,
                        row[base] * original > LOSS_EPSILON,
                        draws.weight,
                        factors,
                    )
                })
                .collect();
            let n = pilot.len();
            let hits = pilot.iter().filter(|p| p.1).count();
            let reached = hits as f64 >= ELITE_SHARE * n as f64;
            if reached && shift.is_zero() {
                // The tranche loses on a tenth of plain paths or more: not a tail, no shift.
                shift.pilot_paths += n as u64;
                break;
            }
            let elite: Vec<&(Vec<f64>, bool, f64, Vec<f64>)> = if reached {
                pilot.iter().filter(|p| p.1).collect()
            } else {
                let closer = |a: &[f64], b: &[f64]| {
                    a.iter()
                        .zip(b)
                        .map(|(x, y)| y.total_cmp(x))
                        .find(|o| o.is_ne())
                        .unwrap_or(std::cmp::Ordering::Equal)
                };
                pilot.sort_by(|a, b| closer(&a.0, &b.0));
                let keep = ((ELITE_SHARE * n as f64).ceil() as usize).max(1);
                pilot
                    .iter()
                    .take(keep)
                    .filter(|p| p.0.iter().any(|x| *x > 0.0))
                    .collect()
            };
            let total: f64 = elite.iter().map(|p| p.2).sum();
            if elite.is_empty() || total <= 0.0 || !total.is_finite() {
                break;
            }
            let mean = |k: usize| elite.iter().map(|p| p.2 * p.3[k]).sum::<f64>() / total;
            shift.global = mean(0);
            let sectors = shift.sectors.len();
            for (s, mu) in shift.sectors.iter_mut().enumerate() {
                *mu = mean(1 + s);
            }
            let promisors = shift.promisors.len();
            for (p, mu) in shift.promisors.iter_mut().enumerate() {
                *mu = mean(1 + sectors + p);
            }
            if let Some(df) = self.student_t_df {
                // The scale of a Gamma(ν/2, ·) by weighted maximum likelihood: E[W]/ν.
                shift.mixing_scale = (mean(1 + sectors + promisors) / df).clamp(0.05, 1.0);
            }
            shift.pilot_iterations = step + 1;
            shift.pilot_paths += n as u64;
            if reached {
                break;
            }
        }
    }
}
