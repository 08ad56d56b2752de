//! The one work queue of the binary: items handed to a few threads, results
//! kept in the items' order.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Up to `limit` threads, and no more than this machine's cores or the
/// items.
pub fn workers(limit: usize, items: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(limit)
        .min(items)
        .max(1)
}

/// Runs `f` on every item, on `workers` threads, and returns each item's
/// result in the items' order. With `stop_on_error`, an item not yet
/// started when one fails is never started: its slot is `None`.
pub fn map<'a, T, R, E>(
    items: &'a [T],
    workers: usize,
    stop_on_error: bool,
    f: impl Fn(&'a T) -> Result<R, E> + Sync,
) -> Vec<Option<Result<R, E>>>
where
    T: Sync,
    R: Send,
    E: Send,
{
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<R, E>>>> =
        Mutex::new(items.iter().map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..workers.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(item) = items.get(i) else { break };
                if stop_on_error && failed.load(Ordering::SeqCst) {
                    break;
                }
                let result = f(item);
                if result.is_err() {
                    failed.store(true, Ordering::SeqCst);
                }
                let mut slots = results
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if let Some(slot) = slots.get_mut(i) {
                    *slot = Some(result);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// [`map`], stopping at the first failure: every result, or the error of
/// the first item (in the items' order) that failed.
pub fn try_map<'a, T, R, E>(
    items: &'a [T],
    workers: usize,
    f: impl Fn(&'a T) -> Result<R, E> + Sync,
) -> Result<Vec<R>, E>
where
    T: Sync,
    R: Send,
    E: Send,
{
    let mut out = Vec::with_capacity(items.len());
    let mut first_error = None;
    for result in map(items, workers, true, f).into_iter().flatten() {
        match result {
            Ok(r) => out.push(r),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_items_order() {
        let items: Vec<u32> = (0..50).collect();
        let out = try_map(&items, 4, |i| Ok::<_, String>(i * 2)).expect("no item fails");
        assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn the_first_failure_in_order_is_returned_and_later_items_may_not_run() {
        let items: Vec<u32> = (0..20).collect();
        let err: Result<Vec<u32>, String> = try_map(&items, 1, |i| {
            if *i == 3 || *i == 7 {
                Err(format!("item {i}"))
            } else {
                Ok(*i)
            }
        });
        assert_eq!(err, Err("item 3".to_string()));
        // One worker stops after the failure: nothing after 3 ran.
        let ran = map(&items, 1, true, |i| if *i == 3 { Err(()) } else { Ok(()) });
        assert_eq!(ran.iter().filter(|r| r.is_some()).count(), 4);
        // Without stopping, everything runs.
        let ran = map(&items, 3, false, |i| if *i == 3 { Err(()) } else { Ok(()) });
        assert!(ran.iter().all(Option::is_some));
    }
}
