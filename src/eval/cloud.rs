//! Point-cloud reconstruction metrics against a reference cloud: accuracy
//! (predicted → reference nearest-neighbour distances), completeness
//! (reference → predicted), Chamfer distance and F-score at a distance τ.

use super::traj::median;
use super::EvalError;
use crate::cloud::PointCloud;
use kiddo::{ImmutableKdTree, SquaredEuclidean};
use serde::Serialize;

/// Default F-score distance τ, metres (5 cm, as in Tanks-and-Temples-style
/// indoor evaluations).
pub const DEFAULT_TAU: f64 = 0.05;

/// Everything the cloud evaluation reports (metres unless said otherwise).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CloudReport {
    pub pred_points: usize,
    pub gt_points: usize,
    /// Median distance from each predicted point to the reference.
    pub accuracy_median: f64,
    pub accuracy_mean: f64,
    /// Median distance from each reference point to the prediction.
    pub completeness_median: f64,
    pub completeness_mean: f64,
    /// (accuracy_mean + completeness_mean) / 2.
    pub chamfer: f64,
    /// Fraction of predicted points within τ of the reference.
    pub precision: f64,
    /// Fraction of reference points within τ of the prediction.
    pub recall: f64,
    /// 2PR / (P + R), 0 when both are 0.
    pub fscore: f64,
    pub tau: f64,
}

fn to_f64(c: &PointCloud) -> Vec<[f64; 3]> {
    c.points.iter().map(|p| p.map(f64::from)).collect()
}

/// Distance from each query point to its nearest neighbour in `reference`.
pub fn nearest_distances(query: &[[f64; 3]], reference: &[[f64; 3]]) -> Result<Vec<f64>, EvalError> {
    let tree: ImmutableKdTree<f64, 3> = ImmutableKdTree::new_from_slice(reference)
        .map_err(|e| EvalError::Config(format!("cannot index the reference cloud: {e:?}")))?;
    let results = tree.query_batch(query).nearest_one::<SquaredEuclidean<f64>>().execute();
    Ok(results.iter().map(|r| r.distance.max(0.0).sqrt()).collect())
}

/// Scores a predicted cloud against a reference cloud.
pub fn evaluate_cloud(pred: &PointCloud, gt: &PointCloud, tau: f64) -> Result<CloudReport, EvalError> {
    if !tau.is_finite() || tau <= 0.0 {
        return Err(EvalError::Config(format!("tau must be a positive distance in metres, got {tau}")));
    }
    for (c, which) in [(pred, "predicted"), (gt, "reference")] {
        if c.is_empty() {
            return Err(EvalError::Config(format!("the {which} cloud has no points")));
        }
        if c.points.iter().any(|p| !p.iter().all(|v| v.is_finite())) {
            return Err(EvalError::Config(format!("the {which} cloud has a non-finite coordinate")));
        }
    }
    let (p, g) = (to_f64(pred), to_f64(gt));
    let acc = nearest_distances(&p, &g)?;
    let comp = nearest_distances(&g, &p)?;
    let within = |d: &[f64]| d.iter().filter(|&&x| x < tau).count() as f64 / d.len() as f64;
    let mean = |d: &[f64]| d.iter().sum::<f64>() / d.len() as f64;
    let (precision, recall) = (within(&acc), within(&comp));
    let fscore = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
    Ok(CloudReport {
        pred_points: p.len(),
        gt_points: g.len(),
        accuracy_median: median(&acc),
        accuracy_mean: mean(&acc),
        completeness_median: median(&comp),
        completeness_mean: mean(&comp),
        chamfer: 0.5 * (mean(&acc) + mean(&comp)),
        precision,
        recall,
        fscore,
        tau,
    })
}

/// The cloud moved by a similarity transform (e.g. the trajectory
/// alignment [`super::traj::TrajReport::est_to_gt`]), so a reconstruction
/// in its own frame and scale can be scored against a reference.
pub fn transform_cloud(c: &PointCloud, t: &crate::geom::umeyama::Sim3) -> PointCloud {
    let mut out = c.clone();
    out.transform_similarity(t);
    out
}

/// Reads a PLY cloud (vertices with non-finite coordinates are dropped by
/// the reader).
pub fn read_cloud(path: &std::path::Path) -> Result<PointCloud, EvalError> {
    Ok(crate::cloud::read_ply(path)?.cloud)
}

/// Reads a cloud to be scored: an error names the file when it holds no
/// point with finite coordinates, since no metric is defined then.
pub fn read_scored_cloud(path: &std::path::Path) -> Result<PointCloud, EvalError> {
    let c = read_cloud(path)?;
    if c.is_empty() {
        return Err(EvalError::BadInput {
            path: path.display().to_string(),
            message: "no points with finite coordinates (an empty cloud, or every vertex is NaN/inf)".into(),
        });
    }
    Ok(c)
}

/// Reads and scores PLY clouds: two files, or two folders of files matched
/// by name.
pub fn evaluate_cloud_paths(
    pred: &std::path::Path,
    gt: &std::path::Path,
    tau: f64,
) -> Result<super::files::Batch<CloudReport>, EvalError> {
    let pairs = super::files::pair_inputs(pred, gt, &["ply"])?;
    let mut items = Vec::new();
    for p in pairs {
        let (pred_cloud, gt_cloud) = (read_scored_cloud(&p.pred)?, read_scored_cloud(&p.gt)?);
        let r = evaluate_cloud(&pred_cloud, &gt_cloud, tau)?;
        items.push((p.name, r));
    }
    Ok(super::files::Batch { items })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(offset: f32, n: usize) -> PointCloud {
        let mut points = Vec::new();
        for i in 0..n {
            for j in 0..n {
                points.push([i as f32 * 0.1, j as f32 * 0.1, offset]);
            }
        }
        PointCloud { points, ..Default::default() }
    }

    #[test]
    fn empty_cloud_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.ply");
        let nan = dir.path().join("allnan.ply");
        crate::cloud::write_ply(&good, &grid(0.0, 3), crate::cloud::PlyEncoding::Ascii).unwrap();
        std::fs::write(&nan, "ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\nend_header\nnan 0 0\n0 nan 0\n").unwrap();
        let e = evaluate_cloud_paths(&nan, &good, DEFAULT_TAU).unwrap_err().to_string();
        assert!(e.contains("allnan.ply") && e.contains("no points"), "{e}");
        let e = evaluate_cloud_paths(&good, &nan, DEFAULT_TAU).unwrap_err().to_string();
        assert!(e.contains("allnan.ply"), "{e}");
    }

    #[test]
    fn identical_and_shifted_clouds() {
        let a = grid(0.0, 10);
        let r = evaluate_cloud(&a, &a, DEFAULT_TAU).unwrap();
        assert_eq!((r.chamfer, r.fscore), (0.0, 1.0));
        let b = grid(0.03, 10);
        let r = evaluate_cloud(&b, &a, DEFAULT_TAU).unwrap();
        assert!((r.accuracy_median - 0.03).abs() < 1e-6 && (r.chamfer - 0.03).abs() < 1e-6);
        assert_eq!(r.fscore, 1.0);
        let r = evaluate_cloud(&b, &a, 0.02).unwrap();
        assert_eq!(r.fscore, 0.0);
    }

    #[test]
    fn partial_prediction_lowers_completeness_only() {
        let gt = grid(0.0, 10);
        let mut pred = gt.clone();
        pred.points.retain(|p| p[0] < 0.45); // left half (5 of 10 columns)
        let r = evaluate_cloud(&pred, &gt, DEFAULT_TAU).unwrap();
        assert_eq!(r.precision, 1.0);
        assert!((r.recall - 0.5).abs() < 1e-12);
        assert!((r.fscore - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(r.accuracy_median, 0.0);
    }

    #[test]
    fn empty_is_an_error() {
        assert!(evaluate_cloud(&PointCloud::default(), &grid(0.0, 2), 0.05).is_err());
    }
}
