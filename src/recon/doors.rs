//! Door openings in a levelled room cloud, for the door-height scale prior.
//!
//! Owns: finding doors as gaps in axis-aligned wall planes that reach the
//! floor, with wall on both sides (jambs) and above (lintel), and floor
//! seen on both sides of the gap; reporting each door's top height. Knows
//! nothing of cameras, tracking or the scale combination ([`super::align`]
//! turns the heights into a scale estimate).
//!
//! Input frame: the cloud after alignment's rotation, in map units: +z up,
//! the floor at z = 0, walls roughly along x / y (Manhattan yaw). Every
//! metric threshold is multiplied by [`DoorConfig::units_per_m`], a rough
//! map units per metre (the camera height above the floor over its prior),
//! so the search is scale-free: the answer only scales with the map.
//!
//! Method, per axis (walls with normals along x, then y):
//! 1. Wall planes: peaks of the point count in slabs of [`WALL_HALF_M`]
//!    across the axis (points above [`FLOOR_SKIP_M`]), at least
//!    [`WALL_SEPARATION_M`] apart.
//! 2. Per wall, columns of [`COLUMN_M`] along it; each column's count of
//!    points in the body band ([`FLOOR_SKIP_M`]..[`BODY_TOP_M`], below any
//!    door top) against the wall's reference (upper-quartile) count.
//! 3. A door is a run of empty columns (≤ [`EMPTY_FRACTION`] of the
//!    reference) 0.5–1.3 m wide with wall on both sides (jambs: 4 of the
//!    5 columns beside it full),
//!    whose lowest points above the floor agree on a top (the lintel's
//!    underside) over most of its width, with wall points above that top,
//!    and floor points on both sides of the wall (a window shows its sill
//!    wall below and no floor outside; a passage to the ceiling has no wall
//!    above). Width / height must be a door's.
//!
//! A door's leaf, open, stands across the wall plane only at its hinge: it
//! narrows the gap by a column, which the width range allows.

use nalgebra::Point3;

/// Half thickness of a wall slab (metres): stereo noise and a degree of
/// yaw error over a few metres of wall.
pub const WALL_HALF_M: f64 = 0.06;
/// Bin of the wall-offset histogram (metres).
const WALL_BIN_M: f64 = 0.02;
/// Two wall planes on one axis are at least this far apart (metres): the
/// two faces of one wall (about 0.1–0.2 m thick) count once.
pub const WALL_SEPARATION_M: f64 = 0.3;
/// Width of a column along the wall (metres).
pub const COLUMN_M: f64 = 0.05;
/// Points this close to the floor are the floor, not the wall (metres).
pub const FLOOR_SKIP_M: f64 = 0.2;
/// Top of the body band: below any door's top (doors are ≥ 1.9 m; metres).
pub const BODY_TOP_M: f64 = 1.6;
/// A column is empty when its body band holds at most this fraction of the
/// wall's reference count (a stray point or two).
pub const EMPTY_FRACTION: f64 = 0.15;
/// A jamb column holds at least this fraction of the reference count.
pub const JAMB_FRACTION: f64 = 0.4;
/// Columns checked on each side of a gap as its jamb (25 cm), of which
/// this many must be full: the wall goes on beside a door, while a
/// corridor between two walls across the slab shows only their 10–15 cm
/// thickness (seen on a generated apartment: four such false doors).
const JAMB_COLUMNS: usize = 5;
const JAMB_MIN_FULL: usize = 4;
/// A wall needs at least this many body-band points per reference column
/// to tell a gap from an unobserved stretch.
pub const MIN_REFERENCE_POINTS: f64 = 4.0;
/// Door width range (metres): interior doors 0.6–1.2 m, less a column for
/// a leaf standing at the hinge, plus a column for noise.
pub const WIDTH_RANGE_M: (f64, f64) = (0.5, 1.3);
/// Door width / height range (0.6 m / 2.1 m to 1.2 m / 2.0 m, widened).
pub const ASPECT_RANGE: (f64, f64) = (0.22, 0.65);
/// Plausible door top heights (metres; 1.9–2.2 m doors, widened for the
/// rough map units).
pub const TOP_RANGE_M: (f64, f64) = (1.7, 2.6);
/// A column's lowest point counts as the lintel when it is this close to
/// the door's median top (metres).
pub const TOP_AGREE_M: f64 = 0.1;
/// Fraction of a gap's columns whose lowest point agrees with the top.
pub const LINTEL_FRACTION: f64 = 0.6;
/// Wall above the lintel: a band from this far above the top…
const ABOVE_FROM_M: f64 = 0.08;
/// …to this far (metres), holding points in this fraction of the columns
/// (a ceiling met at the top of a passage has none there).
const ABOVE_TO_M: f64 = 0.3;
const ABOVE_FRACTION: f64 = 0.4;
/// Floor evidence: points within this height of z = 0 (metres)…
pub const FLOOR_BAND_M: f64 = 0.06;
/// …between these distances from the wall on each side (metres)…
const FLOOR_NEAR_M: f64 = 0.15;
const FLOOR_FAR_M: f64 = 1.0;
/// …at least this many on each side.
pub const MIN_FLOOR_POINTS: usize = 5;
/// Wall planes tried per axis at most, and the fewest points of one.
const MAX_WALLS_PER_AXIS: usize = 40;
const MIN_WALL_POINTS: usize = 50;
/// Cap on histogram bins / columns (a cloud with far outliers must not
/// allocate without bound); the extents are the 0.5–99.5 % quantiles.
const MAX_BINS: usize = 20_000;
const EXTENT_QUANTILE: f64 = 0.005;

/// Door search settings.
#[derive(Debug, Clone)]
pub struct DoorConfig {
    /// Map units per metre, roughly (camera height above the floor / its
    /// prior for a monocular map; 1 for a metric one). Metric thresholds
    /// are multiplied by it.
    pub units_per_m: f64,
}

impl Default for DoorConfig {
    /// A metric map.
    fn default() -> Self {
        DoorConfig { units_per_m: 1.0 }
    }
}

/// One door found.
#[derive(Debug, Clone, PartialEq)]
pub struct Door {
    /// 0: the wall's normal is along x (the wall runs along y); 1: along y.
    pub axis: usize,
    /// The wall plane's coordinate along `axis` (map units).
    pub offset: f64,
    /// The gap along the wall (map units, `start < end`).
    pub start: f64,
    pub end: f64,
    /// Height of the lintel's underside above the floor (map units).
    pub top: f64,
    /// Gap columns whose lowest point agrees with `top`, of all gap columns.
    pub lintel_columns: usize,
    pub columns: usize,
    /// Floor points on the two sides of the wall in front of the gap.
    pub floor_points: [usize; 2],
}

impl Door {
    /// Width along the wall (map units).
    pub fn width(&self) -> f64 {
        self.end - self.start
    }
}

/// The `q`-quantile of `v` (sorted in place); `None` when empty.
fn quantile(v: &mut [f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize;
    v.get(i).copied()
}

/// Index of `x` in bins of `bin` from `lo`, `None` outside `0..n`.
fn bin_of(x: f64, lo: f64, bin: f64, n: usize) -> Option<usize> {
    let i = ((x - lo) / bin).floor();
    (i >= 0.0 && i < n as f64).then_some(i as usize)
}

/// Doors in the levelled cloud `points` (see the module doc for the frame),
/// sorted by axis, offset and start. A non-positive or non-finite
/// `units_per_m`, or too few points, gives none.
pub fn find_doors(points: &[Point3<f64>], cfg: &DoorConfig) -> Vec<Door> {
    let u = cfg.units_per_m;
    if !(u.is_finite() && u > 0.0) {
        return vec![];
    }
    let pts: Vec<[f64; 3]> = points.iter().filter(|p| p.coords.iter().all(|c| c.is_finite())).map(|p| [p.x, p.y, p.z]).collect();
    let mut doors = vec![];
    for axis in 0..2 {
        for offset in wall_offsets(&pts, axis, u) {
            doors.extend(doors_in_wall(&pts, axis, offset, u));
        }
    }
    doors.sort_by(|a, b| (a.axis, a.offset, a.start).partial_cmp(&(b.axis, b.offset, b.start)).unwrap_or(std::cmp::Ordering::Equal));
    doors
}

/// Wall-plane offsets along `axis`: local maxima of the slab count.
fn wall_offsets(pts: &[[f64; 3]], axis: usize, u: f64) -> Vec<f64> {
    let mut xs: Vec<f64> = pts.iter().filter(|p| p[2] >= FLOOR_SKIP_M * u).map(|p| p[axis]).collect();
    if xs.len() < MIN_WALL_POINTS {
        return vec![];
    }
    let mut s = xs.clone();
    let (Some(lo), Some(hi)) = (quantile(&mut s, EXTENT_QUANTILE), quantile(&mut s, 1.0 - EXTENT_QUANTILE)) else { return vec![] };
    let bin = WALL_BIN_M * u;
    let n = (((hi - lo) / bin).ceil() as usize + 1).min(MAX_BINS);
    let mut hist = vec![0usize; n];
    for x in xs.drain(..) {
        if let Some(i) = bin_of(x, lo, bin, n) {
            hist[i] += 1;
        }
    }
    // Count in a slab of ±WALL_HALF_M around each bin (prefix sums).
    let half = ((WALL_HALF_M / WALL_BIN_M).round() as usize).max(1);
    let mut prefix = vec![0usize; n + 1];
    for i in 0..n {
        prefix[i + 1] = prefix[i] + hist[i];
    }
    let slab: Vec<usize> = (0..n).map(|i| prefix[(i + half + 1).min(n)] - prefix[i.saturating_sub(half)]).collect();
    // Greedy non-maximum suppression, strongest first.
    let sep = ((WALL_SEPARATION_M / WALL_BIN_M).round() as usize).max(1);
    let mut order: Vec<usize> = (0..n).filter(|&i| slab[i] >= MIN_WALL_POINTS).collect();
    order.sort_by(|&a, &b| slab[b].cmp(&slab[a]).then(a.cmp(&b)));
    let mut taken: Vec<usize> = vec![];
    for i in order {
        if taken.len() >= MAX_WALLS_PER_AXIS {
            break;
        }
        if taken.iter().all(|&j| i.abs_diff(j) >= sep) {
            taken.push(i);
        }
    }
    taken.sort_unstable();
    taken.into_iter().map(|i| lo + (i as f64 + 0.5) * bin).collect()
}

/// Doors in the wall plane at `offset` along `axis`.
fn doors_in_wall(pts: &[[f64; 3]], axis: usize, offset: f64, u: f64) -> Vec<Door> {
    let along = 1 - axis;
    let half = WALL_HALF_M * u;
    let wall: Vec<[f64; 2]> = pts.iter().filter(|p| (p[axis] - offset).abs() <= half && p[2] >= FLOOR_SKIP_M * u).map(|p| [p[along], p[2]]).collect();
    if wall.len() < MIN_WALL_POINTS {
        return vec![];
    }
    let mut ts: Vec<f64> = wall.iter().map(|p| p[0]).collect();
    let (Some(lo), Some(hi)) = (quantile(&mut ts, EXTENT_QUANTILE), quantile(&mut ts, 1.0 - EXTENT_QUANTILE)) else { return vec![] };
    let col = COLUMN_M * u;
    let n = (((hi - lo) / col).ceil() as usize + 1).min(MAX_BINS);
    // Per column: body-band count and the heights of its points.
    let mut body = vec![0usize; n];
    let mut zs: Vec<Vec<f64>> = vec![vec![]; n];
    for p in &wall {
        if let Some(c) = bin_of(p[0], lo, col, n) {
            if p[1] < BODY_TOP_M * u {
                body[c] += 1;
            }
            zs[c].push(p[1]);
        }
    }
    let mut counts: Vec<f64> = body.iter().filter(|&&b| b > 0).map(|&b| b as f64).collect();
    let Some(reference) = quantile(&mut counts, 0.75) else { return vec![] };
    if reference < MIN_REFERENCE_POINTS {
        return vec![];
    }
    let empty = |c: usize| (body[c] as f64) <= EMPTY_FRACTION * reference;
    let mut doors = vec![];
    let mut c = 0;
    while c < n {
        if !empty(c) {
            c += 1;
            continue;
        }
        let start = c;
        while c < n && empty(c) {
            c += 1;
        }
        if let Some(d) = check_gap(pts, &body, &zs, reference, start, c, [axis, along], offset, lo, u) {
            doors.push(d);
        }
    }
    doors
}

/// Checks the run of empty columns `start..end` as a door.
#[allow(clippy::too_many_arguments)]
fn check_gap(pts: &[[f64; 3]], body: &[usize], zs: &[Vec<f64>], reference: f64, start: usize, end: usize, [axis, along]: [usize; 2], offset: f64, lo: f64, u: f64) -> Option<Door> {
    let col = COLUMN_M * u;
    let width = (end - start) as f64 * col;
    if width < WIDTH_RANGE_M.0 * u || width > WIDTH_RANGE_M.1 * u {
        return None;
    }
    // Jambs: full columns on both sides.
    let jamb = |cols: &[usize]| cols.iter().filter(|&&c| body[c] as f64 >= JAMB_FRACTION * reference).count() >= JAMB_MIN_FULL;
    let left: Vec<usize> = (start.saturating_sub(JAMB_COLUMNS)..start).collect();
    let right: Vec<usize> = (end..(end + JAMB_COLUMNS).min(body.len())).collect();
    if left.len() < JAMB_COLUMNS || right.len() < JAMB_COLUMNS || !jamb(&left) || !jamb(&right) {
        return None;
    }
    // Top: the median of the columns' lowest points; most must agree.
    let lows: Vec<f64> = (start..end).filter_map(|c| zs[c].iter().copied().min_by(|a, b| a.total_cmp(b))).collect();
    let mut l = lows.clone();
    let median_low = quantile(&mut l, 0.5)?;
    // A column's lowest point lies above the lintel's underside by an
    // exponential gap (points spread along the wall at a linear density
    // `rho` per column): its median is ln 2 / rho, taken off.
    let above_points: usize = (start..end).map(|c| zs[c].iter().filter(|z| **z >= median_low && **z < median_low + ABOVE_TO_M * u).count()).sum();
    let rho = above_points as f64 / ((end - start) as f64 * ABOVE_TO_M * u);
    let top = median_low - if rho > 0.0 { (std::f64::consts::LN_2 / rho).min(TOP_AGREE_M * u) } else { 0.0 };
    if top < TOP_RANGE_M.0 * u || top > TOP_RANGE_M.1 * u {
        return None;
    }
    let columns = end - start;
    let lintel_columns = lows.iter().filter(|z| (*z - top).abs() <= TOP_AGREE_M * u).count();
    if (lintel_columns as f64) < LINTEL_FRACTION * columns as f64 {
        return None;
    }
    let aspect = width / top;
    if aspect < ASPECT_RANGE.0 || aspect > ASPECT_RANGE.1 {
        return None;
    }
    // Wall above the lintel.
    // (measured from the columns' median lowest point, not the corrected
    // top, so that a ceiling's own noise does not count as wall).
    let above = (start..end).filter(|&c| zs[c].iter().any(|z| *z >= median_low + ABOVE_FROM_M * u && *z <= median_low + ABOVE_TO_M * u)).count();
    if (above as f64) < ABOVE_FRACTION * columns as f64 {
        return None;
    }
    // Floor on both sides in front of the gap.
    let (t0, t1) = (lo + start as f64 * col, lo + end as f64 * col);
    let mut floor_points = [0usize; 2];
    for p in pts {
        let d = p[axis] - offset;
        if p[2].abs() <= FLOOR_BAND_M * u && p[along] >= t0 && p[along] < t1 && d.abs() >= FLOOR_NEAR_M * u && d.abs() <= FLOOR_FAR_M * u {
            floor_points[usize::from(d > 0.0)] += 1;
        }
    }
    if floor_points.iter().any(|&k| k < MIN_FLOOR_POINTS) {
        return None;
    }
    Some(Door { axis, offset, start: t0, end: t1, top, lintel_columns, columns, floor_points })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// An opening in a wall: along-wall range and height range (metres).
    struct Hole {
        t: (f64, f64),
        z: (f64, f64),
    }

    /// Points of a wall at `x = offset` (normal along x) from y 0..len,
    /// 0..height, minus `holes`, about `density` points per m².
    fn wall_x(offset: f64, len: f64, height: f64, holes: &[Hole], density: f64, rng: &mut ChaCha8Rng, out: &mut Vec<Point3<f64>>) {
        let n = (len * height * density) as usize;
        for _ in 0..n {
            let (y, z) = (rng.random_range(0.0..len), rng.random_range(0.0..height));
            if holes.iter().any(|h| y >= h.t.0 && y <= h.t.1 && z >= h.z.0 && z <= h.z.1) {
                continue;
            }
            out.push(Point3::new(offset + rng.random_range(-0.015..0.015), y, z));
        }
    }

    /// Floor points over x0..x1, y0..y1.
    fn floor(x: (f64, f64), y: (f64, f64), density: f64, rng: &mut ChaCha8Rng, out: &mut Vec<Point3<f64>>) {
        let n = ((x.1 - x.0) * (y.1 - y.0) * density) as usize;
        for _ in 0..n {
            out.push(Point3::new(rng.random_range(x.0..x.1), rng.random_range(y.0..y.1), rng.random_range(-0.01..0.01)));
        }
    }

    /// Two rooms x 0..4 and 4.12..8 (a 12 cm wall between them at x = 4
    /// and 4.12), y 0..4, ceiling 2.6 m, with `doors` in the middle wall
    /// (both faces), a window (sill 0.9 m, top 2.1 m) in the outer wall at
    /// x = 0, an open door leaf standing at the first door's hinge.
    fn rooms(doors: &[(f64, f64, f64)], density: f64, seed: u64) -> Vec<Point3<f64>> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut pts = vec![];
        let (len, h) = (4.0, 2.6);
        let holes: Vec<Hole> = doors.iter().map(|&(a, b, top)| Hole { t: (a, b), z: (-1.0, top) }).collect();
        wall_x(4.0, len, h, &holes, density, &mut rng, &mut pts);
        wall_x(4.12, len, h, &holes, density, &mut rng, &mut pts);
        wall_x(0.0, len, h, &[Hole { t: (1.5, 2.5), z: (0.9, 2.1) }], density, &mut rng, &mut pts);
        wall_x(8.12, len, h, &[], density, &mut rng, &mut pts);
        // Walls along x (normal y) at y = 0 and 4, both rooms.
        for y in [0.0, 4.0] {
            for _ in 0..(8.0 * h * density) as usize {
                pts.push(Point3::new(rng.random_range(0.0..8.12), y, rng.random_range(0.0..h)));
            }
        }
        floor((0.0, 4.0), (0.0, 4.0), density, &mut rng, &mut pts);
        floor((4.12, 8.12), (0.0, 4.0), density, &mut rng, &mut pts);
        for _ in 0..(64.0 * density * 0.5) as usize {
            pts.push(Point3::new(rng.random_range(0.0..8.12), rng.random_range(0.0..4.0), h));
        }
        // The first door's leaf, open 90° into the left room at its hinge.
        if let Some(&(a, b, top)) = doors.first() {
            for _ in 0..((b - a) * top * density) as usize {
                pts.push(Point3::new(4.0 - rng.random_range(0.0..(b - a)), a + 0.02, rng.random_range(0.0..top)));
            }
        }
        pts
    }

    fn scaled(pts: &[Point3<f64>], s: f64) -> Vec<Point3<f64>> {
        pts.iter().map(|p| Point3::from(p.coords * s)).collect()
    }

    /// Doors of the cloud, one per (axis, gap) (the two faces of a wall
    /// both see the gap).
    fn tops(doors: &[Door]) -> Vec<f64> {
        doors.iter().map(|d| d.top).collect()
    }

    #[test]
    fn one_door_is_found_with_its_height() {
        let pts = rooms(&[(1.0, 1.85, 2.05)], 400.0, 1);
        let doors = find_doors(&pts, &DoorConfig::default());
        assert!(!doors.is_empty(), "no door");
        for d in &doors {
            assert_eq!(d.axis, 0, "{d:?}");
            assert!((d.offset - 4.0).abs() < 0.1, "{d:?}");
            assert!((d.top - 2.05).abs() < 0.04, "{d:?}");
            assert!((d.width() - 0.85).abs() < 0.16, "{d:?}");
        }
    }

    #[test]
    fn two_doors_are_found_and_the_window_is_not() {
        let pts = rooms(&[(0.5, 1.3, 2.0), (2.6, 3.5, 2.15)], 400.0, 2);
        let doors = find_doors(&pts, &DoorConfig::default());
        assert!(doors.iter().all(|d| d.axis == 0 && (d.offset - 4.0).abs() < 0.1), "{doors:?}");
        let mut t = tops(&doors);
        t.sort_by(|a, b| a.total_cmp(b));
        assert!(t.len() == 2 && (t[0] - 2.0).abs() < 0.04 && (t[1] - 2.15).abs() < 0.04, "{doors:?}");
    }

    #[test]
    fn a_room_without_doors_has_none() {
        // The window's sill wall is seen; no floor outside it.
        let pts = rooms(&[], 400.0, 3);
        assert!(find_doors(&pts, &DoorConfig::default()).is_empty());
        // A window reaching almost to the floor, with floor outside too:
        // the sill wall below it still rules it out.
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut pts = vec![];
        wall_x(0.0, 4.0, 2.6, &[Hole { t: (1.0, 1.9), z: (0.45, 2.1) }], 400.0, &mut rng, &mut pts);
        floor((-2.0, 2.0), (0.0, 4.0), 400.0, &mut rng, &mut pts);
        assert!(find_doors(&pts, &DoorConfig::default()).is_empty());
        // A passage up to the ceiling has no lintel.
        let pts = rooms(&[(1.0, 1.85, 2.7)], 400.0, 5);
        assert!(find_doors(&pts, &DoorConfig::default()).is_empty());
    }

    #[test]
    fn too_sparse_or_bad_input_gives_none() {
        let pts = rooms(&[(1.0, 1.85, 2.05)], 8.0, 6);
        assert!(find_doors(&pts, &DoorConfig::default()).is_empty());
        let pts = rooms(&[(1.0, 1.85, 2.05)], 400.0, 6);
        for u in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(find_doors(&pts, &DoorConfig { units_per_m: u }).is_empty());
        }
        assert!(find_doors(&[], &DoorConfig::default()).is_empty());
        let mut with_nan = pts.clone();
        with_nan.push(Point3::new(f64::NAN, 0.0, 1.0));
        with_nan.push(Point3::new(1e12, -1e12, 1.0));
        assert!(!find_doors(&with_nan, &DoorConfig::default()).is_empty());
    }

    #[test]
    fn scale_free() {
        let pts = rooms(&[(0.5, 1.3, 2.0), (2.6, 3.5, 2.15)], 400.0, 7);
        let metric = find_doors(&pts, &DoorConfig::default());
        let s = 0.3;
        let small = find_doors(&scaled(&pts, s), &DoorConfig { units_per_m: s });
        assert_eq!(metric.len(), small.len(), "{metric:?} {small:?}");
        for (a, b) in metric.iter().zip(&small) {
            assert!((a.top * s - b.top).abs() < 1e-9 && a.columns == b.columns, "{a:?} {b:?}");
        }
    }
}
