//! Voxel-grid downsampling: one point per occupied voxel, the average of the
//! points that fell into it (colours averaged, normals averaged and
//! re-normalised). Output is ordered by voxel (x, then y, then z index), so
//! the same input gives the same output regardless of point order ties.

use super::{positive, CloudError, PointCloud};

/// Bits per axis of a packed voxel key (2²¹ voxels per axis: 21 km at 1 cm).
const PACKED_BITS: u32 = 21;

/// Averages the points of each occupied cubic voxel of edge `voxel_size`
/// (metres). Points with a non-finite coordinate are skipped.
pub fn voxel_downsample(cloud: &PointCloud, voxel_size: f32) -> Result<PointCloud, CloudError> {
    positive("voxel size", f64::from(voxel_size))?;
    cloud.check()?;
    let inv = 1.0 / f64::from(voxel_size);
    let cell = |p: &[f32; 3]| p.map(|v| (f64::from(v) * inv).floor() as i64);
    let finite: Vec<u32> =
        (0..cloud.points.len() as u32).filter(|&i| cloud.points[i as usize].iter().all(|v| v.is_finite())).collect();
    let Some(&first) = finite.first() else {
        return Ok(PointCloud { points: vec![], colors: cloud.colors.as_ref().map(|_| vec![]), normals: cloud.normals.as_ref().map(|_| vec![]) });
    };
    let (mut lo, mut hi) = (cell(&cloud.points[first as usize]), cell(&cloud.points[first as usize]));
    for &i in &finite {
        let c = cell(&cloud.points[i as usize]);
        for k in 0..3 {
            lo[k] = lo[k].min(c[k]);
            hi[k] = hi[k].max(c[k]);
        }
    }
    let fits = (0..3).all(|k| hi[k].saturating_sub(lo[k]) < (1i64 << PACKED_BITS));
    let groups = if fits {
        let pack = |c: [i64; 3]| {
            (((c[0] - lo[0]) as u64) << (2 * PACKED_BITS)) | (((c[1] - lo[1]) as u64) << PACKED_BITS) | ((c[2] - lo[2]) as u64)
        };
        group_by_key(finite.iter().map(|&i| (pack(cell(&cloud.points[i as usize])), i)).collect())
    } else {
        group_by_key(finite.iter().map(|&i| (cell(&cloud.points[i as usize]), i)).collect())
    };
    Ok(average_groups(cloud, &groups))
}

/// Sorts `(key, index)` pairs and returns the runs of equal keys as index lists
/// (flattened: `order` holds indices, `starts` the run boundaries).
struct Groups {
    order: Vec<u32>,
    starts: Vec<usize>,
}

fn group_by_key<K: Ord + Copy>(mut keyed: Vec<(K, u32)>) -> Groups {
    keyed.sort_unstable();
    let mut starts = Vec::new();
    for (j, w) in keyed.iter().enumerate() {
        if j == 0 || keyed[j - 1].0 != w.0 {
            starts.push(j);
        }
    }
    starts.push(keyed.len());
    Groups { order: keyed.into_iter().map(|(_, i)| i).collect(), starts }
}

fn average_groups(cloud: &PointCloud, g: &Groups) -> PointCloud {
    let n = g.starts.len().saturating_sub(1);
    let mut points = Vec::with_capacity(n);
    let mut colors = cloud.colors.as_ref().map(|_| Vec::with_capacity(n));
    let mut normals = cloud.normals.as_ref().map(|_| Vec::with_capacity(n));
    for w in g.starts.windows(2) {
        let members = &g.order[w[0]..w[1]];
        let count = members.len() as f64;
        let mut sum = [0f64; 3];
        for &i in members {
            let p = cloud.points[i as usize];
            for k in 0..3 {
                sum[k] += f64::from(p[k]);
            }
        }
        points.push(sum.map(|s| (s / count) as f32));
        if let (Some(out), Some(src)) = (colors.as_mut(), cloud.colors.as_ref()) {
            let mut s = [0u64; 3];
            for &i in members {
                let c = src[i as usize];
                for k in 0..3 {
                    s[k] += u64::from(c[k]);
                }
            }
            out.push(s.map(|v| (v as f64 / count).round().min(255.0) as u8));
        }
        if let (Some(out), Some(src)) = (normals.as_mut(), cloud.normals.as_ref()) {
            let mut s = [0f64; 3];
            for &i in members {
                let m = src[i as usize];
                for k in 0..3 {
                    s[k] += f64::from(m[k]);
                }
            }
            let len = (s[0] * s[0] + s[1] * s[1] + s[2] * s[2]).sqrt();
            let scale = if len > 1e-12 { 1.0 / len } else { 1.0 / count };
            out.push(s.map(|v| (v * scale) as f32));
        }
    }
    PointCloud { points, colors, normals }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_points_colours_and_normals_per_voxel() {
        let cloud = PointCloud {
            points: vec![[0.1, 0.1, 0.1], [0.3, 0.3, 0.3], [1.5, 0.2, 0.2], [-0.2, 0.0, 0.0], [f32::NAN, 0.0, 0.0]],
            colors: Some(vec![[0, 0, 0], [255, 100, 10], [7, 7, 7], [1, 2, 3], [9, 9, 9]]),
            normals: Some(vec![[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]]),
        };
        let d = voxel_downsample(&cloud, 1.0).unwrap();
        // Voxels ordered by index: x=-1, x=0, x=1.
        assert_eq!(d.points, vec![[-0.2, 0.0, 0.0], [0.2, 0.2, 0.2], [1.5, 0.2, 0.2]]);
        assert_eq!(d.colors.unwrap(), vec![[1, 2, 3], [128, 50, 5], [7, 7, 7]]);
        let n = d.normals.unwrap()[1];
        assert!((n[0] - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6 && (n[1] - n[0]).abs() < 1e-6, "{n:?}");
    }

    #[test]
    fn deterministic_and_order_independent() {
        let cloud = super::super::test_util::box_room(4.0, 3.0, 2.5, 200.0, 0.01, 3);
        let a = voxel_downsample(&cloud, 0.2).unwrap();
        let mut rev = cloud.clone();
        rev.points.reverse();
        let b = voxel_downsample(&rev, 0.2).unwrap();
        assert_eq!(a.points.len(), b.points.len());
        for (p, q) in a.points.iter().zip(&b.points) {
            assert!((0..3).all(|k| (p[k] - q[k]).abs() < 1e-5));
        }
        assert!(a.len() < cloud.len() / 2);
        assert_eq!(a, voxel_downsample(&cloud, 0.2).unwrap());
    }

    #[test]
    fn far_apart_points_use_the_wide_key_path() {
        let cloud = PointCloud::from_points(vec![[0.0, 0.0, 0.0], [1e6, 0.0, 0.0], [0.001, 0.0, 0.0]]);
        let d = voxel_downsample(&cloud, 0.01).unwrap();
        assert_eq!(d.points, vec![[0.0005, 0.0, 0.0], [1e6, 0.0, 0.0]]);
    }

    #[test]
    fn rejects_bad_size_and_handles_empty() {
        let c = PointCloud::from_points(vec![[0.0; 3]]);
        assert!(voxel_downsample(&c, 0.0).is_err());
        assert!(voxel_downsample(&c, f32::NAN).is_err());
        assert!(voxel_downsample(&PointCloud::default(), 0.1).unwrap().is_empty());
    }
}
