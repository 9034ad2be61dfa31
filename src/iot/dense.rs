//! Dense kernels on `ndarray` arrays, computed by faer through zero-copy views.
//!
//! The library's types hold `ndarray` arrays ([`Array2`], [`Array1`]); faer does the heavy
//! work (matrix products, the LU of the Leontief inverse, small solves). `faer-ext`'s
//! [`IntoFaer`] turns an [`ArrayView2`] into a `faer::MatRef` over the same memory with the
//! same strides (and an `ArrayViewMut2` into a `MatMut`), so no matrix is copied on the way
//! in or out: every result is written by faer straight into a column-major (Fortran order)
//! `Array2` allocated here. Column-major is faer's native layout, so the views it receives
//! from this module have unit row stride and its kernels take their fast paths.
//!
//! Sums in this module and in its callers are sequential loops, never `ndarray`'s
//! `sum`/`dot` (which reassociate), so the numbers do not depend on the array type.

use std::borrow::Cow;

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::lu::partial_pivoting::{factor, inverse};
use faer::linalg::solvers::Solve;
use faer::{Accum, Par};
use faer_ext::IntoFaer;
use ndarray::{Array1, Array2, ArrayRef1, ArrayRef2, Axis, CowArray, Ix2, ShapeBuilder};

/// Parallelism for the dense kernels: every rayon thread.
pub fn par() -> Par {
    Par::rayon(0)
}

/// An r×c array of zeros in column-major (Fortran) order, the layout faer works in.
pub fn zeros(rows: usize, cols: usize) -> Array2<f64> {
    Array2::zeros((rows, cols).f())
}

/// An r×c column-major array with element (i, j) = `f(i, j)`.
pub fn from_fn(rows: usize, cols: usize, f: impl FnMut((usize, usize)) -> f64) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols).f(), f)
}

/// `m` itself when its columns are contiguous (unit row stride), else a column-major copy.
/// Loops that walk columns as slices ([`column`]) call this once, outside the loop.
pub fn column_major(m: &ArrayRef2<f64>) -> CowArray<'_, f64, Ix2> {
    if is_column_major(m) {
        CowArray::from(m.view())
    } else {
        let mut out = zeros(m.nrows(), m.ncols());
        out.assign(m);
        CowArray::from(out)
    }
}

/// `m` itself when its columns are contiguous, else its column-major copy.
pub fn into_column_major(m: Array2<f64>) -> Array2<f64> {
    if is_column_major(&m) {
        m
    } else {
        column_major(&m).into_owned()
    }
}

/// Whether the rows of `m` are contiguous (unit row stride), so its columns are slices and
/// faer sees it column-major.
pub fn is_column_major(m: &ArrayRef2<f64>) -> bool {
    m.nrows() == 0 || m.strides()[0] == 1
}

/// Column `j` of a matrix with unit row stride (see [`column_major`]) as a slice.
///
/// # Panics
/// When the rows of `m` are not contiguous: callers pass arrays built by [`zeros`] or
/// [`from_fn`], returned by this module, or made column-major by [`column_major`].
pub fn column(m: &ArrayRef2<f64>, j: usize) -> &[f64] {
    m.column(j)
        .to_slice()
        .expect("column(): the matrix is column-major")
}

/// Column `j` of a column-major matrix as a mutable slice (see [`column`]).
pub fn column_mut(m: &mut ArrayRef2<f64>, j: usize) -> &mut [f64] {
    m.column_mut(j)
        .into_slice()
        .expect("column_mut(): the matrix is column-major")
}

/// `v` as a slice: borrowed when contiguous, else copied into a vector.
pub fn slice(v: &ArrayRef1<f64>) -> Cow<'_, [f64]> {
    match v.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(v.to_vec()),
    }
}

/// M N for two dense matrices (faer matmul, all threads), column-major result.
pub fn matmul(m: &ArrayRef2<f64>, k: &ArrayRef2<f64>) -> Array2<f64> {
    let mut out = zeros(m.nrows(), k.ncols());
    faer::linalg::matmul::matmul(
        out.view_mut().into_faer(),
        Accum::Replace,
        m.view().into_faer(),
        k.view().into_faer(),
        1.0,
        par(),
    );
    out
}

/// y = M f for an n×k matrix and a k-vector (faer matmul).
pub fn matvec(m: &ArrayRef2<f64>, f: &ArrayRef1<f64>) -> Array1<f64> {
    let mut out = Array1::zeros(m.nrows());
    faer::linalg::matmul::matmul(
        out.view_mut().insert_axis(Axis(1)).into_faer(),
        Accum::Replace,
        m.view().into_faer(),
        f.view().insert_axis(Axis(1)).into_faer(),
        1.0,
        par(),
    );
    out
}

/// y = fᵀ M (a row vector times a matrix), returned as a vector of length ncols(M).
pub fn vecmat(f: &ArrayRef1<f64>, m: &ArrayRef2<f64>) -> Array1<f64> {
    matvec(&m.t(), f)
}

/// Why [`inverse_of_i_minus`] failed: the LU pivot of `entry` is (numerically) zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZeroPivot {
    /// The column whose pivot vanished.
    pub entry: usize,
    /// The pivot.
    pub pivot: f64,
}

/// (I − A)⁻¹ by LU with partial pivoting (faer), factorised in place in a column-major
/// array and inverted into another. A pivot at most n·ε·max|diag(I − A)| is a [`ZeroPivot`].
pub fn inverse_of_i_minus(a: &ArrayRef2<f64>) -> Result<Array2<f64>, ZeroPivot> {
    let n = a.nrows();
    let mut lu = from_fn(
        n,
        n,
        |(i, j)| {
            if i == j {
                1.0 - a[[i, j]]
            } else {
                -a[[i, j]]
            }
        },
    );
    let scale = (0..n).map(|j| lu[[j, j]].abs()).fold(1.0_f64, f64::max);
    let mut fwd = vec![0usize; n];
    let mut bwd = vec![0usize; n];
    let par = par();
    let mut mem = MemBuffer::new(factor::lu_in_place_scratch::<usize, f64>(
        n,
        n,
        par,
        Default::default(),
    ));
    let (_, perm) = factor::lu_in_place(
        lu.view_mut().into_faer(),
        &mut fwd,
        &mut bwd,
        par,
        MemStack::new(&mut mem),
        Default::default(),
    );
    let tiny = scale * f64::EPSILON * (n.max(1) as f64);
    for k in 0..n {
        let pivot = lu[[k, k]];
        if pivot.abs().partial_cmp(&tiny) != Some(std::cmp::Ordering::Greater) {
            return Err(ZeroPivot { entry: k, pivot });
        }
    }
    let mut b = zeros(n, n);
    let mut mem = MemBuffer::new(inverse::inverse_scratch::<usize, f64>(n, par));
    let lu = lu.view().into_faer();
    inverse::inverse(
        b.view_mut().into_faer(),
        lu,
        lu,
        perm,
        par,
        MemStack::new(&mut mem),
    );
    Ok(b)
}

/// p with Mᵀ p = h, by faer's partial-pivot LU of the square M (non-finite entries in p
/// when M is singular).
pub fn solve_transpose(m: &ArrayRef2<f64>, h: &ArrayRef1<f64>) -> Array1<f64> {
    let mut p = h.to_owned();
    m.view()
        .into_faer()
        .partial_piv_lu()
        .solve_transpose_in_place(p.view_mut().insert_axis(Axis(1)).into_faer());
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn products_accept_any_layout() {
        // Row-major inputs (the `array!` macro) give the same product as column-major ones.
        let m = array![[1.0, 2.0], [3.0, 4.0]];
        let k = array![[5.0, 6.0], [7.0, 8.0]];
        let want = array![[19.0, 22.0], [43.0, 50.0]];
        assert_eq!(matmul(&m, &k), want);
        let mf = column_major(&m).to_owned();
        assert_eq!(mf.strides(), &[1, 2]);
        assert_eq!(matmul(&mf, &k), want);
        assert_eq!(matvec(&m, &array![1.0, 1.0]), array![3.0, 7.0]);
        assert_eq!(vecmat(&array![1.0, 1.0], &m), array![4.0, 6.0]);
        assert_eq!(column(&mf, 1), &[2.0, 4.0]);
    }

    #[test]
    fn inverse_and_transposed_solve_by_hand() {
        // I − A = [[0.8, −0.25], [−0.1, 0.5]], det = 0.375.
        let a = array![[0.2, 0.25], [0.1, 0.5]];
        let b = inverse_of_i_minus(&a).unwrap();
        let det = 0.8 * 0.5 - 0.25 * 0.1;
        let want = [[0.5 / det, 0.25 / det], [0.1 / det, 0.8 / det]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((b[[i, j]] - want[i][j]).abs() < 1e-14);
            }
        }
        // Mᵀ p = h with M = [[2, 1], [0, 4]]: p = (1, 0.25) for h = (2, 2).
        let p = solve_transpose(&array![[2.0, 1.0], [0.0, 4.0]], &array![2.0, 2.0]);
        assert!((p[0] - 1.0).abs() < 1e-15 && (p[1] - 0.25).abs() < 1e-15);
        let singular = inverse_of_i_minus(&array![[1.0, 0.0], [0.0, 0.5]]);
        assert_eq!(singular.unwrap_err().entry, 0);
    }
}
