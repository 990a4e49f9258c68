//! Numerical gradient checks (`torch.autograd.gradcheck` / `gradgradcheck`): the Jacobian
//! computed by backward is compared with central differences, in f64.

use ember_tensor::{Array, DType};

use crate::backward::grad;
use crate::tensor::Tensor;

/// Tolerances and step of a gradient check (PyTorch's defaults).
#[derive(Clone, Copy, Debug)]
pub struct GradcheckOptions {
    /// Finite-difference step.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance.
    pub rtol: f64,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
        }
    }
}

/// Checks the gradients of `f` at `inputs` (f64 tensors; those that require grad are checked)
/// against central differences. Returns a description of the first mismatch.
///
/// ```
/// use ember_autograd::{gradcheck, Tensor};
/// let x = Tensor::randn(&[3], ember_autograd::DType::F64).requires_grad_(true);
/// gradcheck(|t| vec![t[0].tanh().mul(&t[0])], &[x], Default::default()).unwrap();
/// ```
pub fn gradcheck(
    f: impl Fn(&[Tensor]) -> Vec<Tensor>,
    inputs: &[Tensor],
    opts: GradcheckOptions,
) -> Result<(), String> {
    for (i, t) in inputs.iter().enumerate() {
        if t.requires_grad() && t.dtype() != DType::F64 {
            return Err(format!("gradcheck: input {i} is {}, use f64", t.dtype()));
        }
    }
    let outs = f(inputs);
    let checked: Vec<usize> = (0..inputs.len())
        .filter(|&i| inputs[i].requires_grad())
        .collect();
    // Analytical Jacobian, one backward per output element.
    let out_numels: Vec<usize> = outs.iter().map(Tensor::numel).collect();
    let total_out: usize = out_numels.iter().sum();
    let in_numels: Vec<usize> = checked.iter().map(|&i| inputs[i].numel()).collect();
    let mut analytic: Vec<Vec<f64>> = in_numels
        .iter()
        .map(|&n| vec![0.0; n * total_out])
        .collect();
    let diff_outs: Vec<usize> = (0..outs.len())
        .filter(|&k| outs[k].requires_grad())
        .collect();
    let mut row = 0;
    for (k, o) in outs.iter().enumerate() {
        for e in 0..o.numel() {
            if diff_outs.contains(&k) {
                let mut v = vec![0.0f64; o.numel()];
                v[e] = 1.0;
                let go = Tensor::from_array(Array::from_vec(v, o.shape()).to_dtype(o.dtype()));
                let ins: Vec<&Tensor> = checked.iter().map(|&i| &inputs[i]).collect();
                let gs = grad(&[o], &ins, Some(&[&go]), true, false, true);
                for (c, g) in gs.iter().enumerate() {
                    if let Some(g) = g {
                        let g = g.data().to_dtype(DType::F64).to_vec::<f64>();
                        for (j, gv) in g.iter().enumerate() {
                            analytic[c][j * total_out + row] = *gv;
                        }
                    }
                }
            }
            row += 1;
        }
    }
    // Numerical Jacobian.
    for (c, &i) in checked.iter().enumerate() {
        let x = inputs[i].data();
        let n = x.numel();
        for j in 0..n {
            let at = unravel(j, x.shape());
            let orig = get(x, &at);
            set(x, &at, orig + opts.eps);
            let plus = flat_outputs(&f(inputs));
            set(x, &at, orig - opts.eps);
            let minus = flat_outputs(&f(inputs));
            set(x, &at, orig);
            for r in 0..total_out {
                let num = (plus[r] - minus[r]) / (2.0 * opts.eps);
                let ana = analytic[c][j * total_out + r];
                if (num - ana).abs() > opts.atol + opts.rtol * num.abs() {
                    return Err(format!(
                        "gradcheck: Jacobian mismatch for output element {r} w.r.t. input {i} \
                         element {j} ({at:?}): numerical {num:.8e}, analytical {ana:.8e}"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Checks second-order gradients: [`gradcheck`] of the function `(inputs, v) -> vjp(f, v)` with
/// random `v`, the backward built with `create_graph`.
///
/// ```
/// use ember_autograd::{gradgradcheck, Tensor};
/// let x = Tensor::randn(&[3], ember_autograd::DType::F64).requires_grad_(true);
/// gradgradcheck(|t| vec![t[0].sin()], &[x], Default::default()).unwrap();
/// ```
pub fn gradgradcheck(
    f: impl Fn(&[Tensor]) -> Vec<Tensor>,
    inputs: &[Tensor],
    opts: GradcheckOptions,
) -> Result<(), String> {
    let outs = f(inputs);
    let n_in = inputs.len();
    let vs: Vec<Tensor> = outs
        .iter()
        .map(|o| Tensor::randn(o.shape(), DType::F64).requires_grad_(true))
        .collect();
    let mut all: Vec<Tensor> = inputs.to_vec();
    all.extend(vs);
    let checked: Vec<usize> = (0..n_in).filter(|&i| inputs[i].requires_grad()).collect();
    let vjp = |t: &[Tensor]| -> Vec<Tensor> {
        let outs = f(&t[..n_in]);
        let os: Vec<&Tensor> = outs.iter().collect();
        let gos: Vec<&Tensor> = t[n_in..].iter().collect();
        let ins: Vec<&Tensor> = checked.iter().map(|&i| &t[i]).collect();
        grad(&os, &ins, Some(&gos), true, true, true)
            .into_iter()
            .zip(&checked)
            .map(|(g, &i)| g.unwrap_or_else(|| t[i].zeros_like()))
            .collect()
    };
    gradcheck(vjp, &all, opts)
}

fn flat_outputs(outs: &[Tensor]) -> Vec<f64> {
    outs.iter()
        .flat_map(|o| o.data().to_dtype(DType::F64).to_vec::<f64>())
        .collect()
}

fn unravel(mut j: usize, shape: &[usize]) -> Vec<usize> {
    let mut at = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        at[d] = j % shape[d];
        j /= shape[d];
    }
    at
}

fn elem(x: &Array, at: &[usize]) -> Array {
    let mut v = x.clone();
    for &i in at {
        v = v.select(0, i);
    }
    v
}

fn get(x: &Array, at: &[usize]) -> f64 {
    elem(x, at).item::<f64>()
}

fn set(x: &Array, at: &[usize], v: f64) {
    elem(x, at).fill_(v);
}
