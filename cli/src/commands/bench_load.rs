//! A runtime of its own, on one thread, for a benchmark's timed load.
//!
//! The load generator shares the machine's cores with the services it measures. On the
//! command's multi-threaded runtime its calls are handed between worker threads (an answer
//! wakes a task another thread may run), and each hand-over is a wake-up and a context
//! switch, paid in CPU the services do not get. Every timed phase of `bench registry` runs
//! on one thread: during the proven reads its load generator then takes ~0.5 of a core
//! instead of ~0.7 and the reads are faster; during the writes ~0.11 instead of ~0.15, and
//! the validators commit more. So do the timed calls of `bench verifier`: ~0.25 of a core
//! instead of ~0.36, and the verifier verifies more presentations a second
//! (docs/PERFORMANCE.md).

use std::future::Future;

use crate::error::CliError;

/// Runs the future `load` makes on a current-thread runtime on a thread of its own, and
/// gives back its result. Whatever the load connects must be connected inside `load`: a
/// client made on another runtime keeps its connection's tasks there.
pub async fn on_one_thread<T, Fut>(
    load: impl FnOnce() -> Fut + Send + 'static,
) -> Result<T, CliError>
where
    T: Send + 'static,
    Fut: Future<Output = Result<T, CliError>>,
{
    let (answer, result) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("bench-load".into())
        .spawn(move || {
            let outcome = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|source| CliError::Io {
                    path: "the load generator's runtime".into(),
                    source,
                })
                .and_then(|runtime| runtime.block_on(load()));
            // The caller may have given up waiting; the load's result then goes nowhere.
            let _ = answer.send(outcome);
        })
        .map_err(|source| CliError::Io {
            path: "the load generator's thread".into(),
            source,
        })?;
    result
        .await
        .map_err(|_| CliError::Refused("the load generator's thread panicked".into()))?
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests: a panic is a failure report

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_load_runs_on_one_thread_of_its_own() {
        let name = || std::thread::current().name().map(str::to_owned);
        let caller = name();
        // The load and every task it spawns run on the one thread made for it: on a
        // multi-threaded runtime they would run on its workers ("tokio-runtime-worker").
        let threads = on_one_thread(move || async move {
            let spawned = (0..8)
                .map(|_| tokio::spawn(async move { name() }))
                .collect::<Vec<_>>();
            let mut seen = vec![name()];
            for task in spawned {
                seen.push(task.await.map_err(|e| CliError::Refused(e.to_string()))?);
            }
            Ok(seen)
        })
        .await
        .unwrap();
        assert_ne!(caller.as_deref(), Some("bench-load"));
        assert!(
            threads.iter().all(|t| t.as_deref() == Some("bench-load")),
            "{threads:?}"
        );
    }

    #[tokio::test]
    async fn its_error_and_its_panic_reach_the_caller() {
        let refused = on_one_thread(|| async { Err::<(), _>(CliError::Refused("no".into())) })
            .await
            .unwrap_err();
        assert_eq!(
            refused.to_string(),
            CliError::Refused("no".into()).to_string()
        );
        let panicked = on_one_thread(|| async {
            if true {
                panic!("the load broke");
            }
            Ok(())
        })
        .await
        .unwrap_err();
        assert!(panicked.to_string().contains("panicked"), "{panicked}");
    }
}
