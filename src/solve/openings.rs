//! Opening passes: host wall (reattached to the nearest wall when missing or
//! far), sizes into the class ranges, projection onto the host's plane,
//! clamping inside its extent, doors onto the floor, windows below the top,
//! and 1D separation of openings sharing a wall.

use super::{Pass, SolveConfig, SolveReport};
use crate::geom::line::{Segment2, P2};
use crate::layout::validate::{opening_ref, wall_is_finite, wall_segment};
use crate::layout::{EntityRef, Layout, OpeningKind, Wall};

/// Smallest opening size the solver shrinks to when a wall is too small
/// for the class range (m).
const MIN_OPENING: f64 = 0.05;
/// Gap left between openings pushed apart on one wall (m).
const OPENING_GAP: f64 = 0.01;
/// Separation sweeps before giving up.
const SEPARATION_ITERS: usize = 100;

fn usable(w: &Wall) -> bool {
    wall_is_finite(w) && w.length_xy() > 1e-6
}

/// Nearest usable wall to a point (xy), with its distance.
fn nearest_wall(layout: &Layout, p: &P2) -> Option<(u32, f64)> {
    layout
        .walls
        .iter()
        .filter(|w| usable(w))
        .map(|w| (w.id, wall_segment(w).distance(p)))
        .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
}

/// Host pass: every opening gets an existing host wall; one whose host is
/// missing, or more than `rehost_distance` away while another wall is
/// nearer, moves to the nearest wall.
pub fn rehost(layout: &mut Layout, cfg: &SolveConfig, report: &mut SolveReport) {
    let has_walls = layout.walls.iter().any(usable);
    for k in 0..layout.openings.len() {
        let o = &layout.openings[k];
        let e = opening_ref(o.kind, o.id);
        if !o.center.iter().all(|x| x.is_finite()) {
            report.skip(Pass::OpeningHost, e, "centre is NaN or infinite; left as it is");
            continue;
        }
        let p = P2::new(o.center[0], o.center[1]);
        if !has_walls {
            report.skip(Pass::OpeningHost, e, "no walls: the opening has no wall to sit in");
            continue;
        }
        let Some((near, dn)) = nearest_wall(layout, &p) else { continue };
        let host = layout.wall(o.wall).filter(|w| usable(w));
        let new = match host {
            None => Some(format!("host wall_{} missing; moved to nearest wall_{near} ({dn:.3} m away)", o.wall)),
            Some(w) => {
                let dh = wall_segment(w).distance(&p);
                (near != w.id && dh > cfg.rehost_distance && dn < dh)
                    .then(|| format!("{dh:.3} m from host wall_{}; moved to nearer wall_{near} ({dn:.3} m)", w.id))
            }
        };
        if let Some(msg) = new {
            layout.openings[k].wall = near;
            report.change(e, Pass::OpeningHost, 0.0, msg);
        }
    }
}

/// Size pass: widths and heights into the class ranges, and small enough
/// for the host wall (less the margins).
pub fn sizes(layout: &mut Layout, cfg: &SolveConfig, report: &mut SolveReport) {
    let t = &cfg.tolerances;
    for k in 0..layout.openings.len() {
        let o = layout.openings[k].clone();
        let e = opening_ref(o.kind, o.id);
        let Some(w) = layout.wall(o.wall).filter(|w| usable(w)).cloned() else { continue };
        if !(o.width.is_finite() && o.height.is_finite()) {
            report.skip(Pass::OpeningSize, e, "size is NaN or infinite; left as it is");
            continue;
        }
        let (wr, hr) = match o.kind {
            OpeningKind::Door => (t.door_width, t.door_height),
            OpeningKind::Window => (t.window_width, t.window_height),
        };
        let m = cfg.opening_margin;
        let max_w = (w.length_xy() - 2.0 * m).max(MIN_OPENING);
        let max_h = match o.kind {
            OpeningKind::Door => (w.height - m).max(MIN_OPENING),
            OpeningKind::Window => (w.height - 2.0 * m).max(MIN_OPENING),
        };
        let width = o.width.clamp(wr[0], wr[1]).min(max_w);
        let height = o.height.clamp(hr[0], hr[1]).min(max_h);
        if width != o.width || height != o.height {
            let op = &mut layout.openings[k];
            op.width = width;
            op.height = height;
            report.change(
                e,
                Pass::OpeningSize,
                0.0,
                format!("size {:.3} x {:.3} m set to {width:.3} x {height:.3} m", o.width, o.height),
            );
        }
    }
}

/// Projection pass: the centre moves onto the host's centre line, inside its
/// extent with `opening_margin` at each end; doors to the floor, windows
/// below the wall top.
pub fn project(layout: &mut Layout, cfg: &SolveConfig, report: &mut SolveReport) {
    for k in 0..layout.openings.len() {
        let o = layout.openings[k].clone();
        let Some(w) = layout.wall(o.wall).filter(|w| usable(w)).cloned() else { continue };
        if !(o.center.iter().all(|x| x.is_finite()) && o.width > 0.0 && o.height > 0.0) {
            continue;
        }
        let c = place(&w, o.kind, o.center, o.width, o.height, None, cfg);
        let moved = ((c[0] - o.center[0]).powi(2) + (c[1] - o.center[1]).powi(2) + (c[2] - o.center[2]).powi(2)).sqrt();
        if moved > 1e-12 {
            layout.openings[k].center = c;
            report.change(opening_ref(o.kind, o.id), Pass::OpeningProject, moved, format!("moved into the plane and extent of wall_{}", w.id));
        }
    }
}

/// Where an opening of this size goes on wall `w`: its centre's projection
/// (or `along`, when given) clamped into the extent, and the class height.
fn place(w: &Wall, kind: OpeningKind, center: [f64; 3], width: f64, height: f64, along: Option<f64>, cfg: &SolveConfig) -> [f64; 3] {
    let seg = wall_segment(w);
    let len = seg.length();
    let m = cfg.opening_margin;
    let t = along.unwrap_or_else(|| seg.project_param(&P2::new(center[0], center[1])) * len);
    let (lo, hi) = (width / 2.0 + m, len - width / 2.0 - m);
    let t = if lo <= hi { t.clamp(lo, hi) } else { len / 2.0 };
    let p = seg.a + (seg.b - seg.a) * (t / len);
    let base = w.a[2].min(w.b[2]);
    let z = match kind {
        OpeningKind::Door => base + height / 2.0,
        OpeningKind::Window => {
            let (zlo, zhi) = (base + height / 2.0, base + w.height - m - height / 2.0);
            if zlo <= zhi {
                center[2].clamp(zlo, zhi)
            } else {
                base + w.height / 2.0
            }
        }
    };
    [p.x, p.y, z]
}

/// Separation pass: openings overlapping on one wall are pushed apart along
/// it, each by half the overlap, within the wall's extent.
pub fn separate(layout: &mut Layout, cfg: &SolveConfig, report: &mut SolveReport) {
    let walls: Vec<Wall> = layout.walls.iter().filter(|w| usable(w)).cloned().collect();
    for w in &walls {
        let seg = wall_segment(w);
        let len = seg.length();
        let idx: Vec<usize> = (0..layout.openings.len()).filter(|&k| layout.openings[k].wall == w.id).collect();
        if idx.len() < 2 {
            continue;
        }
        let mut t: Vec<f64> = idx.iter().map(|&k| along(&seg, &layout.openings[k].center)).collect();
        let start = t.clone();
        let m = cfg.opening_margin;
        for _ in 0..SEPARATION_ITERS {
            let mut any = false;
            for x in 0..idx.len() {
                for y in x + 1..idx.len() {
                    let (a, b) = (&layout.openings[idx[x]], &layout.openings[idx[y]]);
                    let zov = (a.center[2] + a.height / 2.0).min(b.center[2] + b.height / 2.0)
                        - (a.center[2] - a.height / 2.0).max(b.center[2] - b.height / 2.0);
                    let need = (a.width + b.width) / 2.0 + OPENING_GAP;
                    let gap = (t[x] - t[y]).abs();
                    if zov <= 0.0 || gap >= need - 1e-9 {
                        continue;
                    }
                    any = true;
                    let push = (need - gap) / 2.0;
                    // Ties keep list order: the earlier one goes towards a.
                    let dir = if t[x] < t[y] || (t[x] == t[y] && x < y) { -1.0 } else { 1.0 };
                    t[x] = (t[x] + dir * push).clamp(a.width / 2.0 + m, (len - a.width / 2.0 - m).max(a.width / 2.0 + m));
                    t[y] = (t[y] - dir * push).clamp(b.width / 2.0 + m, (len - b.width / 2.0 - m).max(b.width / 2.0 + m));
                }
            }
            if !any {
                break;
            }
        }
        for (n, &k) in idx.iter().enumerate() {
            if (t[n] - start[n]).abs() > 1e-12 {
                let o = layout.openings[k].clone();
                layout.openings[k].center = place(w, o.kind, o.center, o.width, o.height, Some(t[n]), cfg);
                report.change(opening_ref(o.kind, o.id), Pass::OpeningSeparate, (t[n] - start[n]).abs(), format!("pushed apart from another opening on wall_{}", w.id));
            }
        }
    }
}

fn along(seg: &Segment2, c: &[f64; 3]) -> f64 {
    seg.project_param(&P2::new(c[0], c[1])) * seg.length()
}

/// Runs the opening passes.
pub fn solve_openings(layout: &mut Layout, cfg: &SolveConfig, report: &mut SolveReport) {
    rehost(layout, cfg, report);
    sizes(layout, cfg, report);
    project(layout, cfg, report);
    separate(layout, cfg, report);
    let _ = EntityRef::Layout;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{Opening, Wall};

    fn room() -> Layout {
        let mut l = Layout::new();
        let w = |id, a: [f64; 2], b: [f64; 2]| Wall { id, a: [a[0], a[1], 0.0], b: [b[0], b[1], 0.0], height: 2.7, thickness: 0.1 };
        l.walls = vec![w(0, [0.0, 0.0], [4.0, 0.0]), w(1, [4.0, 0.0], [4.0, 3.0]), w(2, [4.0, 3.0], [0.0, 3.0]), w(3, [0.0, 3.0], [0.0, 0.0])];
        l
    }

    fn rep() -> SolveReport {
        SolveReport { frame: None, changes: vec![], skipped: vec![], remaining: vec![], valid: false }
    }

    fn door(id: u32, wall: u32, c: [f64; 3]) -> Opening {
        Opening { id, kind: OpeningKind::Door, wall, center: c, width: 0.9, height: 2.0 }
    }

    #[test]
    fn missing_host_reattaches_to_nearest_wall() {
        let mut l = room();
        l.openings.push(door(0, 9, [3.9, 1.5, 1.0]));
        let mut r = rep();
        solve_openings(&mut l, &SolveConfig::default(), &mut r);
        assert_eq!(l.openings[0].wall, 1);
        assert_eq!(l.openings[0].center, [4.0, 1.5, 1.0]);
        assert!(l.validate().is_empty(), "{:?}", l.validate());
    }

    #[test]
    fn off_wall_opening_is_projected_and_clamped() {
        let mut l = room();
        l.openings.push(door(0, 0, [3.9, 0.3, 1.3]));
        l.openings.push(Opening { id: 0, kind: OpeningKind::Window, wall: 2, center: [2.0, 3.1, 2.5], width: 1.2, height: 1.0 });
        let mut r = rep();
        solve_openings(&mut l, &SolveConfig::default(), &mut r);
        assert!((l.openings[0].center[0] - (4.0 - 0.45 - 0.02)).abs() < 1e-12);
        assert_eq!(l.openings[0].center[1], 0.0);
        assert_eq!(l.openings[0].center[2], 1.0);
        assert!((l.openings[1].center[2] - (2.7 - 0.02 - 0.5)).abs() < 1e-12);
        assert!(l.validate().is_empty(), "{:?}", l.validate());
        assert!(r.changes.iter().all(|c| c.pass == Pass::OpeningProject));
    }

    #[test]
    fn overlapping_openings_are_pushed_apart_and_sizes_clamped() {
        let mut l = room();
        l.openings.push(door(0, 0, [1.8, 0.0, 1.0]));
        l.openings.push(door(1, 0, [2.2, 0.0, 1.0]));
        l.openings.push(Opening { id: 0, kind: OpeningKind::Window, wall: 1, center: [4.0, 1.5, 1.5], width: 9.0, height: 1.0 });
        let mut r = rep();
        solve_openings(&mut l, &SolveConfig::default(), &mut r);
        assert!((l.openings[1].center[0] - l.openings[0].center[0] - 0.91).abs() < 1e-9);
        assert!((l.openings[0].center[0] + l.openings[1].center[0] - 4.0).abs() < 1e-9);
        assert!((l.openings[2].width - 2.96).abs() < 1e-12);
        assert!(l.validate().is_empty(), "{:?}", l.validate());
    }

    #[test]
    fn without_walls_the_pass_says_so() {
        let mut l = Layout::new();
        l.openings.push(door(0, 0, [1.0, 0.0, 1.0]));
        let mut r = rep();
        solve_openings(&mut l, &SolveConfig::default(), &mut r);
        assert_eq!(r.skipped.len(), 1);
        assert!(r.skipped[0].reason.contains("no walls"));
    }
}
