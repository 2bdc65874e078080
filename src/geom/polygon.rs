//! Planar polygons as vertex lists `[[x, y]; n]`: signed area (shoelace),
//! convex clipping (Sutherland–Hodgman) and the IoU of two convex polygons.
//!
//! Polygons may be given in either winding; degenerate polygons (fewer than
//! three vertices, zero area) have area 0 and IoU 0 with anything.

/// A point in the plane.
pub type P2 = [f64; 2];

/// Signed area by the shoelace formula: positive when the
/// vertices run counter-clockwise.
pub fn signed_area(poly: &[P2]) -> f64 {
    let n = poly.len();
    if n < 3 {
        return 0.0;
    }
    let mut s = 0.0;
    for i in 0..n {
        let p = poly[i];
        let q = poly[(i + 1) % n];
        s += p[0] * q[1] - q[0] * p[1];
    }
    0.5 * s
}

/// Unsigned area.
pub fn area(poly: &[P2]) -> f64 {
    signed_area(poly).abs()
}

/// The polygon with counter-clockwise winding (reversed when clockwise).
pub fn to_ccw(poly: &[P2]) -> Vec<P2> {
    let mut v = poly.to_vec();
    if signed_area(&v) < 0.0 {
        v.reverse();
    }
    v
}

fn cross(o: P2, a: P2, b: P2) -> f64 {
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
}

/// Intersection of the line through `p`–`q` with the line through `a`–`b`
/// (the caller guarantees `p` and `q` lie on different sides of `a`–`b`).
fn line_intersection(p: P2, q: P2, a: P2, b: P2) -> P2 {
    let dp = cross(a, b, p);
    let dq = cross(a, b, q);
    let t = dp / (dp - dq);
    [p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]
}

/// Clips `subject` (any simple polygon; convex gives an exact result) by the
/// convex polygon `clip` (Sutherland–Hodgman). Windings may be either way.
/// Returns the intersection polygon (counter-clockwise, possibly empty).
pub fn clip_convex(subject: &[P2], clip: &[P2]) -> Vec<P2> {
    if subject.len() < 3 || clip.len() < 3 || area(clip) == 0.0 {
        return Vec::new();
    }
    let clip = to_ccw(clip);
    let mut output = to_ccw(subject);
    let n = clip.len();
    for i in 0..n {
        if output.is_empty() {
            break;
        }
        let a = clip[i];
        let b = clip[(i + 1) % n];
        let input = std::mem::take(&mut output);
        let m = input.len();
        for j in 0..m {
            let cur = input[j];
            let prev = input[(j + m - 1) % m];
            let cur_in = cross(a, b, cur) >= 0.0;
            let prev_in = cross(a, b, prev) >= 0.0;
            if cur_in {
                if !prev_in {
                    output.push(line_intersection(prev, cur, a, b));
                }
                output.push(cur);
            } else if prev_in {
                output.push(line_intersection(prev, cur, a, b));
            }
        }
    }
    output
}

/// Area of the intersection of two convex polygons.
pub fn convex_intersection_area(a: &[P2], b: &[P2]) -> f64 {
    area(&clip_convex(a, b))
}

/// Intersection over union of two convex polygons; 0 when the union has no
/// area.
pub fn convex_iou(a: &[P2], b: &[P2]) -> f64 {
    let inter = convex_intersection_area(a, b);
    let union = area(a) + area(b) - inter;
    if union > 0.0 {
        (inter / union).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<P2> {
        vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
    }

    #[test]
    fn area_of_unit_square_both_windings() {
        let sq = rect(0.0, 0.0, 1.0, 1.0);
        assert!((signed_area(&sq) - 1.0).abs() < 1e-15);
        let mut cw = sq.clone();
        cw.reverse();
        assert!((signed_area(&cw) + 1.0).abs() < 1e-15);
        assert_eq!(area(&cw), 1.0);
        assert_eq!(area(&sq[..2]), 0.0);
    }

    #[test]
    fn overlapping_rectangles() {
        let a = rect(0.0, 0.0, 2.0, 2.0);
        let b = rect(1.0, 1.0, 3.0, 3.0);
        assert!((convex_intersection_area(&a, &b) - 1.0).abs() < 1e-12);
        assert!((convex_iou(&a, &b) - 1.0 / 7.0).abs() < 1e-12);
        let mut bcw = b.clone();
        bcw.reverse();
        assert!((convex_iou(&a, &bcw) - 1.0 / 7.0).abs() < 1e-12);
    }

    #[test]
    fn disjoint_touching_contained_identical() {
        let a = rect(0.0, 0.0, 1.0, 1.0);
        assert_eq!(convex_iou(&a, &rect(2.0, 0.0, 3.0, 1.0)), 0.0);
        assert_eq!(convex_iou(&a, &rect(1.0, 0.0, 2.0, 1.0)), 0.0);
        assert!((convex_iou(&a, &rect(0.25, 0.25, 0.75, 0.75)) - 0.25).abs() < 1e-12);
        assert!((convex_iou(&a, &a) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn rotated_square_octagon() {
        // Unit square centred at 0 and the same square rotated 45°: the
        // intersection is a regular octagon of area 2(√2 − 1).
        let s = 0.5;
        let a = rect(-s, -s, s, s);
        let r = std::f64::consts::FRAC_1_SQRT_2;
        let b = vec![[r, 0.0], [0.0, r], [-r, 0.0], [0.0, -r]];
        let want = 2.0 * (2f64.sqrt() - 1.0);
        assert!((convex_intersection_area(&a, &b) - want).abs() < 1e-12);
    }

    #[test]
    fn degenerate_inputs_are_zero() {
        let a = rect(0.0, 0.0, 1.0, 1.0);
        let line = vec![[0.0, 0.5], [1.0, 0.5], [0.5, 0.5]];
        assert_eq!(convex_iou(&a, &line), 0.0);
        assert_eq!(convex_iou(&line, &a), 0.0);
        assert_eq!(convex_iou(&[], &a), 0.0);
    }
}
