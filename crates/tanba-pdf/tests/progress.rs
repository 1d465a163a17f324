#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use tanba_core::{Job, ProgressUnit, ProgressUpdate};
use tanba_pdf::{PageSelection, PdfSettings};

fn recording_job() -> (Job, Arc<Mutex<Vec<ProgressUpdate>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let job = Job::new().with_progress(Arc::new(move |u: &ProgressUpdate| {
        s.lock().unwrap().push(u.clone());
    }));
    (job, seen)
}

#[test]
fn a_job_with_a_progress_sink_counts_the_stamped_pages_up_to_their_total() {
    let input = simple(12);
    let settings = PdfSettings {
        pages: "2-7".parse::<PageSelection>().unwrap(),
        ..PdfSettings::default()
    };
    let (job, seen) = recording_job();
    let (output, _) = label_with(settings, &input, &job).unwrap();
    assert!(page_text(&output, 2).contains(KK));
    let seen = seen.lock().unwrap();
    assert!(seen.len() >= 2, "{seen:?}");
    assert!(seen.iter().all(|u| u.unit == ProgressUnit::Pages));
    assert!(seen.iter().all(|u| u.total == Some(6)), "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0].done <= w[1].done), "{seen:?}");
    assert_eq!(seen[0].done, 0);
    let last = seen.last().unwrap();
    assert!(last.finished && last.done == 6, "{last:?}");
    assert_eq!(seen.iter().filter(|u| u.finished).count(), 1);
}
