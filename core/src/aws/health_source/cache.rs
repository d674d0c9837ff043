//! [`OnceCache`]: the AWS source's caches of what rarely changes (task
//! definitions, target groups' load balancers), bounded by [`CACHE_LIMIT`].

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

/// Most entries a cache keeps before it starts over (task definitions pile up
/// with deploys; a restart clears them too).
pub(super) const CACHE_LIMIT: usize = 1024;

/// A map of values computed once per key, concurrent callers sharing the one
/// computation; a failed computation is retried by the next caller.
#[derive(Debug)]
pub(super) struct OnceCache<K, V> {
    cells: Mutex<HashMap<K, Arc<OnceCell<V>>>>,
}

impl<K, V> Default for OnceCache<K, V> {
    fn default() -> Self {
        Self {
            cells: Mutex::default(),
        }
    }
}

impl<K: Eq + Hash, V: Clone> OnceCache<K, V> {
    pub(super) async fn get_or_try_init<E, F, Fut>(&self, key: K, init: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
            if cells.len() >= CACHE_LIMIT && !cells.contains_key(&key) {
                cells.clear();
            }
            Arc::clone(cells.entry(key).or_default())
        };
        cell.get_or_try_init(init).await.cloned()
    }
}
