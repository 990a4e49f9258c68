//! The autograd features: backward and its options, grad mode, `autograd::grad`, higher-order
//! gradients, saved-tensor version checks, in-place ops on views, hooks, anomaly mode, custom
//! functions, threads, and error messages that name the user's line.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use ember_autograd::autograd::{AnomalyGuard, grad};
use ember_autograd::{
    BackwardOptions, Context, DType, Function, NoGradGuard, Tensor, enable_grad, is_grad_enabled,
    no_grad, s, set_grad_enabled,
};

thread_local! {
    static LAST_PANIC: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
    static CAPTURING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, which must panic; returns the panic message and the `file:line` it points at.
#[track_caller]
fn panic_of(f: impl FnOnce()) -> (String, String) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CAPTURING.with(|c| c.get()) {
                return default(info);
            }
            let msg = if let Some(s) = info.payload().downcast_ref::<String>() {
                s.clone()
            } else if let Some(s) = info.payload().downcast_ref::<&str>() {
                s.to_string()
            } else {
                String::new()
            };
            let loc = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            LAST_PANIC.with(|p| *p.borrow_mut() = Some((msg, loc)));
        }));
    });
    CAPTURING.with(|c| c.set(true));
    let r = catch_unwind(AssertUnwindSafe(f));
    CAPTURING.with(|c| c.set(false));
    assert!(r.is_err(), "expected a panic");
    LAST_PANIC
        .with(|p| p.borrow_mut().take())
        .expect("the hook saw the panic")
}

fn here(line: u32) -> String {
    format!("{}:{line}", file!())
}

fn v(t: &Tensor) -> Vec<f64> {
    t.to_dtype(DType::F64).to_vec::<f64>()
}

#[test]
fn gradients_accumulate_and_backward_twice_needs_retain_graph() {
    let x = Tensor::from([1.0f64, 2.0]).requires_grad_(true);
    x.mul(&x).sum().backward();
    x.mul(3.0).sum().backward();
    assert_eq!(v(&x.grad().unwrap()), vec![5.0, 7.0]);

    let y = x.exp().sum();
    y.backward_opts(
        None,
        BackwardOptions {
            retain_graph: true,
            create_graph: false,
        },
    );
    y.backward(); // retained: works, and frees
    let line = line!() + 1;
    let (msg, _) = panic_of(|| y.backward());
    assert!(
        msg.contains("backward through the graph a second time"),
        "{msg}"
    );
    assert!(msg.contains("retain_graph"), "{msg}");
    // The node that was freed is named with the line that made it.
    assert!(
        msg.contains(&here(line - 6)) || msg.contains("`sum`") || msg.contains("`exp`"),
        "{msg}"
    );
    let _ = line;
}

#[test]
fn backward_on_non_scalar_needs_a_gradient() {
    let x = Tensor::from([1.0f32, 2.0]).requires_grad_(true);
    let y = x.mul(2.0);
    let line = line!() + 1;
    let (msg, loc) = panic_of(|| y.backward());
    assert!(msg.contains("only for scalar outputs"), "{msg}");
    assert_eq!(loc, here(line));
    y.backward_with(&Tensor::from([1.0f32, 0.5]));
    assert_eq!(v(&x.grad().unwrap()), vec![2.0, 1.0]);
}

#[test]
fn functional_grad_leaves_dot_grad_alone_and_handles_unused() {
    let x = Tensor::from([2.0f64]).requires_grad_(true);
    let z = Tensor::from([5.0f64]).requires_grad_(true);
    let h = x.mul(3.0); // a non-leaf input
    let y = h.mul(&h).add(&x);
    let g = grad(&[&y], &[&x, &h, &z], None, false, false, true);
    assert_eq!(v(g[0].as_ref().unwrap()), vec![2.0 * 6.0 * 3.0 + 1.0]);
    assert_eq!(v(g[1].as_ref().unwrap()), vec![12.0]);
    assert!(g[2].is_none());
    assert!(x.grad().is_none() && z.grad().is_none());
    let y = x.mul(&x);
    let (msg, _) = panic_of(|| {
        grad(&[&y], &[&z], None, false, false, false);
    });
    assert!(msg.contains("allow_unused"), "{msg}");
}

#[test]
fn higher_order_gradients() {
    // y = x^3: dy = 3x^2, d2y = 6x, d3y = 6.
    let x = Tensor::from([1.5f64]).requires_grad_(true);
    let y = x.pow(3.0);
    let d1 = grad(&[&y], &[&x], None, false, true, false)[0]
        .clone()
        .unwrap();
    assert!((d1.item::<f64>() - 6.75).abs() < 1e-12);
    let d2 = grad(&[&d1], &[&x], None, false, true, false)[0]
        .clone()
        .unwrap();
    assert!((d2.item::<f64>() - 9.0).abs() < 1e-12);
    let d3 = grad(&[&d2], &[&x], None, false, false, false)[0]
        .clone()
        .unwrap();
    assert!((d3.item::<f64>() - 6.0).abs() < 1e-12);
    // backward with create_graph leaves a differentiable .grad (a gradient penalty).
    let w = Tensor::from([0.5f64, -1.0]).requires_grad_(true);
    let loss = w.sin().sum();
    loss.backward_opts(
        None,
        BackwardOptions {
            retain_graph: false,
            create_graph: true,
        },
    );
    let g = w.grad().unwrap();
    assert!(g.requires_grad());
    let penalty = grad(&[&g.square().sum()], &[&w], None, false, false, false)[0]
        .clone()
        .unwrap();
    // d/dw sum(cos(w)^2) = -2 cos(w) sin(w)
    let want: Vec<f64> = [0.5f64, -1.0]
        .iter()
        .map(|w| -2.0 * w.cos() * w.sin())
        .collect();
    for (a, b) in v(&penalty).iter().zip(&want) {
        assert!((a - b).abs() < 1e-12);
    }
}

#[test]
fn grad_mode_is_thread_local_and_guards_restore() {
    let w = Tensor::from([1.0f32]).requires_grad_(true);
    {
        let _g = NoGradGuard::new();
        assert!(!w.mul(2.0).requires_grad());
        // Another thread is not affected.
        let w2 = w.clone();
        std::thread::spawn(move || assert!(w2.mul(2.0).requires_grad()))
            .join()
            .unwrap();
        assert!(enable_grad(|| w.mul(2.0).requires_grad()));
    }
    assert!(is_grad_enabled());
    set_grad_enabled(false);
    assert!(!w.exp().requires_grad());
    set_grad_enabled(true);
    assert!(no_grad(|| !w.exp().requires_grad()));
}

#[test]
fn modified_saved_tensor_is_an_error_naming_the_users_line() {
    let x = Tensor::from([1.0f32, 2.0]).requires_grad_(true);
    let a = x.mul(2.0);
    let line = line!() + 1;
    let b = a.mul(&a); // saves `a`
    a.add_(1.0); // changes it
    let (msg, _) = panic_of(|| b.sum().backward());
    assert!(msg.contains("modified by an in-place operation"), "{msg}");
    assert!(msg.contains("`mul`"), "{msg}");
    assert!(
        msg.contains(&here(line)),
        "names the line that saved it: {msg}"
    );
    assert!(msg.contains("[2]"), "names the shape: {msg}");
    // The same for a saved output: exp saves its result.
    let e = x.exp();
    e.mul_(2.0);
    let (msg, _) = panic_of(|| e.sum().backward());
    assert!(
        msg.contains("`exp`") && msg.contains("modified by an in-place operation"),
        "{msg}"
    );
}

#[test]
fn in_place_on_leaves_is_refused_outside_no_grad() {
    let w = Tensor::from([1.0f32, 2.0]).requires_grad_(true);
    let line = line!() + 1;
    let (msg, loc) = panic_of(|| {
        w.add_(1.0);
    });
    assert!(msg.contains("leaf tensor that requires grad"), "{msg}");
    assert_eq!(loc, here(line + 1));
    let (msg, _) = panic_of(|| {
        w.narrow(0, 0, 1).mul_(2.0);
    });
    assert!(msg.contains("view of a leaf"), "{msg}");
    no_grad(|| w.add_(1.0));
    assert_eq!(v(&w), vec![2.0, 3.0]);
}

#[test]
fn in_place_ops_record_and_views_update_their_base() {
    let x = Tensor::from([1.0f64, 2.0, 3.0]).requires_grad_(true);
    // In place on a non-leaf.
    let y = x.mul(1.0);
    y.exp_like_chain();
    y.sum().backward();
    let e: Vec<f64> = [1.0f64, 2.0, 3.0].iter().map(|v| 2.0 * v.exp()).collect();
    for (a, b) in v(&x.grad().unwrap()).iter().zip(&e) {
        assert!((a - b).abs() < 1e-9);
    }
    x.zero_grad();
    // In place through a view changes the base's gradient.
    let y = x.mul(1.0);
    y.narrow(0, 0, 2).mul_(10.0);
    y.sum().backward();
    assert_eq!(v(&x.grad().unwrap()), vec![10.0, 10.0, 1.0]);
    x.zero_grad();
    // Another view of the same base sees the change made through the first one.
    let b = x.mul(1.0);
    let v1 = b.narrow(0, 0, 2);
    let v2 = b.narrow(0, 1, 2);
    v1.mul_(3.0);
    assert_eq!(v(&v2), vec![6.0, 3.0]);
    v2.sum().backward();
    assert_eq!(v(&x.grad().unwrap()), vec![0.0, 3.0, 1.0]);
    x.zero_grad();
    // Writing a tensor that requires grad into a buffer that does not.
    let buf = Tensor::zeros(&[2, 3], DType::F64);
    buf.select(0, 1).copy_(&x);
    assert!(buf.requires_grad());
    buf.mul(&Tensor::from([[1.0f64, 1.0, 1.0], [1.0, 2.0, 3.0]]))
        .sum()
        .backward();
    assert_eq!(v(&x.grad().unwrap()), vec![1.0, 2.0, 3.0]);
    x.zero_grad();
    // A stepped view, then mul_ by a tensor that requires grad.
    let s2 = Tensor::from([2.0f64]).requires_grad_(true);
    let y = x.mul(1.0);
    y.i(s(..).step(2)).mul_(&s2);
    y.sum().backward();
    assert_eq!(v(&x.grad().unwrap()), vec![2.0, 1.0, 2.0]);
    assert_eq!(v(&s2.grad().unwrap()), vec![4.0]);
}

trait ExpChain {
    fn exp_like_chain(&self);
}
impl ExpChain for Tensor {
    /// y ← 2·exp(y), in place.
    fn exp_like_chain(&self) {
        let e = self.exp();
        self.copy_(&e);
        self.mul_(2.0);
    }
}

#[test]
fn hooks_on_leaves_and_intermediates() {
    let x = Tensor::from([1.0f32, 2.0]).requires_grad_(true);
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let h = x.register_hook(move |g| {
        s2.lock().unwrap().push(g.to_vec::<f32>());
        None
    });
    let y = x.mul(3.0);
    let h2 = y.register_hook(|g| Some(g.mul(10.0)));
    y.sum().backward();
    assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![30.0, 30.0]);
    assert_eq!(seen.lock().unwrap().as_slice(), &[vec![30.0f32, 30.0]]);
    h.remove();
    h2.remove();
    x.zero_grad();
    x.mul(3.0).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![3.0, 3.0]);
    assert_eq!(seen.lock().unwrap().len(), 1);
    // A hook on a leaf can replace the gradient stored in .grad.
    let w = Tensor::from([1.0f32]).requires_grad_(true);
    w.register_hook(|g| Some(g.clamp(-0.5, 0.5)));
    w.mul(4.0).backward();
    assert_eq!(w.grad().unwrap().item::<f32>(), 0.5);
    // retain_grad on an intermediate.
    let x = Tensor::from([2.0f32]).requires_grad_(true);
    let y = x.exp();
    y.retain_grad();
    y.mul(5.0).backward();
    assert_eq!(y.grad().unwrap().item::<f32>(), 5.0);
}

#[test]
fn anomaly_mode_names_the_op_and_line() {
    let x = Tensor::from([0.0f64, 1.0]).requires_grad_(true);
    let line = line!() + 1;
    let y = x.sqrt();
    let (msg, _) = {
        let _a = AnomalyGuard::new();
        panic_of(|| y.sum().backward())
    };
    assert!(msg.contains("`sqrt`"), "{msg}");
    assert!(msg.contains(&here(line)), "{msg}");
    assert!(msg.contains("NaN or infinite"), "{msg}");
    // Off: the same backward runs and leaves inf in .grad (PyTorch's behaviour).
    let y = x.sqrt();
    y.sum().backward();
    assert!(x.grad().unwrap().to_vec::<f64>()[0].is_infinite());
}

#[test]
fn shape_errors_point_at_the_users_line() {
    let a = Tensor::zeros(&[2, 3], DType::F32).requires_grad_(true);
    let b = Tensor::zeros(&[4], DType::F32);
    let line = line!() + 1;
    let (msg, loc) = panic_of(|| drop(a.add(&b)));
    assert_eq!(loc, here(line));
    assert!(msg.contains("[2, 3]") && msg.contains("[4]"), "{msg}");
    let (msg, loc) = panic_of(|| drop(a.matmul(&b)));
    assert_eq!(loc, here(line + 3));
    assert!(msg.contains("matmul"), "{msg}");
    let (msg, loc) = panic_of(|| drop(a.t().view(&[6])));
    assert_eq!(loc, here(line + 6));
    assert!(msg.contains("reshape"), "{msg}");
}

#[test]
fn graph_nodes_keep_their_creation_site() {
    let x = Tensor::from([1.0f32]).requires_grad_(true);
    let line = line!() + 1;
    let y = x.exp().mul(2.0);
    let f = y.grad_fn().unwrap();
    assert_eq!(f.name(), "mul");
    assert_eq!(f.location().line(), line);
    assert_eq!(f.location().file(), file!());
    assert_eq!(f.next_functions()[0].as_ref().unwrap().name(), "exp");
    assert_eq!(y.to_string(), "tensor([5.4366], grad_fn=<MulBackward>)");
}

#[test]
fn detach_and_requires_grad_rules() {
    let x = Tensor::from([1.0f32]).requires_grad_(true);
    let y = x.exp();
    let d = y.detach();
    assert!(!d.requires_grad() && d.data().shares_storage(y.data()));
    let (msg, _) = panic_of(|| drop(Tensor::from([1i64]).requires_grad_(true)));
    assert!(msg.contains("floating-point"), "{msg}");
    y.detach_();
    assert!(y.is_leaf() && !y.requires_grad());
}

struct ScaledSquare {
    scale: f64,
}

impl Function for ScaledSquare {
    fn forward(&self, ctx: &mut Context, inputs: &[Tensor]) -> Vec<Tensor> {
        let (x, w) = (&inputs[0], &inputs[1]);
        let y = x.mul(x).mul(w).mul(self.scale);
        ctx.save_for_backward(&[x, w, &y]);
        vec![y]
    }
    fn backward(&self, ctx: &Context, grads: &[Option<Tensor>]) -> Vec<Option<Tensor>> {
        let s = ctx.saved_tensors();
        let (x, w) = (&s[0], &s[1]);
        let g = grads[0].as_ref().unwrap();
        vec![
            ctx.needs_input_grad(0)
                .then(|| g.mul(x).mul(w).mul(2.0 * self.scale)),
            ctx.needs_input_grad(1)
                .then(|| g.mul(x).mul(x).mul(self.scale)),
        ]
    }
}

#[test]
fn custom_functions() {
    let x = Tensor::from([1.0f64, 2.0]).requires_grad_(true);
    let w = Tensor::from([3.0f64, 4.0]); // no grad: needs_input_grad(1) is false
    let y = ScaledSquare { scale: 0.5 }.apply(&[&x, &w]).remove(0);
    assert_eq!(v(&y), vec![1.5, 8.0]);
    assert_eq!(y.grad_fn().unwrap().name(), "ScaledSquare");
    y.sum().backward();
    assert_eq!(v(&x.grad().unwrap()), vec![3.0, 8.0]);
    // Gradchecked against central differences.
    let x = Tensor::randn(&[3], DType::F64).requires_grad_(true);
    let w = Tensor::randn(&[3], DType::F64).requires_grad_(true);
    ember_autograd::gradcheck(
        |t| ScaledSquare { scale: 1.5 }.apply(&[&t[0], &t[1]]),
        &[x, w],
        Default::default(),
    )
    .unwrap();
}

#[test]
fn tensors_are_send_and_sync_and_graphs_cross_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Tensor>();
    let x = Tensor::from([1.0f64, 2.0]).requires_grad_(true);
    let y = x.mul(&x).sum();
    std::thread::spawn(move || y.backward()).join().unwrap();
    assert_eq!(v(&x.grad().unwrap()), vec![2.0, 4.0]);
    // Several threads building and backpropagating graphs on shared parameters.
    let w = Tensor::from([1.0f64]).requires_grad_(true);
    let hs: Vec<_> = (0..4)
        .map(|_| {
            let w = w.clone();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    let g = grad(&[&w.mul(3.0).sum()], &[&w], None, false, false, false);
                    assert_eq!(g[0].as_ref().unwrap().item::<f64>(), 3.0);
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
}

#[test]
fn split_pieces_share_one_node_and_stay_views() {
    let x = Tensor::from([1.0f64, 2.0, 3.0, 4.0]).requires_grad_(true);
    let y = x.mul(1.0);
    let p = y.chunk(2, 0);
    // One node for both pieces (PyTorch's SplitBackward), one output slot each.
    assert!(p[0].to_string().contains("grad_fn=<SplitBackward>"));
    // In place through a piece writes into y and is seen by gradients through y and the piece.
    p[0].mul_(3.0);
    assert_eq!(v(&y), vec![3.0, 6.0, 3.0, 4.0]);
    y.sum().add(&p[1].sum()).add(&p[0].sum()).backward();
    // y = [3x0, 3x1, x2, x3]: d(sum y)/dx = [3, 3, 1, 1]; p1 adds [0, 0, 1, 1]; p0 adds [3, 3, 0, 0].
    assert_eq!(v(&x.grad().unwrap()), vec![6.0, 6.0, 2.0, 2.0]);

    // unbind: pieces without a gradient get zeros; second order flows through the single cat.
    let x = Tensor::from([[1.0f64, 2.0], [3.0, 4.0], [5.0, 6.0]]).requires_grad_(true);
    let rows = x.unbind(0);
    let s = rows[2].mul(&rows[2]).sum();
    let g = grad(&[&s], &[&x], None, true, true, false)[0]
        .clone()
        .unwrap();
    assert_eq!(v(&g), vec![0.0, 0.0, 0.0, 0.0, 10.0, 12.0]);
    let gg = grad(&[&g.sum()], &[&x], None, false, false, false)[0]
        .clone()
        .unwrap();
    assert_eq!(v(&gg), vec![0.0, 0.0, 0.0, 0.0, 2.0, 2.0]);
}
