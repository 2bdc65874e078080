//! ORB features (OpenCV detector/descriptor) and our own Hamming matching:
//! brute force with Lowe's ratio test, and guided matching of projected
//! map points through a grid of keypoints.

use super::calib::Intrinsics;
use super::{cv, ReconError};
use nalgebra::Point2;
use opencv::core::{Mat, Point2f, Vector};
use opencv::prelude::*;
use opencv::{calib3d, features2d};

/// A 256-bit ORB descriptor.
pub type Desc = [u64; 4];

/// Hamming distance between two descriptors.
#[inline(always)]
pub fn hamming(a: &Desc, b: &Desc) -> u32 {
    (a[0] ^ b[0]).count_ones() + (a[1] ^ b[1]).count_ones() + (a[2] ^ b[2]).count_ones() + (a[3] ^ b[3]).count_ones()
}

/// Descriptor distance accepted as a match (of 256 bits; ORB-SLAM uses 50
/// for its strict and 100 for its loose threshold).
pub const MATCH_MAX_HAMMING: u32 = 64;
/// Lowe's ratio between best and second best distance.
pub const MATCH_RATIO: f32 = 0.8;

/// Keypoints of one image: undistorted pixel positions, descriptors, and
/// the pyramid octave of each.
#[derive(Debug, Clone, Default)]
pub struct Features {
    pub points: Vec<Point2<f64>>,
    pub desc: Vec<Desc>,
    pub octave: Vec<i32>,
}

impl Features {
    pub fn len(&self) -> usize {
        self.points.len()
    }
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

/// ORB extraction settings.
#[derive(Debug, Clone)]
pub struct OrbConfig {
    /// Features per image.
    pub n_features: i32,
    /// Pyramid scale step.
    pub scale_factor: f32,
    /// Pyramid levels.
    pub n_levels: i32,
    /// FAST threshold (grey levels).
    pub fast_threshold: i32,
}

impl Default for OrbConfig {
    fn default() -> Self {
        OrbConfig { n_features: 1500, scale_factor: 1.2, n_levels: 8, fast_threshold: 12 }
    }
}

/// An ORB extractor (keeps the OpenCV object between frames).
pub struct Extractor {
    orb: opencv::core::Ptr<features2d::ORB>,
}

impl Extractor {
    pub fn new(c: &OrbConfig) -> Result<Extractor, ReconError> {
        let orb = features2d::ORB::create(c.n_features, c.scale_factor, c.n_levels, 19, 0, 2, features2d::ORB_ScoreType::HARRIS_SCORE, 31, c.fast_threshold)
            .map_err(cv("ORB create"))?;
        Ok(Extractor { orb })
    }

    /// Detects and describes features in an 8-bit grey image whose camera is
    /// `k`; positions are undistorted when `k` has distortion.
    pub fn extract(&mut self, gray: &Mat, k: &Intrinsics) -> Result<Features, ReconError> {
        let mut kps = Vector::<opencv::core::KeyPoint>::new();
        let mut desc = Mat::default();
        self.orb.detect_and_compute_def(gray, &opencv::core::no_array(), &mut kps, &mut desc).map_err(cv("ORB detect"))?;
        let n = kps.len();
        let mut out = Features { points: Vec::with_capacity(n), desc: Vec::with_capacity(n), octave: Vec::with_capacity(n) };
        if n == 0 || desc.rows() as usize != n {
            return Ok(out);
        }
        let bytes = desc.data_bytes().map_err(cv("ORB descriptors"))?;
        if bytes.len() < n * 32 {
            return Ok(out);
        }
        let mut raw: Vec<Point2f> = kps.iter().map(|kp| kp.pt()).collect();
        if k.has_distortion() {
            raw = undistort(&raw, k)?;
        }
        for (i, kp) in kps.iter().enumerate() {
            let d = &bytes[i * 32..i * 32 + 32];
            let mut w = [0u64; 4];
            for (j, wj) in w.iter_mut().enumerate() {
                let mut b = [0u8; 8];
                b.copy_from_slice(&d[j * 8..j * 8 + 8]);
                *wj = u64::from_le_bytes(b);
            }
            out.points.push(Point2::new(raw[i].x as f64, raw[i].y as f64));
            out.desc.push(w);
            out.octave.push(kp.octave());
        }
        Ok(out)
    }
}

/// Undistorts pixel positions to the same camera without distortion.
pub fn undistort(pts: &[Point2f], k: &Intrinsics) -> Result<Vec<Point2f>, ReconError> {
    let src: Vector<Point2f> = pts.iter().copied().collect();
    let km = Mat::from_slice_2d(&[[k.fx, 0.0, k.cx], [0.0, k.fy, k.cy], [0.0, 0.0, 1.0]]).map_err(cv("K"))?;
    let d = Mat::from_slice(&k.dist).map_err(cv("dist"))?;
    let mut dst = Vector::<Point2f>::new();
    calib3d::undistort_points(&src, &mut dst, &km, &d, &opencv::core::no_array(), &km).map_err(cv("undistortPoints"))?;
    Ok(dst.to_vec())
}

/// The best and second-best descriptor distances among the candidates
/// offered for one query, for Lowe's ratio test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BestTwo {
    /// Best distance (`u32::MAX` before any offer).
    pub d1: u32,
    /// Second-best distance.
    pub d2: u32,
    /// Index of the best candidate (`usize::MAX` before any offer).
    pub j1: usize,
}

impl Default for BestTwo {
    fn default() -> Self {
        BestTwo::new()
    }
}

impl BestTwo {
    /// Nothing offered yet.
    pub const fn new() -> BestTwo {
        BestTwo { d1: u32::MAX, d2: u32::MAX, j1: usize::MAX }
    }

    /// Offers candidate `j` at distance `d` (ties keep the earlier one).
    #[inline]
    pub fn offer(&mut self, d: u32, j: usize) {
        if d < self.d1 {
            self.d2 = self.d1;
            self.d1 = d;
            self.j1 = j;
        } else if d < self.d2 {
            self.d2 = d;
        }
    }

    /// The best candidate and its distance when it is within `max_dist`
    /// and below `ratio` times the second best.
    #[inline]
    pub fn accept(&self, max_dist: u32, ratio: f32) -> Option<(usize, u32)> {
        (self.j1 != usize::MAX && self.d1 <= max_dist && (self.d1 as f32) < ratio * self.d2 as f32).then_some((self.j1, self.d1))
    }
}

/// Brute-force matches of `a` into `b` with the ratio test and mutual
/// uniqueness: pairs `(index in a, index in b)`.
pub fn match_brute(a: &[Desc], b: &[Desc], max_dist: u32, ratio: f32) -> Vec<(usize, usize)> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the CPU has the POPCNT instruction (checked just above),
        // the only thing `match_brute_popcnt` needs beyond baseline x86-64.
        return unsafe { match_brute_popcnt(a, b, max_dist, ratio) };
    }
    match_brute_scan(a, b, max_dist, ratio)
}

/// [`match_brute_scan`] compiled with the POPCNT instruction: `count_ones`
/// becomes one instruction instead of a bit-twiddling sequence, which makes
/// brute-force matching several times faster (same results).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn match_brute_popcnt(a: &[Desc], b: &[Desc], max_dist: u32, ratio: f32) -> Vec<(usize, usize)> {
    match_brute_scan(a, b, max_dist, ratio)
}

#[inline(always)]
fn match_brute_scan(a: &[Desc], b: &[Desc], max_dist: u32, ratio: f32) -> Vec<(usize, usize)> {
    let mut best_for_b: Vec<(u32, usize)> = vec![(u32::MAX, usize::MAX); b.len()];
    let mut cand = Vec::with_capacity(a.len());
    for (i, da) in a.iter().enumerate() {
        let mut best = BestTwo::new();
        for (j, db) in b.iter().enumerate() {
            best.offer(hamming(da, db), j);
        }
        if let Some((j1, d1)) = best.accept(max_dist, ratio) {
            cand.push((i, j1, d1));
            if d1 < best_for_b[j1].0 {
                best_for_b[j1] = (d1, i);
            }
        }
    }
    cand.into_iter().filter(|&(i, j, _)| best_for_b[j].1 == i).map(|(i, j, _)| (i, j)).collect()
}

/// A uniform grid over keypoints for radius queries.
pub struct Grid {
    cell: f64,
    cols: usize,
    rows: usize,
    cells: Vec<Vec<u32>>,
}

impl Grid {
    /// Buckets `points` of an image `width` x `height` into cells of `cell` px.
    pub fn new(points: &[Point2<f64>], width: u32, height: u32, cell: f64) -> Grid {
        let cols = ((width as f64 / cell).ceil() as usize).max(1);
        let rows = ((height as f64 / cell).ceil() as usize).max(1);
        let mut cells = vec![vec![]; cols * rows];
        for (i, p) in points.iter().enumerate() {
            if let Some(c) = Self::cell_of(p, cell, cols, rows) {
                cells[c].push(i as u32);
            }
        }
        Grid { cell, cols, rows, cells }
    }

    fn cell_of(p: &Point2<f64>, cell: f64, cols: usize, rows: usize) -> Option<usize> {
        if !(p.x >= 0.0 && p.y >= 0.0) {
            return None;
        }
        let (cx, cy) = ((p.x / cell) as usize, (p.y / cell) as usize);
        (cx < cols && cy < rows).then_some(cy * cols + cx)
    }

    /// Indices of points within the square of half-size `r` around `p`.
    pub fn near(&self, p: &Point2<f64>, r: f64, out: &mut Vec<u32>) {
        out.clear();
        let x0 = ((p.x - r) / self.cell).floor().max(0.0) as usize;
        let y0 = ((p.y - r) / self.cell).floor().max(0.0) as usize;
        let x1 = (((p.x + r) / self.cell).floor().max(0.0) as usize).min(self.cols - 1);
        let y1 = (((p.y + r) / self.cell).floor().max(0.0) as usize).min(self.rows - 1);
        for y in y0..=y1 {
            for x in x0..=x1 {
                out.extend_from_slice(&self.cells[y * self.cols + x]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brute_match_finds_identical_descriptors() {
        let a: Vec<Desc> = (0..20u64).map(|i| [i.wrapping_mul(0x9E3779B97F4A7C15), i * 7 + 1, !i, i << 3]).collect();
        let mut b = a.clone();
        b.reverse();
        let m = match_brute(&a, &b, MATCH_MAX_HAMMING, MATCH_RATIO);
        assert!(m.len() >= 18);
        for (i, j) in m {
            assert_eq!(j, 19 - i);
        }
    }

    #[test]
    fn best_two_keeps_best_and_second_and_applies_the_ratio_test() {
        let mut b = BestTwo::new();
        assert_eq!(b.accept(64, 0.8), None);
        for (j, d) in [40u32, 10, 30, 10, 20].into_iter().enumerate() {
            b.offer(d, j);
        }
        // The tie at 10 keeps the first candidate and becomes the second best.
        assert_eq!((b.d1, b.d2, b.j1), (10, 10, 1));
        assert_eq!(b.accept(64, 0.8), None);
        let mut b = BestTwo::new();
        for (j, d) in [40u32, 30, 12, 20].into_iter().enumerate() {
            b.offer(d, j);
        }
        assert_eq!((b.d1, b.d2, b.j1), (12, 20, 2));
        assert_eq!(b.accept(64, 0.8), Some((2, 12)));
        assert_eq!(b.accept(11, 0.8), None, "beyond max_dist");
        assert_eq!(b.accept(64, 0.5), None, "12 is not below 0.5 x 20");
        // A single candidate has no second best: accepted on distance alone.
        let mut b = BestTwo::new();
        b.offer(50, 7);
        assert_eq!(b.accept(64, 0.8), Some((7, 50)));
    }

    #[test]
    fn popcnt_and_portable_matching_agree() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let a: Vec<Desc> = (0..300).map(|_| [rng.random(), rng.random(), rng.random(), rng.random()]).collect();
        // b: noisy copies of a (a few bits flipped) and random descriptors.
        let mut b: Vec<Desc> = a
            .iter()
            .take(200)
            .map(|d| {
                let mut e = *d;
                for _ in 0..rng.random_range(0..40) {
                    let bit = rng.random_range(0..256usize);
                    e[bit / 64] ^= 1u64 << (bit % 64);
                }
                e
            })
            .collect();
        b.extend((0..200).map(|_| [rng.random::<u64>(), rng.random(), rng.random(), rng.random()]));
        let fast = match_brute(&a, &b, MATCH_MAX_HAMMING, MATCH_RATIO);
        assert_eq!(fast, match_brute_scan(&a, &b, MATCH_MAX_HAMMING, MATCH_RATIO));
        assert!(fast.len() > 150 && fast.iter().all(|&(i, j)| i == j), "{}", fast.len());
    }

    #[test]
    fn grid_radius_query() {
        let pts = vec![Point2::new(5.0, 5.0), Point2::new(50.0, 50.0), Point2::new(99.0, 10.0)];
        let g = Grid::new(&pts, 100, 100, 16.0);
        let mut out = vec![];
        g.near(&Point2::new(48.0, 52.0), 5.0, &mut out);
        assert_eq!(out, vec![1]);
        g.near(&Point2::new(-50.0, -50.0), 3.0, &mut out);
        assert!(!out.contains(&1));
    }
}
