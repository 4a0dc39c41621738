//! Limited-memory BFGS with a backtracking (Armijo) line search: the solver behind the
//! linear models and the probability calibrators.
//!
//! Deterministic by construction: the objective is evaluated by the caller (which reduces
//! row chunks in a fixed order), and the solver itself is sequential.

use std::collections::VecDeque;

/// Solver settings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lbfgs {
    /// Iteration cap.
    pub max_iter: usize,
    /// Stop once the largest gradient component is below this.
    pub tol: f64,
    /// Correction pairs kept.
    pub memory: usize,
}

impl Default for Lbfgs {
    fn default() -> Self {
        Self { max_iter: 200, tol: 1e-6, memory: 10 }
    }
}

/// Where the solver stopped.
#[derive(Clone, Debug)]
pub(crate) struct Solution {
    pub x: Vec<f64>,
    pub iterations: usize,
    /// Objective value after each iteration.
    pub trace: Vec<f64>,
    pub converged: bool,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

impl Lbfgs {
    /// Minimises `f`, which returns the value at `x` and writes the gradient into its
    /// second argument.
    pub(crate) fn minimize(&self, mut f: impl FnMut(&[f64], &mut [f64]) -> f64, x0: Vec<f64>) -> Solution {
        let n = x0.len();
        let mut x = x0;
        let mut g = vec![0.0; n];
        let mut value = f(&x, &mut g);
        let mut pairs: VecDeque<(Vec<f64>, Vec<f64>, f64)> = VecDeque::with_capacity(self.memory);
        let mut trace = Vec::new();
        let mut x_new = vec![0.0; n];
        let mut g_new = vec![0.0; n];
        for iteration in 0..self.max_iter {
            if max_abs(&g) <= self.tol {
                return Solution { x, iterations: iteration, trace, converged: true };
            }
            // Two-loop recursion: direction = -H g.
            let mut q = g.clone();
            let mut alphas = Vec::with_capacity(pairs.len());
            for (s, y, rho) in pairs.iter().rev() {
                let a = rho * dot(s, &q);
                q.iter_mut().zip(y).for_each(|(qi, yi)| *qi -= a * yi);
                alphas.push(a);
            }
            let gamma = pairs.back().map_or_else(|| 1.0 / max_abs(&g).max(1.0), |(s, y, _)| dot(s, y) / dot(y, y));
            for v in &mut q {
                *v *= gamma;
            }
            for ((s, y, rho), a) in pairs.iter().zip(alphas.iter().rev()) {
                let b = rho * dot(y, &q);
                q.iter_mut().zip(s).for_each(|(qi, si)| *qi += (a - b) * si);
            }
            let mut direction: Vec<f64> = q.into_iter().map(|v| -v).collect();
            let mut slope = dot(&direction, &g);
            if slope >= 0.0 {
                // Not a descent direction (numerical trouble): restart from steepest descent.
                pairs.clear();
                let scale = 1.0 / max_abs(&g).max(1.0);
                direction = g.iter().map(|v| -v * scale).collect();
                slope = dot(&direction, &g);
            }
            let mut step = 1.0;
            let mut accepted = false;
            for _ in 0..40 {
                x_new.iter_mut().zip(&x).zip(&direction).for_each(|((xn, xi), di)| *xn = xi + step * di);
                let v = f(&x_new, &mut g_new);
                if v.is_finite() && v <= value + 1e-4 * step * slope {
                    let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
                    let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
                    let sy = dot(&s, &y);
                    if sy > 1e-12 * dot(&y, &y).sqrt() * dot(&s, &s).sqrt() {
                        if pairs.len() == self.memory {
                            pairs.pop_front();
                        }
                        pairs.push_back((s, y, 1.0 / sy));
                    }
                    let improvement = value - v;
                    std::mem::swap(&mut x, &mut x_new);
                    std::mem::swap(&mut g, &mut g_new);
                    value = v;
                    trace.push(value);
                    accepted = true;
                    if improvement <= 1e-14 * value.abs().max(1.0) {
                        return Solution { x, iterations: iteration + 1, trace, converged: true };
                    }
                    break;
                }
                step *= 0.5;
            }
            if !accepted {
                // No decrease along a descent direction: as close to the optimum as f64 allows.
                return Solution { x, iterations: iteration, trace, converged: max_abs(&g) <= self.tol.sqrt() };
            }
        }
        let converged = max_abs(&g) <= self.tol;
        Solution { x, iterations: self.max_iter, trace, converged }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimises_the_rosenbrock_function() {
        let rosenbrock = |x: &[f64], g: &mut [f64]| {
            let (a, b) = (x[0], x[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
        };
        let s = Lbfgs { max_iter: 500, tol: 1e-9, memory: 10 }.minimize(rosenbrock, vec![-1.2, 1.0]);
        assert!(s.converged, "{s:?}");
        assert!((s.x[0] - 1.0).abs() < 1e-6 && (s.x[1] - 1.0).abs() < 1e-6, "{:?}", s.x);
        assert!(s.trace.windows(2).all(|w| w[1] <= w[0]), "objective must decrease monotonically");
    }

    #[test]
    fn solves_a_quadratic_exactly() {
        // f(x) = 0.5 x'Ax - b'x with A diagonal: minimum at b / a.
        let a = [1.0, 10.0, 100.0];
        let b = [1.0, -2.0, 3.0];
        let f = |x: &[f64], g: &mut [f64]| {
            let mut v = 0.0;
            for i in 0..3 {
                g[i] = a[i] * x[i] - b[i];
                v += 0.5 * a[i] * x[i] * x[i] - b[i] * x[i];
            }
            v
        };
        let s = Lbfgs::default().minimize(f, vec![0.0; 3]);
        for i in 0..3 {
            assert!((s.x[i] - b[i] / a[i]).abs() < 1e-6);
        }
    }
}
