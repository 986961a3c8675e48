//! Which trials of a study changed after a cursor: what
//! `Storage::trials_changed_since` answers for the backends that keep a
//! study's trials in memory (memory and journal), so that a sampler's view
//! of thousands of trials is refreshed by the few that changed.

/// Per study: the sequence number of the last write to each trial, and the
/// writes in sequence order. A write's sequence number is the backend's
/// (a counter, a journal line) and only grows.
#[derive(Debug, Default)]
pub(crate) struct ChangeLog {
    /// Sequence number of the last write to each trial, by number.
    last_write: Vec<u64>,
    /// (sequence number, trial number) in sequence order. Entries whose
    /// trial was written again later are stale and skipped on read, and
    /// compacted away once they outnumber the live ones.
    writes: Vec<(u64, u64)>,
}

impl ChangeLog {
    /// Records a write numbered `seq` to trial `number`: an existing trial,
    /// or the next one (its number is the count of trials so far).
    pub(crate) fn record(&mut self, number: u64, seq: u64) {
        let index = number as usize;
        if index >= self.last_write.len() {
            self.last_write.resize(index + 1, 0);
        }
        self.last_write[index] = seq;
        self.writes.push((seq, number));
        if self.writes.len() > 64 + 4 * self.last_write.len() {
            let last_write = &self.last_write;
            self.writes.retain(|&(seq, number)| last_write[number as usize] == seq);
        }
    }

    /// Of `trials` (by number), those written after `cursor`, each once, in
    /// the order of their last write; every trial for cursor 0.
    pub(crate) fn changed_since<T: Clone>(&self, trials: &[T], cursor: u64) -> Vec<T> {
        if cursor == 0 {
            return trials.to_vec();
        }
        let start = self.writes.partition_point(|&(seq, _)| seq <= cursor);
        self.writes[start..]
            .iter()
            .filter(|&&(seq, number)| self.last_write[number as usize] == seq)
            .map(|&(_, number)| trials[number as usize].clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::ChangeLog;

    #[test]
    fn a_trial_written_again_is_listed_once_at_its_last_write() {
        let mut log = ChangeLog::default();
        let trials = ["a", "b", "c"];
        log.record(0, 1);
        log.record(1, 2);
        log.record(0, 3);
        log.record(2, 4);
        assert_eq!(log.changed_since(&trials, 0), trials);
        assert_eq!(log.changed_since(&trials, 1), ["b", "a", "c"]);
        assert_eq!(log.changed_since(&trials, 2), ["a", "c"]);
        assert_eq!(log.changed_since(&trials, 4), Vec::<&str>::new());
    }

    #[test]
    fn stale_writes_are_compacted_without_changing_the_answer() {
        let mut log = ChangeLog::default();
        let trials = [0u64, 1];
        log.record(0, 1);
        log.record(1, 2);
        for seq in 3..1000 {
            log.record(seq % 2, seq);
        }
        assert!(log.writes.len() <= 64 + 4 * 2 + 1, "{} writes kept", log.writes.len());
        assert_eq!(log.changed_since(&trials, 997), [0, 1]);
        assert_eq!(log.changed_since(&trials, 998), [1]);
    }
}
