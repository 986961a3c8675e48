//! Dense kernel-matrix helpers that route the O(n³) work through matrix
//! products: nalgebra's `Cholesky::inverse` solves against the identity one
//! column at a time, several times slower than its `gemm` (which dispatches
//! to SIMD kernels at run time).

use nalgebra::{Cholesky, DMatrix};

/// Below this size the triangular inverse is done by plain substitution.
const BLOCK: usize = 48;

/// `K⁻¹` from the Cholesky factor `L` of `K = LLᵀ`, as `L⁻ᵀL⁻¹`.
pub(crate) fn spd_inverse(l: &DMatrix<f64>) -> DMatrix<f64> {
    lower_gram(&lower_inverse(l))
}

/// Cholesky factor of a symmetric positive-definite matrix by 2×2 block
/// recursion (`L₂₁ = K₂₁L₁₁⁻ᵀ`, then the factor of `K₂₂ − L₂₁L₂₁ᵀ`), so
/// most of the work is matrix products. `None` if not positive definite.
pub(crate) fn cholesky(k: &DMatrix<f64>) -> Option<DMatrix<f64>> {
    let n = k.nrows();
    if n <= 2 * BLOCK {
        return k.clone().cholesky().map(Cholesky::unpack);
    }
    let h = n / 2;
    let l11 = cholesky(&k.view((0, 0), (h, h)).into_owned())?;
    let l21 = k.view((h, 0), (n - h, h)) * lower_inverse(&l11).transpose();
    let schur = k.view((h, h), (n - h, n - h)) - &l21 * l21.transpose();
    let l22 = cholesky(&schur)?;
    let mut l = DMatrix::<f64>::zeros(n, n);
    l.view_mut((0, 0), (h, h)).copy_from(&l11);
    l.view_mut((h, 0), (n - h, h)).copy_from(&l21);
    l.view_mut((h, h), (n - h, n - h)).copy_from(&l22);
    Some(l)
}

/// `MᵀM` for lower-triangular `M` by block recursion, a third of the work
/// of a full product: `[[A, 0], [B, C]]ᵀ[[A, 0], [B, C]] = [[AᵀA + BᵀB, BᵀC], [CᵀB, CᵀC]]`.
fn lower_gram(m: &DMatrix<f64>) -> DMatrix<f64> {
    let n = m.nrows();
    if n <= BLOCK {
        return m.transpose() * m;
    }
    let h = n / 2;
    let a = m.view((0, 0), (h, h)).into_owned();
    let b = m.view((h, 0), (n - h, h));
    let c = m.view((h, h), (n - h, n - h)).into_owned();
    let top = lower_gram(&a) + b.transpose() * b;
    let off = c.transpose() * b;
    let bottom = lower_gram(&c);
    let mut g = DMatrix::<f64>::zeros(n, n);
    g.view_mut((0, 0), (h, h)).copy_from(&top);
    g.view_mut((h, 0), (n - h, h)).copy_from(&off);
    g.view_mut((0, h), (h, n - h)).copy_from(&off.transpose());
    g.view_mut((h, h), (n - h, n - h)).copy_from(&bottom);
    g
}

/// Inverse of a lower-triangular matrix by 2×2 block recursion:
/// `[[A, 0], [B, C]]⁻¹ = [[A⁻¹, 0], [−C⁻¹BA⁻¹, C⁻¹]]`.
pub(crate) fn lower_inverse(l: &DMatrix<f64>) -> DMatrix<f64> {
    let n = l.nrows();
    if n <= BLOCK {
        let mut inv = DMatrix::<f64>::zeros(n, n);
        for j in 0..n {
            inv[(j, j)] = 1.0 / l[(j, j)];
            for i in j + 1..n {
                let s: f64 = (j..i).map(|k| l[(i, k)] * inv[(k, j)]).sum();
                inv[(i, j)] = -s / l[(i, i)];
            }
        }
        return inv;
    }
    let h = n / 2;
    let a_inv = lower_inverse(&l.view((0, 0), (h, h)).into_owned());
    let c_inv = lower_inverse(&l.view((h, h), (n - h, n - h)).into_owned());
    let b = l.view((h, 0), (n - h, h));
    let off = -(&c_inv * (b * &a_inv));
    let mut inv = DMatrix::<f64>::zeros(n, n);
    inv.view_mut((0, 0), (h, h)).copy_from(&a_inv);
    inv.view_mut((h, h), (n - h, n - h)).copy_from(&c_inv);
    inv.view_mut((h, 0), (n - h, h)).copy_from(&off);
    inv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spd_inverse_matches_identity() {
        for n in [1, 5, 48, 49, 97, 130, 300] {
            let a = DMatrix::<f64>::from_fn(n, n, |i, j| ((i * 7 + j * 3) % 11) as f64 / 11.0 - 0.5);
            let k = &a * a.transpose() + DMatrix::<f64>::identity(n, n) * 0.5;
            let l = cholesky(&k).unwrap();
            assert!((&l * l.transpose() - &k).abs().max() < 1e-10);
            assert!((0..n).all(|i| (i + 1..n).all(|j| l[(i, j)] == 0.0)));
            let inv = spd_inverse(&l);
            let err = (&k * &inv - DMatrix::<f64>::identity(n, n)).abs().max();
            assert!(err < 1e-10, "n = {n}: {err}");
        }
    }
}
