//! k-nearest-neighbour and radius queries over a cloud's points, on kiddo's
//! immutable kd-tree. Batch queries run in parallel (rayon) and return
//! results in point order, so they are deterministic.

use super::{check_finite, CloudError};
use kiddo::{ImmutableKdTree, SquaredEuclidean};
use rayon::prelude::*;
use std::num::NonZeroUsize;

/// One neighbour: its index in the indexed points and its squared distance (m²).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbor {
    pub index: usize,
    pub dist_sq: f32,
}

/// The `k` nearest neighbours of many query points, stored flat:
/// neighbours of query `i` are `indices[i*k..(i+1)*k]`, nearest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighborhoods {
    /// Neighbours per query (the requested k, capped by the number of indexed points).
    pub k: usize,
    pub indices: Vec<u32>,
    pub dist_sq: Vec<f32>,
}

impl Neighborhoods {
    /// Number of queries.
    pub fn len(&self) -> usize {
        self.indices.len().checked_div(self.k).unwrap_or(0)
    }

    /// True when there are no queries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Neighbour indices of query `i` (empty when out of range).
    pub fn of(&self, i: usize) -> &[u32] {
        self.indices.get(i * self.k..(i + 1) * self.k).unwrap_or(&[])
    }

    /// Squared distances of the neighbours of query `i`.
    pub fn dist_sq_of(&self, i: usize) -> &[f32] {
        self.dist_sq.get(i * self.k..(i + 1) * self.k).unwrap_or(&[])
    }
}

/// A kd-tree over a set of points; indices refer to the slice it was built from.
pub struct KnnIndex {
    tree: ImmutableKdTree<f32, 3>,
    len: usize,
}

impl std::fmt::Debug for KnnIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnnIndex").field("len", &self.len).finish()
    }
}

impl KnnIndex {
    /// Builds the index. Points must be finite; at most `u32::MAX` points.
    pub fn new(points: &[[f32; 3]]) -> Result<KnnIndex, CloudError> {
        check_finite(points)?;
        if points.len() >= u32::MAX as usize {
            return Err(CloudError::Index(format!("{} points is more than a u32 index holds", points.len())));
        }
        let tree = ImmutableKdTree::new_from_slice(points).map_err(|e| CloudError::Index(format!("{e:?}")))?;
        Ok(KnnIndex { tree, len: points.len() })
    }

    /// Number of indexed points.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no points are indexed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The nearest indexed point to `q`, `None` when the index is empty.
    pub fn nearest(&self, q: &[f32; 3]) -> Option<Neighbor> {
        if self.len == 0 {
            return None;
        }
        let r = self.tree.query(q).nearest_one::<SquaredEuclidean<f32>>().execute();
        Some(Neighbor { index: r.item as usize, dist_sq: r.distance })
    }

    /// The `k` nearest indexed points to `q`, nearest first (fewer when the
    /// index holds fewer than `k`). A query point that is itself indexed is
    /// its own first neighbour.
    pub fn knn(&self, q: &[f32; 3], k: usize) -> Vec<Neighbor> {
        let Some(k) = NonZeroUsize::new(k.min(self.len)) else {
            return Vec::new();
        };
        self.tree
            .query(q)
            .nearest_n::<SquaredEuclidean<f32>>(k)
            .execute()
            .into_iter()
            .map(|r| Neighbor { index: r.item as usize, dist_sq: r.distance })
            .collect()
    }

    /// Up to `k` nearest indexed points within `radius` (metres) of `q`, nearest first.
    pub fn knn_within(&self, q: &[f32; 3], k: usize, radius: f32) -> Vec<Neighbor> {
        let Some(k) = NonZeroUsize::new(k.min(self.len)) else {
            return Vec::new();
        };
        self.tree
            .query(q)
            .nearest_n::<SquaredEuclidean<f32>>(k)
            .within(radius * radius)
            .execute()
            .into_iter()
            .map(|r| Neighbor { index: r.item as usize, dist_sq: r.distance })
            .collect()
    }

    /// All indexed points within `radius` (metres) of `q`, sorted by index.
    pub fn within(&self, q: &[f32; 3], radius: f32) -> Vec<Neighbor> {
        if self.len == 0 {
            return Vec::new();
        }
        let mut out: Vec<Neighbor> = self
            .tree
            .query(q)
            .within::<SquaredEuclidean<f32>>(radius * radius)
            .unsorted()
            .execute()
            .into_iter()
            .map(|r| Neighbor { index: r.item as usize, dist_sq: r.distance })
            .collect();
        out.sort_unstable_by_key(|n| n.index);
        out
    }

    /// The `k` nearest neighbours of every query point (in parallel). When the
    /// index holds fewer than `k` points, `k` shrinks to that number.
    pub fn knn_batch(&self, queries: &[[f32; 3]], k: usize) -> Neighborhoods {
        let k = k.min(self.len);
        if k == 0 {
            return Neighborhoods { k: 0, indices: Vec::new(), dist_sq: Vec::new() };
        }
        let mut indices = vec![0u32; queries.len() * k];
        let mut dist_sq = vec![0f32; queries.len() * k];
        indices
            .par_chunks_mut(k)
            .zip(dist_sq.par_chunks_mut(k))
            .zip(queries.par_iter())
            .for_each(|((idx, dst), q)| {
                for (j, n) in self.knn(q, k).into_iter().enumerate() {
                    if let (Some(a), Some(b)) = (idx.get_mut(j), dst.get_mut(j)) {
                        *a = n.index as u32;
                        *b = n.dist_sq;
                    }
                }
            });
        Neighborhoods { k, indices, dist_sq }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Vec<[f32; 3]> {
        (0..10).flat_map(|i| (0..10).map(move |j| [i as f32, j as f32, 0.0])).collect()
    }

    #[test]
    fn nearest_knn_and_within_match_brute_force() {
        let pts = grid();
        let idx = KnnIndex::new(&pts).unwrap();
        let q = [3.2, 4.1, 0.5];
        assert_eq!(idx.nearest(&q).unwrap().index, 34);
        let k = idx.knn(&q, 5);
        let mut brute: Vec<(f32, usize)> = pts
            .iter()
            .enumerate()
            .map(|(i, p)| ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2), i))
            .collect();
        brute.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert_eq!(k.iter().map(|n| n.index).collect::<Vec<_>>(), brute[..5].iter().map(|b| b.1).collect::<Vec<_>>());
        let w = idx.within(&[5.0, 5.0, 0.0], 1.01);
        assert_eq!(w.iter().map(|n| n.index).collect::<Vec<_>>(), vec![45, 54, 55, 56, 65]);
        assert_eq!(idx.knn_within(&[5.0, 5.0, 0.0], 3, 0.5).len(), 1);
    }

    #[test]
    fn batch_is_flat_and_caps_k() {
        let pts = grid();
        let idx = KnnIndex::new(&pts[..3]).unwrap();
        let nb = idx.knn_batch(&pts, 8);
        assert_eq!(nb.k, 3);
        assert_eq!(nb.len(), 100);
        assert_eq!(nb.of(0)[0], 0);
        assert_eq!(nb.dist_sq_of(0)[0], 0.0);
        assert!(nb.of(100).is_empty());
    }

    #[test]
    fn empty_and_nonfinite() {
        let idx = KnnIndex::new(&[]).unwrap();
        assert!(idx.nearest(&[0.0; 3]).is_none());
        assert!(idx.knn(&[0.0; 3], 3).is_empty());
        assert!(idx.within(&[0.0; 3], 1.0).is_empty());
        assert!(idx.knn_batch(&[[0.0; 3]], 3).is_empty());
        let e = KnnIndex::new(&[[0.0, f32::NAN, 0.0]]).unwrap_err();
        assert!(matches!(e, CloudError::NonFinite { index: 0, .. }));
    }
}
