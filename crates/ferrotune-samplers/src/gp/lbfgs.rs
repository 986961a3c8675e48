//! A small box-constrained L-BFGS minimizer (projected quasi-Newton with an
//! Armijo backtracking search along the projected path).
//!
//! It is not L-BFGS-B (no generalized Cauchy point / subspace minimization):
//! coordinates sitting on a bound with the gradient pushing outward are
//! frozen for the step, the rest follow the two-loop-recursion direction,
//! and the trial point is projected back into the box. That is enough for
//! the smooth, low-dimensional problems here (GP hyperparameters, the
//! acquisition over continuous coordinates), and it keeps the code short.

/// Stopping rules and memory of [`minimize`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct LbfgsOptions {
    /// Iteration limit (each iteration is one accepted step).
    pub max_iter: usize,
    /// Number of (s, y) pairs kept.
    pub memory: usize,
    /// Stop when the largest projected-gradient component is below this.
    pub gtol: f64,
    /// Stop when a step lowers `f` by less than `ftol · max(|f|, 1)`.
    pub ftol: f64,
}

impl Default for LbfgsOptions {
    fn default() -> Self {
        LbfgsOptions { max_iter: 200, memory: 10, gtol: 1e-5, ftol: 1e-10 }
    }
}

/// Result of [`minimize`].
#[derive(Debug, Clone)]
pub(crate) struct LbfgsResult {
    pub x: Vec<f64>,
    pub f: f64,
    /// Accepted steps taken.
    pub iterations: usize,
}

/// The (s, y) pairs of an L-BFGS run: its picture of the curvature. Handed
/// to the next run on a slightly changed objective (a GP refitted after a
/// few more observations), it lets that run take Newton-like steps from its
/// first iteration instead of rediscovering the curvature by steepest
/// descent.
#[derive(Debug, Clone, Default)]
pub(crate) struct Curvature {
    s: Vec<Vec<f64>>,
    y: Vec<Vec<f64>>,
}

/// Minimizes `f` (returning value and gradient) over the box
/// `[lower, upper]` from `x0`. A non-finite value counts as "worse than
/// anything", so the line search backs off from regions where the
/// objective breaks down (e.g. a failed Cholesky factorization).
pub(crate) fn minimize<F>(f: F, x0: &[f64], lower: &[f64], upper: &[f64], opts: &LbfgsOptions) -> LbfgsResult
where
    F: FnMut(&[f64]) -> (f64, Vec<f64>),
{
    minimize_with_curvature(f, x0, lower, upper, opts, Curvature::default()).0
}

/// [`minimize`] starting from a previous run's curvature pairs (of the same
/// dimension; others are dropped); also returns the final pairs.
pub(crate) fn minimize_with_curvature<F>(
    mut f: F,
    x0: &[f64],
    lower: &[f64],
    upper: &[f64],
    opts: &LbfgsOptions,
    curvature: Curvature,
) -> (LbfgsResult, Curvature)
where
    F: FnMut(&[f64]) -> (f64, Vec<f64>),
{
    let n = x0.len();
    let project = |x: &mut [f64]| {
        for ((v, &lo), &hi) in x.iter_mut().zip(lower).zip(upper) {
            *v = v.clamp(lo, hi);
        }
    };
    let mut x = x0.to_vec();
    project(&mut x);
    let (mut fx, mut g) = f(&x);
    if !fx.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return (LbfgsResult { x, f: fx, iterations: 0 }, curvature);
    }
    let Curvature { s: mut s_hist, y: mut y_hist } = curvature;
    if s_hist.iter().chain(&y_hist).any(|v| v.len() != n) || s_hist.len() != y_hist.len() {
        s_hist.clear();
        y_hist.clear();
    }
    while s_hist.len() > opts.memory {
        s_hist.remove(0);
        y_hist.remove(0);
    }
    let mut iterations = 0;
    let mut fresh_restart = s_hist.is_empty();

    while iterations < opts.max_iter {
        // Coordinates pinned at a bound with the gradient pointing out of the
        // box cannot move; they take no part in this step.
        let free: Vec<bool> =
            (0..n).map(|i| !((x[i] <= lower[i] && g[i] > 0.0) || (x[i] >= upper[i] && g[i] < 0.0))).collect();
        let pg_norm = (0..n).filter(|&i| free[i]).map(|i| g[i].abs()).fold(0.0, f64::max);
        if pg_norm < opts.gtol {
            break;
        }

        let mut d = two_loop(&g, &s_hist, &y_hist, &free);
        let mut slope: f64 = d.iter().zip(&g).map(|(a, b)| a * b).sum();
        if slope >= 0.0 || !slope.is_finite() {
            // Curvature information went stale: fall back to steepest descent.
            s_hist.clear();
            y_hist.clear();
            d = (0..n).map(|i| if free[i] { -g[i] } else { 0.0 }).collect();
            slope = d.iter().zip(&g).map(|(a, b)| a * b).sum();
            fresh_restart = true;
        }
        // Without curvature history the direction is the raw gradient, whose
        // length says nothing about a good step: start at unit max-norm.
        let mut t = if fresh_restart { 1.0 / d.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1.0) } else { 1.0 };

        let mut accepted = None;
        for _ in 0..40 {
            let mut xn: Vec<f64> = x.iter().zip(&d).map(|(a, b)| a + t * b).collect();
            project(&mut xn);
            let step_slope: f64 = xn.iter().zip(&x).zip(&g).map(|((a, b), gi)| (a - b) * gi).sum();
            if step_slope >= 0.0 && xn != x {
                // Projection bent the step into an ascent direction; shorten it.
                t *= 0.5;
                continue;
            }
            if xn == x {
                break;
            }
            let (fn_, gn) = f(&xn);
            if fn_.is_finite() && gn.iter().all(|v| v.is_finite()) && fn_ <= fx + 1e-4 * step_slope.min(t * slope) {
                accepted = Some((xn, fn_, gn));
                break;
            }
            // Minimizer of the quadratic through f(0), f'(0) and f(t), kept
            // within [t/10, t/2]: one interpolated step usually replaces
            // several halvings when the first trial overshoots by far.
            let curvature = fn_ - fx - step_slope;
            t = if fn_.is_finite() && curvature > 0.0 {
                (-step_slope * t / (2.0 * curvature)).clamp(0.1 * t, 0.5 * t)
            } else {
                0.1 * t
            };
        }
        let Some((xn, fn_, gn)) = accepted else {
            if s_hist.is_empty() {
                break;
            }
            // Retry once from steepest descent before giving up.
            s_hist.clear();
            y_hist.clear();
            fresh_restart = true;
            continue;
        };
        fresh_restart = false;
        iterations += 1;

        let s: Vec<f64> = xn.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = gn.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy: f64 = s.iter().zip(&y).map(|(a, b)| a * b).sum();
        let yy: f64 = y.iter().map(|v| v * v).sum();
        // Keep only pairs with positive curvature, so the implicit inverse
        // Hessian stays positive definite.
        if sy > 1e-12 * yy.sqrt() * s.iter().map(|v| v * v).sum::<f64>().sqrt() && sy > 0.0 {
            if s_hist.len() == opts.memory {
                s_hist.remove(0);
                y_hist.remove(0);
            }
            s_hist.push(s);
            y_hist.push(y);
        }
        let decrease = fx - fn_;
        x = xn;
        g = gn;
        let scale = fx.abs().max(fn_.abs()).max(1.0);
        fx = fn_;
        if decrease <= opts.ftol * scale {
            break;
        }
    }
    (LbfgsResult { x, f: fx, iterations }, Curvature { s: s_hist, y: y_hist })
}

/// The L-BFGS two-loop recursion: `-H g` restricted to the free coordinates.
fn two_loop(g: &[f64], s_hist: &[Vec<f64>], y_hist: &[Vec<f64>], free: &[bool]) -> Vec<f64> {
    let mask = |v: &[f64]| -> Vec<f64> { v.iter().zip(free).map(|(a, &f)| if f { *a } else { 0.0 }).collect() };
    let dot = |a: &[f64], b: &[f64]| -> f64 { a.iter().zip(b).map(|(x, y)| x * y).sum() };
    let mut q = mask(g);
    let k = s_hist.len();
    let mut alphas = vec![0.0; k];
    let mut rhos = vec![0.0; k];
    for i in (0..k).rev() {
        let (s, y) = (mask(&s_hist[i]), mask(&y_hist[i]));
        let sy = dot(&s, &y);
        rhos[i] = if sy > 0.0 { 1.0 / sy } else { 0.0 };
        alphas[i] = rhos[i] * dot(&s, &q);
        for (qj, yj) in q.iter_mut().zip(&y) {
            *qj -= alphas[i] * yj;
        }
    }
    if k > 0 {
        let (s, y) = (mask(&s_hist[k - 1]), mask(&y_hist[k - 1]));
        let yy = dot(&y, &y);
        if yy > 0.0 {
            let gamma = dot(&s, &y) / yy;
            if gamma > 0.0 {
                q.iter_mut().for_each(|v| *v *= gamma);
            }
        }
    }
    for i in 0..k {
        let (s, y) = (mask(&s_hist[i]), mask(&y_hist[i]));
        let beta = rhos[i] * dot(&y, &q);
        for (qj, sj) in q.iter_mut().zip(&s) {
            *qj += (alphas[i] - beta) * sj;
        }
    }
    q.iter().zip(free).map(|(v, &f)| if f { -v } else { 0.0 }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lbfgs_minimizes_rosenbrock_and_respects_bounds() {
        let rosen = |x: &[f64]| {
            let f = 100.0 * (x[1] - x[0] * x[0]).powi(2) + (1.0 - x[0]).powi(2);
            let g = vec![-400.0 * x[0] * (x[1] - x[0] * x[0]) - 2.0 * (1.0 - x[0]), 200.0 * (x[1] - x[0] * x[0])];
            (f, g)
        };
        let opts = LbfgsOptions { max_iter: 500, ..Default::default() };
        let r = minimize(rosen, &[-1.2, 1.0], &[-5.0, -5.0], &[5.0, 5.0], &opts);
        assert!((r.x[0] - 1.0).abs() < 1e-3 && (r.x[1] - 1.0).abs() < 1e-3, "{:?}", r);
        // With the optimum cut off, the solution sits on the bound.
        let r = minimize(rosen, &[-1.2, 1.0], &[-5.0, -5.0], &[0.5, 5.0], &opts);
        assert!((r.x[0] - 0.5).abs() < 1e-9 && (r.x[1] - 0.25).abs() < 1e-3, "{:?}", r);
    }

    #[test]
    fn carried_curvature_lets_a_nearby_problem_converge_in_fewer_evaluations() {
        // An ill-conditioned 8-D quadratic plus a quartic term, centred at
        // `c`; the second problem moves the centre slightly, as one more
        // observation moves the GP's hyperparameter optimum.
        let problem = |c: f64| {
            move |x: &[f64]| {
                let mut f = 0.0;
                let mut g = vec![0.0; x.len()];
                for i in 0..x.len() {
                    let w = 10f64.powf(i as f64 * 3.0 / 7.0);
                    let d = x[i] - c * (i as f64 + 1.0) / 8.0;
                    let coupled = if i + 1 < x.len() { x[i] - x[i + 1] } else { 0.0 };
                    f += w * d * d + d.powi(4) + coupled * coupled;
                    g[i] += 2.0 * w * d + 4.0 * d.powi(3) + 2.0 * coupled;
                    if i + 1 < x.len() {
                        g[i + 1] -= 2.0 * coupled;
                    }
                }
                (f, g)
            }
        };
        let (lower, upper) = (vec![-10.0; 8], vec![10.0; 8]);
        let opts = LbfgsOptions { max_iter: 500, memory: 10, gtol: 1e-3, ftol: 0.0 };
        let (first, curvature) =
            minimize_with_curvature(problem(1.0), &[0.0; 8], &lower, &upper, &opts, Curvature::default());
        let count = |curvature: Curvature| {
            let mut evals = 0;
            let f = problem(1.05);
            let (r, _) = minimize_with_curvature(
                |x| {
                    evals += 1;
                    f(x)
                },
                &first.x,
                &lower,
                &upper,
                &opts,
                curvature,
            );
            (r, evals)
        };
        let (cold, cold_evals) = count(Curvature::default());
        let (warm, warm_evals) = count(curvature);
        // Both stop where the gradient is below gtol: the same optimum to
        // within what that tolerance allows.
        assert!((cold.f - warm.f).abs() < 1e-6, "{} vs {}", cold.f, warm.f);
        assert!(cold.x.iter().zip(&warm.x).all(|(a, b)| (a - b).abs() < 1e-3), "{:?} vs {:?}", cold.x, warm.x);
        assert!(2 * warm_evals <= cold_evals, "{warm_evals} evaluations with the curvature, {cold_evals} without");
    }
}
