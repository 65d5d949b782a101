//! Which jobs of a bulk run have nothing left to collect, so that their reports can be made while
//! the collection goes on for the others.
//!
//! The pump counts each watched job's open queries (queued or sent) once from the store, then
//! lowers the count as requests end. A request of the account-information service queues new
//! bank queries for its jobs (in the transaction that stores its answer, in the pump or in a
//! callback on another thread), so its jobs are counted again from the store instead; and a job
//! is announced only when the store, asked again, has no query of it open. So the count may lag
//! behind the store but never announces a job early. A job that never gets there (a
//! file-exchange source, a collection that timed out) is not announced, and the run reports it
//! afterwards as before.

use std::collections::HashMap;

use hedui_core::JobId;
use hedui_store::Store;

use crate::AppResult;

/// The watched jobs still waiting, and who is told when one is ready.
pub(crate) struct Readiness<'a> {
    waiting: HashMap<JobId, i64>,
    ready: &'a dyn Fn(JobId),
}

impl<'a> Readiness<'a> {
    /// Counts the open queries of `jobs`; those with none are announced at once.
    pub(crate) fn start(store: &dyn Store, jobs: &[JobId], ready: &'a dyn Fn(JobId)) -> AppResult<Readiness<'a>> {
        let open: HashMap<JobId, i64> = store.open_queries_per_job()?.into_iter().collect();
        let mut waiting = HashMap::new();
        for job in jobs {
            match open.get(job) {
                Some(n) if *n > 0 => {
                    waiting.insert(*job, *n);
                }
                _ => ready(*job),
            }
        }
        Ok(Readiness { waiting, ready })
    }

    /// A request about `jobs` (one entry per query) ended. `queues_more` is set for a source whose
    /// answer queues further queries (the account index): its jobs are counted again.
    pub(crate) fn request_ended(&mut self, store: &dyn Store, jobs: &[JobId], queues_more: bool) -> AppResult<()> {
        if queues_more {
            let mut seen: Vec<JobId> = jobs.iter().copied().filter(|j| self.waiting.contains_key(j)).collect();
            seen.sort_unstable();
            seen.dedup();
            for job in seen {
                let n = store.open_queries_of(job)?;
                self.set(job, n);
            }
        } else {
            for job in jobs {
                if let Some(n) = self.waiting.get(job).copied() {
                    if n <= 1 {
                        // About to announce: the store has the last word (an answer stored by a
                        // callback may have queued more for the job since it was counted).
                        let open = store.open_queries_of(*job)?;
                        self.set(*job, open);
                    } else {
                        self.set(*job, n - 1);
                    }
                }
            }
        }
        Ok(())
    }

    fn set(&mut self, job: JobId, open: i64) {
        if open <= 0 {
            self.waiting.remove(&job);
            (self.ready)(job);
        } else {
            self.waiting.insert(job, open);
        }
    }
}
