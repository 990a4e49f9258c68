//! Progress bars for training loops, over [`indicatif`]: epoch, batch `i/n`, a message (loss,
//! metrics), rate and ETA. Nothing is drawn when stderr is not a terminal (CI, logs, pipes).
//!
//! ```
//! use ember_autograd::Tensor;
//! use ember_data::{DataLoader, TensorDataset, progress::Progress};
//! let ds = TensorDataset::new(vec![Tensor::from_vec(vec![1.0f32; 8], &[8])]);
//! let loader = DataLoader::builder(ds).batch_size(2).build();
//! for epoch in 0..2 {
//!     let bar = Progress::new(loader.len()).epoch(epoch);
//!     for batch in bar.wrap(loader.iter()) {
//!         let loss = batch.unwrap()[0].sum().item::<f32>();
//!         bar.set_message(format!("loss {loss:.3}"));
//!     }
//!     bar.finish();
//! }
//! ```

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar for one pass over `len` batches. Cheap to clone (clones share the bar).
///
/// ```
/// let bar = ember_data::progress::Progress::new(10);
/// bar.inc(3);
/// assert_eq!(bar.position(), 3);
/// ```
#[derive(Clone)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar for `len` steps, drawn on stderr if it is a terminal and hidden otherwise.
    ///
    /// ```
    /// let bar = ember_data::progress::Progress::new(5);
    /// if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
    ///     assert!(bar.is_hidden());
    /// }
    /// ```
    pub fn new(len: usize) -> Progress {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(len as u64), target);
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix}{bar:30} {pos}/{len} [{elapsed_precise}<{eta_precise}, {per_sec}] {msg}",
            )
            .expect("a valid template"),
        );
        Progress { bar }
    }

    /// Labels the bar `epoch N`.
    ///
    /// ```
    /// let _ = ember_data::progress::Progress::new(5).epoch(2);
    /// ```
    pub fn epoch(self, epoch: usize) -> Progress {
        self.bar.set_prefix(format!("epoch {epoch} "));
        self
    }

    /// Wraps an iterator so that each item advances the bar.
    ///
    /// ```
    /// let bar = ember_data::progress::Progress::new(3);
    /// assert_eq!(bar.wrap(0..3).sum::<i32>(), 3);
    /// assert_eq!(bar.position(), 3);
    /// ```
    pub fn wrap<I: Iterator>(&self, iter: I) -> ProgressIter<I> {
        ProgressIter {
            iter,
            bar: self.bar.clone(),
        }
    }

    /// Sets the message shown after the bar (e.g. the running loss).
    ///
    /// ```
    /// ember_data::progress::Progress::new(1).set_message("loss 0.25");
    /// ```
    pub fn set_message(&self, message: impl Into<String>) {
        self.bar.set_message(message.into());
    }

    /// Advances by `n` steps.
    ///
    /// ```
    /// let bar = ember_data::progress::Progress::new(4);
    /// bar.inc(4);
    /// assert_eq!(bar.position(), 4);
    /// ```
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Steps done so far.
    ///
    /// ```
    /// assert_eq!(ember_data::progress::Progress::new(4).position(), 0);
    /// ```
    pub fn position(&self) -> u64 {
        self.bar.position()
    }

    /// Whether nothing is drawn.
    ///
    /// ```
    /// let _ = ember_data::progress::Progress::new(4).is_hidden();
    /// ```
    pub fn is_hidden(&self) -> bool {
        self.bar.is_hidden()
    }

    /// Leaves the finished bar on screen.
    ///
    /// ```
    /// ember_data::progress::Progress::new(0).finish();
    /// ```
    pub fn finish(&self) {
        self.bar.finish();
    }
}

/// An iterator that advances a [`Progress`] bar; see [`Progress::wrap`].
///
/// ```
/// let bar = ember_data::progress::Progress::new(2);
/// let it: ember_data::progress::ProgressIter<_> = bar.wrap(vec![1, 2].into_iter());
/// assert_eq!(it.count(), 2);
/// ```
pub struct ProgressIter<I> {
    iter: I,
    bar: ProgressBar,
}

impl<I: Iterator> Iterator for ProgressIter<I> {
    type Item = I::Item;
    fn next(&mut self) -> Option<I::Item> {
        let item = self.iter.next();
        if item.is_some() {
            self.bar.inc(1);
        }
        item
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.iter.size_hint()
    }
}
