//! Minimum-cost assignment on a rectangular cost matrix (the Hungarian
//! method in its shortest-augmenting-path form with row and column
//! potentials, O(n² m)), as `scipy.optimize.linear_sum_assignment` solves it:
//! every row of the smaller side is assigned to a distinct column.

/// A dense row-major cost matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct CostMatrix {
    pub rows: usize,
    pub cols: usize,
    /// `rows * cols` finite costs, row-major.
    pub data: Vec<f64>,
}

impl CostMatrix {
    /// A matrix filled by `f(row, col)`.
    pub fn from_fn(rows: usize, cols: usize, mut f: impl FnMut(usize, usize) -> f64) -> CostMatrix {
        let mut data = Vec::with_capacity(rows * cols);
        for r in 0..rows {
            for c in 0..cols {
                data.push(f(r, c));
            }
        }
        CostMatrix { rows, cols, data }
    }

    fn at(&self, r: usize, c: usize) -> f64 {
        self.data.get(r * self.cols + c).copied().unwrap_or(f64::INFINITY)
    }
}

/// A minimum-cost assignment: `min(rows, cols)` pairs `(row, col)`, sorted
/// by row. Non-finite costs are treated as very large.
pub fn min_cost_assignment(cost: &CostMatrix) -> Vec<(usize, usize)> {
    if cost.rows == 0 || cost.cols == 0 {
        return Vec::new();
    }
    let transposed = cost.rows > cost.cols;
    let (n, m) = if transposed { (cost.cols, cost.rows) } else { (cost.rows, cost.cols) };
    // Costs seen by the solver: rows are the smaller side.
    let a = |i: usize, j: usize| -> f64 {
        let v = if transposed { cost.at(j, i) } else { cost.at(i, j) };
        if v.is_finite() {
            v
        } else {
            f64::MAX / 4.0
        }
    };
    // 1-based potentials; column 0 is a virtual start column.
    let mut u = vec![0.0f64; n + 1];
    let mut v = vec![0.0f64; m + 1];
    let mut row_of_col = vec![0usize; m + 1];
    let mut way = vec![0usize; m + 1];
    for i in 1..=n {
        row_of_col[0] = i;
        let mut j0 = 0usize;
        let mut minv = vec![f64::INFINITY; m + 1];
        let mut used = vec![false; m + 1];
        loop {
            used[j0] = true;
            let i0 = row_of_col[j0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0usize;
            for j in 1..=m {
                if used[j] {
                    continue;
                }
                let cur = a(i0 - 1, j - 1) - u[i0] - v[j];
                if cur < minv[j] {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if minv[j] < delta {
                    delta = minv[j];
                    j1 = j;
                }
            }
            if j1 == 0 {
                // Cannot happen with n <= m and finite costs; stop safely.
                break;
            }
            for j in 0..=m {
                if used[j] {
                    u[row_of_col[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if row_of_col[j0] == 0 {
                break;
            }
        }
        // Augment along the alternating path back to the start column.
        while j0 != 0 {
            let j1 = way[j0];
            row_of_col[j0] = row_of_col[j1];
            j0 = j1;
        }
    }
    let mut pairs: Vec<(usize, usize)> = (1..=m)
        .filter(|&j| row_of_col[j] != 0)
        .map(|j| {
            let (r, c) = (row_of_col[j] - 1, j - 1);
            if transposed {
                (c, r)
            } else {
                (r, c)
            }
        })
        .collect();
    pairs.sort_unstable();
    pairs
}

/// Number of true positives the way SpatialLM counts them: assign with
/// cost −1 where `score(r, c) > threshold` and 1e6 elsewhere, then count
/// assigned pairs whose score is `>= threshold`. `higher_is_better = false`
/// flips both comparisons (for distances).
pub fn count_true_positives(rows: usize, cols: usize, threshold: f64, higher_is_better: bool, score: &[f64]) -> usize {
    /// SpatialLM's cost for a pair that does not pass the threshold.
    const LARGE_COST: f64 = 1e6;
    let passes_strict = |s: f64| if higher_is_better { s > threshold } else { s < threshold };
    let passes = |s: f64| if higher_is_better { s >= threshold } else { s <= threshold };
    let cost = CostMatrix::from_fn(rows, cols, |r, c| {
        if score.get(r * cols + c).is_some_and(|&s| passes_strict(s)) {
            -1.0
        } else {
            LARGE_COST
        }
    });
    min_cost_assignment(&cost)
        .into_iter()
        .filter(|&(r, c)| score.get(r * cols + c).is_some_and(|&s| passes(s)))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn total(cost: &CostMatrix, pairs: &[(usize, usize)]) -> f64 {
        pairs.iter().map(|&(r, c)| cost.at(r, c)).sum()
    }

    fn brute_force(cost: &CostMatrix) -> f64 {
        // Smallest total over all injective maps from the smaller side.
        fn rec(cost: &CostMatrix, r: usize, used: &mut Vec<bool>, transposed: bool) -> f64 {
            let (n, m) = if transposed { (cost.cols, cost.rows) } else { (cost.rows, cost.cols) };
            if r == n {
                return 0.0;
            }
            let mut best = f64::INFINITY;
            for c in 0..m {
                if !used[c] {
                    used[c] = true;
                    let v = if transposed { cost.at(c, r) } else { cost.at(r, c) };
                    best = best.min(v + rec(cost, r + 1, used, transposed));
                    used[c] = false;
                }
            }
            best
        }
        let transposed = cost.rows > cost.cols;
        let m = cost.rows.max(cost.cols);
        rec(cost, 0, &mut vec![false; m], transposed)
    }

    #[test]
    fn matches_brute_force_on_random_rectangles() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        for _ in 0..300 {
            let rows = rng.random_range(1..6);
            let cols = rng.random_range(1..6);
            let cost = CostMatrix::from_fn(rows, cols, |_, _| {
                if rng.random_bool(0.3) {
                    1e6
                } else {
                    rng.random_range(-5.0..5.0)
                }
            });
            let pairs = min_cost_assignment(&cost);
            assert_eq!(pairs.len(), rows.min(cols));
            let mut rs: Vec<_> = pairs.iter().map(|p| p.0).collect();
            let mut cs: Vec<_> = pairs.iter().map(|p| p.1).collect();
            rs.dedup();
            cs.sort_unstable();
            cs.dedup();
            assert_eq!(rs.len(), pairs.len());
            assert_eq!(cs.len(), pairs.len());
            assert!((total(&cost, &pairs) - brute_force(&cost)).abs() < 1e-6);
        }
    }

    #[test]
    fn true_positive_counting() {
        // Two preds both overlap GT 0 best, but only pred 1 also overlaps GT 1:
        // the assignment finds the 2-matching a greedy matcher would miss.
        let iou = [0.9, 0.0, 0.8, 0.6];
        assert_eq!(count_true_positives(2, 2, 0.5, true, &iou), 2);
        assert_eq!(count_true_positives(2, 2, 0.7, true, &iou), 1);
        assert_eq!(count_true_positives(0, 3, 0.5, true, &[]), 0);
        // Distances: smaller is better.
        let d = [0.04, 0.3, 0.2, 0.06];
        assert_eq!(count_true_positives(2, 2, 0.1, false, &d), 2);
        assert_eq!(count_true_positives(2, 2, 0.05, false, &d), 1);
    }
}
