//! Farthest-point sampling and patch grouping (the model encoder's input:
//! `m` well-spread centres, each with its `k` nearest points).

use super::{check_finite, positive, CloudError, KnnIndex};
use rayon::prelude::*;

/// Points per parallel chunk in the farthest-point update.
const FPS_CHUNK: usize = 8192;

/// Picks `m` indices spread over the cloud: starts at index 0, then
/// repeatedly takes the point farthest from all picked so far (ties: lowest
/// index). Returns all indices when `m >= points.len()`. Deterministic.
/// O(n·m).
pub fn farthest_point_sampling(points: &[[f32; 3]], m: usize) -> Result<Vec<usize>, CloudError> {
    check_finite(points)?;
    let n = points.len();
    if m >= n {
        return Ok((0..n).collect());
    }
    let mut picked = Vec::with_capacity(m);
    if m == 0 {
        return Ok(picked);
    }
    let mut dist = vec![f32::INFINITY; n];
    let mut current = 0usize;
    for _ in 0..m {
        picked.push(current);
        let c = points[current];
        // Update distances and find the farthest point, chunk by chunk.
        let best = dist
            .par_chunks_mut(FPS_CHUNK)
            .zip(points.par_chunks(FPS_CHUNK))
            .enumerate()
            .map(|(ci, (d, p))| {
                let mut best = (f32::NEG_INFINITY, usize::MAX);
                for (j, (dj, pj)) in d.iter_mut().zip(p).enumerate() {
                    let e = (pj[0] - c[0]).powi(2) + (pj[1] - c[1]).powi(2) + (pj[2] - c[2]).powi(2);
                    if e < *dj {
                        *dj = e;
                    }
                    if *dj > best.0 {
                        best = (*dj, ci * FPS_CHUNK + j);
                    }
                }
                best
            })
            .reduce(|| (f32::NEG_INFINITY, usize::MAX), |a, b| if b.0 > a.0 || (b.0 == a.0 && b.1 < a.1) { b } else { a });
        current = best.1;
        if current >= n {
            break;
        }
    }
    Ok(picked)
}

/// Fixed-size neighbourhoods around centre points, stored flat: patch `i`
/// holds the indices `indices[i*k..(i+1)*k]`, nearest first (its centre
/// first). When the cloud has fewer than `k` points a patch repeats its
/// last index to stay `k` long.
#[derive(Debug, Clone, PartialEq)]
pub struct Patches {
    /// Points per patch.
    pub k: usize,
    /// Index of each patch's centre point.
    pub centres: Vec<usize>,
    pub indices: Vec<u32>,
}

impl Patches {
    /// Number of patches.
    pub fn len(&self) -> usize {
        self.centres.len()
    }

    /// True when there are no patches.
    pub fn is_empty(&self) -> bool {
        self.centres.is_empty()
    }

    /// Point indices of patch `i` (empty when out of range).
    pub fn of(&self, i: usize) -> &[u32] {
        self.indices.get(i * self.k..(i + 1) * self.k).unwrap_or(&[])
    }

    /// The points of patch `i` relative to its centre (metres).
    pub fn local_points(&self, points: &[[f32; 3]], i: usize) -> Vec<[f32; 3]> {
        let Some(c) = self.centres.get(i).and_then(|&c| points.get(c)) else {
            return Vec::new();
        };
        self.of(i)
            .iter()
            .filter_map(|&j| points.get(j as usize))
            .map(|p| [p[0] - c[0], p[1] - c[1], p[2] - c[2]])
            .collect()
    }
}

/// Groups the `k` nearest points around each centre (indices into `points`,
/// e.g. from [`farthest_point_sampling`]).
pub fn group_patches(points: &[[f32; 3]], centres: &[usize], k: usize) -> Result<Patches, CloudError> {
    positive("patch size k", k as f64)?;
    let queries: Vec<[f32; 3]> = centres
        .iter()
        .map(|&c| {
            points.get(c).copied().ok_or(CloudError::BadParameter {
                what: "patch centre index",
                expected: "an index into the cloud",
                value: c as f64,
            })
        })
        .collect::<Result<_, _>>()?;
    if points.is_empty() {
        return Err(CloudError::TooFewPoints { what: "patch grouping", needed: 1, got: 0 });
    }
    let index = KnnIndex::new(points)?;
    let nb = index.knn_batch(&queries, k);
    let mut indices = Vec::with_capacity(centres.len() * k);
    for (i, &c) in centres.iter().enumerate() {
        let found = nb.of(i);
        // Make sure the centre leads its patch even among duplicates.
        let mut row: Vec<u32> = Vec::with_capacity(k);
        row.push(c as u32);
        row.extend(found.iter().copied().filter(|&j| j as usize != c).take(k - 1));
        while row.len() < k {
            row.push(*row.last().unwrap_or(&(c as u32)));
        }
        indices.extend(row);
    }
    Ok(Patches { k, centres: centres.to_vec(), indices })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fps_spreads_over_a_line() {
        let pts: Vec<[f32; 3]> = (0..=100).map(|i| [i as f32, 0.0, 0.0]).collect();
        let s = farthest_point_sampling(&pts, 3).unwrap();
        assert_eq!(s, vec![0, 100, 50]);
        let s = farthest_point_sampling(&pts, 5).unwrap();
        assert_eq!(s, vec![0, 100, 50, 25, 75]);
        assert_eq!(farthest_point_sampling(&pts[..2], 5).unwrap(), vec![0, 1]);
        assert!(farthest_point_sampling(&pts, 0).unwrap().is_empty());
    }

    #[test]
    fn fps_is_deterministic_on_a_room_and_covers_it() {
        let cloud = super::super::test_util::box_room(4.0, 3.0, 2.5, 100.0, 0.01, 2);
        let a = farthest_point_sampling(&cloud.points, 64).unwrap();
        assert_eq!(a, farthest_point_sampling(&cloud.points, 64).unwrap());
        // Every point is within 1 m of some sample.
        let centres: Vec<[f32; 3]> = a.iter().map(|&i| cloud.points[i]).collect();
        let idx = KnnIndex::new(&centres).unwrap();
        assert!(cloud.points.iter().all(|p| idx.nearest(p).unwrap().dist_sq < 1.0));
    }

    #[test]
    fn patches_lead_with_centre_and_pad() {
        let pts: Vec<[f32; 3]> = (0..10).map(|i| [i as f32, 0.0, 0.0]).collect();
        let p = group_patches(&pts, &[0, 9], 3).unwrap();
        assert_eq!(p.of(0), &[0, 1, 2]);
        assert_eq!(p.of(1), &[9, 8, 7]);
        assert_eq!(p.local_points(&pts, 1), vec![[0.0; 3], [-1.0, 0.0, 0.0], [-2.0, 0.0, 0.0]]);
        let small = group_patches(&pts[..2], &[1], 4).unwrap();
        assert_eq!(small.of(0), &[1, 0, 0, 0]);
        assert!(group_patches(&pts, &[10], 3).is_err());
        assert!(group_patches(&pts, &[0], 0).is_err());
    }
}
