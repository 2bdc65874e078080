//! Yaw-rotated 3D boxes (rotation about +z only) and their intersection
//! over union: footprint polygon intersection × vertical overlap, over the
//! union volume.

use super::polygon::{convex_intersection_area, P2};

/// A box with full extents `size` along its own axes, rotated by `yaw`
/// radians about +z around `center`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YawBox {
    /// Centre, metres.
    pub center: [f64; 3],
    /// Full extents along the box's x, y, z axes, metres.
    pub size: [f64; 3],
    /// Rotation about +z, radians.
    pub yaw: f64,
}

impl YawBox {
    /// The four footprint corners (counter-clockwise for positive sizes),
    /// starting at the box's (+x, +y) corner.
    pub fn footprint(&self) -> [P2; 4] {
        let (s, c) = self.yaw.sin_cos();
        let hx = 0.5 * self.size[0];
        let hy = 0.5 * self.size[1];
        let local = [[hx, hy], [-hx, hy], [-hx, -hy], [hx, -hy]];
        local.map(|[x, y]| [self.center[0] + c * x - s * y, self.center[1] + s * x + c * y])
    }

    /// Volume, cubic metres.
    pub fn volume(&self) -> f64 {
        self.size[0].abs() * self.size[1].abs() * self.size[2].abs()
    }

    /// Vertical extent `[zmin, zmax]` of a centred box.
    pub fn z_range(&self) -> [f64; 2] {
        let h = 0.5 * self.size[2].abs();
        [self.center[2] - h, self.center[2] + h]
    }

    /// The same box with every extent raised to at least `min` metres.
    pub fn with_min_size(&self, min: f64) -> YawBox {
        YawBox { size: self.size.map(|s| s.max(min)), ..*self }
    }
}

/// Area of the intersection of two boxes' footprints, square metres.
pub fn footprint_intersection_area(a: &YawBox, b: &YawBox) -> f64 {
    convex_intersection_area(&a.footprint(), &b.footprint())
}

/// Length of the overlap of two intervals `[lo, hi]` (0 when disjoint).
pub fn interval_overlap(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[1].min(b[1]) - a[0].max(b[0])).max(0.0)
}

/// 3D IoU of two yaw-rotated boxes, given the vertical extents to use for
/// each (normally [`YawBox::z_range`]). 0 when the union has no volume.
pub fn iou_3d_with_z(a: &YawBox, b: &YawBox, za: [f64; 2], zb: [f64; 2]) -> f64 {
    let inter = footprint_intersection_area(a, b) * interval_overlap(za, zb);
    let union = a.volume() + b.volume() - inter;
    if union > 0.0 {
        (inter / union).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// 3D IoU of two centred yaw-rotated boxes.
pub fn iou_3d(a: &YawBox, b: &YawBox) -> f64 {
    iou_3d_with_z(a, b, a.z_range(), b.z_range())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::{FRAC_PI_2, FRAC_PI_4};

    fn b(center: [f64; 3], size: [f64; 3], yaw: f64) -> YawBox {
        YawBox { center, size, yaw }
    }

    #[test]
    fn identical_boxes_at_any_yaw() {
        for yaw in [0.0, FRAC_PI_4, FRAC_PI_2, 1.0] {
            let x = b([1.0, 2.0, 0.5], [2.0, 1.0, 1.0], yaw);
            assert!((iou_3d(&x, &x) - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn yaw_90_swaps_extents() {
        // 2×1×1 box vs the same box rotated 90°: footprints are a 2×1 and a
        // 1×2 rectangle about the same centre, intersection 1×1.
        let a = b([0.0; 3], [2.0, 1.0, 1.0], 0.0);
        let r = b([0.0; 3], [2.0, 1.0, 1.0], FRAC_PI_2);
        assert!((iou_3d(&a, &r) - 1.0 / 3.0).abs() < 1e-12);
        // and a 1×2 box at yaw 90° is the 2×1 box at yaw 0.
        let s = b([0.0; 3], [1.0, 2.0, 1.0], FRAC_PI_2);
        assert!((iou_3d(&a, &s) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn yaw_45_unit_cube() {
        // Unit cube vs the same cube rotated 45°: octagon 2(√2−1).
        let a = b([0.0; 3], [1.0; 3], 0.0);
        let r = b([0.0; 3], [1.0; 3], FRAC_PI_4);
        let i = 2.0 * (2f64.sqrt() - 1.0);
        assert!((iou_3d(&a, &r) - i / (2.0 - i)).abs() < 1e-12);
    }

    #[test]
    fn partial_overlaps() {
        let a = b([0.0; 3], [2.0, 2.0, 2.0], 0.0);
        // shifted 1 m in x: intersection 1×2×2 = 4, union 16 − 4 = 12
        let s = b([1.0, 0.0, 0.0], [2.0, 2.0, 2.0], 0.0);
        assert!((iou_3d(&a, &s) - 4.0 / 12.0).abs() < 1e-12);
        // shifted in x and z: 1×2×1 = 2, union 14
        let s = b([1.0, 0.0, 1.0], [2.0, 2.0, 2.0], 0.0);
        assert!((iou_3d(&a, &s) - 2.0 / 14.0).abs() < 1e-12);
        // disjoint vertically
        let s = b([0.0, 0.0, 3.0], [2.0, 2.0, 2.0], 0.0);
        assert_eq!(iou_3d(&a, &s), 0.0);
    }

    #[test]
    fn min_size_clamps() {
        let x = b([0.0; 3], [0.0, 0.05, 2.0], 0.0).with_min_size(0.1);
        assert_eq!(x.size, [0.1, 0.1, 2.0]);
        let z = b([0.0; 3], [0.0, 0.0, 0.0], 0.0);
        assert_eq!(iou_3d(&z, &z), 0.0);
    }
}
