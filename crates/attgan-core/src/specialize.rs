//! Backend-specific fast paths chosen at run time.
//!
//! The networks and the training code are generic over Burn's `Backend`; a few hot spots (the
//! optimizer's update, the convolutions' weight gradients) have a faster version for one concrete
//! backend. Rust has no specialization, so such code asks whether the generic type *is* the
//! concrete one ([`cast`], by `TypeId`) and otherwise takes the generic path unchanged.

use std::any::Any;

/// `value` as a `T`, or back unchanged when `A` is not `T` (how generic code finds its backend).
pub fn cast<A: 'static, T: 'static>(value: A) -> Result<T, A> {
    let mut slot = Some(value);
    match (&mut slot as &mut dyn Any).downcast_mut::<Option<T>>() {
        Some(cast) => Ok(cast.take().expect("filled above")),
        None => Err(slot.expect("not taken")),
    }
}
