//! 2D lines and segments in the xy plane: projection, distance,
//! intersection, collinearity, total-least-squares line fitting, and
//! point-in-polygon / distance-to-boundary queries (areas and clipping are
//! in [`super::polygon`]).
//!
//! Plain math on nalgebra vectors; knows nothing of walls or layouts.

use nalgebra::Vector2;

/// A point or vector in the plane.
pub type P2 = Vector2<f64>;

/// Below this squared length a direction is treated as degenerate
/// (1e-24 m²: far below any measurable length).
const DEGENERATE_SQ: f64 = 1e-24;

/// 2D cross product (z of the 3D cross product).
pub fn cross(a: &P2, b: &P2) -> f64 {
    a.x * b.y - a.y * b.x
}

/// The angle of a direction, radians in (-π, π].
pub fn angle_of(d: &P2) -> f64 {
    d.y.atan2(d.x)
}

/// Smallest absolute difference between two *undirected* line angles
/// modulo `period` (π for lines, π/2 for a Manhattan frame); in [0, period/2].
pub fn angle_diff_mod(a: f64, b: f64, period: f64) -> f64 {
    let d = (a - b).rem_euclid(period);
    d.min(period - d)
}

/// Signed difference `a - b` wrapped into [-period/2, period/2).
pub fn signed_angle_diff_mod(a: f64, b: f64, period: f64) -> f64 {
    (a - b + period / 2.0).rem_euclid(period) - period / 2.0
}

/// An infinite line through `point` along the unit vector `dir`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line2 {
    pub point: P2,
    /// Unit direction.
    pub dir: P2,
}

impl Line2 {
    /// The line through `point` along `dir` (normalised); `None` when `dir`
    /// is degenerate.
    pub fn new(point: P2, dir: P2) -> Option<Line2> {
        let n2 = dir.norm_squared();
        (n2 > DEGENERATE_SQ && n2.is_finite()).then(|| Line2 { point, dir: dir / n2.sqrt() })
    }

    /// The line through two distinct points.
    pub fn through(a: P2, b: P2) -> Option<Line2> {
        Line2::new(a, b - a)
    }

    /// Unit normal (direction rotated +90°).
    pub fn normal(&self) -> P2 {
        P2::new(-self.dir.y, self.dir.x)
    }

    /// Coordinate of `p` along the line, measured from `point`.
    pub fn project(&self, p: &P2) -> f64 {
        (p - self.point).dot(&self.dir)
    }

    /// The foot of the perpendicular from `p`.
    pub fn closest_point(&self, p: &P2) -> P2 {
        self.point + self.dir * self.project(p)
    }

    /// Signed distance of `p` (positive on the normal's side).
    pub fn signed_distance(&self, p: &P2) -> f64 {
        (p - self.point).dot(&self.normal())
    }

    /// Unsigned distance of `p`.
    pub fn distance(&self, p: &P2) -> f64 {
        self.signed_distance(p).abs()
    }

    /// The point where two lines meet; `None` when they are parallel
    /// (sine of the angle between them below `1e-9`).
    pub fn intersect(&self, other: &Line2) -> Option<P2> {
        let denom = cross(&self.dir, &other.dir);
        if denom.abs() < 1e-9 {
            return None;
        }
        let t = cross(&(other.point - self.point), &other.dir) / denom;
        Some(self.point + self.dir * t)
    }

    /// Angle between the two lines as undirected lines, in [0, π/2].
    pub fn angle_to(&self, other: &Line2) -> f64 {
        angle_diff_mod(angle_of(&self.dir), angle_of(&other.dir), std::f64::consts::PI)
    }
}

/// A segment from `a` to `b`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment2 {
    pub a: P2,
    pub b: P2,
}

/// How two segments meet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SegmentIntersection {
    /// They do not touch.
    None,
    /// They meet in one point, at parameter `t` along the first and `u`
    /// along the second (0 at `a`, 1 at `b`).
    Point { p: P2, t: f64, u: f64 },
    /// They are collinear and share a stretch `overlap` long (may be 0
    /// when they only touch end to end).
    Overlap { overlap: f64 },
}

impl Segment2 {
    pub fn new(a: P2, b: P2) -> Segment2 {
        Segment2 { a, b }
    }

    pub fn length(&self) -> f64 {
        (self.b - self.a).norm()
    }

    /// The supporting line, `None` for a degenerate segment.
    pub fn line(&self) -> Option<Line2> {
        Line2::through(self.a, self.b)
    }

    /// Parameter of the projection of `p` onto the segment's line (0 at `a`,
    /// 1 at `b`); 0 for a degenerate segment.
    pub fn project_param(&self, p: &P2) -> f64 {
        let d = self.b - self.a;
        let l2 = d.norm_squared();
        if l2 <= DEGENERATE_SQ {
            return 0.0;
        }
        (p - self.a).dot(&d) / l2
    }

    /// The point of the segment closest to `p`.
    pub fn closest_point(&self, p: &P2) -> P2 {
        let t = self.project_param(p).clamp(0.0, 1.0);
        self.a + (self.b - self.a) * t
    }

    /// Distance from `p` to the segment.
    pub fn distance(&self, p: &P2) -> f64 {
        (p - self.closest_point(p)).norm()
    }

    /// Smallest distance between two segments (0 when they touch or cross).
    pub fn distance_to_segment(&self, o: &Segment2) -> f64 {
        if !matches!(self.intersect(o, 0.0), SegmentIntersection::None) {
            return 0.0;
        }
        self.distance(&o.a).min(self.distance(&o.b)).min(o.distance(&self.a)).min(o.distance(&self.b))
    }

    /// Intersection of two segments; `eps` (metres) widens the test so
    /// that segments ending within `eps` of each other count as touching.
    pub fn intersect(&self, o: &Segment2, eps: f64) -> SegmentIntersection {
        let r = self.b - self.a;
        let s = o.b - o.a;
        let (lr, ls) = (r.norm(), s.norm());
        if lr * lr <= DEGENERATE_SQ || ls * ls <= DEGENERATE_SQ {
            return SegmentIntersection::None;
        }
        let denom = cross(&r, &s);
        let qp = o.a - self.a;
        // Parallel when the sine of the angle is tiny.
        if denom.abs() <= 1e-12 * lr * ls {
            // Collinear when o.a lies on self's line.
            if (cross(&qp, &r) / lr).abs() > eps {
                return SegmentIntersection::None;
            }
            let dir = r / lr;
            let (t0, t1) = ((o.a - self.a).dot(&dir), (o.b - self.a).dot(&dir));
            let (lo, hi) = (t0.min(t1), t0.max(t1));
            let overlap = hi.min(lr) - lo.max(0.0);
            return if overlap >= -eps {
                SegmentIntersection::Overlap { overlap: overlap.max(0.0) }
            } else {
                SegmentIntersection::None
            };
        }
        let t = cross(&qp, &s) / denom;
        let u = cross(&qp, &r) / denom;
        let (et, eu) = (eps / lr, eps / ls);
        if t >= -et && t <= 1.0 + et && u >= -eu && u <= 1.0 + eu {
            SegmentIntersection::Point { p: self.a + r * t, t, u }
        } else {
            SegmentIntersection::None
        }
    }
}

/// Whether two segments lie on one line: directions within `max_angle`
/// radians and every endpoint of each within `max_dist` of the other's line.
pub fn collinear(s: &Segment2, o: &Segment2, max_angle: f64, max_dist: f64) -> bool {
    let (Some(ls), Some(lo)) = (s.line(), o.line()) else { return false };
    ls.angle_to(&lo) <= max_angle
        && ls.distance(&o.a) <= max_dist
        && ls.distance(&o.b) <= max_dist
        && lo.distance(&s.a) <= max_dist
        && lo.distance(&s.b) <= max_dist
}

/// Total-least-squares line through points (principal direction of their
/// scatter); `None` with fewer than two distinct points.
pub fn fit_line(points: &[P2]) -> Option<Line2> {
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f64;
    let mean = points.iter().fold(P2::zeros(), |acc, p| acc + p) / n;
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for p in points {
        let d = p - mean;
        sxx += d.x * d.x;
        sxy += d.x * d.y;
        syy += d.y * d.y;
    }
    if sxx + syy <= DEGENERATE_SQ {
        return None;
    }
    // Orientation of the major axis of the 2x2 scatter matrix.
    let theta = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    Line2::new(mean, P2::new(theta.cos(), theta.sin()))
}

/// Whether `p` lies inside a simple polygon (even-odd rule; points on the
/// boundary may go either way).
pub fn point_in_polygon(p: &P2, poly: &[P2]) -> bool {
    let n = poly.len();
    let mut inside = false;
    for i in 0..n {
        let (a, b) = (poly[i], poly[(i + 1) % n]);
        if (a.y > p.y) != (b.y > p.y) {
            let x = a.x + (p.y - a.y) / (b.y - a.y) * (b.x - a.x);
            if p.x < x {
                inside = !inside;
            }
        }
    }
    inside
}

/// Distance from `p` to a polygon's boundary.
pub fn distance_to_polygon_boundary(p: &P2, poly: &[P2]) -> f64 {
    let n = poly.len();
    (0..n).map(|i| Segment2::new(poly[i], poly[(i + 1) % n]).distance(p)).fold(f64::INFINITY, f64::min)
}

/// The nearest point on a polygon's boundary to `p`.
pub fn closest_point_on_polygon_boundary(p: &P2, poly: &[P2]) -> Option<P2> {
    let n = poly.len();
    (0..n)
        .map(|i| Segment2::new(poly[i], poly[(i + 1) % n]).closest_point(p))
        .min_by(|x, y| (x - p).norm_squared().total_cmp(&(y - p).norm_squared()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn p(x: f64, y: f64) -> P2 {
        P2::new(x, y)
    }

    #[test]
    fn projection_and_distance() {
        let l = Line2::through(p(0.0, 0.0), p(2.0, 0.0)).unwrap();
        assert!((l.project(&p(1.5, 3.0)) - 1.5).abs() < 1e-12);
        assert!((l.signed_distance(&p(1.5, 3.0)) - 3.0).abs() < 1e-12);
        assert!((l.signed_distance(&p(1.5, -3.0)) + 3.0).abs() < 1e-12);
        let s = Segment2::new(p(0.0, 0.0), p(2.0, 0.0));
        assert!((s.distance(&p(3.0, 4.0)) - (1.0f64 + 16.0).sqrt()).abs() < 1e-12);
        assert!((s.distance(&p(1.0, -0.5)) - 0.5).abs() < 1e-12);
        assert!(Line2::through(p(1.0, 1.0), p(1.0, 1.0)).is_none());
    }

    #[test]
    fn line_intersection() {
        let a = Line2::through(p(0.0, 1.0), p(5.0, 1.0)).unwrap();
        let b = Line2::through(p(2.0, -3.0), p(2.0, 7.0)).unwrap();
        let x = a.intersect(&b).unwrap();
        assert!((x - p(2.0, 1.0)).norm() < 1e-12);
        let c = Line2::through(p(0.0, 2.0), p(5.0, 2.0)).unwrap();
        assert!(a.intersect(&c).is_none());
        assert!((a.angle_to(&b) - PI / 2.0).abs() < 1e-12);
    }

    #[test]
    fn segment_intersection_kinds() {
        let s = Segment2::new(p(0.0, 0.0), p(4.0, 0.0));
        match s.intersect(&Segment2::new(p(1.0, -1.0), p(1.0, 1.0)), 0.0) {
            SegmentIntersection::Point { p: x, t, u } => {
                assert!((x - p(1.0, 0.0)).norm() < 1e-12);
                assert!((t - 0.25).abs() < 1e-12 && (u - 0.5).abs() < 1e-12);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.intersect(&Segment2::new(p(5.0, -1.0), p(5.0, 1.0)), 0.0), SegmentIntersection::None);
        // Within eps it touches.
        assert!(matches!(
            s.intersect(&Segment2::new(p(4.005, -1.0), p(4.005, 1.0)), 0.01),
            SegmentIntersection::Point { .. }
        ));
        match s.intersect(&Segment2::new(p(3.0, 0.0), p(6.0, 0.0)), 1e-9) {
            SegmentIntersection::Overlap { overlap } => assert!((overlap - 1.0).abs() < 1e-12),
            other => panic!("{other:?}"),
        }
        assert_eq!(s.intersect(&Segment2::new(p(0.0, 1.0), p(4.0, 1.0)), 0.01), SegmentIntersection::None);
        assert_eq!(s.distance_to_segment(&Segment2::new(p(0.0, 1.0), p(4.0, 1.0))), 1.0);
    }

    #[test]
    fn collinearity() {
        let s = Segment2::new(p(0.0, 0.0), p(4.0, 0.0));
        assert!(collinear(&s, &Segment2::new(p(5.0, 0.005), p(6.0, 0.006)), 0.01, 0.01));
        assert!(!collinear(&s, &Segment2::new(p(5.0, 0.1), p(6.0, 0.1)), 0.01, 0.01));
        assert!(!collinear(&s, &Segment2::new(p(5.0, 0.0), p(6.0, 1.0)), 0.01, 0.01));
    }

    #[test]
    fn angles_wrap() {
        assert!((angle_diff_mod(0.01, PI / 2.0 - 0.01, PI / 2.0) - 0.02).abs() < 1e-12);
        assert!((signed_angle_diff_mod(0.01, PI / 2.0 - 0.01, PI / 2.0) - 0.02).abs() < 1e-12);
        assert!((signed_angle_diff_mod(-0.03, 0.0, PI / 2.0) + 0.03).abs() < 1e-12);
    }

    #[test]
    fn fitted_line_follows_points() {
        let pts: Vec<P2> = (0..20).map(|i| p(i as f64 * 0.1, 1.0 + i as f64 * 0.05 + if i % 2 == 0 { 0.01 } else { -0.01 })).collect();
        let l = fit_line(&pts).unwrap();
        assert!((l.dir.y / l.dir.x - 0.5).abs() < 0.01);
        assert!(l.distance(&p(1.0, 1.5)) < 0.01);
        assert!(fit_line(&[p(1.0, 1.0), p(1.0, 1.0)]).is_none());
    }

    #[test]
    fn polygons() {
        let sq = [p(0.0, 0.0), p(2.0, 0.0), p(2.0, 2.0), p(0.0, 2.0)];
        assert!(point_in_polygon(&p(1.0, 1.0), &sq));
        assert!(!point_in_polygon(&p(3.0, 1.0), &sq));
        assert!((distance_to_polygon_boundary(&p(1.0, 1.5), &sq) - 0.5).abs() < 1e-12);
        assert!(!point_in_polygon(&p(1.0, -0.5), &sq));
        let near = closest_point_on_polygon_boundary(&p(1.0, -0.5), &sq).unwrap();
        assert!((near - p(1.0, 0.0)).norm() < 1e-12);
    }
}
