//! One generic RANSAC driver. A problem plugs in by implementing
//! [`Estimator`] (minimal-sample size, a fit that works on a minimal sample
//! and as least squares on many, a residual); the driver samples with a
//! seeded ChaCha8 RNG, scores hypotheses with the truncated-quadratic MSAC
//! cost, stops adaptively at the requested confidence and refits the best
//! model to all its inliers.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A model family RANSAC can estimate.
pub trait Estimator {
    /// One observation (a point, a correspondence, ...).
    type Datum: Clone;
    /// The estimated model.
    type Model: Clone;
    /// Data in a minimal sample.
    const SAMPLE_SIZE: usize;
    /// Fits a model to a minimal sample, or in the least-squares sense to
    /// more data; `None` when the data are degenerate or the model is not
    /// admissible.
    fn fit(&self, sample: &[Self::Datum]) -> Option<Self::Model>;
    /// Non-negative residual of one datum under a model (same unit as
    /// [`RansacConfig::threshold`]).
    fn residual(&self, model: &Self::Model, datum: &Self::Datum) -> f64;
}

/// Settings of the driver.
#[derive(Debug, Clone, PartialEq)]
pub struct RansacConfig {
    /// Inlier threshold on the residual (the estimator's unit, e.g. metres).
    pub threshold: f64,
    /// Upper bound on hypotheses (default 1000).
    pub max_iterations: usize,
    /// Probability of having drawn one all-inlier sample before stopping
    /// early (default 0.999).
    pub confidence: f64,
    /// Fewest inliers a result must have (default 0: the sample size).
    pub min_inliers: usize,
    /// RNG seed (default 0): same seed and data, same result.
    pub seed: u64,
}

impl Default for RansacConfig {
    fn default() -> Self {
        RansacConfig { threshold: 0.01, max_iterations: 1000, confidence: 0.999, min_inliers: 0, seed: 0 }
    }
}

/// A RANSAC result.
#[derive(Debug, Clone, PartialEq)]
pub struct RansacFit<M> {
    /// The model refit to its inliers.
    pub model: M,
    /// Indices of the data within the threshold of `model`, ascending.
    pub inliers: Vec<usize>,
    /// Hypotheses drawn.
    pub iterations: usize,
    /// Root-mean-square residual of the inliers.
    pub rms: f64,
}

/// Why RANSAC produced no model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RansacError {
    #[error("RANSAC needs at least {needed} data, got {got}")]
    TooFewData { needed: usize, got: usize },
    #[error("RANSAC threshold must be positive and finite, got {0}")]
    BadThreshold(f64),
    #[error("RANSAC found no model with at least {needed} inliers in {iterations} iterations (best had {best})")]
    NoModel { needed: usize, best: usize, iterations: usize },
}

/// Robustly estimates a model from `data` (see the module docs).
pub fn ransac<E: Estimator>(est: &E, data: &[E::Datum], cfg: &RansacConfig) -> Result<RansacFit<E::Model>, RansacError> {
    let s = E::SAMPLE_SIZE.max(1);
    let n = data.len();
    if n < s {
        return Err(RansacError::TooFewData { needed: s, got: n });
    }
    if !(cfg.threshold.is_finite() && cfg.threshold > 0.0) {
        return Err(RansacError::BadThreshold(cfg.threshold));
    }
    let needed = cfg.min_inliers.max(s);
    let t2 = cfg.threshold * cfg.threshold;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut sample: Vec<E::Datum> = Vec::with_capacity(s);
    let mut best: Option<(f64, usize, E::Model)> = None; // (cost, inliers, model)
    let mut limit = cfg.max_iterations.max(1);
    let mut iterations = 0;
    while iterations < limit {
        iterations += 1;
        sample.clear();
        sample.extend(rand::seq::index::sample(&mut rng, n, s).iter().map(|i| data[i].clone()));
        let Some(model) = est.fit(&sample) else { continue };
        let (cost, count) = score(est, &model, data, t2);
        if best.as_ref().is_none_or(|b| cost < b.0) {
            best = Some((cost, count, model));
            // Adaptive stop: iterations for `confidence` at this inlier ratio.
            let w = count as f64 / n as f64;
            let p_good = w.powi(s as i32);
            if p_good >= 1.0 {
                limit = iterations;
            } else if p_good > 0.0 {
                let k = ((1.0 - cfg.confidence).ln() / (1.0 - p_good).ln()).ceil();
                if k.is_finite() && k >= 0.0 {
                    limit = limit.min((k as usize).max(iterations));
                }
            }
        }
    }
    let Some((_, count, model)) = best else {
        return Err(RansacError::NoModel { needed, best: 0, iterations });
    };
    let mut model = model;
    let mut inliers = inlier_indices(est, &model, data, cfg.threshold);
    // Least-squares refit on the inliers; keep it when it does not lose inliers.
    let chosen: Vec<E::Datum> = inliers.iter().map(|&i| data[i].clone()).collect();
    if let Some(refit) = est.fit(&chosen) {
        let again = inlier_indices(est, &refit, data, cfg.threshold);
        if again.len() >= inliers.len() {
            model = refit;
            inliers = again;
        }
    }
    if inliers.len() < needed {
        return Err(RansacError::NoModel { needed, best: count.max(inliers.len()), iterations });
    }
    let rms = (inliers.iter().map(|&i| est.residual(&model, &data[i]).powi(2)).sum::<f64>() / inliers.len() as f64).sqrt();
    Ok(RansacFit { model, inliers, iterations, rms })
}

/// MSAC cost (sum of residual² truncated at threshold²) and inlier count.
fn score<E: Estimator>(est: &E, model: &E::Model, data: &[E::Datum], t2: f64) -> (f64, usize) {
    data.iter().fold((0.0, 0), |(cost, count), d| {
        let r = est.residual(model, d);
        let r2 = r * r;
        if r2 <= t2 {
            (cost + r2, count + 1)
        } else {
            (cost + t2, count)
        }
    })
}

fn inlier_indices<E: Estimator>(est: &E, model: &E::Model, data: &[E::Datum], threshold: f64) -> Vec<usize> {
    data.iter().enumerate().filter(|(_, d)| est.residual(model, d) <= threshold).map(|(i, _)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2D line y = a x + b from points, for testing the driver alone.
    struct LineEstimator;

    impl Estimator for LineEstimator {
        type Datum = (f64, f64);
        type Model = (f64, f64);
        const SAMPLE_SIZE: usize = 2;
        fn fit(&self, s: &[(f64, f64)]) -> Option<(f64, f64)> {
            let n = s.len() as f64;
            let (sx, sy) = s.iter().fold((0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1));
            let (mx, my) = (sx / n, sy / n);
            let sxx: f64 = s.iter().map(|p| (p.0 - mx).powi(2)).sum();
            let sxy: f64 = s.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
            (sxx > 1e-12).then(|| (sxy / sxx, my - sxy / sxx * mx))
        }
        fn residual(&self, m: &(f64, f64), p: &(f64, f64)) -> f64 {
            (p.1 - (m.0 * p.0 + m.1)).abs()
        }
    }

    fn data() -> Vec<(f64, f64)> {
        let mut d: Vec<(f64, f64)> = (0..60).map(|i| (i as f64, 2.0 * i as f64 + 1.0 + if i % 2 == 0 { 0.01 } else { -0.01 })).collect();
        d.extend((0..40).map(|i| (i as f64 * 1.3, 100.0 - i as f64 * 7.0)));
        d
    }

    #[test]
    fn recovers_a_line_with_40_percent_outliers() {
        let cfg = RansacConfig { threshold: 0.05, ..Default::default() };
        let fit = ransac(&LineEstimator, &data(), &cfg).unwrap();
        assert!((fit.model.0 - 2.0).abs() < 1e-3 && (fit.model.1 - 1.0).abs() < 1e-2, "{:?}", fit.model);
        assert!(fit.inliers.len() >= 60 && fit.inliers.len() < 63);
        assert!(fit.rms < 0.02);
        assert!(fit.iterations < 1000, "adaptive stop: {}", fit.iterations);
        assert_eq!(fit, ransac(&LineEstimator, &data(), &cfg).unwrap(), "deterministic");
    }

    #[test]
    fn errors() {
        let cfg = RansacConfig::default();
        assert_eq!(ransac(&LineEstimator, &[(0.0, 0.0)], &cfg), Err(RansacError::TooFewData { needed: 2, got: 1 }));
        let bad = RansacConfig { threshold: f64::NAN, ..Default::default() };
        assert!(matches!(ransac(&LineEstimator, &data(), &bad), Err(RansacError::BadThreshold(_))));
        let strict = RansacConfig { threshold: 0.05, min_inliers: 90, ..Default::default() };
        assert!(matches!(ransac(&LineEstimator, &data(), &strict), Err(RansacError::NoModel { needed: 90, .. })));
        // All-degenerate data: every fit fails.
        let same = vec![(1.0, 1.0); 10];
        assert!(matches!(ransac(&LineEstimator, &same, &cfg), Err(RansacError::NoModel { best: 0, .. })));
    }
}
