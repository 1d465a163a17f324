//! `tanba verify`: which marks each file carries.

use std::path::Path;
use std::process::ExitCode;

use tanba::Result;

use crate::args::{VerifyArgs, WalkArgs};
use crate::commands::pipe;
use crate::config::Config;
use crate::settings::prepare;
use crate::{EXIT_FAILED, Linked, hand_off, recognises_all};

pub(crate) fn verify(args: &VerifyArgs, linked: Linked) -> Result<ExitCode> {
    let config = match &args.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let (job, registry) = prepare(&args.common, &WalkArgs::default(), &config, linked)?;
    if let [file] = args.files.as_slice()
        && file.as_os_str() == "-"
    {
        return verify_stdin(args, &registry, &job.limits, linked);
    }
    if let Some(fuller) = linked.fuller
        && !recognises_all(&registry, &args.files)
    {
        return hand_off(fuller);
    }
    let limits = job.limits;
    let mut all_ok = true;
    let mut json_rows = Vec::new();
    for file in &args.files {
        match registry.verify_file(file, &limits) {
            Ok(v) => {
                all_ok &= v.is_compliant();
                if args.json {
                    json_rows.push(serde_json::json!({ "file": file, "compliant": v.is_compliant(), "verification": v }));
                } else {
                    print_verification(file, &v);
                }
            }
            Err(e) => {
                all_ok = false;
                if args.json {
                    json_rows.push(serde_json::json!({ "file": file, "compliant": false, "error": e.to_string(), "kind": e.kind_name() }));
                } else {
                    outln!("{}: ERROR {e}", file.display());
                }
            }
        }
    }
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&json_rows).unwrap_or_default()
        );
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}

/// `tanba verify -`: standard input, as one file named `-`.
fn verify_stdin(
    args: &VerifyArgs,
    registry: &tanba::Registry,
    limits: &tanba::Limits,
    linked: Linked,
) -> Result<ExitCode> {
    let result = match pipe::verify_stdin(registry, limits, linked)? {
        pipe::Verified::HandedOff(code) => return Ok(code),
        pipe::Verified::Here(result) => *result,
    };
    let file = Path::new("-");
    let ok = result.as_ref().is_ok_and(tanba::Verification::is_compliant);
    match (&result, args.json) {
        (Ok(v), false) => print_verification(file, v),
        (Ok(v), true) => outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!([{ "file": file, "compliant": ok, "verification": v }]))
                .unwrap_or_default()
        ),
        (Err(e), false) => outln!("-: ERROR {e}"),
        (Err(e), true) => outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!([{ "file": file, "compliant": false, "error": e.to_string(), "kind": e.kind_name() }]))
                .unwrap_or_default()
        ),
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}

fn print_verification(file: &Path, v: &tanba::Verification) {
    let verdict = if v.is_compliant() {
        "labelled"
    } else {
        "NOT LABELLED"
    };
    outln!("{}: {verdict} ({})", file.display(), v.format);
    if v.marks.is_empty() {
        outln!("  machine-readable mark: none");
    }
    for m in &v.marks {
        outln!("  machine-readable mark: {:?} in {}", m.kind, m.carrier);
    }
    outln!(
        "  perceptible label: {} ({})",
        if v.perceptible.found {
            "found"
        } else {
            "missing"
        },
        v.perceptible.detail
    );
    if let Some(m) = &v.manifest {
        outln!(
            "  manifest: {} created {} by {}",
            m.id,
            m.created,
            m.generator
        );
        let texts: Vec<&str> = m.label.lines.iter().map(|l| l.text.as_str()).collect();
        outln!("  label: {}", texts.join(" / "));
    }
    if let Some(r) = &v.manifest_ref {
        let whole = if v.manifest.is_some() {
            "the sidecar holds it"
        } else {
            "the manifest itself is in the compliance log (or a sidecar, absent here)"
        };
        outln!(
            "  manifest reference: {} sha256 {} ({whole})",
            r.id,
            r.sha256
        );
    }
    match &v.signature {
        tanba::SignatureState::Unsigned => outln!("  signature: none"),
        tanba::SignatureState::Valid { public_key } => {
            outln!("  signature: valid (Ed25519 key {public_key})")
        }
        tanba::SignatureState::Invalid { reason } => outln!("  signature: INVALID: {reason}"),
    }
    if let Some(c) = &v.credentials {
        let state = match c.state {
            tanba::CredentialsState::Valid => "valid (signer not on a trust list given)",
            tanba::CredentialsState::Trusted => "trusted",
            tanba::CredentialsState::Invalid => "INVALID",
        };
        outln!("  content credentials (C2PA): {state}");
        for line in &c.detail {
            outln!("    {line}");
        }
    }
}
