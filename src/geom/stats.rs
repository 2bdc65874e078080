//! Order statistics of plain `f64` lists: the one median every module uses.
//!
//! Two flavours, because two kinds of callers want different things:
//! estimators (a floor height, a wall height, a scale) want one of the
//! measured values, reports want the textbook (numpy) median. Both say
//! `None` for an empty list instead of inventing a value.

/// The median as one of the values: the middle one for odd lengths, the
/// upper of the two middle ones for even lengths. Sorts `v` in place
/// (total order: NaNs sort to the ends). `None` when `v` is empty.
pub fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

/// The median as numpy computes it: the middle value for odd lengths, the
/// mean of the two middle ones for even lengths; `v` is left as it is.
/// `None` when `v` is empty.
pub fn median_mean(v: &[f64]) -> Option<f64> {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(s[n / 2]),
        _ => Some(0.5 * (s[n / 2 - 1] + s[n / 2])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_is_a_sample_the_upper_middle_for_even_lengths() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(3.0));
        let mut v = [5.0, -1.0];
        assert_eq!(median(&mut v), Some(5.0));
        assert_eq!(v, [-1.0, 5.0]);
    }

    #[test]
    fn median_mean_averages_the_middle_pair() {
        assert_eq!(median_mean(&[]), None);
        assert_eq!(median_mean(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median_mean(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median_mean(&[7.0]), Some(7.0));
    }
}
