//! Voxel-hashed fusion of depth maps into a coloured point cloud: each voxel
//! keeps the running mean position and colour of the samples that fell in
//! it and how many distinct views contributed; voxels seen by fewer than
//! `min_views` views are dropped (a multi-view consistency check).

use super::geometry::Pinhole;
use super::{cv, ReconError};
use crate::cloud::PointCloud;
use nalgebra::{Isometry3, Point2, Point3};
use opencv::core::{Mat, Vec3b};
use opencv::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, Default)]
struct Voxel {
    sum: [f64; 3],
    rgb: [f64; 3],
    n: u32,
    views: u16,
    last_view: u32,
}

/// Fusion settings.
#[derive(Debug, Clone)]
pub struct FusionConfig {
    /// Voxel edge (metres, or map units before scaling).
    pub voxel: f64,
    /// Use every `stride`-th pixel of each depth map.
    pub stride: i32,
    /// Views needed for a voxel to survive.
    pub min_views: u16,
    /// Depth range kept (same units as the depth).
    pub depth_min: f64,
    pub depth_max: f64,
}

impl Default for FusionConfig {
    fn default() -> Self {
        FusionConfig { voxel: 0.02, stride: 2, min_views: 2, depth_min: 0.1, depth_max: 6.0 }
    }
}

/// The fusion volume.
pub struct Fusion {
    cfg: FusionConfig,
    voxels: HashMap<(i32, i32, i32), Voxel>,
    views: u32,
}

impl Fusion {
    pub fn new(cfg: FusionConfig) -> Fusion {
        Fusion { cfg, voxels: HashMap::new(), views: 0 }
    }

    /// Adds one view: `depth` (CV_32F, 0 = none) and `image` (BGR, same size)
    /// seen by camera `k` at `world_from_camera`.
    pub fn add(&mut self, k: &Pinhole, world_from_camera: &Isometry3<f64>, depth: &Mat, image: &Mat) -> Result<(), ReconError> {
        self.views += 1;
        let view = self.views;
        let (rows, cols) = (depth.rows(), depth.cols());
        let same = image.rows() == rows && image.cols() == cols;
        let inv = 1.0 / self.cfg.voxel;
        let mut y = 0;
        while y < rows {
            let drow = depth.at_row::<f32>(y).map_err(cv("depth row"))?;
            let crow = if same { Some(image.at_row::<Vec3b>(y).map_err(cv("image row"))?) } else { None };
            let mut x = 0;
            while x < cols {
                let z = drow[x as usize] as f64;
                if z > self.cfg.depth_min && z < self.cfg.depth_max {
                    let pc = Point3::from(k.ray(&Point2::new(x as f64, y as f64)) * z);
                    let pw = world_from_camera * pc;
                    let key = ((pw.x * inv).floor() as i32, (pw.y * inv).floor() as i32, (pw.z * inv).floor() as i32);
                    let v = self.voxels.entry(key).or_default();
                    v.sum[0] += pw.x;
                    v.sum[1] += pw.y;
                    v.sum[2] += pw.z;
                    if let Some(c) = crow.map(|r| r[x as usize]) {
                        v.rgb[0] += c[2] as f64;
                        v.rgb[1] += c[1] as f64;
                        v.rgb[2] += c[0] as f64;
                    }
                    v.n += 1;
                    if v.last_view != view {
                        v.last_view = view;
                        v.views = v.views.saturating_add(1);
                    }
                }
                x += self.cfg.stride;
            }
            y += self.cfg.stride;
        }
        Ok(())
    }

    /// Adds one coloured point to the voxel it falls in and returns that voxel.
    fn accumulate(&mut self, p: &Point3<f64>, c: &[u8; 3]) -> &mut Voxel {
        let inv = 1.0 / self.cfg.voxel;
        let key = ((p.x * inv).floor() as i32, (p.y * inv).floor() as i32, (p.z * inv).floor() as i32);
        let v = self.voxels.entry(key).or_default();
        for k in 0..3 {
            v.sum[k] += p[k];
            v.rgb[k] += c[k] as f64;
        }
        v.n += 1;
        v
    }

    /// Adds the coloured points of one view (e.g. one stereo pair).
    pub fn add_view_points(&mut self, pts: &[(Point3<f64>, [u8; 3])]) {
        self.views += 1;
        let view = self.views;
        for (p, c) in pts {
            let v = self.accumulate(p, c);
            if v.last_view != view {
                v.last_view = view;
                v.views = v.views.saturating_add(1);
            }
        }
    }

    /// Adds coloured points directly (e.g. a sparse map), counting as
    /// `views` views each.
    pub fn add_points(&mut self, pts: &[(Point3<f64>, [u8; 3])], views: u16) {
        for (p, c) in pts {
            let v = self.accumulate(p, c);
            v.views = v.views.saturating_add(views);
        }
    }

    /// Number of occupied voxels (before the view filter).
    pub fn len(&self) -> usize {
        self.voxels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.voxels.is_empty()
    }

    /// The fused cloud, sorted by voxel key (deterministic order).
    pub fn cloud(&self) -> PointCloud {
        let mut keys: Vec<&(i32, i32, i32)> = self.voxels.iter().filter(|(_, v)| v.views >= self.cfg.min_views).map(|(k, _)| k).collect();
        keys.sort();
        let mut points = Vec::with_capacity(keys.len());
        let mut colors = Vec::with_capacity(keys.len());
        for k in keys {
            let v = &self.voxels[k];
            let n = v.n.max(1) as f64;
            points.push([(v.sum[0] / n) as f32, (v.sum[1] / n) as f32, (v.sum[2] / n) as f32]);
            colors.push([(v.rgb[0] / n).round() as u8, (v.rgb[1] / n).round() as u8, (v.rgb[2] / n).round() as u8]);
        }
        PointCloud { points, colors: Some(colors), normals: None }
    }
}
