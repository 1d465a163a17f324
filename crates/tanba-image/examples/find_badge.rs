//! Times the search for the badge in a picture without its manifest (see
//! `tanba_image::find`): `cargo run --release -p tanba-image --example
//! find_badge -- FILE [RUNS]` prints the find and the time per search,
//! decoding included.

use std::time::Instant;

use tanba_core::Job;
use tanba_image::ImageLabeler;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: find_badge FILE [RUNS]")?;
    let runs: u32 = args.next().map_or(Ok(5), |r| r.parse())?;
    let bytes = std::fs::read(&path)?;
    let labeler = ImageLabeler::default();
    let job = Job::new();
    let mut times = Vec::new();
    let mut found = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        found = labeler.find_badge_bytes(&bytes, &job)?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{path}: {found:?}; median {:.1} ms, best {:.1} ms over {} runs",
        times[times.len() / 2],
        times[0],
        times.len()
    );
    Ok(())
}
