//! Optional refinement of wall lines against point-cloud evidence.
//!
//! For every wall (or every line shared by collinear walls, which moves as
//! one), the cloud's points in a band around the wall's plane are
//! collected: within the wall's extent less its ends (where the
//! neighbouring walls' faces are), above the floor and below the top. A
//! wall has thickness, so its points lie on its faces, half a thickness to
//! the side of its centre line; the faces are the sides a room lies on (an
//! outer wall is seen from inside only). Each point therefore votes for a
//! centre-line offset, and a 1D RANSAC ([`crate::geom::ransac`]) finds the
//! offset most points agree on; its inliers must form a vertical plane
//! parallel to the wall ([`crate::geom::plane::fit_plane`]) and cover enough
//! of the wall's length. Directions never change: walls on the Manhattan
//! frame stay on it exactly, free walls keep their angle; only the offsets
//! move. Corners are then recomputed by line intersection and T-junction
//! ends slide onto their (moved) hosts. A wall without enough evidence stays
//! where it is and the report says why; a refinement that would break the
//! wall rules (a wall collapsing or crossing another) is undone.
//!
//! Knows layouts, the solver's wall graph and point clouds; nothing of files.

use super::walls::{exact_on, place_corners, write_back, Class, Dsu, WallGraph, WorkWall};
use super::{Pass, SolveConfig, SolveReport};
use crate::cloud::PointCloud;
use crate::geom::line::P2;
use crate::geom::plane::fit_plane;
use crate::geom::ransac::{ransac, Estimator, RansacConfig};
use crate::layout::validate::rooms;
use crate::layout::{EntityRef, Layout, Rule};
use nalgebra::{Point3, Vector3};

/// Points closer than this (m) to the floor are not wall evidence: floor
/// points, skirting boards and the noise of the floor-wall edge.
pub const FLOOR_CLEARANCE: f64 = 0.15;
/// Points closer than this (m) to the wall's top are not evidence either
/// (ceiling points, cornices).
pub const TOP_CLEARANCE: f64 = 0.15;
/// Length (m) left out at each end of a wall: the neighbouring walls' faces
/// meet it there (half a thickness plus the corner's uncertainty). At most
/// a quarter of the wall's length is left out at each end.
pub const END_TRIM: f64 = 0.25;
/// The inliers must fill at least this fraction of the wall's (trimmed)
/// length, in [`COVERAGE_BIN`] bins: a sofa back or a wardrobe side is not
/// the wall.
pub const MIN_COVERAGE: f64 = 0.3;
/// Bin length (m) of the coverage test.
pub const COVERAGE_BIN: f64 = 0.1;
/// Largest angle (degrees) between the inliers' least-squares plane and
/// the wall's plane: the evidence must be a vertical plane parallel to the
/// wall.
pub const MAX_PLANE_ANGLE_DEG: f64 = 10.0;
/// Points are thinned to one vote (the median across the wall) per cell of
/// this size (m) along the wall and up it: RANSAC then weighs surfaces by
/// the area they cover, not by their point density (a sofa scanned from
/// close up is denser than the wall behind it).
pub const THIN_CELL: f64 = 0.05;
/// Thickness estimation thins by occupancy instead, also across the wall
/// in cells of this size (m), so that both faces keep their votes.
pub const THIN_CELL_ACROSS: f64 = 0.03;
/// At most this many points per line enter RANSAC (an even subsample
/// beyond): 5000 points pin an offset to a fraction of a millimetre.
pub const MAX_POINTS_PER_LINE: usize = 5000;
/// Mean-shift steps re-centring the RANSAC inlier window.
const MEAN_SHIFT_STEPS: usize = 10;
/// Largest number of RANSAC hypotheses per line.
const RANSAC_ITERATIONS: usize = 200;
/// Walls thinner than this (m) have one face: the centre line itself.
const THIN_WALL: f64 = 1e-3;
/// Distance (m) off the centre line at which the room on each side of a
/// wall is probed.
const SIDE_PROBE: f64 = 0.05;
/// Frame refit: walls shorter than this (m) give no direction; at least
/// this many walls must; turns below this (degrees) are not made.
pub const FRAME_MIN_WALL: f64 = 1.0;
pub const FRAME_MIN_WALLS: usize = 2;
pub const FRAME_MIN_TURN_DEG: f64 = 0.01;
/// Thickness estimation: the closest and farthest two faces of one wall
/// may be (m), and the share of the stronger face's inliers the weaker
/// needs (a sofa back is not a second face).
pub const MIN_THICKNESS: f64 = 0.04;
pub const MAX_THICKNESS: f64 = 0.4;
pub const SECOND_FACE_SHARE: f64 = 0.3;
/// A refit may move a corner at most this many times `refine_max_shift`:
/// more means nearly parallel walls meet there and the shift is amplified.
pub const CORNER_LIMIT: f64 = 2.0;
/// Cell size (m) of the grid the points are bucketed in.
const GRID_CELL: f64 = 0.5;
/// Most cells of that grid (the cell grows for huge layouts).
const GRID_MAX_CELLS: f64 = 1.0e6;

/// RANSAC estimator of one offset from 1D votes: a one-point sample is a
/// hypothesis, many votes fit by their mean.
struct OffsetEstimator;

impl Estimator for OffsetEstimator {
    type Datum = f64;
    type Model = f64;
    const SAMPLE_SIZE: usize = 1;

    fn fit(&self, sample: &[f64]) -> Option<f64> {
        if sample.is_empty() {
            return None;
        }
        let m = sample.iter().sum::<f64>() / sample.len() as f64;
        m.is_finite().then_some(m)
    }

    fn residual(&self, model: &f64, d: &f64) -> f64 {
        (d - model).abs()
    }
}

/// Cloud points in frame coordinates, bucketed in a uniform grid.
struct Points {
    /// (u, v, z) per kept point.
    pts: Vec<[f64; 3]>,
    origin: P2,
    cell: f64,
    nx: usize,
    ny: usize,
    /// Point indices per cell (row-major, `ix + iy * nx`).
    cells: Vec<Vec<u32>>,
}

impl Points {
    /// Points inside `lo..hi` (frame coordinates); the rest cannot be
    /// evidence for any wall.
    fn new(cloud: &PointCloud, g: &WallGraph, lo: P2, hi: P2) -> Points {
        let span = hi - lo;
        let cell = GRID_CELL.max((span.x.max(0.0) * span.y.max(0.0) / GRID_MAX_CELLS).sqrt());
        let nx = ((span.x / cell).ceil() as usize).max(1);
        let ny = ((span.y / cell).ceil() as usize).max(1);
        let mut cells = vec![Vec::new(); nx * ny];
        let mut pts = Vec::new();
        for p in &cloud.points {
            let [x, y, z] = p.map(f64::from);
            if !(x.is_finite() && y.is_finite() && z.is_finite()) {
                continue;
            }
            let q = g.frame.to_frame(P2::new(x, y));
            if q.x < lo.x || q.y < lo.y || q.x >= hi.x || q.y >= hi.y || pts.len() >= u32::MAX as usize {
                continue;
            }
            let ix = (((q.x - lo.x) / cell) as usize).min(nx - 1);
            let iy = (((q.y - lo.y) / cell) as usize).min(ny - 1);
            cells[ix + iy * nx].push(pts.len() as u32);
            pts.push([q.x, q.y, z]);
        }
        Points { pts, origin: lo, cell, nx, ny, cells }
    }

    /// Indices of the points whose (u, v) may lie in the box `lo..hi`, in
    /// ascending cell order (deterministic).
    fn near(&self, lo: P2, hi: P2) -> impl Iterator<Item = u32> + '_ {
        let cx = |x: f64, n: usize| (((x / self.cell).floor().max(0.0)) as usize).min(n - 1);
        let (x0, x1) = (cx(lo.x - self.origin.x, self.nx), cx(hi.x - self.origin.x, self.nx));
        let (y0, y1) = (cx(lo.y - self.origin.y, self.ny), cx(hi.y - self.origin.y, self.ny));
        (y0..=y1).flat_map(move |iy| (x0..=x1).flat_map(move |ix| self.cells[ix + iy * self.nx].iter().copied()))
    }
}

/// Unit normal of a wall in frame coordinates (+90° from a to b).
fn normal(w: &WorkWall) -> Option<P2> {
    let d = w.b - w.a;
    let l = d.norm();
    (l > 1e-9).then(|| P2::new(-d.y / l, d.x / l))
}

/// The sides (+1 along the normal, -1 against it) on which a room lies.
fn room_sides(w: &WorkWall, n: P2, g: &WallGraph, rs: &[crate::layout::validate::Room]) -> Vec<f64> {
    let mine: Vec<&crate::layout::validate::Room> = rs.iter().filter(|r| r.walls.contains(&w.id)).collect();
    let probe = SIDE_PROBE.min(w.len() / 4.0);
    [1.0, -1.0]
        .into_iter()
        .filter(|s| {
            [0.25, 0.5, 0.75].iter().any(|t| {
                let p = g.frame.to_world(w.a + (w.b - w.a) * *t + n * (s * probe));
                mine.iter().any(|r| r.contains(&p))
            })
        })
        .collect()
}

/// One vote: the centre-line offset a point implies, the point, and the
/// face side it was taken to lie on.
#[derive(Debug, Clone, Copy)]
struct Vote {
    offset: f64,
    point: u32,
    side: f64,
    wall: usize,
}

/// Refines the offsets of the wall lines of `g` against `cloud`, recomputes
/// the corners and T-junctions, and writes the walls back into `layout`.
/// Every moved wall is recorded (pass `refine`); walls left in place for
/// lack of evidence are listed as skipped with the reason.
pub fn refine_walls(layout: &mut Layout, g: &mut WallGraph, cloud: &PointCloud, cfg: &SolveConfig, report: &mut SolveReport) {
    if g.walls.is_empty() {
        report.skip(Pass::Refine, EntityRef::Layout, format!("no walls to refine against the {} cloud points", cloud.len()));
        return;
    }
    let band = cfg.refine_band;
    let bounds = |g: &WallGraph| {
        let (mut lo, mut hi) = (P2::repeat(f64::INFINITY), P2::repeat(f64::NEG_INFINITY));
        for w in &g.walls {
            let reach = band + w.thickness.max(0.0) / 2.0 + 1e-6;
            for p in [w.a, w.b] {
                lo = lo.inf(&(p - P2::repeat(reach)));
                hi = hi.sup(&(p + P2::repeat(reach)));
            }
        }
        (lo, hi)
    };
    let (lo, hi) = bounds(g);
    let mut points = Points::new(cloud, g, lo, hi);
    let frame_turned = {
        // Heights as the height pass left them (the graph's may be older).
        let height = |id: u32| layout.wall(id).map_or(0.0, |w| w.height);
        cfg.refine_frame && refine_frame(g, &points, cfg, height, report)
    };
    if frame_turned {
        // The points are kept in the frame's coordinates: bucket them again.
        write_back(layout, g);
        let (lo, hi) = bounds(g);
        points = Points::new(cloud, g, lo, hi);
    }
    let height = |id: u32| layout.wall(id).map_or(0.0, |w| w.height);
    let rs = rooms(layout, &cfg.tolerances);

    // Lines: walls of one class sharing a corner keep sharing their line.
    let n = g.walls.len();
    let mut dsu = Dsu::new(n);
    for c in &g.corners {
        for x in 0..c.len() {
            for y in x + 1..c.len() {
                let (a, b) = (c[x].0, c[y].0);
                if a < n && b < n && g.walls[a].class != Class::Free && g.walls[a].class == g.walls[b].class {
                    dsu.union(a, b);
                }
            }
        }
    }
    let mut lines: Vec<Vec<usize>> = Vec::new();
    let mut root_line = vec![usize::MAX; n];
    let mut line_of = Vec::with_capacity(n);
    for i in 0..n {
        let r = dsu.find(i);
        if root_line[r] == usize::MAX {
            root_line[r] = lines.len();
            lines.push(Vec::new());
        }
        line_of.push(root_line[r]);
        lines[root_line[r]].push(i);
    }

    // Thickness 0 means unknown (SpatialLM writes it so): measure it where
    // both faces are seen, and give the median to one-faced walls.
    let thickness0: Vec<f64> = g.walls.iter().map(|w| w.thickness).collect();
    let thickness_notes = estimate_thickness(g, &points, &rs, cfg, height);
    let before = g.walls.clone();
    let restore = |g: &mut WallGraph| {
        for (w, t) in g.walls.iter_mut().zip(&thickness0) {
            w.thickness = *t;
        }
    };
    // (shift, inliers, walls on the line, normal) per line that has a fit.
    let mut line_fit: Vec<Option<(f64, usize, P2)>> = vec![None; lines.len()];
    for (k, members) in lines.iter().enumerate() {
        match fit_line_offset(members, g, &points, &rs, cfg, height, k as u64) {
            Ok((shift, n0, inliers)) => line_fit[k] = Some((shift, inliers, n0)),
            Err(why) => {
                for &i in members {
                    report.skip(Pass::Refine, EntityRef::Wall(g.walls[i].id), format!("{why}; left where it is"));
                }
            }
        }
    }
    // Move the lines, recompute corners and T's; a line whose move would
    // throw a corner far (nearly parallel walls meeting) stays, with its
    // neighbours, and the rest is recomputed.
    let corner_limit = CORNER_LIMIT * cfg.refine_max_shift;
    for _ in 0..=lines.len() {
        g.walls = before.clone();
        apply_shifts(&mut g.walls, &lines, &line_fit);
        place_corners(&mut g.walls, &g.corners);
        for &(i, e, j) in &g.tees.clone() {
            if i >= n || j >= n {
                continue;
            }
            let (Some(li), Some(lj)) = (g.walls[i].line(), g.walls[j].line()) else { continue };
            if let Some(x) = li.intersect(&lj) {
                let x = exact_on(&g.walls[i], &g.walls[j], x);
                if e == 0 {
                    g.walls[i].a = x;
                } else {
                    g.walls[i].b = x;
                }
            }
        }
        let far = (0..n).find(|&i| (g.walls[i].a - before[i].a).norm().max((g.walls[i].b - before[i].b).norm()) > corner_limit);
        let Some(i) = far else { break };
        let d = (g.walls[i].a - before[i].a).norm().max((g.walls[i].b - before[i].b).norm());
        let mut hold = vec![line_of[i]];
        for c in g.corners.iter().filter(|c| c.iter().any(|&(w, _)| w == i)) {
            hold.extend(c.iter().filter(|&&(w, _)| w < n).map(|&(w, _)| line_of[w]));
        }
        for &(a, _, b) in g.tees.iter().filter(|t| t.0 == i || t.2 == i) {
            hold.extend([a, b].iter().filter(|&&w| w < n).map(|&w| line_of[w]));
        }
        let mut any = false;
        for k in hold {
            if line_fit[k].take().is_some() {
                any = true;
                for &w in &lines[k] {
                    report.skip(Pass::Refine, EntityRef::Wall(g.walls[w].id), format!("its refit would throw wall_{}'s corner {d:.2} m; left where it is", g.walls[i].id));
                }
            }
        }
        if !any {
            break;
        }
    }
    let fits: Vec<Option<(f64, usize, usize)>> = (0..n).map(|i| line_fit[line_of[i]].map(|(s, inl, _)| (s, inl, lines[line_of[i]].len()))).collect();
    if fits.iter().all(Option::is_none) {
        g.walls = before;
        restore(g);
        return;
    }
    // Undo everything when a wall collapsed, flipped, or the wall rules
    // now fail where they did not.
    let broken = g.walls.iter().zip(&before).find(|(w, b)| {
        !(w.a.iter().chain(w.b.iter()).all(|x| x.is_finite()))
            || w.len() < cfg.tolerances.min_wall_length
            || (w.b - w.a).dot(&(b.b - b.a)) <= 0.0
    });
    let wall_rules = |walls: &[WorkWall]| {
        let mut l = Layout::new();
        l.walls = layout.walls.clone();
        let tmp = WallGraph { frame: g.frame, walls: walls.to_vec(), corners: Vec::new(), tees: Vec::new() };
        write_back(&mut l, &tmp);
        l.validate_with(&cfg.tolerances).into_iter().filter(|v| matches!(v.entity, EntityRef::Wall(_)) && v.rule != Rule::NonFinite).count()
    };
    let undo = match broken {
        Some((w, _)) => Some(format!("wall_{} would collapse or flip ({:.3} m long)", w.id, w.len())),
        None => {
            let (was, now) = (wall_rules(&before), wall_rules(&g.walls));
            (now > was).then(|| format!("the refitted walls break {} more wall rule(s) than before", now - was))
        }
    };
    if let Some(why) = undo {
        g.walls = before;
        restore(g);
        report.skip(Pass::Refine, EntityRef::Layout, format!("refinement undone: {why}"));
        return;
    }
    for (i, (w, b)) in g.walls.iter().zip(&before).enumerate() {
        let d = (w.a - b.a).norm().max((w.b - b.b).norm());
        if d <= 1e-9 {
            continue;
        }
        let detail = match fits[i] {
            Some((s, inl, 1)) => format!("refitted to {inl} cloud inliers: {:.3} m across", s.abs()),
            Some((s, inl, m)) => format!("line shared by {m} walls refitted to {inl} cloud inliers: {:.3} m across", s.abs()),
            None => "end moved with a refitted neighbour".to_string(),
        };
        report.change(EntityRef::Wall(w.id), Pass::Refine, d, detail);
    }
    for (i, note) in thickness_notes {
        if let Some(lw) = layout.walls.iter_mut().find(|lw| lw.id == g.walls[i].id) {
            lw.thickness = g.walls[i].thickness;
        }
        report.change(EntityRef::Wall(g.walls[i].id), Pass::Refine, 0.0, note);
    }
    write_back(layout, g);
}

/// 2D line estimator for the frame refit (two-point hypotheses,
/// total least squares on many).
struct LineEstimator;

impl Estimator for LineEstimator {
    type Datum = P2;
    type Model = crate::geom::line::Line2;
    const SAMPLE_SIZE: usize = 2;

    fn fit(&self, sample: &[P2]) -> Option<crate::geom::line::Line2> {
        match sample {
            [a, b] => crate::geom::line::Line2::through(*a, *b),
            _ => crate::geom::line::fit_line(sample),
        }
    }

    fn residual(&self, model: &crate::geom::line::Line2, p: &P2) -> f64 {
        model.distance(p)
    }
}

/// Frame refit: the decoded walls' directions (hence the frame estimated
/// from them) can be a few degrees off; the cloud's walls are not. For
/// every Manhattan wall at least [`FRAME_MIN_WALL`] long, a RANSAC line
/// through its band's points gives its direction in the cloud; the
/// length-weighted median deviation from the frame (at least
/// [`FRAME_MIN_WALLS`] walls) turns the frame, about the layout's centre,
/// so that every wall keeps its class and stays exact. A frame within
/// `axis_prior_deg` of the axes becomes the axes, as in the frame pass (the
/// cloud was aligned to gravity and the Manhattan axes upstream). Returns
/// whether the frame turned.
fn refine_frame(g: &mut WallGraph, points: &Points, cfg: &SolveConfig, height: impl Fn(u32) -> f64, report: &mut SolveReport) -> bool {
    use crate::geom::line::{angle_diff_mod, angle_of, signed_angle_diff_mod};
    use std::f64::consts::{FRAC_PI_2, PI};
    let mut devs: Vec<(f64, f64)> = Vec::new();
    for (i, w) in g.walls.iter().enumerate() {
        if w.class == Class::Free || w.len() < FRAME_MIN_WALL {
            continue;
        }
        let Some(n) = normal(w) else { continue };
        let pts: Vec<P2> = gather(w, n, cfg.refine_band + w.thickness.max(0.0) / 2.0, points, height(w.id))
            .into_iter()
            .map(|(k, _, _)| {
                let [u, v, _] = points.pts[k as usize];
                P2::new(u, v)
            })
            .collect();
        let rc = RansacConfig { threshold: cfg.refine_inlier, max_iterations: RANSAC_ITERATIONS, min_inliers: cfg.refine_min_inliers, seed: cfg.seed ^ (i as u64) ^ 0xf4a3e, ..Default::default() };
        let Ok(fit) = ransac(&LineEstimator, &pts, &rc) else { continue };
        let axis = if w.class == Class::U { 0.0 } else { FRAC_PI_2 };
        let d = signed_angle_diff_mod(angle_of(&fit.model.dir), axis, PI);
        if d.abs() <= cfg.snap_angle_deg.to_radians() {
            devs.push((d, w.len()));
        }
    }
    if devs.len() < FRAME_MIN_WALLS {
        return false;
    }
    devs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = devs.iter().map(|d| d.1).sum();
    let mut acc = 0.0;
    let mut delta = 0.0;
    for (d, wgt) in &devs {
        acc += wgt;
        delta = *d;
        if acc >= total / 2.0 {
            break;
        }
    }
    let old = g.frame.angle;
    let mut new = (old + delta).rem_euclid(FRAC_PI_2);
    if angle_diff_mod(new, 0.0, FRAC_PI_2) <= cfg.axis_prior_deg.to_radians() {
        new = 0.0;
    }
    let turn = signed_angle_diff_mod(new, old, FRAC_PI_2);
    if turn.abs() < FRAME_MIN_TURN_DEG.to_radians() {
        return false;
    }
    // Turn about the walls' centre: in frame coordinates that is one
    // translation of every wall, so U / V walls stay exactly U / V.
    let m = g.walls.iter().fold(P2::zeros(), |s, w| s + w.a + w.b) / (2 * g.walls.len()) as f64;
    let c = g.frame.to_world(m);
    let target = old + turn;
    let t = super::walls::Frame::new(target).to_frame(c) - g.frame.to_frame(c);
    for w in &mut g.walls {
        w.a += t;
        w.b += t;
    }
    // The frame angle lives in [0, 90°): past either end, the frame
    // coordinates turn a quarter (exactly: a swap and a sign) and U and V
    // trade places.
    let k = ((target - new) / FRAC_PI_2).round();
    let quarter: Option<fn(P2) -> P2> = if k > 0.5 {
        Some(|q: P2| P2::new(-q.y, q.x))
    } else if k < -0.5 {
        Some(|q: P2| P2::new(q.y, -q.x))
    } else {
        None
    };
    if let Some(f) = quarter {
        for w in &mut g.walls {
            w.a = f(w.a);
            w.b = f(w.b);
            w.class = match w.class {
                Class::U => Class::V,
                Class::V => Class::U,
                Class::Free => Class::Free,
            };
        }
    }
    g.frame = super::walls::Frame::new(new);
    report.frame = Some(new);
    report.change(EntityRef::Layout, Pass::Refine, turn.abs(), format!("frame turned {:.2}° to the walls' directions in the cloud ({} walls)", turn.to_degrees(), devs.len()));
    true
}

/// The trimmed extent `(t0, t1)` along a wall that is evidence for it: its
/// length less [`END_TRIM`] (at most a quarter) at each end.
fn trimmed(w: &WorkWall) -> (f64, f64) {
    let trim = END_TRIM.min(w.len() / 4.0);
    (trim, w.len() - trim)
}

/// The points in a wall's band: within its [`trimmed`] extent, at most
/// `reach` across its centre line (normal `n`), above [`FLOOR_CLEARANCE`]
/// and below `top` less [`TOP_CLEARANCE`]; each as `(index, along, across,
/// z)`.
fn band<'a>(w: &'a WorkWall, n: P2, reach: f64, points: &'a Points, top: f64) -> impl Iterator<Item = (u32, f64, f64, f64)> + 'a {
    let dir = (w.b - w.a) / w.len();
    let (t0, t1) = trimmed(w);
    let corners = [w.a + dir * t0 + n * reach, w.a + dir * t0 - n * reach, w.a + dir * t1 + n * reach, w.a + dir * t1 - n * reach];
    let blo = corners.iter().fold(P2::repeat(f64::INFINITY), |m, p| m.inf(p));
    let bhi = corners.iter().fold(P2::repeat(f64::NEG_INFINITY), |m, p| m.sup(p));
    points.near(blo, bhi).filter_map(move |idx| {
        let [u, v, z] = points.pts[idx as usize];
        if z < FLOOR_CLEARANCE || z > top - TOP_CLEARANCE {
            return None;
        }
        let rel = P2::new(u, v) - w.a;
        let (along, across) = (rel.dot(&dir), rel.dot(&n));
        (along >= t0 && along <= t1 && across.abs() <= reach).then_some((idx, along, across, z))
    })
}

/// A wall's [`band`] thinned to one point per occupied cell ([`THIN_CELL`]
/// along and up, [`THIN_CELL_ACROSS`] across): `(index, along, across)`.
fn gather(w: &WorkWall, n: P2, reach: f64, points: &Points, top: f64) -> Vec<(u32, f64, f64)> {
    let mut seen: std::collections::HashSet<(i64, i64, i64)> = Default::default();
    let mut out = Vec::new();
    for (idx, along, across, z) in band(w, n, reach, points, top) {
        let key = ((along / THIN_CELL).floor() as i64, (z / THIN_CELL).floor() as i64, (across / THIN_CELL_ACROSS).floor() as i64);
        if seen.insert(key) {
            out.push((idx, along, across));
        }
    }
    out
}

/// Thickness of walls whose thickness is unknown (0): where rooms lie on
/// both sides, the distance between the two strongest parallel planes in
/// the band (each found by RANSAC, [`MIN_THICKNESS`] to [`MAX_THICKNESS`]
/// apart, the weaker with at least [`SECOND_FACE_SHARE`] of the stronger's
/// inliers); one-faced walls then take the median of those. Sets the
/// graph's thicknesses and returns what was done, per wall index.
fn estimate_thickness(g: &mut WallGraph, points: &Points, rs: &[crate::layout::validate::Room], cfg: &SolveConfig, height: impl Fn(u32) -> f64) -> Vec<(usize, String)> {
    let mut notes = Vec::new();
    let unknown: Vec<usize> = (0..g.walls.len()).filter(|&i| g.walls[i].thickness <= THIN_WALL).collect();
    if unknown.is_empty() {
        return notes;
    }
    let mut measured = Vec::new();
    let mut one_faced = Vec::new();
    for &i in &unknown {
        let w = &g.walls[i];
        let Some(n) = normal(w) else { continue };
        // Probe the sides as if the wall had the largest thickness.
        let probe = WorkWall { thickness: MAX_THICKNESS, ..w.clone() };
        let sides = room_sides(&probe, n, g, rs);
        if sides.len() < 2 {
            one_faced.push(i);
            continue;
        }
        let data: Vec<f64> = gather(w, n, cfg.refine_band + MAX_THICKNESS / 2.0, points, height(w.id)).into_iter().map(|p| p.2).collect();
        let rc = RansacConfig { threshold: cfg.refine_inlier, max_iterations: RANSAC_ITERATIONS, min_inliers: cfg.refine_min_inliers, seed: cfg.seed ^ (i as u64), ..Default::default() };
        let Ok(first) = ransac(&OffsetEstimator, &data, &rc) else { continue };
        let rest: Vec<f64> = data.iter().enumerate().filter(|(k, _)| first.inliers.binary_search(k).is_err()).map(|(_, d)| *d).collect();
        let Ok(second) = ransac(&OffsetEstimator, &rest, &rc) else { continue };
        let t = (second.model - first.model).abs();
        if !(MIN_THICKNESS..=MAX_THICKNESS).contains(&t) || (second.inliers.len() as f64) < SECOND_FACE_SHARE * first.inliers.len() as f64 {
            continue;
        }
        g.walls[i].thickness = t;
        measured.push(t);
        notes.push((i, format!("thickness 0 (unknown) measured as {t:.3} m between its two faces")));
    }
    if measured.is_empty() {
        return notes;
    }
    let mut m = measured.clone();
    m.sort_by(f64::total_cmp);
    let med = m[(m.len() - 1) / 2];
    for i in one_faced {
        g.walls[i].thickness = med;
        notes.push((i, format!("thickness 0 (unknown) taken as {med:.3} m, the median of {} wall(s) seen from both sides", measured.len())));
    }
    notes
}

/// Moves every wall of each fitted line by its shift across the line.
fn apply_shifts(walls: &mut [WorkWall], lines: &[Vec<usize>], fits: &[Option<(f64, usize, P2)>]) {
    for (members, fit) in lines.iter().zip(fits) {
        let Some((shift, _, n0)) = *fit else { continue };
        for &i in members {
            let w = &mut walls[i];
            match w.class {
                Class::Free => {
                    w.a += n0 * shift;
                    w.b += n0 * shift;
                }
                // n0 is ±the frame axis across the line: exact.
                Class::U => w.set_offset(w.offset() + shift * n0.y),
                Class::V => w.set_offset(w.offset() + shift * n0.x),
            }
        }
    }
}

/// Fits the offset shift of one line (walls `members` of `g`, sharing it).
/// Returns the shift along the returned normal (the first member's) and
/// the inlier count; the error says why the line has no fit.
fn fit_line_offset(
    members: &[usize],
    g: &WallGraph,
    points: &Points,
    rs: &[crate::layout::validate::Room],
    cfg: &SolveConfig,
    height: impl Fn(u32) -> f64,
    k: u64,
) -> Result<(f64, P2, usize), String> {
    let Some(n0) = members.first().and_then(|&i| normal(&g.walls[i])) else {
        return Err("degenerate wall".into());
    };
    let mut votes: Vec<Vote> = Vec::new();
    let mut cells: std::collections::BTreeMap<(usize, i64, i64), Vec<(f64, u32)>> = Default::default();
    let mut faces: Vec<(usize, f64, Vec<f64>)> = Vec::new();
    // (wall, trimmed along-interval) for the coverage test.
    let mut spans: Vec<(usize, f64, f64)> = Vec::new();
    for &i in members {
        let w = &g.walls[i];
        let Some(n) = normal(w) else { continue };
        // Orient every member's normal like the first one's, so their
        // votes are on one axis.
        let n = if n.dot(&n0) < 0.0 { -n } else { n };
        let half = if w.thickness > THIN_WALL { w.thickness / 2.0 } else { 0.0 };
        let sides = if half > 0.0 { room_sides(w, n, g, rs) } else { vec![1.0] };
        if sides.is_empty() {
            continue;
        }
        let (t0, t1) = trimmed(w);
        spans.push((i, t0, t1));
        for (idx, along, across, z) in band(w, n, cfg.refine_band + half, points, height(w.id)) {
            cells.entry((i, (along / THIN_CELL).floor() as i64, (z / THIN_CELL).floor() as i64)).or_default().push((across, idx));
        }
        faces.push((i, half, sides));
    }
    // One vote per cell: its median point across the wall. Surfaces then
    // count by the area they cover, and a few floaters in front of a wall
    // (stereo) move no cell's median.
    for ((i, _, _), mut pts) in cells {
        pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let (across, idx) = pts[(pts.len() - 1) / 2];
        let Some((_, half, sides)) = faces.iter().find(|f| f.0 == i) else { continue };
        for &s in sides {
            votes.push(Vote { offset: across - s * half, point: idx, side: s, wall: i });
        }
    }
    if spans.is_empty() {
        return Err("no room on either side tells which face the points lie on".into());
    }
    if votes.len() > MAX_POINTS_PER_LINE {
        let step = votes.len() as f64 / MAX_POINTS_PER_LINE as f64;
        votes = (0..MAX_POINTS_PER_LINE).filter_map(|j| votes.get((j as f64 * step) as usize)).copied().collect();
    }
    if votes.len() < cfg.refine_min_inliers {
        return Err(format!("{} cloud point(s) in its band, {} needed", votes.len(), cfg.refine_min_inliers));
    }
    let data: Vec<f64> = votes.iter().map(|v| v.offset).collect();
    let rc = RansacConfig {
        threshold: cfg.refine_inlier,
        max_iterations: RANSAC_ITERATIONS,
        min_inliers: cfg.refine_min_inliers,
        seed: cfg.seed ^ k.wrapping_mul(0x9e37_79b9_7f4a_7c15),
        ..Default::default()
    };
    let fit = ransac(&OffsetEstimator, &data, &rc)
        .map_err(|e| format!("no plane in the cloud points of its band ({e})"))?;
    // Re-centre the inlier window on its mean until it settles (a few
    // mean-shift steps): RANSAC's window starts where one sample fell, and
    // on a thick, symmetric spread of points (stereo) its mean is pulled
    // toward that start.
    let (mut shift, mut inliers) = (fit.model, fit.inliers);
    for _ in 0..MEAN_SHIFT_STEPS {
        let sel: Vec<usize> = (0..data.len()).filter(|&j| (data[j] - shift).abs() <= cfg.refine_inlier).collect();
        if sel.len() < cfg.refine_min_inliers.max(1) {
            break;
        }
        let m = sel.iter().map(|&j| data[j]).sum::<f64>() / sel.len() as f64;
        inliers = sel;
        let done = (m - shift).abs() < 1e-5;
        shift = m;
        if done {
            break;
        }
    }
    if shift.abs() > cfg.refine_max_shift {
        return Err(format!("the fitted plane is {:.3} m away (more than {} m)", shift.abs(), cfg.refine_max_shift));
    }
    // The inliers, moved onto the centre plane, must form a vertical plane
    // parallel to the wall.
    let centred: Vec<Point3<f64>> = inliers
        .iter()
        .filter_map(|&j| votes.get(j))
        .map(|v| {
            let w = &g.walls[v.wall];
            let half = if w.thickness > THIN_WALL { w.thickness / 2.0 } else { 0.0 };
            let [u, vv, z] = points.pts[v.point as usize];
            let p = P2::new(u, vv) - n0 * (v.side * half);
            Point3::new(p.x, p.y, z)
        })
        .collect();
    let plane_ok = fit_plane(&centred).is_some_and(|pf| {
        pf.plane.normal.angle(&Vector3::new(n0.x, n0.y, 0.0)).min(pf.plane.normal.angle(&Vector3::new(-n0.x, -n0.y, 0.0)))
            <= MAX_PLANE_ANGLE_DEG.to_radians()
    });
    if !plane_ok {
        return Err(format!("its {} inliers do not form a vertical plane parallel to it", inliers.len()));
    }
    // Coverage along the line.
    let mut total_bins = 0usize;
    let mut filled = 0usize;
    for &(i, t0, t1) in &spans {
        let w = &g.walls[i];
        let dir = (w.b - w.a) / w.len();
        let bins = (((t1 - t0) / COVERAGE_BIN).ceil() as usize).max(1);
        let mut hit = vec![false; bins];
        for v in inliers.iter().filter_map(|&j| votes.get(j)).filter(|v| v.wall == i) {
            let [u, vv, _] = points.pts[v.point as usize];
            let along = (P2::new(u, vv) - w.a).dot(&dir);
            let b = (((along - t0) / COVERAGE_BIN).floor().max(0.0) as usize).min(bins - 1);
            hit[b] = true;
        }
        total_bins += bins;
        filled += hit.iter().filter(|h| **h).count();
    }
    let coverage = filled as f64 / total_bins.max(1) as f64;
    if coverage < MIN_COVERAGE {
        return Err(format!("its inliers cover {:.0} % of its length ({:.0} % needed)", coverage * 100.0, MIN_COVERAGE * 100.0));
    }
    Ok((shift, n0, inliers.len()))
}

#[cfg(test)]
mod tests {
    use super::super::{solve, Pass, SolveConfig};
    use crate::cloud::PointCloud;
    use crate::layout::{EntityRef, Layout, Wall};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    const H: f64 = 2.7;
    const T: f64 = 0.1;

    fn wall(id: u32, a: [f64; 2], b: [f64; 2]) -> Wall {
        Wall { id, a: [a[0], a[1], 0.0], b: [b[0], b[1], 0.0], height: H, thickness: T }
    }

    /// A 5 x 4 m room; the bottom wall's line at `y0` (truth: 0).
    fn room(y0: f64) -> Layout {
        let mut l = Layout::new();
        l.walls = vec![
            wall(0, [0.0, y0], [5.0, y0]),
            wall(1, [5.0, y0], [5.0, 4.0]),
            wall(2, [5.0, 4.0], [0.0, 4.0]),
            wall(3, [0.0, 4.0], [0.0, y0]),
        ];
        l
    }

    fn gauss(rng: &mut ChaCha8Rng) -> f64 {
        let (u1, u2): (f64, f64) = (rng.random_range(1e-12..1.0), rng.random());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// Points on a vertical rectangle from `a` to `b` (xy), z in `z`, at
    /// `per_m2` density with Gaussian noise `sigma` across it.
    fn face(rng: &mut ChaCha8Rng, out: &mut Vec<[f32; 3]>, a: [f64; 2], b: [f64; 2], z: (f64, f64), per_m2: f64, sigma: f64) {
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len = (dx * dx + dy * dy).sqrt();
        let n = [-dy / len, dx / len];
        let count = (len * (z.1 - z.0) * per_m2) as usize;
        for _ in 0..count {
            let t: f64 = rng.random();
            let e = gauss(rng) * sigma;
            let zz = rng.random_range(z.0..z.1);
            out.push([(a[0] + dx * t + n[0] * e) as f32, (a[1] + dy * t + n[1] * e) as f32, zz as f32]);
        }
    }

    /// Inner faces of the true room (walls centred on x = 0, 5 and y = 0, 4),
    /// floor and ceiling; `skip` leaves one wall's face out.
    fn room_cloud(seed: u64, skip: Option<u32>) -> Vec<[f32; 3]> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut p = Vec::new();
        let h = T / 2.0;
        let faces = [
            (0, [0.0, h], [5.0, h]),
            (1, [5.0 - h, 0.0], [5.0 - h, 4.0]),
            (2, [5.0, 4.0 - h], [0.0, 4.0 - h]),
            (3, [h, 4.0], [h, 0.0]),
        ];
        for (id, a, b) in faces {
            if skip != Some(id) {
                face(&mut rng, &mut p, a, b, (0.0, H), 300.0, 0.015);
            }
        }
        for _ in 0..4000 {
            let (x, y) = (rng.random_range(0.0..5.0), rng.random_range(0.0..4.0));
            p.push([x as f32, y as f32, (gauss(&mut rng) * 0.01) as f32]);
            p.push([x as f32, y as f32, (H + gauss(&mut rng) * 0.01) as f32]);
        }
        p
    }

    fn y_of(l: &Layout, id: u32) -> f64 {
        l.wall(id).map_or(f64::NAN, |w| (w.a[1] + w.b[1]) / 2.0)
    }

    #[test]
    fn an_offset_wall_moves_back_onto_its_plane() {
        let cloud = PointCloud::from_points(room_cloud(1, None));
        let s = solve(&room(0.08), Some(&cloud), &SolveConfig::default()).unwrap();
        assert!(s.report.valid, "{:?}", s.report.remaining);
        assert!(y_of(&s.layout, 0).abs() < 0.01, "wall 0 at y = {}", y_of(&s.layout, 0));
        // The corners followed: walls 1 and 3 now start at the new line.
        assert_eq!(s.layout.walls[1].a[1], s.layout.walls[0].b[1]);
        assert!((s.layout.walls[1].a[0] - 5.0).abs() < 0.01 && (s.layout.walls[3].a[0]).abs() < 0.01);
        let ch = s.report.changes.iter().find(|c| c.entity == EntityRef::Wall(0) && c.pass == Pass::Refine).expect("wall 0 change");
        assert!((ch.moved - 0.08).abs() < 0.01, "{ch:?}");
        // Walls 1 and 3 moved only by the corner (8 cm at one end), wall 2 not at all.
        assert!(!s.report.changes.iter().any(|c| c.entity == EntityRef::Wall(2) && c.pass == Pass::Refine && c.moved > 0.01));
    }

    #[test]
    fn a_wall_without_points_stays_and_the_report_says_so() {
        let cloud = PointCloud::from_points(room_cloud(2, Some(0)));
        let s = solve(&room(0.08), Some(&cloud), &SolveConfig::default()).unwrap();
        assert!(s.report.valid, "{:?}", s.report.remaining);
        assert_eq!(y_of(&s.layout, 0), 0.08);
        let k = s.report.skipped.iter().find(|k| k.entity == EntityRef::Wall(0)).expect("skip entry");
        assert!(k.reason.contains("left where it is"), "{k:?}");
        // The other walls had evidence and are where they were (within noise).
        assert!((y_of(&s.layout, 2) - 4.0).abs() < 0.01);
    }

    #[test]
    fn furniture_and_outliers_near_a_wall_do_not_pull_it() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut pts = room_cloud(3, None);
        // A sofa back 15 cm in front of wall 0's face, denser than the wall,
        // and a wardrobe side perpendicular to it.
        face(&mut rng, &mut pts, [1.0, 0.2], [3.0, 0.2], (0.15, 0.9), 2000.0, 0.01);
        face(&mut rng, &mut pts, [3.5, 0.05], [3.5, 0.65], (0.0, 2.0), 1000.0, 0.01);
        // 3000 points scattered through the room.
        for _ in 0..3000 {
            pts.push([rng.random_range(0.0..5.0f32), rng.random_range(0.0..4.0f32), rng.random_range(0.0..H as f32)]);
        }
        let cloud = PointCloud::from_points(pts);
        // From either side of the truth.
        for y0 in [0.08, -0.08] {
            let s = solve(&room(y0), Some(&cloud), &SolveConfig::default()).unwrap();
            assert!(s.report.valid, "{:?}", s.report.remaining);
            assert!(y_of(&s.layout, 0).abs() < 0.01, "from {y0}: wall 0 at y = {}", y_of(&s.layout, 0));
        }
    }

    #[test]
    fn a_correct_layout_stays_within_noise_and_refinement_is_deterministic() {
        let cloud = PointCloud::from_points(room_cloud(4, None));
        let a = solve(&room(0.0), Some(&cloud), &SolveConfig::default()).unwrap();
        let b = solve(&room(0.0), Some(&cloud), &SolveConfig::default()).unwrap();
        assert_eq!(a, b);
        for (w, g) in a.layout.walls.iter().zip(&room(0.0).walls) {
            for k in 0..2 {
                assert!((w.a[k] - g.a[k]).abs() < 0.005 && (w.b[k] - g.b[k]).abs() < 0.005, "{w:?}");
            }
        }
    }

    #[test]
    fn shared_walls_use_both_faces_and_collinear_walls_share_a_line() {
        // Two rooms side by side: the bottom edge split at x = 3 into two
        // collinear walls; the interior wall x = 3 seen from both sides.
        let mut gt = Layout::new();
        gt.walls = vec![
            wall(0, [0.0, 0.0], [3.0, 0.0]),
            wall(1, [3.0, 0.0], [6.0, 0.0]),
            wall(2, [6.0, 0.0], [6.0, 4.0]),
            wall(3, [6.0, 4.0], [0.0, 4.0]),
            wall(4, [0.0, 4.0], [0.0, 0.0]),
            wall(5, [3.0, 0.0], [3.0, 4.0]),
        ];
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut pts = Vec::new();
        let h = T / 2.0;
        // Only the left part of the bottom line is seen.
        for (a, b) in [
            ([0.0, h], [3.0 - h, h]),
            ([6.0 - h, 0.0], [6.0 - h, 4.0]),
            ([6.0, 4.0 - h], [0.0, 4.0 - h]),
            ([h, 4.0], [h, 0.0]),
            ([3.0 - h, 0.0], [3.0 - h, 4.0]),
            ([3.0 + h, 0.0], [3.0 + h, 4.0]),
        ] {
            face(&mut rng, &mut pts, a, b, (0.0, H), 300.0, 0.015);
        }
        let cloud = PointCloud::from_points(pts);
        let mut noisy = gt.clone();
        for w in &mut noisy.walls {
            for p in [&mut w.a, &mut w.b] {
                if p[1] == 0.0 {
                    p[1] = 0.07;
                }
                if p[0] == 3.0 {
                    p[0] = 3.06;
                }
            }
        }
        assert!(noisy.validate().is_empty(), "{:?}", noisy.validate());
        let s = solve(&noisy, Some(&cloud), &SolveConfig::default()).unwrap();
        assert!(s.report.valid, "{:?}", s.report.remaining);
        assert!(y_of(&s.layout, 0).abs() < 0.01, "{}", y_of(&s.layout, 0));
        assert_eq!(y_of(&s.layout, 0), y_of(&s.layout, 1), "collinear walls share one offset");
        let x5 = s.layout.walls[5].a[0];
        assert!((x5 - 3.0).abs() < 0.01, "interior wall at x = {x5}");
        assert!(s.report.changes.iter().any(|c| c.entity == EntityRef::Wall(1) && c.pass == Pass::Refine));
    }

    #[test]
    fn unknown_thickness_is_measured_from_two_faces_and_lent_to_outer_walls() {
        // Two rooms (x 0-3 and 3-6, y 0-4), walls 10 cm thick; the layout
        // says thickness 0 (unknown) and has the interior wall 6 cm off.
        let mut rng = ChaCha8Rng::seed_from_u64(6);
        let mut pts = Vec::new();
        let h = T / 2.0;
        for (a, b) in [
            ([0.0, h], [6.0, h]),
            ([6.0 - h, 0.0], [6.0 - h, 4.0]),
            ([6.0, 4.0 - h], [0.0, 4.0 - h]),
            ([h, 4.0], [h, 0.0]),
            ([3.0 - h, 0.0], [3.0 - h, 4.0]),
            ([3.0 + h, 0.0], [3.0 + h, 4.0]),
        ] {
            face(&mut rng, &mut pts, a, b, (0.0, H), 300.0, 0.015);
        }
        let cloud = PointCloud::from_points(pts);
        let mut l = Layout::new();
        let thin = |id, a: [f64; 2], b: [f64; 2]| Wall { thickness: 0.0, ..wall(id, a, b) };
        l.walls = vec![
            thin(0, [0.0, 0.0], [3.06, 0.0]),
            thin(1, [3.06, 0.0], [6.0, 0.0]),
            thin(2, [6.0, 0.0], [6.0, 4.0]),
            thin(3, [6.0, 4.0], [3.06, 4.0]),
            thin(4, [3.06, 4.0], [0.0, 4.0]),
            thin(5, [0.0, 4.0], [0.0, 0.0]),
            thin(6, [3.06, 0.0], [3.06, 4.0]),
        ];
        let s = solve(&l, Some(&cloud), &SolveConfig::default()).unwrap();
        assert!(s.report.valid, "{:?}", s.report.remaining);
        let w6 = s.layout.wall(6).unwrap();
        assert!((w6.a[0] - 3.0).abs() < 0.01, "interior wall at x = {}", w6.a[0]);
        assert!((w6.thickness - T).abs() < 0.01, "measured thickness {}", w6.thickness);
        // Outer walls got the measured thickness, so their centre lines
        // sit half of it behind the faces, where they truly are.
        assert!(y_of(&s.layout, 0).abs() < 0.01, "bottom wall at y = {}", y_of(&s.layout, 0));
        assert!((s.layout.wall(2).unwrap().a[0] - 6.0).abs() < 0.01);
        assert!(s.report.changes.iter().any(|c| c.entity == EntityRef::Wall(6) && c.detail.contains("measured")));
    }

    #[test]
    fn a_frame_decoded_a_few_degrees_off_turns_to_the_cloud() {
        // The true room turned 20° about the origin; the decoded layout
        // turned 2.5° more about the room's centre (every wall agrees, so
        // the frame estimate is 22.5°).
        let rot = |p: [f64; 2], a: f64, c: [f64; 2]| {
            let (s, co) = a.sin_cos();
            let (x, y) = (p[0] - c[0], p[1] - c[1]);
            [c[0] + co * x - s * y, c[1] + s * x + co * y]
        };
        let r = 20f64.to_radians();
        let pts: Vec<[f32; 3]> = room_cloud(7, None)
            .into_iter()
            .map(|p| {
                let q = rot([p[0] as f64, p[1] as f64], r, [0.0, 0.0]);
                [q[0] as f32, q[1] as f32, p[2]]
            })
            .collect();
        let cloud = PointCloud::from_points(pts);
        let mut l = room(0.0);
        let centre = rot([2.5, 2.0], r, [0.0, 0.0]);
        for w in &mut l.walls {
            for e in [&mut w.a, &mut w.b] {
                let q = rot(rot([e[0], e[1]], r, [0.0, 0.0]), 2.5f64.to_radians(), centre);
                e[0] = q[0];
                e[1] = q[1];
            }
        }
        let cfg = SolveConfig::default();
        let plain = solve(&l, None, &cfg).unwrap();
        let s = solve(&l, Some(&cloud), &cfg).unwrap();
        assert!(s.report.valid, "{:?}", s.report.remaining);
        assert!((s.report.frame.unwrap() - r).abs() < 0.1f64.to_radians(), "frame {:?}", s.report.frame.map(f64::to_degrees));
        assert!(s.report.changes.iter().any(|c| c.entity == EntityRef::Layout && c.detail.contains("frame turned")));
        let truth = room(0.0);
        let err = |l: &Layout| {
            l.walls.iter().zip(&truth.walls).map(|(w, g)| {
                let (a, b) = (rot([g.a[0], g.a[1]], r, [0.0, 0.0]), rot([g.b[0], g.b[1]], r, [0.0, 0.0]));
                ((w.a[0] - a[0]).hypot(w.a[1] - a[1])).max((w.b[0] - b[0]).hypot(w.b[1] - b[1]))
            }).fold(0.0, f64::max)
        };
        assert!(err(&plain.layout) > 0.08, "without the cloud the turn stays: {}", err(&plain.layout));
        assert!(err(&s.layout) < 0.01, "with it every corner is within 1 cm: {}", err(&s.layout));
    }

    #[test]
    fn an_empty_cloud_moves_nothing_and_says_so() {
        let s = solve(&room(0.08), Some(&PointCloud::default()), &SolveConfig::default()).unwrap();
        assert_eq!(s.layout.walls, room(0.08).walls);
        assert_eq!(s.report.skipped.iter().filter(|k| k.pass == Pass::Refine).count(), 4);
        let s = solve(&Layout::new(), Some(&PointCloud::default()), &SolveConfig::default()).unwrap();
        assert!(s.report.skipped.iter().any(|k| k.pass == Pass::Refine && k.entity == EntityRef::Layout));
    }
}
