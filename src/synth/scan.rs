//! Simulated scans: rays from the cameras of a trajectory into the world
//! (so only surfaces seen from the path are sampled), with a sensor noise
//! profile: depth-dependent noise, uneven density, holes, per-surface
//! colours from the textures, and for `mvs` floaters, ghosting at depth
//! edges and thickened walls.
//!
//! Density follows the capture naturally: rays are spread evenly over the
//! frames, so surfaces seen often and from close by get more points.
//! Deterministic for a seed. Knows nothing of files or layouts.

// Index loops over x/y/z and grid cells read better than iterator chains here.
#![allow(clippy::needless_range_loop)]

use super::bvh::{Bvh, Geometry};
use super::camera::Intrinsics;
use super::texture::{albedo, value_noise, Lighting};
use super::world::{SurfaceLabel, Texture};
use crate::cloud::PointCloud;
use crate::trajectory::Trajectory;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Sensor noise model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoiseProfile {
    /// Phone LiDAR-like: clean, millimetre to centimetre depth noise, about
    /// 5 m range, few holes (glass and grazing surfaces drop out).
    #[default]
    Lidar,
    /// Multi-view stereo from monocular video: noisy, floaters, ghosting
    /// near depth edges, thick walls, holes on textureless surfaces.
    Mvs,
}

impl NoiseProfile {
    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            NoiseProfile::Lidar => "lidar",
            NoiseProfile::Mvs => "mvs",
        }
    }
}

impl std::str::FromStr for NoiseProfile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "lidar" => Ok(NoiseProfile::Lidar),
            "mvs" => Ok(NoiseProfile::Mvs),
            _ => Err(format!("unknown scan profile {s:?} (expected lidar or mvs)")),
        }
    }
}

/// Per-profile sensor parameters. [`SensorModel::for_profile`] gives the
/// defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SensorModel {
    /// Points beyond this range (metres) are not measured.
    pub max_range: f32,
    /// Depth noise sigma = `noise_a + noise_b * range²` metres, along the
    /// ray, truncated at [`NOISE_TRUNCATION`] sigma.
    pub noise_a: f32,
    pub noise_b: f32,
    /// Surface thickening: uniform offset along the normal, metres, on
    /// walls / floor / ceiling and on other surfaces.
    pub thick_structure: f32,
    pub thick_other: f32,
    /// Fraction of surface area lost to holes (per-surface noise field).
    pub hole_fraction: f32,
    /// Extra drop probability on plain (textureless) surfaces.
    pub plain_dropout: f32,
    /// Drop probability on window glass.
    pub glass_dropout: f32,
    /// Fraction of points that are floaters in free space.
    pub floater_fraction: f32,
    /// Probability that a point near a depth edge is a mixed (ghost) depth.
    pub ghost_probability: f32,
    /// Colour noise sigma, 8-bit levels.
    pub color_noise: f32,
}

/// Depth noise is drawn from a Gaussian truncated at this many sigma, so
/// every point lies within a known bound of its surface.
pub const NOISE_TRUNCATION: f32 = 3.0;

impl SensorModel {
    /// Defaults for a profile.
    pub fn for_profile(p: NoiseProfile) -> SensorModel {
        match p {
            NoiseProfile::Lidar => SensorModel {
                max_range: 5.0,
                noise_a: 0.002,
                noise_b: 0.0012,
                thick_structure: 0.0,
                thick_other: 0.0,
                hole_fraction: 0.05,
                plain_dropout: 0.0,
                glass_dropout: 0.9,
                floater_fraction: 0.0,
                ghost_probability: 0.0,
                color_noise: 3.0,
            },
            NoiseProfile::Mvs => SensorModel {
                max_range: 8.0,
                noise_a: 0.006,
                noise_b: 0.004,
                thick_structure: 0.035,
                thick_other: 0.015,
                hole_fraction: 0.12,
                plain_dropout: 0.55,
                glass_dropout: 0.7,
                floater_fraction: 0.025,
                ghost_probability: 0.6,
                color_noise: 6.0,
            },
        }
    }

    /// Largest distance of a non-floater, non-ghost point from its surface.
    pub fn noise_bound(&self) -> f32 {
        NOISE_TRUNCATION * (self.noise_a + self.noise_b * self.max_range * self.max_range)
            + self.thick_structure.max(self.thick_other)
    }
}

/// What to scan.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanConfig {
    pub profile: NoiseProfile,
    /// Points in the cloud (stops early if the rays run out).
    pub target_points: usize,
    /// Rays per target point at most (misses, range and dropouts eat some).
    pub max_rays_per_point: usize,
    /// Sensor parameters; `None` takes the profile's defaults.
    pub sensor: Option<SensorModel>,
    /// Image size the rays are cast through (only the field of view
    /// matters).
    pub intrinsics: Intrinsics,
    /// Minimum range, metres (the phone is not measured).
    pub min_range: f32,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            profile: NoiseProfile::Lidar,
            target_points: 50_000,
            max_rays_per_point: 6,
            sensor: None,
            intrinsics: Intrinsics::for_size(640, 480),
            min_range: 0.15,
        }
    }
}

/// Pixel offset of the neighbouring ray used to detect depth edges (mvs).
const EDGE_PROBE_PIXELS: f32 = 4.0;
/// Relative depth jump that counts as an edge.
const EDGE_RELATIVE_JUMP: f32 = 0.08;
/// Holes: scale of the per-surface hole noise, 1/m.
const HOLE_FREQUENCY: f32 = 1.7;
/// Uneven density: scale of the density noise, 1/m, and its depth.
const DENSITY_FREQUENCY: f32 = 0.6;
const DENSITY_MODULATION: f32 = 0.5;

/// Casts rays from the trajectory's cameras and returns the scan, in the
/// world frame, with colours.
pub fn simulate_scan(
    geometry: &Geometry,
    bvh: &Bvh,
    lighting: &Lighting,
    trajectory: &Trajectory,
    cfg: &ScanConfig,
    seed: u64,
) -> PointCloud {
    let model = cfg.sensor.unwrap_or_else(|| SensorModel::for_profile(cfg.profile));
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5ca4_0000_0000_0002);
    let k = cfg.intrinsics;
    let cams: Vec<([f32; 3], [[f32; 3]; 3])> = trajectory
        .poses
        .iter()
        .map(|p| {
            let t = p.world_from_camera.translation.vector;
            let r = p.world_from_camera.rotation.to_rotation_matrix();
            let m = r.matrix();
            let rows = [0, 1, 2].map(|i| [m[(i, 0)] as f32, m[(i, 1)] as f32, m[(i, 2)] as f32]);
            ([t.x as f32, t.y as f32, t.z as f32], rows)
        })
        .collect();
    let mut points = Vec::with_capacity(cfg.target_points);
    let mut colors = Vec::with_capacity(cfg.target_points);
    if cams.is_empty() || cfg.target_points == 0 {
        return PointCloud { points, colors: Some(colors), normals: None };
    }
    let max_rays = cfg.target_points.saturating_mul(cfg.max_rays_per_point.max(1));
    let (w, h) = (k.width.max(1) as f32, k.height.max(1) as f32);
    let hole_threshold = 1.0 - model.hole_fraction;
    let mut ray = 0usize;
    while points.len() < cfg.target_points && ray < max_rays {
        let (origin, rot) = cams[ray % cams.len()];
        ray += 1;
        let u: f32 = rng.random_range(0.0..w) - 0.5;
        let v: f32 = rng.random_range(0.0..h) - 0.5;
        let dir = world_dir(&rot, &k, u, v);
        let dir_len = (dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]).sqrt();
        let t_max = model.max_range / dir_len;
        let Some(hit) = bvh.intersect(origin, dir, cfg.min_range / dir_len, t_max) else { continue };
        let range = hit.t * dir_len;
        let tri = &geometry.triangles[hit.triangle as usize];
        let material = geometry.materials[tri.mesh as usize];
        let label = geometry.labels[tri.mesh as usize];
        let unit = [dir[0] / dir_len, dir[1] / dir_len, dir[2] / dir_len];
        let mut n = tri.normal;
        let cos = n[0] * unit[0] + n[1] * unit[1] + n[2] * unit[2];
        if cos > 0.0 {
            n = [-n[0], -n[1], -n[2]];
        }
        let cos = cos.abs();
        // Grazing rays return nothing.
        let p_graze = ((0.2 - cos) / 0.15).clamp(0.0, 1.0);
        let uv = geometry.uv_at(hit.triangle, hit.b1, hit.b2);
        let surf_seed = tri.mesh.wrapping_mul(0x9e37_79b9) ^ seed as u32;
        let hole = value_noise(uv[0] * HOLE_FREQUENCY, uv[1] * HOLE_FREQUENCY, surf_seed) > hole_threshold;
        let density = 1.0 - DENSITY_MODULATION * value_noise(uv[0] * DENSITY_FREQUENCY, uv[1] * DENSITY_FREQUENCY, surf_seed ^ 0x55);
        let mut p_drop = p_graze.max(if hole { 1.0 } else { 0.0 }).max(1.0 - density);
        if matches!(label, SurfaceLabel::Window(_)) {
            p_drop = p_drop.max(model.glass_dropout);
        }
        if material.texture == Texture::Plain {
            p_drop = p_drop.max(model.plain_dropout);
        }
        if p_drop > 0.0 && rng.random::<f32>() < p_drop {
            continue;
        }
        // Colour: texture x lighting, with sensor noise.
        let hit_p = [origin[0] + dir[0] * hit.t, origin[1] + dir[1] * hit.t, origin[2] + dir[2] * hit.t];
        let footprint = range / k.fx as f32 / cos.max(0.2);
        let a = albedo(&material, uv, footprint);
        let light = lighting.shade(hit_p, n);
        let mut color = [0u8; 3];
        for c in 0..3 {
            let x = a[c] * light * 255.0 + model.color_noise * gaussian(&mut rng);
            color[c] = x.round().clamp(0.0, 255.0) as u8;
        }
        // Depth along the ray.
        let mut depth_t = hit.t;
        let sigma = model.noise_a + model.noise_b * range * range;
        depth_t += sigma * truncated_gaussian(&mut rng) / dir_len;
        if model.ghost_probability > 0.0 {
            let ang: f32 = rng.random_range(0.0..std::f32::consts::TAU);
            let (du, dv) = (EDGE_PROBE_PIXELS * ang.cos(), EDGE_PROBE_PIXELS * ang.sin());
            let d2 = world_dir(&rot, &k, u + du, v + dv);
            let t2 = bvh.intersect(origin, d2, cfg.min_range / dir_len, t_max * 1.5).map_or(t_max * 1.5, |h2| h2.t);
            if (t2 - hit.t).abs() > EDGE_RELATIVE_JUMP * hit.t && rng.random::<f32>() < model.ghost_probability {
                let f: f32 = rng.random_range(0.15..0.85);
                depth_t = hit.t + (t2 - hit.t) * f;
            }
        }
        if model.floater_fraction > 0.0 && rng.random::<f32>() < model.floater_fraction {
            depth_t *= rng.random_range(0.3..0.92);
        }
        let mut p = [origin[0] + dir[0] * depth_t, origin[1] + dir[1] * depth_t, origin[2] + dir[2] * depth_t];
        let thick = match label {
            SurfaceLabel::Wall(_) | SurfaceLabel::Floor | SurfaceLabel::Ceiling => model.thick_structure,
            _ => model.thick_other,
        };
        if thick > 0.0 {
            let o: f32 = rng.random_range(-thick..=thick);
            p = [p[0] + n[0] * o, p[1] + n[1] * o, p[2] + n[2] * o];
        }
        points.push(p);
        colors.push(color);
    }
    PointCloud { points, colors: Some(colors), normals: None }
}

/// World-frame ray direction (camera z = 1) through pixel (u, v).
#[inline]
fn world_dir(rot: &[[f32; 3]; 3], k: &Intrinsics, u: f32, v: f32) -> [f32; 3] {
    let c = [(u - k.cx as f32) / k.fx as f32, (v - k.cy as f32) / k.fy as f32, 1.0];
    [
        rot[0][0] * c[0] + rot[0][1] * c[1] + rot[0][2] * c[2],
        rot[1][0] * c[0] + rot[1][1] * c[1] + rot[1][2] * c[2],
        rot[2][0] * c[0] + rot[2][1] * c[1] + rot[2][2] * c[2],
    ]
}

/// Standard normal sample (Box-Muller).
fn gaussian(rng: &mut ChaCha8Rng) -> f32 {
    let u1: f32 = rng.random_range(f32::EPSILON..1.0);
    let u2: f32 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
}

/// Standard normal truncated at [`NOISE_TRUNCATION`].
fn truncated_gaussian(rng: &mut ChaCha8Rng) -> f32 {
    gaussian(rng).clamp(-NOISE_TRUNCATION, NOISE_TRUNCATION)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::camera::{plan_path, tests::two_room_world, PathConfig};

    fn scan(profile: NoiseProfile, n: usize) -> (PointCloud, Bvh, SensorModel) {
        let (w, layout, rooms) = two_room_world();
        let g = Geometry::from_world(&w);
        let bvh = Bvh::build(&g);
        let path = plan_path(&g, &bvh, &layout, &rooms, &PathConfig::default(), 3).unwrap();
        let traj = path.trajectory(10.0);
        let cfg = ScanConfig { profile, target_points: n, ..ScanConfig::default() };
        let cloud = simulate_scan(&g, &bvh, &Lighting::from_rooms(&rooms), &traj, &cfg, 11);
        (cloud, bvh, SensorModel::for_profile(profile))
    }

    #[test]
    fn lidar_points_lie_on_surfaces_within_the_noise_bound() {
        let (cloud, bvh, model) = scan(NoiseProfile::Lidar, 5000);
        assert_eq!(cloud.len(), 5000);
        let bound = model.noise_bound() + 1e-3;
        let mut sum = 0.0;
        for p in &cloud.points {
            let d = bvh.distance_to_surface(*p, 1.0).expect("point far from every surface");
            assert!(d <= bound, "point {p:?} is {d} m off the surfaces (bound {bound})");
            sum += d;
        }
        let mean = sum / cloud.len() as f32;
        assert!(mean < 0.01, "mean distance {mean}");
        // Points inside the two rooms.
        let (lo, hi) = cloud.bounds().unwrap();
        assert!(lo[0] > -0.2 && hi[0] < 8.2 && lo[2] > -0.2 && hi[2] < 2.9, "{lo:?} {hi:?}");
    }

    #[test]
    fn mvs_is_noisier_than_lidar() {
        let (lidar, bvh, _) = scan(NoiseProfile::Lidar, 3000);
        let (mvs, _, _) = scan(NoiseProfile::Mvs, 3000);
        let far = |c: &PointCloud| c.points.iter().filter(|p| bvh.distance_to_surface(**p, 1.0).is_none_or(|d| d > 0.05)).count();
        assert!(far(&mvs) > 3 * far(&lidar) + 20, "mvs {} lidar {}", far(&mvs), far(&lidar));
    }

    #[test]
    fn same_seed_same_scan() {
        let (a, _, _) = scan(NoiseProfile::Mvs, 2000);
        let (b, _, _) = scan(NoiseProfile::Mvs, 2000);
        assert_eq!(a, b);
    }

    #[test]
    fn profile_names_parse() {
        assert_eq!("mvs".parse::<NoiseProfile>().unwrap(), NoiseProfile::Mvs);
        assert!("sonar".parse::<NoiseProfile>().is_err());
    }
}
