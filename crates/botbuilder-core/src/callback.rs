//! The glue that lets async closures serve as bots, proactive logic, hooks and error handlers.
//!
//! Everything in this SDK that takes a function takes an async closure:
//!
//! ```
//! use botbuilder_core::bot_fn;
//!
//! let echo = bot_fn(async |ctx| {
//!     let text = ctx.activity().text().to_owned();
//!     ctx.send_activity(text).await?;
//!     Ok(())
//! });
//! # let _ = echo;
//! ```
//!
//! Stable Rust cannot yet say "the future an `AsyncFnOnce` returns is `Send`" (that needs
//! return-type notation), and a turn's future must be `Send` to run on a multi-threaded
//! runtime. The traits here close that gap: each is implemented for every closure whose call
//! returns a `Send` future, so a bound such as
//! `F: AsyncFnOnce(&mut TurnContext) -> TurnResult + for<'a> Call1<'a, &'a mut TurnContext, TurnResult>`
//! accepts exactly the async closures whose futures are `Send` — the `AsyncFnOnce` part lets
//! the compiler infer the closure's argument types. You never implement or name these traits;
//! a closure that holds something that is not `Send` across an `.await` (an `Rc`, a
//! `std::sync::MutexGuard`) is refused with an error that names them.
//!
//! Reusable callbacks ([`bot_fn`](crate::bot_fn), hooks, error handlers) are cloned for each
//! call, then called once: their captures must be `Clone` (capture an `Arc` of anything
//! large), and the future owns its copy, so it may use the captures across `.await`s freely.

use std::future::Future;

use crate::BoxFuture;

/// A function of one argument whose call returns a `Send` future; see the
/// [module docs](self).
pub trait Call1<'a, A, T>: Send {
    /// Calls the function and boxes its future.
    fn call_boxed(self, a: A) -> BoxFuture<'a, T>;
}

impl<'a, F, A, Fut, T> Call1<'a, A, T> for F
where
    F: FnOnce(A) -> Fut + Send,
    Fut: Future<Output = T> + Send + 'a,
{
    fn call_boxed(self, a: A) -> BoxFuture<'a, T> {
        Box::pin(self(a))
    }
}

/// A function of two arguments whose call returns a `Send` future; see the
/// [module docs](self).
pub trait Call2<'a, A, B, T>: Send {
    /// Calls the function and boxes its future.
    fn call_boxed(self, a: A, b: B) -> BoxFuture<'a, T>;
}

impl<'a, F, A, B, Fut, T> Call2<'a, A, B, T> for F
where
    F: FnOnce(A, B) -> Fut + Send,
    Fut: Future<Output = T> + Send + 'a,
{
    fn call_boxed(self, a: A, b: B) -> BoxFuture<'a, T> {
        Box::pin(self(a, b))
    }
}

/// A function of three arguments whose call returns a `Send` future; see the
/// [module docs](self).
pub trait Call3<'a, A, B, C, T>: Send {
    /// Calls the function and boxes its future.
    fn call_boxed(self, a: A, b: B, c: C) -> BoxFuture<'a, T>;
}

impl<'a, F, A, B, C, Fut, T> Call3<'a, A, B, C, T> for F
where
    F: FnOnce(A, B, C) -> Fut + Send,
    Fut: Future<Output = T> + Send + 'a,
{
    fn call_boxed(self, a: A, b: B, c: C) -> BoxFuture<'a, T> {
        Box::pin(self(a, b, c))
    }
}
