//! Point clouds: `PointCloud` (xyz, optional colour and normals), PLY
//! reading and writing, voxel downsampling, outlier removal and kNN (kiddo),
//! normals, gravity and Manhattan alignment, farthest-point sampling and
//! patch grouping.
//!
//! Knows nothing of layouts, models or video.

pub mod align;
pub mod filter;
pub mod knn;
pub mod normals;
pub mod ply;
pub mod sample;
pub mod voxel;

pub use align::{align_to_gravity, scale_from_ceiling, AlignConfig, AlignReport, Alignment};
pub use filter::{radius_outlier_removal, remove_floaters, statistical_outlier_removal, FilterReport};
pub use knn::{KnnIndex, Neighbor, Neighborhoods};
pub use normals::{estimate_normals, NormalConfig, NormalOrientation};
pub use ply::{read_ply, write_ply, PlyEncoding, PlyError, PlyRead};
pub use sample::{farthest_point_sampling, group_patches, Patches};
pub use voxel::voxel_downsample;

use crate::geom::umeyama::Sim3;
use nalgebra::{Isometry3, Point3, Vector3};

/// A point cloud in the world frame (metres). `colors` and `normals`, when
/// present, have one entry per point.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PointCloud {
    pub points: Vec<[f32; 3]>,
    pub colors: Option<Vec<[u8; 3]>>,
    pub normals: Option<Vec<[f32; 3]>>,
}

/// What can go wrong in the cloud operations (PLY IO has its own [`PlyError`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CloudError {
    /// A parameter outside its valid range.
    #[error("{what} must be {expected}, got {value}")]
    BadParameter { what: &'static str, expected: &'static str, value: f64 },
    /// A point with a NaN or infinite coordinate where finite points are required.
    #[error("point {index} has a non-finite coordinate {point:?}")]
    NonFinite { index: usize, point: [f32; 3] },
    /// Too few points for the operation.
    #[error("{what} needs at least {needed} points, the cloud has {got}")]
    TooFewPoints { what: &'static str, needed: usize, got: usize },
    /// Colours or normals whose count does not match the points.
    #[error("the cloud has {points} points but {count} {what}")]
    Inconsistent { what: &'static str, points: usize, count: usize },
    /// The kd-tree could not be built.
    #[error("cannot build the kNN index: {0}")]
    Index(String),
    /// Gravity alignment found no floor.
    #[error("no floor found: {0}")]
    NoFloor(String),
}

impl PointCloud {
    /// A cloud of bare points.
    pub fn from_points(points: Vec<[f32; 3]>) -> PointCloud {
        PointCloud { points, colors: None, normals: None }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// True when the cloud has no points.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Axis-aligned bounds `(min, max)`, `None` when empty.
    pub fn bounds(&self) -> Option<([f32; 3], [f32; 3])> {
        let first = *self.points.first()?;
        Some(self.points.iter().fold((first, first), |(mut lo, mut hi), p| {
            for k in 0..3 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
            (lo, hi)
        }))
    }

    /// Checks that colours and normals (when present) have one entry per point.
    pub fn check(&self) -> Result<(), CloudError> {
        let n = self.points.len();
        if let Some(c) = &self.colors {
            if c.len() != n {
                return Err(CloudError::Inconsistent { what: "colours", points: n, count: c.len() });
            }
        }
        if let Some(nr) = &self.normals {
            if nr.len() != n {
                return Err(CloudError::Inconsistent { what: "normals", points: n, count: nr.len() });
            }
        }
        Ok(())
    }

    /// The sub-cloud of the points at `indices` (in that order), with their
    /// colours and normals. Indices out of range are skipped.
    pub fn select(&self, indices: &[usize]) -> PointCloud {
        let pick = |v: &Vec<[u8; 3]>| indices.iter().filter_map(|&i| v.get(i).copied()).collect();
        let pickf = |v: &Vec<[f32; 3]>| indices.iter().filter_map(|&i| v.get(i).copied()).collect();
        PointCloud {
            points: pickf(&self.points),
            colors: self.colors.as_ref().map(pick),
            normals: self.normals.as_ref().map(pickf),
        }
    }

    /// Applies a rigid transform to the points (and rotates the normals).
    pub fn transform(&mut self, target_from_source: &Isometry3<f64>) {
        for p in &mut self.points {
            let q = target_from_source * Point3::new(f64::from(p[0]), f64::from(p[1]), f64::from(p[2]));
            *p = [q.x as f32, q.y as f32, q.z as f32];
        }
        if let Some(normals) = &mut self.normals {
            for n in normals {
                let m = target_from_source.rotation * Vector3::new(f64::from(n[0]), f64::from(n[1]), f64::from(n[2]));
                *n = [m.x as f32, m.y as f32, m.z as f32];
            }
        }
    }

    /// Applies a similarity transform (rotation, scale, translation) to the
    /// points and rotates the normals, e.g. a reconstruction's map frame to
    /// the gravity-aligned metric frame, or an estimate onto a reference.
    pub fn transform_similarity(&mut self, target_from_source: &Sim3) {
        for p in &mut self.points {
            let q = target_from_source.transform_point(&Point3::new(f64::from(p[0]), f64::from(p[1]), f64::from(p[2])));
            *p = [q.x as f32, q.y as f32, q.z as f32];
        }
        if let Some(normals) = &mut self.normals {
            for n in normals {
                let m = target_from_source.rotation * Vector3::new(f64::from(n[0]), f64::from(n[1]), f64::from(n[2]));
                *n = [m.x as f32, m.y as f32, m.z as f32];
            }
        }
    }
}

/// Checks that a parameter is finite and > 0.
pub(crate) fn positive(what: &'static str, value: f64) -> Result<(), CloudError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(CloudError::BadParameter { what, expected: "a positive finite number", value })
    }
}

/// Checks that every point is finite.
pub(crate) fn check_finite(points: &[[f32; 3]]) -> Result<(), CloudError> {
    match points.iter().position(|p| !p.iter().all(|v| v.is_finite())) {
        Some(index) => Err(CloudError::NonFinite { index, point: points[index] }),
        None => Ok(()),
    }
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::PointCloud;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Points sampled on the surface of an axis-aligned box room
    /// `[0,sx]×[0,sy]×[0,sz]` (floor, ceiling, four walls), `per_m2` points per
    /// square metre, with Gaussian-ish noise `noise` (metres), seeded.
    pub fn box_room(sx: f32, sy: f32, sz: f32, per_m2: f32, noise: f32, seed: u64) -> PointCloud {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut pts = Vec::new();
        let mut face = |n: usize, f: &mut dyn FnMut(f32, f32) -> [f32; 3], rng: &mut ChaCha8Rng| {
            for _ in 0..n {
                let (u, v) = (rng.random::<f32>(), rng.random::<f32>());
                let mut p = f(u, v);
                for c in &mut p {
                    // Sum of three uniforms: a cheap bell-shaped noise.
                    *c += noise * (rng.random::<f32>() + rng.random::<f32>() + rng.random::<f32>() - 1.5);
                }
                pts.push(p);
            }
        };
        let count = |a: f32| (a * per_m2) as usize;
        face(count(sx * sy) * 3 / 2, &mut |u, v| [u * sx, v * sy, 0.0], &mut rng); // floor (denser)
        face(count(sx * sy) / 2, &mut |u, v| [u * sx, v * sy, sz], &mut rng); // ceiling (sparser)
        face(count(sx * sz), &mut |u, v| [u * sx, 0.0, v * sz], &mut rng);
        face(count(sx * sz), &mut |u, v| [u * sx, sy, v * sz], &mut rng);
        face(count(sy * sz), &mut |u, v| [0.0, u * sy, v * sz], &mut rng);
        face(count(sy * sz), &mut |u, v| [sx, u * sy, v * sz], &mut rng);
        PointCloud::from_points(pts)
    }
}
