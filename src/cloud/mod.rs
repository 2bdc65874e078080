//! Point clouds: `PointCloud` (xyz, optional colour and normals), PLY
//! reading and writing, voxel downsampling, outlier removal and kNN (kiddo),
//! normals, gravity and Manhattan alignment, farthest-point sampling.
//!
//! Knows nothing of layouts, models or video.

/// A point cloud in the world frame (metres). `colors` and `normals`, when
/// present, have one entry per point.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PointCloud {
    pub points: Vec<[f32; 3]>,
    pub colors: Option<Vec<[u8; 3]>>,
    pub normals: Option<Vec<[f32; 3]>>,
}

impl PointCloud {
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
}

pub mod ply;
pub use ply::{read_ply, write_ply, PlyEncoding, PlyError, PlyRead};
