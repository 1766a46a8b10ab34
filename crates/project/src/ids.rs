//! Typed indexes into the project's tables: a [`ResourceId`] indexes only
//! [`crate::model::Project::resources`], a [`FileId`] only its files, a [`TestId`] only its
//! tests, so one can never be used for another. [`IndexVec`] is a vector indexed by one of
//! them.

use serde::Serialize;
use std::marker::PhantomData;

/// A typed index.
pub trait Idx: Copy + Eq + std::hash::Hash + Ord {
    fn new(index: usize) -> Self;
    fn index(self) -> usize;
}

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(u32);

        impl Idx for $name {
            fn new(index: usize) -> Self {
                $name(u32::try_from(index).expect("fewer than 2^32 entries"))
            }
            fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl $name {
            pub fn new(index: usize) -> Self {
                <Self as Idx>::new(index)
            }
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id!(
    /// A resource (datasource, pipe, connection) of a project.
    ResourceId
);
id!(
    /// A datafile of a project.
    FileId
);
id!(
    /// A test file of a project.
    TestId
);
id!(
    /// A writer (materialized or copy node) of the analysis' migration model.
    WriterId
);

/// A node of the project: its pipe and its position among the pipe's nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct NodeId {
    pub pipe: ResourceId,
    pub index: usize,
}

impl NodeId {
    pub fn new(pipe: ResourceId, index: usize) -> NodeId {
        NodeId { pipe, index }
    }
}

/// A vector indexed by `I`.
#[derive(Clone, Debug)]
pub struct IndexVec<I: Idx, T> {
    raw: Vec<T>,
    _index: PhantomData<fn(&I)>,
}

impl<I: Idx, T> Default for IndexVec<I, T> {
    fn default() -> Self {
        IndexVec {
            raw: Vec::new(),
            _index: PhantomData,
        }
    }
}

impl<I: Idx, T> IndexVec<I, T> {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn with_capacity(n: usize) -> Self {
        IndexVec {
            raw: Vec::with_capacity(n),
            _index: PhantomData,
        }
    }
    /// Appends `value` and returns its index.
    pub fn push(&mut self, value: T) -> I {
        let i = I::new(self.raw.len());
        self.raw.push(value);
        i
    }
    pub fn len(&self) -> usize {
        self.raw.len()
    }
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }
    pub fn get(&self, i: I) -> Option<&T> {
        self.raw.get(i.index())
    }
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.raw.iter()
    }
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.raw.iter_mut()
    }
    /// Every entry with its index.
    pub fn iter_enumerated(&self) -> impl DoubleEndedIterator<Item = (I, &T)> + '_ {
        self.raw.iter().enumerate().map(|(i, t)| (I::new(i), t))
    }
    /// Every index.
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = I> + use<I, T> {
        (0..self.raw.len()).map(I::new)
    }
    pub fn as_slice(&self) -> &[T] {
        &self.raw
    }
}

impl<I: Idx, T> From<Vec<T>> for IndexVec<I, T> {
    fn from(raw: Vec<T>) -> Self {
        IndexVec {
            raw,
            _index: PhantomData,
        }
    }
}

impl<I: Idx, T> FromIterator<T> for IndexVec<I, T> {
    fn from_iter<It: IntoIterator<Item = T>>(iter: It) -> Self {
        Vec::from_iter(iter).into()
    }
}

impl<I: Idx, T> std::ops::Index<I> for IndexVec<I, T> {
    type Output = T;
    fn index(&self, i: I) -> &T {
        &self.raw[i.index()]
    }
}

impl<I: Idx, T> std::ops::IndexMut<I> for IndexVec<I, T> {
    fn index_mut(&mut self, i: I) -> &mut T {
        &mut self.raw[i.index()]
    }
}

impl<'a, I: Idx, T> IntoIterator for &'a IndexVec<I, T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.raw.iter()
    }
}

impl<'a, I: Idx, T> IntoIterator for &'a mut IndexVec<I, T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.raw.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_and_enumerates() {
        let mut v: IndexVec<ResourceId, &str> = IndexVec::new();
        let a = v.push("a");
        let b = v.push("b");
        assert_eq!((v[a], v[b]), ("a", "b"));
        assert_eq!(v.ids().collect::<Vec<_>>(), vec![a, b]);
        assert_eq!(v.iter_enumerated().last(), Some((b, &"b")));
        assert_eq!(serde_json::to_string(&b).unwrap(), "1");
    }
}
