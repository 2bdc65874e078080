//! Outlier and floater removal. Each filter returns the indices of the
//! points it keeps (ascending) in a [`FilterReport`]; apply it with
//! [`PointCloud::select`](super::PointCloud::select).

use super::{positive, CloudError, KnnIndex};
use rayon::prelude::*;

/// Neighbours linked per point when growing clusters in [`remove_floaters`]:
/// enough to keep a surface connected, few enough to stay fast on dense clouds.
const FLOATER_LINKS: usize = 16;

/// What a filter kept.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterReport {
    /// Indices of the kept points, ascending.
    pub kept: Vec<usize>,
    /// Number of points removed.
    pub removed: usize,
    /// The threshold the filter applied (its unit depends on the filter).
    pub threshold: f64,
}

impl FilterReport {
    fn from_mask(mask: &[bool], threshold: f64) -> FilterReport {
        let kept: Vec<usize> = mask.iter().enumerate().filter_map(|(i, &k)| k.then_some(i)).collect();
        FilterReport { removed: mask.len() - kept.len(), kept, threshold }
    }
}

/// Statistical outlier removal: for every point the mean distance to its `k`
/// nearest neighbours; points whose mean exceeds `mean + std_ratio · std`
/// of all those means are removed. `threshold` in the report is that
/// distance (metres). Typical: `k = 20`, `std_ratio = 2.0`.
pub fn statistical_outlier_removal(points: &[[f32; 3]], k: usize, std_ratio: f64) -> Result<FilterReport, CloudError> {
    positive("neighbour count k", k as f64)?;
    if !std_ratio.is_finite() {
        return Err(CloudError::BadParameter { what: "std ratio", expected: "a finite number", value: std_ratio });
    }
    if points.len() < 2 {
        return Ok(FilterReport::from_mask(&vec![true; points.len()], f64::INFINITY));
    }
    let index = KnnIndex::new(points)?;
    let nb = index.knn_batch(points, k + 1);
    let means: Vec<f64> = (0..points.len())
        .into_par_iter()
        .map(|i| {
            let (idx, d2) = (nb.of(i), nb.dist_sq_of(i));
            // Drop the point itself (the first entry at distance 0, or its own index).
            let skip = idx.iter().position(|&j| j as usize == i).unwrap_or(0);
            let (sum, n) = d2
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != skip)
                .fold((0.0, 0usize), |(s, n), (_, &d)| (s + f64::from(d).sqrt(), n + 1));
            sum / n.max(1) as f64
        })
        .collect();
    let n = means.len() as f64;
    let mean = means.iter().sum::<f64>() / n;
    let var = means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    let threshold = mean + std_ratio * var.sqrt();
    let mask: Vec<bool> = means.iter().map(|&m| m <= threshold).collect();
    Ok(FilterReport::from_mask(&mask, threshold))
}

/// Radius outlier removal: keeps points with at least `min_neighbors` other
/// points within `radius` metres. `threshold` in the report is the radius.
pub fn radius_outlier_removal(points: &[[f32; 3]], radius: f32, min_neighbors: usize) -> Result<FilterReport, CloudError> {
    positive("radius", f64::from(radius))?;
    let index = KnnIndex::new(points)?;
    let mask: Vec<bool> = points
        .par_iter()
        .map(|p| index.knn_within(p, min_neighbors + 1, radius).len() > min_neighbors)
        .collect();
    Ok(FilterReport::from_mask(&mask, f64::from(radius)))
}

/// Floater removal: groups points into clusters connected by hops of at
/// most `link_radius` metres and removes clusters of fewer than
/// `min_cluster` points (isolated blobs of noise floating in the room).
/// `threshold` in the report is `min_cluster`.
pub fn remove_floaters(points: &[[f32; 3]], link_radius: f32, min_cluster: usize) -> Result<FilterReport, CloudError> {
    positive("link radius", f64::from(link_radius))?;
    let index = KnnIndex::new(points)?;
    let links: Vec<Vec<usize>> = points
        .par_iter()
        .map(|p| index.knn_within(p, FLOATER_LINKS, link_radius).into_iter().map(|n| n.index).collect())
        .collect();
    let mut parent: Vec<usize> = (0..points.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for (i, ls) in links.iter().enumerate() {
        for &j in ls {
            let (a, b) = (root(&mut parent, i), root(&mut parent, j));
            if a != b {
                // Smaller root wins: deterministic.
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let roots: Vec<usize> = (0..points.len()).map(|i| root(&mut parent, i)).collect();
    let mut size = vec![0usize; points.len()];
    for &r in &roots {
        size[r] += 1;
    }
    let mask: Vec<bool> = roots.iter().map(|&r| size[r] >= min_cluster).collect();
    Ok(FilterReport::from_mask(&mask, min_cluster as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn plane_with_outliers() -> (Vec<[f32; 3]>, usize) {
        let mut pts: Vec<[f32; 3]> =
            (0..40).flat_map(|i| (0..40).map(move |j| [i as f32 * 0.05, j as f32 * 0.05, 0.0])).collect();
        let n = pts.len();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for _ in 0..10 {
            pts.push([rng.random::<f32>() * 2.0, rng.random::<f32>() * 2.0, 1.0 + rng.random::<f32>()]);
        }
        (pts, n)
    }

    #[test]
    fn sor_removes_isolated_points() {
        let (pts, n) = plane_with_outliers();
        let r = statistical_outlier_removal(&pts, 8, 2.0).unwrap();
        assert_eq!(r.removed, 10, "threshold {}", r.threshold);
        assert!(r.kept == (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn radius_filter_needs_neighbours() {
        let (pts, n) = plane_with_outliers();
        // Grid corners have exactly 2 neighbours within 0.06 m.
        let r = radius_outlier_removal(&pts, 0.06, 2).unwrap();
        assert!(r.kept == (0..n).collect::<Vec<_>>(), "kept {} of {n}", r.kept.len());
        assert_eq!(radius_outlier_removal(&pts, 0.06, 3).unwrap().removed, 14);
        assert!(radius_outlier_removal(&pts, -1.0, 3).is_err());
    }

    #[test]
    fn floaters_are_small_clusters() {
        let (mut pts, n) = plane_with_outliers();
        pts.truncate(n);
        // A tight blob of 5 points floating 1 m above the plane.
        for k in 0..5 {
            pts.push([1.0 + k as f32 * 0.01, 1.0, 1.0]);
        }
        let r = remove_floaters(&pts, 0.08, 20).unwrap();
        assert!(r.kept == (0..n).collect::<Vec<_>>());
        assert_eq!(r.removed, 5);
    }

    #[test]
    fn tiny_and_bad_inputs() {
        assert_eq!(statistical_outlier_removal(&[[0.0; 3]], 4, 2.0).unwrap().kept, vec![0]);
        assert!(statistical_outlier_removal(&[[0.0; 3]], 0, 2.0).is_err());
        assert!(statistical_outlier_removal(&[[0.0; 3], [f32::NAN; 3]], 4, 2.0).is_err());
        assert!(remove_floaters(&[], 0.1, 3).unwrap().kept.is_empty());
    }
}
