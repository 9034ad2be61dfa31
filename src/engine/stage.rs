//! The [`Stage`] trait: a stage kind is a typed, serialisable parameter struct holding
//! everything its job may read — spec values, input files with their content hashes, the keys
//! of the upstream artifacts it reads (as named [`Dep`] fields) — and a `run` that turns those
//! parameters and the upstream outputs into one typed output. The key is derived from the
//! parameters alone ([`super::key::Key::of`]), so nothing a job reads can be missing from it,
//! and the same parameters can be run on any machine that sees the cache
//! (`gvc stage run KEY`). Each kind lives in one file under `engine/stages/` and has one row in
//! the stage table there.

use std::any::Any;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;

use serde::{de::DeserializeOwned, Deserialize, Deserializer, Serialize, Serializer};

use super::artifact::{Artifact, Produced};
use super::hashing::{FileHasher, HashError, InputFile};
use super::key::Key;
use super::stages::StageKind;
use super::StageError;

/// One stage kind.
pub trait Stage: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// Which row of the stage table this is.
    const KIND: StageKind;
    /// The implementation version: bump it when the same parameters would now produce other
    /// bytes, so old artifacts are not reused.
    const VERSION: u32;
    /// What the stage produces.
    type Output: Artifact;

    /// The upstream instances this one reads, by role (`table`, `inverse`, `year 2009`, …).
    fn deps(&self) -> Vec<(String, Key)>;

    /// Computes the output. Upstream outputs come from `ctx.get(&self.some_dep)`; input files
    /// are opened through `ctx.open(&self.some_file)`, which checks their bytes still match
    /// the parameters; large outputs may stream extra files into `ctx.dir()`.
    fn run(&self, ctx: &RunContext<'_>) -> Result<Produced<Self::Output>, StageError>;

    /// The key of these parameters.
    fn key(&self) -> Key {
        let params = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        Key::of(Self::KIND.name(), Self::VERSION, &params)
    }
}

/// The key of an upstream instance of kind `S`, as a named field of a parameter struct.
/// Serialises as the bare key.
pub struct Dep<S> {
    pub key: Key,
    kind: PhantomData<fn() -> S>,
}

impl<S: Stage> Dep<S> {
    /// The dependency on an instance with these parameters.
    pub fn on(upstream: &S) -> Self {
        Dep::from_key(upstream.key())
    }

    pub fn from_key(key: Key) -> Self {
        Dep {
            key,
            kind: PhantomData,
        }
    }

    /// The (role, key) entry for [`Stage::deps`].
    pub fn named(&self, role: impl Into<String>) -> (String, Key) {
        (role.into(), self.key.clone())
    }
}

impl<S> Clone for Dep<S> {
    fn clone(&self) -> Self {
        Dep {
            key: self.key.clone(),
            kind: PhantomData,
        }
    }
}

impl<S> std::fmt::Debug for Dep<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Dep({})", self.key)
    }
}

impl<S> PartialEq for Dep<S> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl<S> Serialize for Dep<S> {
    fn serialize<Se: Serializer>(&self, s: Se) -> Result<Se::Ok, Se::Error> {
        self.key.serialize(s)
    }
}

impl<'de, S> Deserialize<'de> for Dep<S> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Dep {
            key: Key::deserialize(d)?,
            kind: PhantomData,
        })
    }
}

/// Loads upstream outputs by kind and key (from memory or the cache).
pub trait Loader: Sync {
    fn load(&self, kind: StageKind, key: &Key) -> Result<Arc<dyn Any + Send + Sync>, StageError>;
}

/// What a running stage may use: its upstream outputs, its own artifact folder, and the file
/// hasher that verifies its inputs.
pub struct RunContext<'a> {
    pub(crate) loader: &'a dyn Loader,
    pub(crate) dir: &'a Path,
    pub(crate) hasher: &'a FileHasher,
}

impl RunContext<'_> {
    /// The output of an upstream instance.
    pub fn get<S: Stage>(&self, dep: &Dep<S>) -> Result<Arc<S::Output>, StageError> {
        let any = self.loader.load(S::KIND, &dep.key)?;
        any.downcast::<S::Output>()
            .map_err(|_| StageError::WrongArtifact {
                kind: S::KIND.name(),
                key: dep.key.clone(),
            })
    }

    /// The stage's own artifact folder (for outputs streamed to extra files).
    pub fn dir(&self) -> &Path {
        self.dir
    }

    /// The path of an input file after checking that it still holds the bytes the key was
    /// made with.
    pub fn open<'f>(&self, input: &'f InputFile) -> Result<&'f Path, HashError> {
        input.verify(self.hasher)
    }

    /// [`Self::open`] for every file of a list (a folder input); returns nothing, the caller
    /// reads the folder.
    pub fn open_all(&self, inputs: &[InputFile]) -> Result<(), HashError> {
        inputs.iter().try_for_each(|i| input_ok(i, self.hasher))
    }
}

fn input_ok(i: &InputFile, hasher: &FileHasher) -> Result<(), HashError> {
    i.verify(hasher).map(|_| ())
}
