//! Signs one file and reads it back, printing the time each step took:
//! `cargo run --release -p tanba-c2pa --example sign -- MIME IN OUT CHAIN KEY [RUNS]`.
//! Without CHAIN and KEY, throw-away test credentials are made first.

use std::io::Seek as _;
use std::time::Instant;

use tanba_c2pa::{Applied, C2paSigner};
use tanba_core::{Job, Placement, SourceKind};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mime, input, output, rest @ ..] = args.as_slice() else {
        return Err("usage: sign MIME IN OUT [CHAIN KEY [RUNS]]".into());
    };
    let keys = tempfile::tempdir()?;
    let (chain, key) = match rest {
        [chain, key, ..] => (chain.into(), key.into()),
        _ => {
            let made = tanba_c2pa::generate_test_credentials(keys.path())?;
            (made.cert_chain, made.private_key)
        }
    };
    let runs: u32 = rest.get(2).map_or(Ok(5), |r| r.parse())?;

    let t = Instant::now();
    let signer = C2paSigner::from_files(&chain, &key)?;
    println!("signer checked in {:?} ({})", t.elapsed(), signer.subject());

    // Files, not memory, as in a real run: the SDK streams what it can.
    let mut source = std::fs::File::open(input)?;
    let len = source.metadata()?.len();
    let manifest = Job::new()
        .with_source_sha256(tanba_core::manifest::sha256_of(&mut source)?)
        .manifest(mime, Placement::at("bottom-right"));
    let mut best: Option<std::time::Duration> = None;
    for _ in 0..runs.max(1) {
        let mut dest = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(output)?;
        source.rewind()?;
        let t = Instant::now();
        let applied = tanba_c2pa::apply(
            mime,
            &mut source,
            &mut dest,
            &manifest,
            SourceKind::Generated,
            &signer,
            None,
        )?;
        let took = t.elapsed();
        best = Some(best.map_or(took, |b| b.min(took)));
        if let Applied::Sidecar(store) = applied {
            std::fs::write(tanba_c2pa::sidecar_path(output.as_ref()), store)?;
        }
    }
    println!(
        "signed {len} bytes in {:?} (best of {runs}, file to file)",
        best.unwrap_or_default()
    );
    let t = Instant::now();
    let report = tanba_c2pa::inspect_file(output.as_ref(), mime, None)?;
    println!("read back in {:?}: {:?}", t.elapsed(), report.state);
    Ok(())
}
