//! Normal estimation: the least-variance direction (PCA) of each point's `k`
//! nearest neighbours, flipped toward a viewpoint or toward +z.

use super::{positive, CloudError, KnnIndex};
use nalgebra::{Matrix3, SymmetricEigen, Vector3};
use rayon::prelude::*;

/// Which way estimated normals point (PCA only gives a line).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NormalOrientation {
    /// Toward +z (floors face up; walls keep an arbitrary side).
    Up,
    /// Toward a viewpoint (e.g. the scanner position), in the cloud's frame.
    Viewpoint([f32; 3]),
    /// As the eigen-solver returns them.
    Unoriented,
}

/// Settings for [`estimate_normals`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NormalConfig {
    /// Neighbours per point, the point itself included (default 16).
    pub k: usize,
    /// Orientation rule (default [`NormalOrientation::Up`]).
    pub orientation: NormalOrientation,
}

impl Default for NormalConfig {
    fn default() -> Self {
        NormalConfig { k: 16, orientation: NormalOrientation::Up }
    }
}

/// Unit normals, one per point. Points with fewer than 3 neighbours (tiny
/// clouds) or a degenerate neighbourhood get +z.
pub fn estimate_normals(points: &[[f32; 3]], cfg: &NormalConfig) -> Result<Vec<[f32; 3]>, CloudError> {
    positive("neighbour count k", cfg.k as f64)?;
    let index = KnnIndex::new(points)?;
    let nb = index.knn_batch(points, cfg.k.max(3));
    let normals = (0..points.len())
        .into_par_iter()
        .map(|i| {
            let p = points[i];
            let n = pca_normal(nb.of(i).iter().filter_map(|&j| points.get(j as usize))).unwrap_or(Vector3::z());
            let flip = match cfg.orientation {
                NormalOrientation::Up => n.z < 0.0,
                NormalOrientation::Viewpoint(v) => {
                    let to_view = Vector3::new(v[0] - p[0], v[1] - p[1], v[2] - p[2]).cast::<f64>();
                    n.dot(&to_view) < 0.0
                }
                NormalOrientation::Unoriented => false,
            };
            let n = if flip { -n } else { n };
            [n.x as f32, n.y as f32, n.z as f32]
        })
        .collect();
    Ok(normals)
}

/// The unit eigenvector of the smallest eigenvalue of the neighbourhood's
/// covariance; `None` for fewer than 3 points or a degenerate spread.
pub(crate) fn pca_normal<'a>(pts: impl Iterator<Item = &'a [f32; 3]> + Clone) -> Option<Vector3<f64>> {
    let (sum, n) = pts.clone().fold((Vector3::zeros(), 0usize), |(s, n), p| (s + Vector3::new(p[0], p[1], p[2]).cast::<f64>(), n + 1));
    if n < 3 {
        return None;
    }
    let mean = sum / n as f64;
    let mut cov = Matrix3::zeros();
    for p in pts {
        let d = Vector3::new(p[0], p[1], p[2]).cast::<f64>() - mean;
        cov += d * d.transpose();
    }
    let eig = SymmetricEigen::new(cov);
    let (imin, _) = eig.eigenvalues.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1))?;
    let v = eig.eigenvectors.column(imin).into_owned();
    let norm = v.norm();
    (norm > 1e-12 && eig.eigenvalues.iter().any(|&e| e > 0.0)).then(|| v / norm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_room_normals_are_axis_aligned_and_oriented() {
        let cloud = super::super::test_util::box_room(4.0, 3.0, 2.5, 150.0, 0.002, 9);
        let normals = estimate_normals(&cloud.points, &NormalConfig::default()).unwrap();
        let mut good = 0;
        for (p, n) in cloud.points.iter().zip(&normals) {
            assert!(((n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt() - 1.0).abs() < 1e-4);
            // A floor point well away from the walls: normal +z.
            if p[2].abs() < 0.01 && (0.5..3.5).contains(&p[0]) && (0.5..2.5).contains(&p[1]) {
                assert!(n[2] > 0.99, "{p:?} {n:?}");
                good += 1;
            }
        }
        assert!(good > 100);
        // Viewpoint at the room centre: every wall normal points inward.
        let cfg = NormalConfig { orientation: NormalOrientation::Viewpoint([2.0, 1.5, 1.25]), ..Default::default() };
        let normals = estimate_normals(&cloud.points, &cfg).unwrap();
        for (p, n) in cloud.points.iter().zip(&normals) {
            if p[0].abs() < 0.01 && (0.5..2.5).contains(&p[1]) && (0.5..2.0).contains(&p[2]) {
                assert!(n[0] > 0.99, "{p:?} {n:?}");
            }
            if (p[2] - 2.5).abs() < 0.01 && (0.5..3.5).contains(&p[0]) && (0.5..2.5).contains(&p[1]) {
                assert!(n[2] < -0.99, "{p:?} {n:?}");
            }
        }
    }

    #[test]
    fn tiny_clouds_get_up() {
        let n = estimate_normals(&[[0.0; 3], [1.0, 0.0, 0.0]], &NormalConfig::default()).unwrap();
        assert_eq!(n, vec![[0.0, 0.0, 1.0]; 2]);
        assert!(estimate_normals(&[], &NormalConfig { k: 0, ..Default::default() }).is_err());
    }
}
