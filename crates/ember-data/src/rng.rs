//! The per-sample random generator that random transforms draw from.

use std::cell::RefCell;

use ember_autograd::Generator;

/// The seed of the sample generator outside a [`DataLoader`](crate::DataLoader) (each thread
/// starts from it).
pub const DEFAULT_SAMPLE_SEED: u64 = 0x5EED_DA7A;

thread_local! {
    static SAMPLE_RNG: RefCell<Generator> = RefCell::new(Generator::new(DEFAULT_SAMPLE_SEED));
}

/// Runs `f` with this thread's sample generator.
///
/// A [`DataLoader`](crate::DataLoader) reseeds it with [`sample_seed`]`(seed, epoch, position)`
/// before it fetches each sample, on whichever thread fetches it, so a random transform that
/// draws from here gives the same result whatever the number of workers.
///
/// ```
/// use ember_autograd::{Array, DType};
/// use ember_data::{seed_sample_rng, with_sample_rng};
/// seed_sample_rng(5);
/// let a = with_sample_rng(|g| Array::rand_with(&[2], DType::F64, g).to_vec::<f64>());
/// seed_sample_rng(5);
/// let b = with_sample_rng(|g| Array::rand_with(&[2], DType::F64, g).to_vec::<f64>());
/// assert_eq!(a, b);
/// ```
pub fn with_sample_rng<R>(f: impl FnOnce(&mut Generator) -> R) -> R {
    SAMPLE_RNG.with(|g| f(&mut g.borrow_mut()))
}

/// Restarts this thread's sample generator from `seed`.
///
/// ```
/// ember_data::seed_sample_rng(1);
/// assert_eq!(ember_data::with_sample_rng(|g| g.initial_seed()), 1);
/// ```
pub fn seed_sample_rng(seed: u64) {
    SAMPLE_RNG.with(|g| *g.borrow_mut() = Generator::new(seed));
}

/// SplitMix64's finaliser: a well-mixed 64-bit hash.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed a loader gives the sample generator for the sample at `position` (its place in the
/// epoch's order) of `epoch`, for a loader seeded with `seed`.
///
/// ```
/// use ember_data::sample_seed;
/// assert_eq!(sample_seed(1, 0, 3), sample_seed(1, 0, 3));
/// assert_ne!(sample_seed(1, 0, 3), sample_seed(1, 1, 3));
/// assert_ne!(sample_seed(1, 0, 3), sample_seed(1, 0, 4));
/// ```
pub fn sample_seed(seed: u64, epoch: u64, position: u64) -> u64 {
    mix(mix(mix(seed) ^ epoch) ^ position.wrapping_mul(0xA24B_AED4_963E_E407))
}

/// A uniform draw in [0, 1) from the sample generator.
pub(crate) fn uniform() -> f64 {
    with_sample_rng(|g| {
        ember_autograd::Array::rand_with(&[1], ember_autograd::DType::F64, g).item::<f64>()
    })
}

/// A uniform integer in `[0, n]` from the sample generator.
pub(crate) fn int_inclusive(n: usize) -> usize {
    with_sample_rng(|g| {
        ember_autograd::Array::randint_with(0, n as i64 + 1, &[1], ember_autograd::DType::I64, g)
            .item::<i64>() as usize
    })
}
