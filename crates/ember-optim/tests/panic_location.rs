//! Programming errors are reported at the caller's line (`#[track_caller]`). One test in its
//! own binary, because it installs a process-wide panic hook.

use std::sync::{Arc, Mutex};

use ember_autograd::Tensor;
use ember_optim::{Optimizer, ParamGroup, Sgd, SgdOptions};

#[test]
fn panics_point_at_the_callers_line() {
    let seen: Arc<Mutex<Vec<(String, u32)>>> = Arc::default();
    let s = seen.clone();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(l) = info.location() {
            s.lock().unwrap().push((l.file().to_string(), l.line()));
        }
    }));
    let w = Tensor::from([1.0f32]).requires_grad_(true);
    let line_new = line!() + 2;
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Sgd::new(
            vec![
                ParamGroup::new(vec![w.clone()]),
                ParamGroup::new(vec![w.clone()]),
            ],
            SgdOptions::default(),
        )
    }));
    assert!(r.is_err());
    let mut opt = Sgd::new(vec![w.clone()], SgdOptions::default());
    let line_add = line!() + 2;
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        opt.add_param_group(ParamGroup::new(vec![w.clone()]))
    }));
    assert!(r.is_err());
    let line_lr = line!() + 2;
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        opt.add_param_group(ParamGroup::new(vec![Tensor::from([1.0f32])]).with_lr(-1.0))
    }));
    assert!(r.is_err());
    let _ = std::panic::take_hook();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "{seen:?}");
    for ((file, line), want) in seen.iter().zip([line_new, line_add, line_lr]) {
        assert!(file.ends_with("panic_location.rs"), "{file}:{line}");
        assert_eq!(*line, want, "{file}");
    }
}
