//! The GP's hot loops, compiled for the baseline and for AVX2 + FMA by
//! [`simd_dispatch!`](crate::simd); the matrix products already dispatch this way inside
//! `matrixmultiply`, and these loops (kernel rows over thousands of
//! candidates, triangular solves in the acquisition's local search) were
//! most of what remained.

use super::kernel::{matern52, matern52_with_deriv};

simd_dispatch! {
    /// Kernel row `k_i = scale · matern52(r²(x, X_i))` from `x` to every
    /// input `X_i`, given coordinate-major (`xs_by_dim[j]` holds coordinate
    /// `j` of every input), and with `dk` the factor `scale · m'(r²_i)` of
    /// its gradient.
    pub(crate) fn kernel_row(
        xs_by_dim: &[f64],
        is_cat: &[bool],
        inv_sq_lengthscales: &[f64],
        scale: f64,
        x: &[f64],
        k: &mut [f64],
        dk: Option<&mut [f64]>,
    ) {
        let n = k.len();
        k.fill(0.0);
        for (j, column) in xs_by_dim.chunks_exact(n.max(1)).enumerate() {
            let (w, xj) = (inv_sq_lengthscales[j], x[j]);
            if is_cat[j] {
                for (r2, &v) in k.iter_mut().zip(column) {
                    *r2 += w * f64::from(u8::from(v != xj));
                }
            } else {
                for (r2, &v) in k.iter_mut().zip(column) {
                    *r2 += w * (v - xj) * (v - xj);
                }
            }
        }
        match dk {
            Some(dk) => {
                for (ki, dki) in k.iter_mut().zip(dk.iter_mut()) {
                    let (v, dv) = matern52_with_deriv(*ki);
                    *ki = scale * v;
                    *dki = scale * dv;
                }
            }
            None => {
                for ki in k.iter_mut() {
                    *ki = scale * matern52(*ki);
                }
            }
        }
    }
}

simd_dispatch! {
    /// `m(r²)` and `m'(r²)` in place: `value` holds `r²` on entry.
    pub(crate) fn matern52_with_deriv_in_place(value: &mut [f64], deriv: &mut [f64]) {
        for (v, dv) in value.iter_mut().zip(deriv.iter_mut()) {
            (*v, *dv) = matern52_with_deriv(*v);
        }
    }
}

simd_dispatch! {
    /// `Σ_j w_j · column_j` added into `out`, with the columns laid end to
    /// end in `columns` (each as long as `out`).
    pub(crate) fn add_weighted_columns(columns: &[f64], weights: &[f64], out: &mut [f64]) {
        for (column, &w) in columns.chunks_exact(out.len().max(1)).zip(weights) {
            for (o, &t) in out.iter_mut().zip(column) {
                *o += w * t;
            }
        }
    }
}

simd_dispatch! {
    /// `a · b`, in four interleaved partial sums so that it vectorizes.
    pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
        let mut acc = [0.0; 4];
        let (a4, b4) = (a.chunks_exact(4), b.chunks_exact(4));
        let (ra, rb) = (a4.remainder(), b4.remainder());
        for (x, y) in a4.zip(b4) {
            for i in 0..4 {
                acc[i] += x[i] * y[i];
            }
        }
        let tail: f64 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
        (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
    }
}

simd_dispatch! {
    /// Solves `L z = b` in place for lower-triangular `L` (column-major,
    /// `n × n`), column by column so the inner loop is a contiguous update.
    pub(crate) fn lower_solve_in_place(l: &[f64], b: &mut [f64]) {
        let n = b.len();
        for j in 0..n {
            let column = &l[j * n..(j + 1) * n];
            b[j] /= column[j];
            let bj = b[j];
            for (bi, &lij) in b[j + 1..].iter_mut().zip(&column[j + 1..]) {
                *bi -= bj * lij;
            }
        }
    }
}

simd_dispatch! {
    /// Solves `U z = b` in place for upper-triangular `U` (column-major,
    /// e.g. a stored `Lᵀ`), by backward substitution column by column, the
    /// inner loop a contiguous update as in [`lower_solve_in_place`].
    pub(crate) fn upper_solve_in_place(u: &[f64], b: &mut [f64]) {
        let n = b.len();
        for j in (0..n).rev() {
            let column = &u[j * n..(j + 1) * n];
            b[j] /= column[j];
            let bj = b[j];
            for (bi, &uij) in b[..j].iter_mut().zip(&column[..j]) {
                *bi -= bj * uij;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{DMatrix, DVector};

    #[test]
    fn triangular_solves_and_dot_match_nalgebra() {
        for n in [1, 3, 4, 5, 17, 64] {
            let l = DMatrix::<f64>::from_fn(n, n, |i, j| {
                if i == j {
                    1.0 + (i % 3) as f64
                } else if i > j {
                    ((i * 5 + j * 3) % 7) as f64 / 7.0 - 0.4
                } else {
                    0.0
                }
            });
            let b = DVector::<f64>::from_fn(n, |i, _| (i as f64 * 0.37).sin());
            let mut z = b.clone();
            lower_solve_in_place(l.as_slice(), z.as_mut_slice());
            let want = l.solve_lower_triangular(&b).unwrap();
            assert!((&z - &want).abs().max() < 1e-12, "n = {n}");
            let mut z = b.clone();
            upper_solve_in_place(l.transpose().as_slice(), z.as_mut_slice());
            let want = l.tr_solve_lower_triangular(&b).unwrap();
            assert!((&z - &want).abs().max() < 1e-12, "n = {n}");
            assert!((dot(b.as_slice(), want.as_slice()) - b.dot(&want)).abs() < 1e-12);
        }
    }
}
