//! Random sampling: a seedable [`Generator`] and the ops that draw from it (`rand`, `randn`,
//! `randint`, `bernoulli`, `normal_`, `uniform_`, `randperm`, …).
//!
//! Every op draws from the process-wide default generator (seeded with [`manual_seed`]) and has
//! a `_with` variant taking an explicit `&mut Generator`. For in-place ops the `_with` goes
//! before the trailing underscore that marks them in place: `normal_with_`, `uniform_with_`,
//! `bernoulli_with_`.
//!
//! The generator is ChaCha8 (`rand_chacha`), whose output is fixed by its specification: the
//! same seed gives the same numbers on every platform and version. The numbers differ from
//! PyTorch's (which uses a Mersenne Twister); the distributions are the same.
//!
//! Why draws can run on several threads and still be reproducible: every element consumes a
//! fixed number of words of the ChaCha stream, so the block of elements `b*BLOCK..` starts at a
//! known stream position and any thread can jump there (`set_word_pos`). The result is the same
//! for any number of threads.

use std::sync::{LazyLock, Mutex};

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::Array;
use crate::dtype::{DType, Element};
use crate::strided::PAR_THRESHOLD_HEAVY as PAR_THRESHOLD;

/// PyTorch's default seed, used for the default generator until [`manual_seed`] is called (so
/// a fresh process is reproducible, as in PyTorch).
const DEFAULT_SEED: u64 = 67280421310721;

/// Elements per independently positioned block of the stream (even, so that Box-Muller pairs
/// never straddle two blocks).
const BLOCK: usize = 1 << 14;

/// A seedable source of random numbers (`torch.Generator`).
///
/// Cloning a generator copies its state: the clone produces the same numbers as the original.
///
/// ```
/// use ember_tensor::{Array, DType, Generator};
/// let mut g = Generator::new(42);
/// let a = Array::rand_with(&[3], DType::F32, &mut g);
/// let b = Array::rand_with(&[3], DType::F32, &mut Generator::new(42));
/// assert_eq!(a.to_vec::<f32>(), b.to_vec::<f32>());
/// ```
#[derive(Clone, Debug)]
pub struct Generator {
    rng: ChaCha8Rng,
    seed: u64,
}

impl Generator {
    /// A generator seeded with `seed`.
    ///
    /// ```
    /// let g = ember_tensor::Generator::new(7);
    /// assert_eq!(g.initial_seed(), 7);
    /// ```
    pub fn new(seed: u64) -> Generator {
        Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            seed,
        }
    }

    /// Restarts the generator from `seed` (`Generator.manual_seed`).
    ///
    /// ```
    /// use ember_tensor::{Array, DType, Generator};
    /// let mut g = Generator::new(1);
    /// let a = Array::randn_with(&[4], DType::F64, &mut g);
    /// g.manual_seed(1);
    /// assert_eq!(Array::randn_with(&[4], DType::F64, &mut g).to_vec::<f64>(), a.to_vec::<f64>());
    /// ```
    pub fn manual_seed(&mut self, seed: u64) {
        *self = Generator::new(seed);
    }

    /// The seed this generator was last started from (`Generator.initial_seed`).
    pub fn initial_seed(&self) -> u64 {
        self.seed
    }

    /// A snapshot of where this generator is in its stream (`Generator.get_state`): a
    /// generator given it with [`set_state`](Generator::set_state) draws the same numbers from
    /// then on. It is what a training checkpoint saves so that dropout and shuffling resume
    /// exactly.
    ///
    /// ```
    /// use ember_tensor::{Array, DType, Generator};
    /// let mut g = Generator::new(5);
    /// Array::rand_with(&[3], DType::F32, &mut g);
    /// let state = g.get_state();
    /// let a = Array::rand_with(&[4], DType::F32, &mut g);
    /// let mut h = Generator::new(0);
    /// h.set_state(&state);
    /// assert_eq!(Array::rand_with(&[4], DType::F32, &mut h).to_vec::<f32>(), a.to_vec::<f32>());
    /// ```
    pub fn get_state(&self) -> GeneratorState {
        GeneratorState {
            seed: self.seed,
            word_pos: self.rng.get_word_pos(),
        }
    }

    /// Moves this generator to `state` (`Generator.set_state`), taken from
    /// [`get_state`](Generator::get_state) of any generator.
    pub fn set_state(&mut self, state: &GeneratorState) {
        *self = Generator::new(state.seed);
        self.rng.set_word_pos(state.word_pos);
    }

    /// Fills `out`, where drawing `len` elements consumes exactly `words(len)` 32-bit words of
    /// the stream and `words(b * BLOCK)` is where block `b` starts. `draw` fills one block
    /// from a generator positioned at its start. Large fills run blocks on rayon's threads.
    fn fill<T: Send>(
        &mut self,
        out: &mut [T],
        words: impl Fn(usize) -> u128 + Sync,
        draw: impl Fn(&mut ChaCha8Rng, &mut [T]) + Sync,
    ) {
        let start = self.rng.get_word_pos();
        let n = out.len();
        if n < PAR_THRESHOLD || crate::threads::num_threads() == 1 {
            for block in out.chunks_mut(BLOCK) {
                draw(&mut self.rng, block);
            }
        } else {
            let base = &self.rng;
            out.par_chunks_mut(BLOCK)
                .enumerate()
                .for_each(|(b, block)| {
                    let mut rng = base.clone();
                    rng.set_word_pos(start + words(b * BLOCK));
                    draw(&mut rng, block);
                });
        }
        self.rng.set_word_pos(start + words(n));
    }
}

static DEFAULT: LazyLock<Mutex<Generator>> =
    LazyLock::new(|| Mutex::new(Generator::new(DEFAULT_SEED)));

/// Runs `f` with the process-wide default generator, which every random op without `_with`
/// draws from.
///
/// The default generator sits behind a mutex that each op locks once for its whole draw (not
/// per element). Ops called from several threads at once are serialised: each gets its own
/// piece of the stream, but which piece depends on the order the threads arrive in. For
/// reproducible results across threads, give each thread its own [`Generator`] and use the
/// `_with` variants.
///
/// ```
/// use ember_tensor::{Generator, with_default_generator};
/// ember_tensor::manual_seed(3);
/// // A child generator seeded from the default stream (e.g. for a data-loader worker).
/// let g = with_default_generator(|g| Generator::new(g.initial_seed() + 1));
/// assert_eq!(g.initial_seed(), 4);
/// ```
pub fn with_default_generator<R>(f: impl FnOnce(&mut Generator) -> R) -> R {
    // A panic inside `f` (an invalid argument) leaves the generator in a valid state.
    let mut g = DEFAULT.lock().unwrap_or_else(|e| e.into_inner());
    f(&mut g)
}

/// Seeds the process-wide default generator (`torch.manual_seed`): the random ops without
/// `_with` then produce the same numbers on every run.
///
/// ```
/// use ember_tensor::{Array, DType};
/// ember_tensor::manual_seed(0);
/// let a = Array::rand(&[2], DType::F32);
/// ember_tensor::manual_seed(0);
/// assert_eq!(Array::rand(&[2], DType::F32).to_vec::<f32>(), a.to_vec::<f32>());
/// ```
pub fn manual_seed(seed: u64) {
    with_default_generator(|g| g.manual_seed(seed));
}

/// The state of a [`Generator`]: its seed and its position in the ChaCha8 stream. Two
/// numbers fix it completely (the stream is a pure function of the seed), so it is small and
/// can be stored anywhere; [`to_bytes`](GeneratorState::to_bytes) gives the 24-byte form that
/// plays the role of `torch.get_rng_state()`'s byte tensor.
///
/// ```
/// let s = ember_tensor::GeneratorState { seed: 1, word_pos: 40 };
/// assert_eq!(ember_tensor::GeneratorState::from_bytes(&s.to_bytes()), s);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GeneratorState {
    /// The seed the stream was started from.
    pub seed: u64,
    /// How many 32-bit words of the stream have been drawn.
    pub word_pos: u128,
}

impl GeneratorState {
    /// Size of [`to_bytes`](GeneratorState::to_bytes)' result.
    pub const BYTES: usize = 24;

    /// Little-endian seed (8 bytes) then word position (16 bytes).
    pub fn to_bytes(&self) -> [u8; GeneratorState::BYTES] {
        let mut out = [0u8; GeneratorState::BYTES];
        out[..8].copy_from_slice(&self.seed.to_le_bytes());
        out[8..].copy_from_slice(&self.word_pos.to_le_bytes());
        out
    }

    /// The inverse of [`to_bytes`](GeneratorState::to_bytes).
    pub fn from_bytes(bytes: &[u8; GeneratorState::BYTES]) -> GeneratorState {
        let mut seed = [0u8; 8];
        let mut pos = [0u8; 16];
        seed.copy_from_slice(&bytes[..8]);
        pos.copy_from_slice(&bytes[8..]);
        GeneratorState {
            seed: u64::from_le_bytes(seed),
            word_pos: u128::from_le_bytes(pos),
        }
    }
}

/// The state of the process-wide default generator (`torch.get_rng_state`).
///
/// ```
/// use ember_tensor::{Array, DType};
/// let saved = ember_tensor::get_rng_state();
/// let a = Array::randn(&[3], DType::F64);
/// ember_tensor::set_rng_state(&saved);
/// assert_eq!(Array::randn(&[3], DType::F64).to_vec::<f64>(), a.to_vec::<f64>());
/// ```
pub fn get_rng_state() -> GeneratorState {
    with_default_generator(|g| g.get_state())
}

/// Moves the process-wide default generator to `state` (`torch.set_rng_state`).
pub fn set_rng_state(state: &GeneratorState) {
    with_default_generator(|g| g.set_state(state));
}

/// A uniform f64 in [0, 1) from 53 random bits (two words).
#[inline(always)]
fn unit_f64(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A uniform integer in `[0, range)` from one 64-bit draw (two words), by multiply-shift: the
/// bias is at most `range / 2^64`, far below anything a test can see, and the draw count is
/// fixed (no rejection loop), which block positioning needs.
#[inline(always)]
fn below(rng: &mut ChaCha8Rng, range: u64) -> u64 {
    ((rng.next_u64() as u128 * range as u128) >> 64) as u64
}

/// Floating element types that can be sampled, with their compute type.
trait FloatSample: Element {
    /// 32-bit stream words consumed by one uniform draw.
    const WORDS: u128;
    /// `low + span * u` for a uniform `u` in [0, 1) with this type's precision (so that
    /// `rand` never rounds up to 1).
    fn uniform(rng: &mut ChaCha8Rng, low: f64, span: f64) -> Self;
}

/// A uniform f32 in [0, 1) with `digits` random bits (one word).
#[inline(always)]
fn unit_f32(rng: &mut ChaCha8Rng, digits: u32) -> f32 {
    (rng.next_u32() >> (32 - digits)) as f32 * (1.0 / (1u64 << digits) as f32)
}

impl FloatSample for f64 {
    const WORDS: u128 = 2;
    #[inline(always)]
    fn uniform(rng: &mut ChaCha8Rng, low: f64, span: f64) -> f64 {
        low + span * unit_f64(rng)
    }
}
impl FloatSample for f32 {
    const WORDS: u128 = 1;
    #[inline(always)]
    fn uniform(rng: &mut ChaCha8Rng, low: f64, span: f64) -> f32 {
        low as f32 + span as f32 * unit_f32(rng, 24)
    }
}
impl FloatSample for half::f16 {
    const WORDS: u128 = 1;
    #[inline(always)]
    fn uniform(rng: &mut ChaCha8Rng, low: f64, span: f64) -> half::f16 {
        half::f16::from_f32(low as f32 + span as f32 * unit_f32(rng, 11))
    }
}
impl FloatSample for half::bf16 {
    const WORDS: u128 = 1;
    #[inline(always)]
    fn uniform(rng: &mut ChaCha8Rng, low: f64, span: f64) -> half::bf16 {
        half::bf16::from_f32(low as f32 + span as f32 * unit_f32(rng, 8))
    }
}

/// Runs `$body` with `$T` bound to the floating element type of `$dtype`, or panics naming the
/// op when the dtype is not floating.
macro_rules! dispatch_sample {
    ($op:expr, $dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            DType::F32 => {
                type $T = f32;
                $body
            }
            DType::F64 => {
                type $T = f64;
                $body
            }
            DType::F16 => {
                type $T = half::f16;
                $body
            }
            DType::BF16 => {
                type $T = half::bf16;
                $body
            }
            d => panic!(
                "{}: expected a floating dtype (float32, float64, float16, bfloat16), got {d} \
                 (use randint for integers)",
                $op
            ),
        }
    };
}

/// Fills `dst` in place with `out` produced by `fill`, through any (non-overlapping) layout:
/// a contiguous destination is filled directly in its storage, any other gets a contiguous
/// buffer written back in row-major order.
#[track_caller]
fn fill_in_place<T: Element>(dst: &Array, op: &str, fill: impl FnOnce(&mut [T])) {
    crate::ops::map::check_writable(op, dst);
    let n = dst.numel();
    if dst.is_contiguous() {
        let off = dst.storage_offset();
        dst.with_slice_mut(|s: &mut [T]| fill(&mut s[off..off + n]));
    } else {
        let mut buf = T::pool().take_uninit(n);
        fill(&mut buf);
        let src = Array::from_contiguous(buf, dst.shape());
        crate::ops::map::write_contiguous_into::<T>(dst, &src);
    }
}

/// The largest value every integer in `0..=v` of which `dtype` represents exactly.
fn max_exact(dtype: DType) -> u64 {
    match dtype {
        DType::Bool => 1,
        DType::U8 => u8::MAX as u64,
        DType::I32 => i32::MAX as u64,
        DType::I64 => i64::MAX as u64,
        DType::F16 => 1 << 11,
        DType::BF16 => 1 << 8,
        DType::F32 => 1 << 24,
        DType::F64 => 1 << 53,
    }
}

/// The range of values of `dtype` (for `randint`'s bounds check).
fn value_range(dtype: DType) -> (i128, i128) {
    match dtype {
        DType::Bool => (0, 1),
        DType::U8 => (0, u8::MAX as i128),
        DType::I32 => (i32::MIN as i128, i32::MAX as i128),
        _ => (i64::MIN as i128, i64::MAX as i128),
    }
}

impl Array {
    /// Samples uniform on [0, 1) of `shape` (`torch.rand`), from the default generator.
    ///
    /// # Panics
    /// If `dtype` is not floating.
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::rand(&[1000], DType::F32);
    /// assert!(a.to_vec::<f32>().iter().all(|&x| (0.0..1.0).contains(&x)));
    /// ```
    #[track_caller]
    pub fn rand(shape: &[usize], dtype: DType) -> Array {
        with_default_generator(|g| Array::rand_with(shape, dtype, g))
    }

    /// [`rand`](Array::rand) drawing from `generator`.
    ///
    /// # Panics
    /// If `dtype` is not floating.
    ///
    /// ```
    /// use ember_tensor::{Array, DType, Generator};
    /// let a = Array::rand_with(&[2, 2], DType::F64, &mut Generator::new(0));
    /// assert_eq!(a.shape(), &[2, 2]);
    /// ```
    #[track_caller]
    pub fn rand_with(shape: &[usize], dtype: DType, generator: &mut Generator) -> Array {
        let out = dispatch_sample!("rand", dtype, T => Array::empty(shape, T::DTYPE));
        out.uniform_with_(0.0, 1.0, generator);
        out
    }

    /// Samples from the standard normal distribution, of `shape` (`torch.randn`).
    ///
    /// # Panics
    /// If `dtype` is not floating.
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::randn(&[10_000], DType::F64);
    /// let mean = a.to_vec::<f64>().iter().sum::<f64>() / 10_000.0;
    /// assert!(mean.abs() < 0.05);
    /// ```
    #[track_caller]
    pub fn randn(shape: &[usize], dtype: DType) -> Array {
        with_default_generator(|g| Array::randn_with(shape, dtype, g))
    }

    /// [`randn`](Array::randn) drawing from `generator`.
    ///
    /// # Panics
    /// If `dtype` is not floating.
    ///
    /// ```
    /// use ember_tensor::{Array, DType, Generator};
    /// let a = Array::randn_with(&[3], DType::BF16, &mut Generator::new(0));
    /// assert_eq!(a.dtype(), DType::BF16);
    /// ```
    #[track_caller]
    pub fn randn_with(shape: &[usize], dtype: DType, generator: &mut Generator) -> Array {
        let out = dispatch_sample!("randn", dtype, T => Array::empty(shape, T::DTYPE));
        out.normal_with_(0.0, 1.0, generator);
        out
    }

    /// Samples uniform on [0, 1) in the shape and dtype of `self` (`torch.rand_like`).
    ///
    /// # Panics
    /// If `self` is not floating.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1.0f64, 2.0]]);
    /// assert_eq!(a.rand_like().shape(), &[1, 2]);
    /// ```
    #[track_caller]
    pub fn rand_like(&self) -> Array {
        Array::rand(self.shape(), self.dtype())
    }

    /// [`rand_like`](Array::rand_like) drawing from `generator`.
    ///
    /// # Panics
    /// If `self` is not floating.
    ///
    /// ```
    /// use ember_tensor::{Array, Generator};
    /// let a = Array::from([1.0f32, 2.0]).rand_like_with(&mut Generator::new(5));
    /// assert_eq!(a.numel(), 2);
    /// ```
    #[track_caller]
    pub fn rand_like_with(&self, generator: &mut Generator) -> Array {
        Array::rand_with(self.shape(), self.dtype(), generator)
    }

    /// Standard normal samples in the shape and dtype of `self` (`torch.randn_like`).
    ///
    /// # Panics
    /// If `self` is not floating.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1.0f32, 2.0, 3.0]);
    /// assert_eq!(a.randn_like().dtype(), ember_tensor::DType::F32);
    /// ```
    #[track_caller]
    pub fn randn_like(&self) -> Array {
        Array::randn(self.shape(), self.dtype())
    }

    /// [`randn_like`](Array::randn_like) drawing from `generator`.
    ///
    /// # Panics
    /// If `self` is not floating.
    ///
    /// ```
    /// use ember_tensor::{Array, Generator};
    /// let a = Array::from([1.0f64]).randn_like_with(&mut Generator::new(5));
    /// assert!(a.item::<f64>().is_finite());
    /// ```
    #[track_caller]
    pub fn randn_like_with(&self, generator: &mut Generator) -> Array {
        Array::randn_with(self.shape(), self.dtype(), generator)
    }

    /// Fills `self` in place with samples uniform on [`low`, `high`) (`Tensor.uniform_`),
    /// through views, in row-major order. Returns `self` for chaining.
    ///
    /// Sampling happens in the dtype's precision (f16 and bf16 in f32, rounded once), so with
    /// low precision a value may round up to `high`.
    ///
    /// # Panics
    /// If `self` is not floating, if `low > high`, or if `self` is an expanded view.
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let w = Array::zeros(&[4, 3], DType::F32);
    /// w.t().uniform_(-0.5, 0.5);             // writes through the transposed view
    /// assert!(w.to_vec::<f32>().iter().all(|&x| (-0.5..0.5).contains(&x)));
    /// ```
    #[track_caller]
    pub fn uniform_(&self, low: f64, high: f64) -> &Array {
        with_default_generator(|g| self.uniform_with_(low, high, g))
    }

    /// [`uniform_`](Array::uniform_) drawing from `generator`.
    ///
    /// # Panics
    /// If `self` is not floating, if `low > high`, or if `self` is an expanded view.
    ///
    /// ```
    /// use ember_tensor::{Array, DType, Generator};
    /// let a = Array::zeros(&[3], DType::F64);
    /// a.uniform_with_(2.0, 3.0, &mut Generator::new(9));
    /// assert!(a.to_vec::<f64>().iter().all(|&x| (2.0..3.0).contains(&x)));
    /// ```
    #[track_caller]
    pub fn uniform_with_(&self, low: f64, high: f64, generator: &mut Generator) -> &Array {
        assert!(
            low <= high,
            "uniform_: expects to return a [low, high) range, but found low={low} > high={high}"
        );
        dispatch_sample!("uniform_", self.dtype(), T => {
            fill_in_place(self, "uniform_", |out: &mut [T]| {
                generator.fill(out, |n| n as u128 * T::WORDS, |rng, block| {
                    for v in block.iter_mut() {
                        *v = T::uniform(rng, low, high - low);
                    }
                });
            })
        });
        self
    }

    /// Fills `self` in place with samples from the normal distribution of `mean` and standard
    /// deviation `std` (`Tensor.normal_`), through views, in row-major order. Returns `self`.
    ///
    /// Samples come from the Box-Muller transform of 53-bit uniforms, computed in f64.
    ///
    /// # Panics
    /// If `self` is not floating, if `std < 0`, or if `self` is an expanded view.
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::zeros(&[20_000], DType::F32);
    /// a.normal_(3.0, 0.5);
    /// let v = a.to_vec::<f32>();
    /// let mean = v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
    /// assert!((mean - 3.0).abs() < 0.02);
    /// ```
    #[track_caller]
    pub fn normal_(&self, mean: f64, std: f64) -> &Array {
        with_default_generator(|g| self.normal_with_(mean, std, g))
    }

    /// [`normal_`](Array::normal_) drawing from `generator`.
    ///
    /// # Panics
    /// If `self` is not floating, if `std < 0`, or if `self` is an expanded view.
    ///
    /// ```
    /// use ember_tensor::{Array, DType, Generator};
    /// let a = Array::zeros(&[2], DType::F16);
    /// a.normal_with_(0.0, 0.0, &mut Generator::new(1));   // std 0: every sample is the mean
    /// assert_eq!(a.to_vec::<ember_tensor::f16>(), vec![ember_tensor::f16::ZERO; 2]);
    /// ```
    #[track_caller]
    pub fn normal_with_(&self, mean: f64, std: f64, generator: &mut Generator) -> &Array {
        assert!(
            std >= 0.0,
            "normal_: expects std >= 0.0, but found std {std}"
        );
        dispatch_sample!("normal_", self.dtype(), T => {
            fill_in_place(self, "normal_", |out: &mut [T]| {
                // Two 53-bit uniforms (4 words) per pair of samples; an odd tail uses a whole
                // pair, so the stream position after `n` samples is 4 * ceil(n / 2).
                let words = |n: usize| n.div_ceil(2) as u128 * 4;
                generator.fill(out, words, |rng, block| {
                    let mut pairs = block.chunks_mut(2);
                    for pair in &mut pairs {
                        // 1 - u lies in (0, 1]: its log is finite.
                        let u1 = 1.0 - unit_f64(rng);
                        let u2 = unit_f64(rng);
                        let r = (-2.0 * u1.ln()).sqrt();
                        let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
                        pair[0] = T::from_f64(mean + std * r * c);
                        if let Some(v) = pair.get_mut(1) {
                            *v = T::from_f64(mean + std * r * s);
                        }
                    }
                });
            })
        });
        self
    }

    /// Samples 0 or 1 with probability of 1 given by `self` (`torch.bernoulli`): the result
    /// has `self`'s shape and dtype and is contiguous.
    ///
    /// # Panics
    /// If `self` is not floating, or a probability is outside [0, 1] (or NaN).
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let p = Array::from([0.0f32, 1.0, 1.0, 0.0]);
    /// assert_eq!(p.bernoulli().to_vec::<f32>(), vec![0.0, 1.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn bernoulli(&self) -> Array {
        with_default_generator(|g| self.bernoulli_with(g))
    }

    /// [`bernoulli`](Array::bernoulli) drawing from `generator`.
    ///
    /// # Panics
    /// If `self` is not floating, or a probability is outside [0, 1] (or NaN).
    ///
    /// ```
    /// use ember_tensor::{Array, DType, Generator};
    /// let p = Array::full(&[1000], 0.25, DType::F64);
    /// let n = p.bernoulli_with(&mut Generator::new(3)).to_vec::<f64>().iter().sum::<f64>();
    /// assert!((n - 250.0).abs() < 50.0);
    /// ```
    #[track_caller]
    pub fn bernoulli_with(&self, generator: &mut Generator) -> Array {
        let dtype = self.dtype();
        let mut u = f64::pool().take_uninit(self.numel());
        dispatch_sample!("bernoulli", dtype, T => {
            generator.fill(&mut u, |n| n as u128 * 2, |rng, block| {
                for v in block.iter_mut() {
                    *v = unit_f64(rng);
                }
            });
            let u = Array::from_contiguous(u, self.shape());
            let bad = std::sync::atomic::AtomicBool::new(false);
            let out = crate::ops::map::map2::<T, f64, T>(self, &u, "bernoulli", |p, u| {
                let p = p.to_f64();
                if !(0.0..=1.0).contains(&p) {
                    bad.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                if u < p { T::ONE } else { T::ZERO }
            });
            assert!(
                !bad.into_inner(),
                "bernoulli: every probability must be in [0, 1], but the array of shape {:?} \
                 holds a value outside (or NaN)",
                self.shape()
            );
            out
        })
    }

    /// Fills `self` in place with 1 (probability `p`) or 0 (`Tensor.bernoulli_` with a scalar
    /// probability), through views. Any dtype. Returns `self`.
    ///
    /// # Panics
    /// If `p` is outside [0, 1], or `self` is an expanded view.
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// // A dropout mask that keeps 80% of the elements.
    /// let mask = Array::empty(&[10_000], DType::Bool);
    /// mask.bernoulli_(0.8);
    /// let kept = mask.to_vec::<bool>().iter().filter(|&&k| k).count();
    /// assert!((kept as f64 / 10_000.0 - 0.8).abs() < 0.03);
    /// ```
    #[track_caller]
    pub fn bernoulli_(&self, p: f64) -> &Array {
        with_default_generator(|g| self.bernoulli_with_(p, g))
    }

    /// [`bernoulli_`](Array::bernoulli_) drawing from `generator`.
    ///
    /// # Panics
    /// If `p` is outside [0, 1], or `self` is an expanded view.
    ///
    /// ```
    /// use ember_tensor::{Array, DType, Generator};
    /// let a = Array::zeros(&[3], DType::I64);
    /// a.bernoulli_with_(1.0, &mut Generator::new(0));
    /// assert_eq!(a.to_vec::<i64>(), vec![1, 1, 1]);
    /// ```
    #[track_caller]
    pub fn bernoulli_with_(&self, p: f64, generator: &mut Generator) -> &Array {
        assert!(
            (0.0..=1.0).contains(&p),
            "bernoulli_: expects 0 <= p <= 1, but got p={p}"
        );
        crate::dispatch!(self.dtype(), T => {
            fill_in_place(self, "bernoulli_", |out: &mut [T]| {
                generator.fill(out, |n| n as u128 * 2, |rng, block| {
                    for v in block.iter_mut() {
                        *v = if unit_f64(rng) < p { T::ONE } else { T::ZERO };
                    }
                });
            })
        });
        self
    }

    /// Integers uniform on [`low`, `high`) of `shape` (`torch.randint`). Any dtype that holds
    /// the range (floats hold the integer values).
    ///
    /// # Panics
    /// If `low >= high`, or the range does not fit the dtype (e.g. `high > 256` for uint8).
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::randint(-3, 3, &[1000], DType::I64);
    /// assert!(a.to_vec::<i64>().iter().all(|&x| (-3..3).contains(&x)));
    /// ```
    #[track_caller]
    pub fn randint(low: i64, high: i64, shape: &[usize], dtype: DType) -> Array {
        with_default_generator(|g| Array::randint_with(low, high, shape, dtype, g))
    }

    /// [`randint`](Array::randint) drawing from `generator`.
    ///
    /// # Panics
    /// If `low >= high`, or the range does not fit the dtype (e.g. `high > 256` for uint8).
    ///
    /// ```
    /// use ember_tensor::{Array, DType, Generator};
    /// let a = Array::randint_with(0, 256, &[4], DType::U8, &mut Generator::new(2));
    /// assert_eq!(a.dtype(), DType::U8);
    /// ```
    #[track_caller]
    pub fn randint_with(
        low: i64,
        high: i64,
        shape: &[usize],
        dtype: DType,
        generator: &mut Generator,
    ) -> Array {
        assert!(
            low < high,
            "randint: expects low < high, but got low={low} >= high={high}"
        );
        let (min, max) = value_range(dtype);
        assert!(
            low as i128 >= min && high as i128 - 1 <= max,
            "randint: the range [{low}, {high}) does not fit dtype {dtype} (values {min}..={max})"
        );
        let range = (high as i128 - low as i128) as u64;
        crate::dispatch!(dtype, T => {
            let mut out = T::pool().take_uninit(shape.iter().product());
            generator.fill(&mut out, |n| n as u128 * 2, |rng, block| {
                for v in block.iter_mut() {
                    *v = T::from_i64(low.wrapping_add(below(rng, range) as i64));
                }
            });
            Array::from_contiguous(out, shape)
        })
    }

    /// A random permutation of `0..n` (`torch.randperm`), 1-d of length `n`.
    ///
    /// # Panics
    /// If `dtype` cannot hold every value of `0..n` exactly (e.g. `n > 256` for uint8,
    /// `n > 2049` for float16).
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let mut p = Array::randperm(5, DType::I64).to_vec::<i64>();
    /// p.sort();
    /// assert_eq!(p, vec![0, 1, 2, 3, 4]);
    /// ```
    #[track_caller]
    pub fn randperm(n: usize, dtype: DType) -> Array {
        with_default_generator(|g| Array::randperm_with(n, dtype, g))
    }

    /// [`randperm`](Array::randperm) drawing from `generator`.
    ///
    /// # Panics
    /// If `dtype` cannot hold every value of `0..n` exactly.
    ///
    /// ```
    /// use ember_tensor::{Array, DType, Generator};
    /// let a = Array::randperm_with(3, DType::F32, &mut Generator::new(4));
    /// assert_eq!(a.shape(), &[3]);
    /// ```
    #[track_caller]
    pub fn randperm_with(n: usize, dtype: DType, generator: &mut Generator) -> Array {
        let max = max_exact(dtype);
        assert!(
            n == 0 || (n - 1) as u64 <= max,
            "randperm: n={n} is too large for dtype {dtype} (it holds 0..={max} exactly)"
        );
        crate::dispatch!(dtype, T => {
            let mut v: Vec<T> = (0..n).map(|i| T::from_i64(i as i64)).collect();
            // Fisher-Yates: position i takes a uniformly chosen element of i..n.
            let rng = &mut generator.rng;
            for i in 0..n.saturating_sub(1) {
                let j = i + below(rng, (n - i) as u64) as usize;
                v.swap(i, j);
            }
            Array::from_contiguous(v, &[n])
        })
    }
}
