//! Wall passes: sanitize, floor, dominant frame, angle snapping,
//! duplicate merging, corner joining by line intersection, T-junctions,
//! loop closing, sliver pruning and room heights.
//!
//! Walls are worked on in the dominant frame's coordinates (u, v): a wall
//! snapped to the frame is then an interval on a line `v = const` (class
//! [`Class::U`]) or `u = const` (class [`Class::V`]) and keeps that form
//! exactly through every later pass, so the output is exactly Manhattan.

use super::{Pass, SolveConfig, SolveReport};
use crate::geom::line::{angle_diff_mod, angle_of, fit_line, signed_angle_diff_mod, Line2, Segment2, P2};
use crate::geom::stats::median;
use crate::layout::validate::{rooms, wall_is_finite};
use crate::layout::{EntityRef, Layout, Wall};
use std::f64::consts::FRAC_PI_2;

/// Height given to walls whose height is missing or not positive when no
/// other wall has one either: 2.7 m, a common residential ceiling.
pub const DEFAULT_WALL_HEIGHT: f64 = 2.7;
/// Two free (non-Manhattan) walls within this angle may be duplicates:
/// 10° (a 1 m wall decoded twice with 5 cm endpoint noise differs by up to
/// 6°); each end must also lie within `merge_distance` of the other's line,
/// which keeps long walls at that angle apart.
const FREE_PARALLEL: f64 = 10.0 * std::f64::consts::PI / 180.0;
/// A wall shorter than this (m) with one loose end, hanging off a corner
/// that still has two walls without it, is removed: half a metre, about
/// twice the endpoint noise of a decoder.
const STUB_LENGTH: f64 = 0.5;
/// Re-weighting rounds of the frame estimate.
const FRAME_ITERS: usize = 5;
/// Passes of merge / join / prune before giving up on convergence.
const WALL_ROUNDS: usize = 4;

/// Orientation class of a wall in the dominant frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Parallel to the frame's u axis: `a.y == b.y` in frame coordinates.
    U,
    /// Parallel to the frame's v axis: `a.x == b.x`.
    V,
    /// Outside the snapping window: kept as it is.
    Free,
}

/// A wall being solved, in frame coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkWall {
    pub id: u32,
    pub a: P2,
    pub b: P2,
    pub class: Class,
    pub height: f64,
    pub thickness: f64,
}

impl WorkWall {
    pub fn len(&self) -> f64 {
        (self.b - self.a).norm()
    }

    pub fn end(&self, e: usize) -> P2 {
        if e == 0 {
            self.a
        } else {
            self.b
        }
    }

    fn set_end(&mut self, e: usize, p: P2) {
        if e == 0 {
            self.a = p
        } else {
            self.b = p
        }
    }

    /// The constant coordinate of a U / V wall's line.
    pub fn offset(&self) -> f64 {
        match self.class {
            Class::U => self.a.y,
            Class::V => self.a.x,
            Class::Free => f64::NAN,
        }
    }

    pub fn set_offset(&mut self, o: f64) {
        match self.class {
            Class::U => {
                self.a.y = o;
                self.b.y = o;
            }
            Class::V => {
                self.a.x = o;
                self.b.x = o;
            }
            Class::Free => {}
        }
    }

    /// The coordinate along a U / V wall's line.
    fn along(&self, p: &P2) -> f64 {
        match self.class {
            Class::U => p.x,
            _ => p.y,
        }
    }

    fn on_line(&self, along: f64) -> P2 {
        match self.class {
            Class::U => P2::new(along, self.a.y),
            _ => P2::new(self.a.x, along),
        }
    }

    pub fn line(&self) -> Option<Line2> {
        match self.class {
            Class::U => Some(Line2 { point: self.a, dir: P2::new(1.0, 0.0) }),
            Class::V => Some(Line2 { point: self.a, dir: P2::new(0.0, 1.0) }),
            Class::Free => Line2::through(self.a, self.b),
        }
    }

    fn segment(&self) -> Segment2 {
        Segment2::new(self.a, self.b)
    }
}

/// Rotation between world and frame coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// Radians in [0, π/2).
    pub angle: f64,
    c: f64,
    s: f64,
}

impl Frame {
    pub fn new(angle: f64) -> Frame {
        let (s, c) = if angle == 0.0 { (0.0, 1.0) } else { angle.sin_cos() };
        Frame { angle, c, s }
    }

    pub fn to_frame(&self, p: P2) -> P2 {
        P2::new(self.c * p.x + self.s * p.y, -self.s * p.x + self.c * p.y)
    }

    pub fn to_world(&self, q: P2) -> P2 {
        P2::new(self.c * q.x - self.s * q.y, self.s * q.x + self.c * q.y)
    }
}

/// How the walls were joined, kept so that refinement can move wall lines
/// and recompute the corners under the same constraints.
#[derive(Debug, Clone, PartialEq)]
pub struct WallGraph {
    pub frame: Frame,
    pub walls: Vec<WorkWall>,
    /// Corners: wall endpoints `(wall index, end 0|1)` sharing one point.
    pub corners: Vec<Vec<(usize, usize)>>,
    /// T-junctions: `(wall index, end, host wall index)`.
    pub tees: Vec<(usize, usize, usize)>,
}

/// Union-find over indices (smallest index is the root).
pub(crate) struct Dsu(Vec<usize>);

impl Dsu {
    pub(crate) fn new(n: usize) -> Dsu {
        Dsu((0..n).collect())
    }
    pub(crate) fn find(&mut self, x: usize) -> usize {
        let mut r = x;
        while self.0[r] != r {
            r = self.0[r];
        }
        let mut y = x;
        while self.0[y] != r {
            let n = self.0[y];
            self.0[y] = r;
            y = n;
        }
        r
    }
    pub(crate) fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            self.0[hi] = lo;
        }
    }
}

/// Records, for every wall present in both lists, how far its endpoints moved.
fn record_moves(before: &[WorkWall], after: &[WorkWall], pass: Pass, what: &str, report: &mut SolveReport) {
    for w in after {
        if let Some(b) = before.iter().find(|x| x.id == w.id) {
            let d = (w.a - b.a).norm().max((w.b - b.b).norm());
            if d > 1e-9 {
                report.change(EntityRef::Wall(w.id), pass, d, what);
            }
        }
    }
}

/// Sanitize pass: drops walls with non-finite endpoints, renumbers repeated
/// ids (openings keep pointing at the first), repairs heights and
/// thicknesses; then the floor pass puts every bottom at z = 0.
pub fn sanitize(layout: &mut Layout, report: &mut SolveReport) {
    layout.walls.retain(|w| {
        let ok = [w.a[0], w.a[1], w.b[0], w.b[1]].iter().all(|x| x.is_finite());
        if !ok {
            report.change(EntityRef::Wall(w.id), Pass::Sanitize, 0.0, "removed: endpoint is NaN or infinite");
        }
        ok
    });
    let mut next = layout.walls.iter().map(|w| w.id).max().map_or(0, |m| m.saturating_add(1));
    let mut seen = std::collections::BTreeSet::new();
    for w in &mut layout.walls {
        if !seen.insert(w.id) {
            report.change(EntityRef::Wall(w.id), Pass::Sanitize, 0.0, format!("repeated id renumbered to {next}"));
            w.id = next;
            seen.insert(next);
            next = next.saturating_add(1);
        }
    }
    let mut hs: Vec<f64> = layout.walls.iter().map(|w| w.height).filter(|h| h.is_finite() && *h > 0.0).collect();
    let fallback = median(&mut hs).unwrap_or(DEFAULT_WALL_HEIGHT);
    for w in &mut layout.walls {
        if !(w.height.is_finite() && w.height > 0.0) {
            report.change(EntityRef::Wall(w.id), Pass::Sanitize, 0.0, format!("height {} set to {fallback}", w.height));
            w.height = fallback;
        }
        if !(w.thickness.is_finite() && w.thickness >= 0.0) {
            report.change(EntityRef::Wall(w.id), Pass::Sanitize, 0.0, format!("thickness {} set to 0", w.thickness));
            w.thickness = 0.0;
        }
        let off = w.a[2].abs().max(w.b[2].abs());
        if off > 0.0 || !off.is_finite() {
            report.change(EntityRef::Wall(w.id), Pass::Floor, if off.is_finite() { off } else { 0.0 }, "bottom put on the floor");
            w.a[2] = 0.0;
            w.b[2] = 0.0;
        }
    }
}

/// Dominant-frame pass: the frame that snaps the most wall length. The
/// window of `snap_angle_deg` is placed where it covers the largest total
/// length (an optimal placement has an edge or its centre on some wall's
/// direction, so those are the candidates); the frame is then the
/// length-weighted mean of the covered directions, kept where the window
/// still covers them all. The coordinate axes are used when within
/// `axis_prior_deg` of them. Snapping the most length also
/// makes the snapped walls the dominant direction `validate()` finds.
pub fn estimate_frame(layout: &Layout, cfg: &SolveConfig) -> Option<f64> {
    let dirs: Vec<(f64, f64)> = layout
        .walls
        .iter()
        .filter(|w| w.length_xy() > 1e-9)
        .map(|w| (angle_of(&P2::new(w.b[0] - w.a[0], w.b[1] - w.a[1])), w.length_xy()))
        .collect();
    if dirs.is_empty() {
        return None;
    }
    let window = cfg.snap_angle_deg.to_radians();
    // A hair inside the window, so that a direction on the edge of the
    // placement counts.
    let cover = |f: f64| -> f64 {
        dirs.iter().filter(|(a, _)| angle_diff_mod(*a, f, FRAC_PI_2) <= window * (1.0 - 1e-9)).map(|(_, w)| w).sum()
    };
    let mut best: Option<(f64, f64)> = None;
    for (a, _) in &dirs {
        for c in [*a, a - window * (1.0 - 1e-6), a + window * (1.0 - 1e-6)] {
            let c = c.rem_euclid(FRAC_PI_2);
            let score = cover(c);
            if best.is_none_or(|(s, _)| score > s * (1.0 + 1e-12) + 1e-12) {
                best = Some((score, c));
            }
        }
    }
    let (_, mut f) = best?;
    for _ in 0..FRAME_ITERS {
        let covered: Vec<(f64, f64)> = dirs
            .iter()
            .map(|(a, w)| (signed_angle_diff_mod(*a, f, FRAC_PI_2), *w))
            .filter(|(d, _)| d.abs() <= window * (1.0 - 1e-9))
            .collect();
        let wsum: f64 = covered.iter().map(|c| c.1).sum();
        if wsum <= 0.0 {
            break;
        }
        let mean = covered.iter().map(|(d, w)| d * w).sum::<f64>() / wsum;
        let lo = covered.iter().map(|c| c.0).fold(f64::INFINITY, f64::min);
        let hi = covered.iter().map(|c| c.0).fold(f64::NEG_INFINITY, f64::max);
        // Every covered direction stays within the window of the frame.
        let step = mean.clamp(hi - window * (1.0 - 1e-6), lo + window * (1.0 - 1e-6));
        if step == 0.0 {
            break;
        }
        f = (f + step).rem_euclid(FRAC_PI_2);
    }
    Some(if angle_diff_mod(f, 0.0, FRAC_PI_2) <= cfg.axis_prior_deg.to_radians() { 0.0 } else { f })
}

/// Angle-snapping pass: walls within `snap_angle_deg` of the frame are
/// rotated about their midpoint onto it (class U or V); the rest stay Free.
pub fn snap(layout: &Layout, frame: &Frame, cfg: &SolveConfig) -> Vec<WorkWall> {
    let window = cfg.snap_angle_deg.to_radians();
    layout
        .walls
        .iter()
        .map(|w| {
            let a = frame.to_frame(P2::new(w.a[0], w.a[1]));
            let b = frame.to_frame(P2::new(w.b[0], w.b[1]));
            let d = b - a;
            let ang = angle_of(&d);
            let mut ww = WorkWall { id: w.id, a, b, class: Class::Free, height: w.height, thickness: w.thickness };
            if d.norm() > 1e-9 && angle_diff_mod(ang, 0.0, FRAC_PI_2) <= window {
                let m = (a + b) / 2.0;
                // Along u when the direction is within the window of 0 or π.
                if d.y == 0.0 {
                    // Already exact: keep it bit for bit.
                    ww.class = Class::U;
                } else if d.x == 0.0 {
                    ww.class = Class::V;
                } else if angle_diff_mod(ang, 0.0, std::f64::consts::PI) <= window {
                    ww.class = Class::U;
                    let half = d.norm() / 2.0 * d.x.signum();
                    ww.a = P2::new(m.x - half, m.y);
                    ww.b = P2::new(m.x + half, m.y);
                } else {
                    ww.class = Class::V;
                    let half = d.norm() / 2.0 * d.y.signum();
                    ww.a = P2::new(m.x, m.y - half);
                    ww.b = P2::new(m.x, m.y + half);
                }
            }
            ww
        })
        .collect()
}

/// The class a free wall would snap to (frame coordinates), if within the
/// snapping window.
fn snap_class(w: &WorkWall, cfg: &SolveConfig) -> Option<Class> {
    let d = w.b - w.a;
    if d.norm() <= 1e-9 {
        return None;
    }
    let window = cfg.snap_angle_deg.to_radians();
    let ang = angle_of(&d);
    if angle_diff_mod(ang, 0.0, FRAC_PI_2) > window {
        return None;
    }
    Some(if angle_diff_mod(ang, 0.0, std::f64::consts::PI) <= window { Class::U } else { Class::V })
}

/// Re-snapping: free walls now within the window rotate about their
/// midpoint onto the frame. Returns how many did.
pub fn resnap(walls: &mut [WorkWall], cfg: &SolveConfig) -> usize {
    let mut n = 0;
    for w in walls.iter_mut().filter(|w| w.class == Class::Free) {
        let Some(class) = snap_class(w, cfg) else { continue };
        let d = w.b - w.a;
        let m = (w.a + w.b) / 2.0;
        let l = d.norm();
        w.class = class;
        match class {
            Class::U => {
                let half = l / 2.0 * d.x.signum();
                w.a = P2::new(m.x - half, m.y);
                w.b = P2::new(m.x + half, m.y);
            }
            _ => {
                let half = l / 2.0 * d.y.signum();
                w.a = P2::new(m.x, m.y - half);
                w.b = P2::new(m.x, m.y + half);
            }
        }
        n += 1;
    }
    n
}

/// Interval of a U / V wall along its line, ascending.
fn interval(w: &WorkWall) -> (f64, f64) {
    let (x, y) = (w.along(&w.a), w.along(&w.b));
    (x.min(y), x.max(y))
}

/// Duplicate-merging pass: parallel walls within `merge_distance` that share
/// at least `merge_overlap` of the shorter one become one wall (the first
/// keeps its id; openings of the other move to it). Returns `(removed id,
/// kept id)` pairs.
pub fn merge_duplicates(walls: &mut Vec<WorkWall>, cfg: &SolveConfig, report: &mut SolveReport) -> Vec<(u32, u32)> {
    let mut merged = Vec::new();
    'outer: loop {
        for i in 0..walls.len() {
            for j in i + 1..walls.len() {
                let (wi, wj) = (&walls[i], &walls[j]);
                let shorter = wi.len().min(wj.len());
                let new = match (wi.class, wj.class) {
                    (Class::U, Class::U) | (Class::V, Class::V) => {
                        if (wi.offset() - wj.offset()).abs() > cfg.merge_distance {
                            continue;
                        }
                        let (a0, a1) = interval(wi);
                        let (b0, b1) = interval(wj);
                        if a1.min(b1) - a0.max(b0) < cfg.merge_overlap * shorter {
                            continue;
                        }
                        let off = (wi.offset() * wi.len() + wj.offset() * wj.len()) / (wi.len() + wj.len()).max(1e-12);
                        let mut w = wi.clone();
                        let forward = wi.along(&wi.b) >= wi.along(&wi.a);
                        let (lo, hi) = (a0.min(b0), a1.max(b1));
                        w.a = wi.on_line(if forward { lo } else { hi });
                        w.b = wi.on_line(if forward { hi } else { lo });
                        w.set_offset(off);
                        w
                    }
                    (Class::Free, Class::Free) => {
                        let (Some(li), Some(lj)) = (wi.line(), wj.line()) else { continue };
                        if li.angle_to(&lj) > FREE_PARALLEL
                            || [wj.a, wj.b].iter().any(|p| li.distance(p) > cfg.merge_distance)
                            || [wi.a, wi.b].iter().any(|p| lj.distance(p) > cfg.merge_distance)
                        {
                            continue;
                        }
                        let (ta, tb) = (li.project(&wj.a), li.project(&wj.b));
                        let (b0, b1) = (ta.min(tb), ta.max(tb));
                        let (a0, a1) = (0.0f64, wi.len());
                        if a1.min(b1) - a0.max(b0) < cfg.merge_overlap * shorter {
                            continue;
                        }
                        let Some(fit) = fit_line(&[wi.a, wi.b, wj.a, wj.b]) else { continue };
                        let ts = [wi.a, wi.b, wj.a, wj.b].map(|p| fit.project(&p));
                        let lo = ts.iter().copied().fold(f64::INFINITY, f64::min);
                        let hi = ts.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        let mut w = wi.clone();
                        let (pa, pb) = (fit.point + fit.dir * lo, fit.point + fit.dir * hi);
                        if (pa - wi.a).norm() + (pb - wi.b).norm() <= (pb - wi.a).norm() + (pa - wi.b).norm() {
                            w.a = pa;
                            w.b = pb;
                        } else {
                            w.a = pb;
                            w.b = pa;
                        }
                        w
                    }
                    _ => continue,
                };
                let (kept, gone) = (wi.id, wj.id);
                let mut new = new;
                new.height = wi.height.max(wj.height);
                new.thickness = wi.thickness.max(wj.thickness);
                let moved = (new.a - walls[i].a).norm().max((new.b - walls[i].b).norm());
                report.change(EntityRef::Wall(kept), Pass::Merge, moved, format!("merged with duplicate wall_{gone}"));
                report.change(EntityRef::Wall(gone), Pass::Merge, 0.0, format!("removed: duplicate of wall_{kept}"));
                walls[i] = new;
                walls.remove(j);
                merged.push((gone, kept));
                continue 'outer;
            }
        }
        break;
    }
    merged
}

/// Corner-joining pass. Endpoints of different walls within `join_radius`
/// are clustered, closest pairs first, never putting both ends of one wall
/// (or two parallel walls further apart than `collinear_distance`) into one
/// corner. Walls of one class meeting at a corner are made collinear (one
/// shared line, length-weighted), then each corner is placed where the
/// lines meet and every endpoint in it moves there.
pub fn join_corners(walls: &mut [WorkWall], cfg: &SolveConfig) -> Vec<Vec<(usize, usize)>> {
    let n = walls.len();
    let ends: Vec<(usize, usize)> = (0..n).flat_map(|i| [(i, 0), (i, 1)]).collect();
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for x in 0..ends.len() {
        for y in x + 1..ends.len() {
            let (ex, ey) = (ends[x], ends[y]);
            if ex.0 == ey.0 {
                continue;
            }
            let d = (walls[ex.0].end(ex.1) - walls[ey.0].end(ey.1)).norm();
            if d <= cfg.join_radius {
                pairs.push((d, x, y));
            }
        }
    }
    pairs.sort_by(|p, q| p.0.total_cmp(&q.0).then(p.1.cmp(&q.1)).then(p.2.cmp(&q.2)));
    let mut dsu = Dsu::new(ends.len());
    let mut members: Vec<Vec<usize>> = (0..ends.len()).map(|k| vec![k]).collect();
    for (_, x, y) in pairs {
        let (rx, ry) = (dsu.find(x), dsu.find(y));
        if rx == ry {
            continue;
        }
        let wx: Vec<usize> = members[rx].iter().map(|k| ends[*k].0).collect();
        let wy: Vec<usize> = members[ry].iter().map(|k| ends[*k].0).collect();
        if wx.iter().any(|w| wy.contains(w)) {
            continue;
        }
        // Parallel walls in one corner must be (nearly) collinear.
        let compatible = wx.iter().all(|&a| {
            wy.iter().all(|&b| {
                let (p, q) = (&walls[a], &walls[b]);
                match (p.class, q.class) {
                    (Class::U, Class::U) | (Class::V, Class::V) => {
                        (p.offset() - q.offset()).abs() <= cfg.collinear_distance
                    }
                    _ => true,
                }
            })
        });
        if !compatible {
            continue;
        }
        // Chains of nearby ends must not swallow a short wall: every end in
        // the merged corner must be able to reach its centre without its
        // wall flipping or shrinking below the minimum length.
        let all: Vec<usize> = members[rx].iter().chain(&members[ry]).copied().collect();
        let centre = all.iter().map(|&k| walls[ends[k].0].end(ends[k].1)).fold(P2::zeros(), |s, p| s + p) / all.len() as f64;
        if all.len() > 2 && !all.iter().all(|&k| end_move_ok(&walls[ends[k].0], ends[k].1, centre, cfg.tolerances.min_wall_length)) {
            continue;
        }
        dsu.union(rx, ry);
        let r = dsu.find(rx);
        let other = if r == rx { ry } else { rx };
        let moved = std::mem::take(&mut members[other]);
        members[r].extend(moved);
    }
    let corners: Vec<Vec<(usize, usize)>> = members
        .into_iter()
        .filter(|m| !m.is_empty())
        .map(|mut m| {
            m.sort_unstable();
            m.into_iter().map(|k| ends[k]).collect()
        })
        .collect();
    place_corners(walls, &corners);
    corners
}

/// Makes same-class walls sharing a corner collinear (length-weighted line)
/// and moves every corner's endpoints to the point where its lines meet.
pub fn place_corners(walls: &mut [WorkWall], corners: &[Vec<(usize, usize)>]) {
    let n = walls.len();
    let mut dsu = Dsu::new(n);
    for c in corners {
        for x in 0..c.len() {
            for y in x + 1..c.len() {
                let (a, b) = (c[x].0, c[y].0);
                if walls[a].class != Class::Free && walls[a].class == walls[b].class {
                    dsu.union(a, b);
                }
            }
        }
    }
    let mut sums: Vec<(f64, f64)> = vec![(0.0, 0.0); n];
    let mut size = vec![0usize; n];
    let mut span = vec![(f64::INFINITY, f64::NEG_INFINITY); n];
    for (i, w) in walls.iter().enumerate() {
        if w.class != Class::Free {
            let r = dsu.find(i);
            let l = w.len().max(1e-6);
            sums[r].0 += w.offset() * l;
            sums[r].1 += l;
            size[r] += 1;
            span[r] = (span[r].0.min(w.offset()), span[r].1.max(w.offset()));
        }
    }
    for (i, w) in walls.iter_mut().enumerate() {
        if w.class != Class::Free {
            let r = dsu.find(i);
            // Lone walls, and groups already on one line, keep it bit for bit.
            if size[r] > 1 && sums[r].1 > 0.0 && span[r].0 != span[r].1 {
                w.set_offset(sums[r].0 / sums[r].1);
            }
        }
    }
    for c in corners {
        if c.len() < 2 {
            continue;
        }
        let p = corner_point(walls, c);
        for &(i, e) in c {
            let q = match walls[i].class {
                // Keep exactness: a U wall's end keeps its line's v.
                Class::U => P2::new(p.x, walls[i].offset()),
                Class::V => P2::new(walls[i].offset(), p.y),
                Class::Free => p,
            };
            walls[i].set_end(e, q);
        }
    }
}

fn corner_point(walls: &[WorkWall], c: &[(usize, usize)]) -> P2 {
    let mean = c.iter().map(|&(i, e)| walls[i].end(e)).fold(P2::zeros(), |s, p| s + p) / c.len() as f64;
    let u_line = c.iter().find(|(i, _)| walls[*i].class == Class::V).map(|(i, _)| walls[*i].offset());
    let v_line = c.iter().find(|(i, _)| walls[*i].class == Class::U).map(|(i, _)| walls[*i].offset());
    let frees: Vec<Line2> =
        c.iter().filter(|(i, _)| walls[*i].class == Class::Free).filter_map(|(i, _)| walls[*i].line()).collect();
    let near = |p: P2| (p - mean).norm() <= 4.0 * c.iter().map(|&(i, e)| (walls[i].end(e) - mean).norm()).fold(0.5, f64::max);
    match (u_line, v_line) {
        (Some(u), Some(v)) => P2::new(u, v),
        (None, Some(v)) => {
            let horiz = Line2 { point: P2::new(0.0, v), dir: P2::new(1.0, 0.0) };
            frees.iter().filter_map(|l| horiz.intersect(l)).find(|p| near(*p)).unwrap_or(P2::new(mean.x, v))
        }
        (Some(u), None) => {
            let vert = Line2 { point: P2::new(u, 0.0), dir: P2::new(0.0, 1.0) };
            frees.iter().filter_map(|l| vert.intersect(l)).find(|p| near(*p)).unwrap_or(P2::new(u, mean.y))
        }
        (None, None) => {
            // Least-squares meeting point of the free lines.
            let (mut a11, mut a12, mut a22, mut b1, mut b2) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for l in &frees {
                let nrm = l.normal();
                let d = nrm.dot(&l.point);
                a11 += nrm.x * nrm.x;
                a12 += nrm.x * nrm.y;
                a22 += nrm.y * nrm.y;
                b1 += nrm.x * d;
                b2 += nrm.y * d;
            }
            let det = a11 * a22 - a12 * a12;
            if det.abs() > 1e-6 {
                let p = P2::new((a22 * b1 - a12 * b2) / det, (a11 * b2 - a12 * b1) / det);
                if near(p) {
                    return p;
                }
            }
            mean
        }
    }
}

/// Whether moving end `e` of wall `w` to `p` keeps the wall pointing the
/// same way and at least `min_len` long.
pub(crate) fn end_move_ok(w: &WorkWall, e: usize, p: P2, min_len: f64) -> bool {
    let other = w.end(1 - e);
    let old = w.end(e) - other;
    let new = p - other;
    new.dot(&old) > 0.0 && new.norm() >= min_len
}

fn singleton_ends(walls: &[WorkWall], corners: &[Vec<(usize, usize)>], tees: &[(usize, usize, usize)]) -> Vec<(usize, usize)> {
    corners
        .iter()
        .filter(|c| c.len() == 1)
        .map(|c| c[0])
        .filter(|&(i, e)| !tees.iter().any(|t| t.0 == i && t.1 == e) && i < walls.len())
        .collect()
}

/// T-junction pass: an unjoined end within `join_radius` of another wall's
/// interior is moved along its own line onto that wall's line.
pub fn t_junctions(walls: &mut [WorkWall], corners: &[Vec<(usize, usize)>], cfg: &SolveConfig) -> Vec<(usize, usize, usize)> {
    let mut tees = Vec::new();
    for (i, e) in singleton_ends(walls, corners, &[]) {
        let p = walls[i].end(e);
        let Some(li) = walls[i].line() else { continue };
        let mut best: Option<(f64, usize, P2)> = None;
        for (j, h) in walls.iter().enumerate() {
            if j == i || (h.class == walls[i].class && h.class != Class::Free) {
                continue;
            }
            let Some(lh) = h.line() else { continue };
            if li.angle_to(&lh) < 0.2 {
                continue;
            }
            let Some(x) = li.intersect(&lh) else { continue };
            let x = exact_on(&walls[i], &walls[j], x);
            let d = (x - p).norm();
            let t = h.segment().project_param(&x);
            let margin = cfg.tolerances.join / h.len().max(1e-9);
            if d <= cfg.join_radius && t > -margin && t < 1.0 + margin && best.is_none_or(|b| d < b.0) {
                best = Some((d, j, x));
            }
        }
        if let Some((_, j, x)) = best {
            if end_move_ok(&walls[i], e, x, cfg.tolerances.min_wall_length) {
                walls[i].set_end(e, x);
                tees.push((i, e, j));
            }
        }
    }
    tees
}

/// The meeting point of a wall's line with a host's line, computed from the
/// offsets when both are Manhattan so that it is exact.
pub(crate) fn exact_on(w: &WorkWall, host: &WorkWall, x: P2) -> P2 {
    match (w.class, host.class) {
        (Class::U, Class::V) => P2::new(host.offset(), w.offset()),
        (Class::V, Class::U) => P2::new(w.offset(), host.offset()),
        (Class::U, _) => P2::new(x.x, w.offset()),
        (Class::V, _) => P2::new(w.offset(), x.y),
        _ => x,
    }
}

/// Loop-closing pass: an end still unjoined is extended along its wall up
/// to `close_radius` onto the first wall it meets; two unjoined ends within
/// `close_radius` of each other are joined (at their lines' intersection,
/// or by a new connecting wall). Returns new T-junctions and corners.
pub fn close_loops(
    walls: &mut Vec<WorkWall>,
    corners: &mut Vec<Vec<(usize, usize)>>,
    tees: &mut Vec<(usize, usize, usize)>,
    cfg: &SolveConfig,
    report: &mut SolveReport,
) {
    // 1. Extend along the wall.
    for (i, e) in singleton_ends(walls, corners, tees) {
        let p = walls[i].end(e);
        let out = p - walls[i].end(1 - e);
        let Some(ray) = Line2::new(p, out) else { continue };
        let mut best: Option<(f64, usize, P2)> = None;
        // A dangling stub past a wall it crosses is cut back to it instead.
        let mut back: Option<(f64, usize, P2)> = None;
        for (j, h) in walls.iter().enumerate() {
            if j == i {
                continue;
            }
            let Some(lh) = h.line() else { continue };
            let Some(x) = ray.intersect(&lh) else { continue };
            let x = exact_on(&walls[i], h, x);
            let t = ray.project(&x);
            let s = h.segment().project_param(&x);
            let margin = cfg.tolerances.join / h.len().max(1e-9);
            if s <= -margin || s >= 1.0 + margin {
                continue;
            }
            if t > 0.0 && t <= cfg.close_radius && best.is_none_or(|b| t < b.0) {
                best = Some((t, j, x));
            }
            if t <= 0.0
                && -t <= cfg.close_radius
                && end_move_ok(&walls[i], e, x, cfg.tolerances.min_wall_length)
                && back.is_none_or(|b| -t < b.0)
            {
                back = Some((-t, j, x));
            }
        }
        let cut = best.is_none() && back.is_some();
        if let Some((t, j, x)) = best.or(back) {
            walls[i].set_end(e, x);
            let what = if cut { "cut back to" } else { "extended onto" };
            report.change(EntityRef::Wall(walls[i].id), Pass::CloseLoop, t, format!("{what} wall_{}", walls[j].id));
            // Meeting the host's end that already ends on this wall (a T):
            // the two ends make a corner.
            let tee_end = (0..2).find(|&f| tees.contains(&(j, f, i)) && (walls[j].end(f) - x).norm() <= cfg.tolerances.join);
            if let Some(f) = tee_end {
                tees.retain(|tt| *tt != (j, f, i));
                walls[j].set_end(f, x);
                add_corner(corners, vec![(i, e), (j, f)]);
                continue;
            }
            // Landing next to the host's own loose end: that end comes too,
            // making a corner rather than a T with a stub.
            let loose = singleton_ends(walls, corners, tees);
            let host_end = (0..2).find(|&f| {
                loose.contains(&(j, f))
                    && (walls[j].end(f) - x).norm() <= cfg.join_radius
                    && end_move_ok(&walls[j], f, x, cfg.tolerances.min_wall_length)
            });
            match host_end {
                Some(f) => {
                    let d = (walls[j].end(f) - x).norm();
                    walls[j].set_end(f, x);
                    add_corner(corners, vec![(i, e), (j, f)]);
                    report.change(EntityRef::Wall(walls[j].id), Pass::CloseLoop, d, format!("end joined to wall_{}", walls[i].id));
                }
                None => tees.push((i, e, j)),
            }
        }
    }
    // 2. Join pairs of unjoined ends.
    let ends = singleton_ends(walls, corners, tees);
    let mut used = vec![false; ends.len()];
    let mut next_id = walls.iter().map(|w| w.id).max().map_or(0, |m| m.saturating_add(1));
    for x in 0..ends.len() {
        if used[x] {
            continue;
        }
        let (i, e) = ends[x];
        let p = walls[i].end(e);
        let partner = (0..ends.len())
            .filter(|&y| y != x && !used[y] && ends[y].0 != i)
            .map(|y| (y, (walls[ends[y].0].end(ends[y].1) - p).norm()))
            .filter(|(_, d)| *d <= 2.0 * cfg.close_radius)
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        let Some((y, d)) = partner else { continue };
        let (j, f) = ends[y];
        let q = walls[j].end(f);
        // Non-parallel: meet where the lines cross.
        if let (Some(li), Some(lj)) = (walls[i].line(), walls[j].line()) {
            if li.angle_to(&lj) > 0.2 {
                if let Some(xp) = li.intersect(&lj) {
                    let xp = exact_on(&walls[i], &walls[j], xp);
                    let xp = exact_on(&walls[j], &walls[i], xp);
                    if (xp - p).norm() <= cfg.close_radius
                        && (xp - q).norm() <= cfg.close_radius
                        && end_move_ok(&walls[i], e, xp, cfg.tolerances.min_wall_length)
                        && end_move_ok(&walls[j], f, xp, cfg.tolerances.min_wall_length)
                    {
                        walls[i].set_end(e, xp);
                        walls[j].set_end(f, xp);
                        add_corner(corners, vec![(i, e), (j, f)]);
                        used[x] = true;
                        used[y] = true;
                        report.change(EntityRef::Wall(walls[i].id), Pass::CloseLoop, (xp - p).norm(), format!("joined to wall_{}", walls[j].id));
                        report.change(EntityRef::Wall(walls[j].id), Pass::CloseLoop, (xp - q).norm(), format!("joined to wall_{}", walls[i].id));
                        continue;
                    }
                }
            }
        }
        // Otherwise bridge the gap with a new wall.
        if d > cfg.close_radius {
            continue;
        }
        let (mut p2, mut q2) = (p, q);
        let class = match (walls[i].class, walls[j].class) {
            (Class::U, Class::U) => {
                let m = (p.x + q.x) / 2.0;
                p2.x = m;
                q2.x = m;
                Class::V
            }
            (Class::V, Class::V) => {
                let m = (p.y + q.y) / 2.0;
                p2.y = m;
                q2.y = m;
                Class::U
            }
            _ => Class::Free,
        };
        if (q2 - p2).norm() < cfg.tolerances.min_wall_length
            || !end_move_ok(&walls[i], e, p2, cfg.tolerances.min_wall_length)
            || !end_move_ok(&walls[j], f, q2, cfg.tolerances.min_wall_length)
        {
            continue;
        }
        walls[i].set_end(e, p2);
        walls[j].set_end(f, q2);
        let height = (walls[i].height + walls[j].height) / 2.0;
        let thickness = walls[i].thickness.max(walls[j].thickness);
        let k = walls.len();
        walls.push(WorkWall { id: next_id, a: p2, b: q2, class, height, thickness });
        add_corner(corners, vec![(i, e), (k, 0)]);
        add_corner(corners, vec![(j, f), (k, 1)]);
        used[x] = true;
        used[y] = true;
        report.change(EntityRef::Wall(next_id), Pass::CloseLoop, 0.0, format!("added to close the {d:.3} m gap between wall_{} and wall_{}", walls[i].id, walls[j].id));
        next_id = next_id.saturating_add(1);
    }
    // 3. An end whose line meets another wall's line just beyond that
    // wall's end (collinear walls decoded too far apart to share a
    // corner): the other wall's line is continued by a new wall up to the
    // meeting point.
    for (i, e) in singleton_ends(walls, corners, tees) {
        let p = walls[i].end(e);
        let Some(ray) = Line2::new(p, p - walls[i].end(1 - e)) else { continue };
        let mut best: Option<(f64, usize, usize, P2)> = None;
        for (j, h) in walls.iter().enumerate() {
            if j == i {
                continue;
            }
            let Some(lh) = h.line() else { continue };
            if ray.angle_to(&lh) < 0.2 {
                continue;
            }
            let Some(x) = ray.intersect(&lh) else { continue };
            let x = exact_on(&walls[i], h, x);
            let t = ray.project(&x);
            let s = h.segment().project_param(&x);
            let f = if s < 0.0 { 0 } else { 1 };
            let gap = (x - h.end(f)).norm();
            // The end may also have overshot the other line a little.
            if (0.0..1.0).contains(&s)
                || t < -cfg.join_radius
                || t > cfg.close_radius
                || gap > cfg.close_radius
                || gap < cfg.tolerances.min_wall_length
                || !end_move_ok(&walls[i], e, x, cfg.tolerances.min_wall_length)
            {
                continue;
            }
            if best.is_none_or(|b| t.abs() + gap < b.0) {
                best = Some((t.abs() + gap, j, f, x));
            }
        }
        let Some((_, j, f, x)) = best else { continue };
        let q = walls[j].end(f);
        let (class, height, thickness) = (walls[j].class, walls[j].height, walls[j].thickness);
        let moved = (x - p).norm();
        walls[i].set_end(e, x);
        let k = walls.len();
        walls.push(WorkWall { id: next_id, a: q, b: x, class, height, thickness });
        add_corner(corners, vec![(i, e), (k, 1)]);
        match corners.iter_mut().find(|c| c.contains(&(j, f))) {
            Some(c) => c.push((k, 0)),
            None => add_corner(corners, vec![(j, f), (k, 0)]),
        }
        report.change(EntityRef::Wall(walls[i].id), Pass::CloseLoop, moved, format!("extended to meet wall_{next_id}"));
        report.change(EntityRef::Wall(next_id), Pass::CloseLoop, 0.0, format!("added: continues wall_{} by {:.3} m to meet wall_{}", walls[j].id, (x - q).norm(), walls[i].id));
        next_id = next_id.saturating_add(1);
    }
}

/// Runs the wall passes on `layout.walls` and returns the joined graph.
pub fn solve_walls(layout: &mut Layout, cfg: &SolveConfig, report: &mut SolveReport) -> WallGraph {
    sanitize(layout, report);
    let Some(angle) = estimate_frame(layout, cfg) else {
        report.skip(Pass::Frame, EntityRef::Layout, "no walls: frame, snapping, joining, loop closing, heights and room containment do not apply");
        return WallGraph { frame: Frame::new(0.0), walls: Vec::new(), corners: Vec::new(), tees: Vec::new() };
    };
    report.frame = Some(angle);
    let frame = Frame::new(angle);
    let raw: Vec<WorkWall> = layout
        .walls
        .iter()
        .map(|w| WorkWall {
            id: w.id,
            a: frame.to_frame(P2::new(w.a[0], w.a[1])),
            b: frame.to_frame(P2::new(w.b[0], w.b[1])),
            class: Class::Free,
            height: w.height,
            thickness: w.thickness,
        })
        .collect();
    let mut walls = snap(layout, &frame, cfg);
    record_moves(&raw, &walls, Pass::Snap, "rotated onto the dominant frame", report);

    let mut corners = Vec::new();
    let mut tees = Vec::new();
    for round in 0..WALL_ROUNDS {
        // Free walls that joining turned into near-frame walls snap now.
        let before = walls.clone();
        resnap(&mut walls, cfg);
        record_moves(&before, &walls, Pass::Snap, "rotated onto the dominant frame after joining", report);
        for (gone, kept) in merge_duplicates(&mut walls, cfg, report) {
            for o in layout.openings.iter_mut().filter(|o| o.wall == gone) {
                o.wall = kept;
                report.change(crate::layout::validate::opening_ref(o.kind, o.id), Pass::OpeningHost, 0.0, format!("host wall_{gone} merged into wall_{kept}"));
            }
        }
        let before = walls.clone();
        corners = join_corners(&mut walls, cfg);
        record_moves(&before, &walls, Pass::Join, "corner joined by line intersection", report);
        let before = walls.clone();
        tees = t_junctions(&mut walls, &corners, cfg);
        record_moves(&before, &walls, Pass::TJunction, "end moved onto the wall it meets", report);
        if !cfg.tolerances.allow_open {
            close_loops(&mut walls, &mut corners, &mut tees, cfg, report);
        }
        // Two walls joined into the same two corners are one wall decoded
        // twice: another round merges them.
        let again = walls.iter().any(|w| w.class == Class::Free && snap_class(w, cfg).is_some())
            || coincident(&walls, cfg.tolerances.join);
        let mut short: Vec<(usize, String)> = (0..walls.len())
            .filter(|&i| walls[i].len() < cfg.tolerances.min_wall_length)
            .map(|i| (i, format!("removed: {:.3} m long after joining (minimum {} m)", walls[i].len(), cfg.tolerances.min_wall_length)))
            .collect();
        // A short stub hanging off a corner that holds without it, with
        // nothing to close its other end against, is a decoding artefact.
        if !cfg.tolerances.allow_open {
            for (i, e) in singleton_ends(&walls, &corners, &tees) {
                let held = corners.iter().any(|c| c.len() >= 3 && c.contains(&(i, 1 - e))) || tees.iter().any(|t| t.0 == i && t.1 == 1 - e);
                if walls[i].len() < STUB_LENGTH && held && !short.iter().any(|s| s.0 == i) {
                    short.push((i, format!("removed: {:.3} m stub with a loose end", walls[i].len())));
                }
            }
            short.sort_by_key(|s| s.0);
        }
        // The last round keeps its corners consistent with the walls.
        if (short.is_empty() && !again) || round + 1 == WALL_ROUNDS {
            break;
        }
        for (i, why) in short.iter().rev() {
            report.change(EntityRef::Wall(walls[*i].id), Pass::Prune, 0.0, why.clone());
            walls.remove(*i);
        }
    }
    if !cfg.tolerances.allow_open {
        for (i, e) in singleton_ends(&walls, &corners, &tees) {
            report.skip(Pass::CloseLoop, EntityRef::Wall(walls[i].id), format!("end {} joins no wall within {} m; the loop stays open", if e == 0 { "a" } else { "b" }, cfg.close_radius));
        }
    }
    let graph = WallGraph { frame, walls, corners, tees };
    write_back(layout, &graph);
    heights(layout, cfg, report);
    graph
}

/// Adds a corner, dropping the one-end entries of the ends it joins.
fn add_corner(corners: &mut Vec<Vec<(usize, usize)>>, c: Vec<(usize, usize)>) {
    corners.retain(|old| !(old.len() == 1 && c.contains(&old[0])));
    corners.push(c);
}

/// Whether two walls have the same two endpoints (within `tol`).
fn coincident(walls: &[WorkWall], tol: f64) -> bool {
    let close = |p: P2, q: P2| (p - q).norm() <= tol;
    (0..walls.len()).any(|i| {
        (i + 1..walls.len()).any(|j| {
            let (a, b) = (&walls[i], &walls[j]);
            (close(a.a, b.a) && close(a.b, b.b)) || (close(a.a, b.b) && close(a.b, b.a))
        })
    })
}

/// Writes the solved walls into the layout (world coordinates, z = 0),
/// keeping heights and thicknesses already in the layout.
pub fn write_back(layout: &mut Layout, g: &WallGraph) {
    let old = std::mem::take(&mut layout.walls);
    layout.walls = g
        .walls
        .iter()
        .map(|w| {
            let (a, b) = (g.frame.to_world(w.a), g.frame.to_world(w.b));
            let prev = old.iter().find(|o| o.id == w.id);
            Wall {
                id: w.id,
                a: [a.x, a.y, 0.0],
                b: [b.x, b.y, 0.0],
                height: prev.map_or(w.height, |p| p.height),
                thickness: prev.map_or(w.thickness, |p| p.thickness),
            }
        })
        .collect();
}

/// Height pass: rooms sharing walls form a group; when a group's heights
/// spread more than the tolerance, all its walls take the group median.
pub fn heights(layout: &mut Layout, cfg: &SolveConfig, report: &mut SolveReport) {
    let rs = rooms(layout, &cfg.tolerances);
    let mut dsu = Dsu::new(rs.len());
    for i in 0..rs.len() {
        for j in i + 1..rs.len() {
            if rs[i].walls.iter().any(|w| rs[j].walls.contains(w)) {
                dsu.union(i, j);
            }
        }
    }
    let mut done = std::collections::BTreeSet::new();
    for i in 0..rs.len() {
        let r = dsu.find(i);
        if !done.insert(r) {
            continue;
        }
        let mut ids: Vec<u32> = (0..rs.len()).filter(|&k| dsu.find(k) == r).flat_map(|k| rs[k].walls.clone()).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut hs: Vec<f64> = ids.iter().filter_map(|id| layout.wall(*id)).filter(|w| wall_is_finite(w)).map(|w| w.height).collect();
        let lo = hs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = hs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if hi - lo <= cfg.tolerances.wall_height {
            continue;
        }
        let Some(m) = median(&mut hs) else { continue };
        for w in layout.walls.iter_mut().filter(|w| ids.contains(&w.id)) {
            if w.height != m {
                report.change(EntityRef::Wall(w.id), Pass::Height, 0.0, format!("height {:.3} m set to its rooms' median {m:.3} m", w.height));
                w.height = m;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Layout;

    fn cfg() -> SolveConfig {
        SolveConfig::default()
    }

    fn ww(id: u32, a: [f64; 2], b: [f64; 2], class: Class) -> WorkWall {
        WorkWall { id, a: P2::new(a[0], a[1]), b: P2::new(b[0], b[1]), class, height: 2.7, thickness: 0.1 }
    }

    fn layout_of(walls: &[([f64; 2], [f64; 2])]) -> Layout {
        let mut l = Layout::new();
        for (k, (a, b)) in walls.iter().enumerate() {
            l.walls.push(Wall { id: k as u32, a: [a[0], a[1], 0.0], b: [b[0], b[1], 0.0], height: 2.7, thickness: 0.1 });
        }
        l
    }

    #[test]
    fn frame_is_estimated_and_axis_prior_applies() {
        let r = 0.3f64;
        let rot = |x: f64, y: f64| [x * r.cos() - y * r.sin(), x * r.sin() + y * r.cos()];
        let l = layout_of(&[(rot(0.0, 0.0), rot(4.0, 0.0)), (rot(4.0, 0.0), rot(4.0, 3.0)), (rot(4.0, 3.0), rot(0.0, 3.0))]);
        let f = estimate_frame(&l, &cfg()).unwrap();
        assert!((f - r).abs() < 1e-9, "{f}");
        // Noise averages out: +1° and -1° walls of equal length.
        let l = layout_of(&[(rot(0.0, 0.0), rot(4.0, 0.0698)), (rot(4.0, 0.0), rot(4.0698, 4.0)), (rot(4.0, 4.0), rot(0.0, 4.0))]);
        let f = estimate_frame(&l, &cfg()).unwrap();
        assert!((f - r).abs() < 0.2f64.to_radians(), "{}", (f - r).to_degrees());
        let l = layout_of(&[([0.0, 0.0], [4.0, 0.05]), ([4.0, 0.0], [4.0, 3.0])]);
        assert_eq!(estimate_frame(&l, &cfg()), Some(0.0));
        assert_eq!(estimate_frame(&Layout::new(), &cfg()), None);
    }

    #[test]
    fn snapping_rotates_about_the_midpoint() {
        let l = layout_of(&[([0.0, 0.0], [4.0, 0.2]), ([0.0, 0.0], [1.0, 1.0])]);
        let w = snap(&l, &Frame::new(0.0), &cfg());
        assert_eq!(w[0].class, Class::U);
        assert_eq!(w[0].a.y, w[0].b.y);
        assert!((w[0].a.y - 0.1).abs() < 1e-12);
        assert!((w[0].len() - (16.04f64).sqrt()).abs() < 1e-12);
        assert_eq!(w[1].class, Class::Free);
        assert_eq!(w[1].b, P2::new(1.0, 1.0));
    }

    #[test]
    fn duplicates_merge_and_neighbours_do_not() {
        let mut r = SolveReport { frame: None, changes: vec![], skipped: vec![], remaining: vec![], valid: false };
        let mut w = vec![
            ww(0, [0.0, 0.0], [4.0, 0.0], Class::U),
            ww(1, [0.3, 0.1], [3.8, 0.1], Class::U),
            ww(2, [4.0, 0.0], [7.0, 0.0], Class::U),
        ];
        let m = merge_duplicates(&mut w, &cfg(), &mut r);
        assert_eq!(m, vec![(1, 0)]);
        assert_eq!(w.len(), 2);
        assert!((w[0].a.y - (0.0 * 4.0 + 0.1 * 3.5) / 7.5).abs() < 1e-12);
        assert_eq!((w[0].a.x, w[0].b.x), (0.0, 4.0));
    }

    #[test]
    fn corners_join_at_line_intersections() {
        // A square with gaps and offsets at its corners.
        let mut w = vec![
            ww(0, [0.1, 0.05], [3.8, 0.05], Class::U),
            ww(1, [4.05, 0.2], [4.05, 2.9], Class::V),
            ww(2, [3.9, 3.0], [0.2, 3.0], Class::U),
            ww(3, [-0.05, 2.7], [-0.05, 0.3], Class::V),
        ];
        let corners = join_corners(&mut w, &cfg());
        assert_eq!(corners.iter().filter(|c| c.len() == 2).count(), 4);
        assert_eq!(w[0].a, P2::new(-0.05, 0.05));
        assert_eq!(w[0].b, P2::new(4.05, 0.05));
        assert_eq!(w[1].b, P2::new(4.05, 3.0));
        assert_eq!(w[3].b, w[0].a);
    }

    #[test]
    fn short_walls_never_collapse_and_steps_stay_steps() {
        // A 0.3 m niche: two parallel walls 0.3 m apart joined by a short wall.
        let mut w = vec![
            ww(0, [0.0, 0.0], [2.0, 0.0], Class::U),
            ww(1, [2.0, 0.02], [2.0, 0.3], Class::V),
            ww(2, [2.03, 0.3], [4.0, 0.3], Class::U),
        ];
        join_corners(&mut w, &cfg());
        assert!((w[1].len() - 0.3).abs() < 1e-12, "{w:?}");
        assert_eq!(w[0].a.y, 0.0);
        assert_eq!(w[2].a.y, 0.3);
    }

    #[test]
    fn t_junction_moves_end_onto_host() {
        let mut w = vec![ww(0, [0.0, 0.0], [6.0, 0.0], Class::U), ww(1, [3.0, 0.2], [3.0, 3.0], Class::V)];
        let corners = join_corners(&mut w, &cfg());
        let tees = t_junctions(&mut w, &corners, &cfg());
        assert_eq!(tees, vec![(1, 0, 0)]);
        assert_eq!(w[1].a, P2::new(3.0, 0.0));
    }

    #[test]
    fn loops_close_by_extension_and_by_new_walls() {
        let mut r = SolveReport { frame: None, changes: vec![], skipped: vec![], remaining: vec![], valid: false };
        // Gap of 0.8 m at one corner: beyond join_radius, within close_radius.
        let mut w = vec![
            ww(0, [0.0, 0.0], [3.2, 0.0], Class::U),
            ww(1, [4.0, 0.8], [4.0, 3.0], Class::V),
            ww(2, [4.0, 3.0], [0.0, 3.0], Class::U),
            ww(3, [0.0, 3.0], [0.0, 0.0], Class::V),
        ];
        let mut corners = join_corners(&mut w, &cfg());
        let mut tees = t_junctions(&mut w, &corners, &cfg());
        close_loops(&mut w, &mut corners, &mut tees, &cfg(), &mut r);
        assert_eq!(w[0].b, P2::new(4.0, 0.0), "{w:?}");
        assert_eq!(w[1].a, P2::new(4.0, 0.0));
        // Two collinear-ish walls offset by 0.5 m get a connector.
        let mut w = vec![ww(0, [0.0, 0.0], [2.0, 0.0], Class::U), ww(1, [2.4, 0.5], [4.0, 0.5], Class::U)];
        let cfg = SolveConfig { join_radius: 0.1, ..cfg() };
        let mut corners = join_corners(&mut w, &cfg);
        let mut tees = Vec::new();
        close_loops(&mut w, &mut corners, &mut tees, &cfg, &mut r);
        assert_eq!(w.len(), 3);
        assert_eq!(w[2].class, Class::V);
        assert_eq!(w[2].a, P2::new(2.2, 0.0));
        assert_eq!(w[2].b, P2::new(2.2, 0.5));
    }

    #[test]
    fn heights_unify_within_rooms() {
        let mut l = layout_of(&[([0.0, 0.0], [4.0, 0.0]), ([4.0, 0.0], [4.0, 3.0]), ([4.0, 3.0], [0.0, 3.0]), ([0.0, 3.0], [0.0, 0.0])]);
        l.walls[2].height = 2.5;
        let mut r = SolveReport { frame: None, changes: vec![], skipped: vec![], remaining: vec![], valid: false };
        heights(&mut l, &cfg(), &mut r);
        assert!(l.walls.iter().all(|w| w.height == 2.7));
        assert_eq!(r.changes.len(), 1);
    }
}
