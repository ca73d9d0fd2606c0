//! [`TurnState`]: a type-keyed map that lives for one turn.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;

/// Values that live for one turn, one per type, so that middleware can hand data to the bot
/// (like `http::Extensions`).
///
/// Use a type of your own as the key, so that two components never collide:
///
/// ```
/// use botbuilder_core::TurnState;
///
/// #[derive(Debug, PartialEq)]
/// struct DetectedLanguage(&'static str);
///
/// let mut state = TurnState::default();
/// state.insert(DetectedLanguage("fr"));
/// assert_eq!(state.get::<DetectedLanguage>(), Some(&DetectedLanguage("fr")));
/// assert_eq!(state.remove::<DetectedLanguage>(), Some(DetectedLanguage("fr")));
/// assert!(state.get::<DetectedLanguage>().is_none());
/// ```
#[derive(Default)]
pub struct TurnState {
    map: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
}

impl TurnState {
    /// Stores a value, returning the previous value of the same type.
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: T) -> Option<T> {
        self.map
            .insert(TypeId::of::<T>(), Box::new(value))
            .and_then(|old| old.downcast::<T>().ok().map(|b| *b))
    }

    /// The value of type `T`, if any.
    #[must_use]
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.map
            .get(&TypeId::of::<T>())
            .and_then(|v| v.downcast_ref::<T>())
    }

    /// The value of type `T`, mutably, if any.
    pub fn get_mut<T: Send + Sync + 'static>(&mut self) -> Option<&mut T> {
        self.map
            .get_mut(&TypeId::of::<T>())
            .and_then(|v| v.downcast_mut::<T>())
    }

    /// The value of type `T`, inserting `f()` first when there is none.
    pub fn get_or_insert_with<T: Send + Sync + 'static>(
        &mut self,
        f: impl FnOnce() -> T,
    ) -> &mut T {
        let slot = self
            .map
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Box::new(f()));
        match slot.downcast_mut::<T>() {
            Some(value) => value,
            None => unreachable_type(),
        }
    }

    /// Removes and returns the value of type `T`.
    pub fn remove<T: Send + Sync + 'static>(&mut self) -> Option<T> {
        self.map
            .remove(&TypeId::of::<T>())
            .and_then(|v| v.downcast::<T>().ok().map(|b| *b))
    }

    /// Whether a value of type `T` is stored.
    #[must_use]
    pub fn contains<T: Send + Sync + 'static>(&self) -> bool {
        self.map.contains_key(&TypeId::of::<T>())
    }

    /// How many values are stored.
    #[must_use]
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing is stored.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cold]
fn unreachable_type() -> ! {
    // A value stored under T's TypeId is always a T (see `get_or_insert_with`).
    unreachable!("turn state holds a value of another type under this key")
}

impl fmt::Debug for TurnState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TurnState")
            .field("values", &self.map.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_per_type() {
        let mut s = TurnState::default();
        assert!(s.is_empty());
        assert_eq!(s.insert(1u32), None);
        assert_eq!(s.insert(2u32), Some(1));
        s.insert("text");
        assert_eq!(s.len(), 2);
        *s.get_mut::<u32>().unwrap() += 1;
        assert_eq!(s.get::<u32>(), Some(&3));
        assert_eq!(*s.get_or_insert_with(|| 9u64), 9);
        *s.get_or_insert_with(|| 0u64) += 1;
        assert_eq!(s.get::<u64>(), Some(&10));
        assert!(s.contains::<&str>());
        assert_eq!(s.remove::<&str>(), Some("text"));
        assert!(!s.contains::<&str>());
    }
}
