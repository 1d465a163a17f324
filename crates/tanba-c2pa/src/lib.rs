//! # tanba-c2pa
//!
//! C2PA Content Credentials for files Tanba has labelled: after the visible
//! label is drawn and Tanba's own marks are written, [`embed`] signs a C2PA
//! manifest that says the content was made (or edited) by a trained model,
//! names the AI system as the `softwareAgent` and Tanba as the claim
//! generator, and carries the Tanba manifest in the custom assertion
//! [`ASSERTION_LABEL`]. Formats the C2PA SDK cannot write get the same
//! manifest as a `.c2pa` sidecar ([`sidecar`], [`sidecar_path`]).
//!
//! [`apply`] is the one call for a pipeline: it embeds where [`supports`]
//! says so, and otherwise copies the file and returns the sidecar bytes.
//! [`read`] / [`inspect`] validate what a file carries, for `tanba verify`.
//!
//! Signing uses the `c2pa` crate with Rust-native crypto (no OpenSSL);
//! [`C2paSigner`] checks the credentials before any file is touched, and
//! [`generate_test_credentials`] makes an untrusted local CA for trying it.

mod credentials;
mod signer;
mod tiff;

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use c2pa::{Builder, Context, Reader, Settings};
use serde::Serialize;
use serde_json::{Value, json};
use tanba_core::{Error, Manifest, Result, SourceKind};

pub use credentials::{
    CA_CERT_FILE, CA_KEY_FILE, CERT_CHAIN_FILE, KeyType, README_FILE, SIGNING_KEY_FILE,
    TestCredentials, generate_test_credentials, generate_test_credentials_with,
};
pub use signer::C2paSigner;

/// Label of the custom assertion that carries the Tanba manifest (JSON,
/// exactly as `Manifest::to_json` writes it, so its own signature checks).
pub const ASSERTION_LABEL: &str = "kz.tanba.manifest";

/// Label of Tanba's assertion that the content imitates a real person
/// (`--real-person`): the deepfake notice shown, and the person when named.
pub const REAL_PERSON_LABEL: &str = "kz.tanba.real-person";

/// Label of the C2PA soft-binding assertion that names the watermark.
pub const SOFT_BINDING_LABEL: &str = "c2pa.soft-binding";

/// The soft-binding algorithm name of Tanba's watermark (method
/// `tanba-wm-1`); the block's value is the payload as 16 hex digits, the
/// first 64 bits of the Tanba manifest's id.
pub const SOFT_BINDING_ALG: &str = "tanba.wm.1";

/// The IPTC digital source types, as in the Tanba manifest.
pub use tanba_core::manifest::{
    DST_COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA, DST_TRAINED_ALGORITHMIC_MEDIA,
};

/// MIME types (as Tanba's labelers name them) that the C2PA SDK of this
/// build writes into the file itself. Everything else gets a sidecar.
pub const IN_PLACE_MIMES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/gif",
    "image/tiff",
    "video/mp4",
    "video/quicktime",
    "audio/mp4",
    "audio/wav",
    "audio/mpeg",
    "audio/flac",
];

/// A readable, seekable source the SDK may hand to another thread.
pub trait Input: Read + Seek + Send {}
impl<T: Read + Seek + Send + ?Sized> Input for T {}

/// An output the SDK writes, then reads back to hash.
pub trait Output: Read + Write + Seek + Send {}
impl<T: Read + Write + Seek + Send + ?Sized> Output for T {}

/// True when a C2PA manifest can be embedded in files of this MIME type;
/// otherwise [`sidecar`] makes a `.c2pa` file to keep beside it.
pub fn supports(mime: &str) -> bool {
    IN_PLACE_MIMES.contains(&normalise(mime))
}

/// Where the sidecar of `output` goes: the same name with `.c2pa` as the
/// extension, which is where C2PA readers (c2patool, c2pa-rs) look for it.
pub fn sidecar_path(output: &Path) -> PathBuf {
    output.with_extension("c2pa")
}

/// The unlabelled original, when it may carry a C2PA manifest of its own:
/// that manifest is kept as the parent ingredient instead of being lost.
pub struct Parent<'a> {
    /// Its MIME type.
    pub mime: &'a str,
    /// Its content (rewound before use).
    pub reader: &'a mut dyn Input,
    /// The manifest store of its `.c2pa` sidecar, for a format that carries
    /// none inside (Ogg, PDF, text …): used when the file has no embedded one.
    pub sidecar: Option<Vec<u8>>,
}

impl std::fmt::Debug for Parent<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parent").field("mime", &self.mime).finish()
    }
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The manifest is inside the output.
    Embedded,
    /// The output is a verbatim copy; these manifest-store bytes belong in
    /// [`sidecar_path`] of the final output.
    Sidecar(Vec<u8>),
}

/// Signs `input` (a file Tanba has already labelled) and writes it with the
/// C2PA manifest embedded to `output`. Fails with `Unsupported` when
/// [`supports`] is false for `mime`.
pub fn embed(
    mime: &str,
    input: &mut dyn Input,
    output: &mut dyn Output,
    manifest: &Manifest,
    source_kind: SourceKind,
    signer: &C2paSigner,
) -> Result<()> {
    embed_with_parent(mime, input, output, manifest, source_kind, signer, None)
}

/// [`embed`], keeping a C2PA manifest the unlabelled original carried as the
/// parent ingredient (the first action is then `c2pa.opened`).
pub fn embed_with_parent(
    mime: &str,
    input: &mut dyn Input,
    output: &mut dyn Output,
    manifest: &Manifest,
    source_kind: SourceKind,
    signer: &C2paSigner,
    parent: Option<Parent<'_>>,
) -> Result<()> {
    if !supports(mime) {
        return Err(Error::unsupported(format!(
            "C2PA cannot be embedded in {mime}; use a .c2pa sidecar"
        )));
    }
    let mut builder = builder_for(manifest, source_kind, parent)?;
    if normalise(mime) == "image/tiff" && classic_tiff(input)? {
        return tiff::embed(&mut builder, signer.inner(), input, output);
    }
    builder
        .sign(
            signer.inner(),
            normalise(mime),
            &mut ByRef(input),
            &mut ByRef(output),
        )
        .map_err(|e| sdk_error("signing", e))?;
    Ok(())
}

/// Signs `input` and returns the manifest store (`application/c2pa`) to be
/// written beside it as a sidecar; the file itself is not changed. Works
/// for any format: the data hash covers the whole file.
pub fn sidecar(
    mime: &str,
    input: &mut dyn Input,
    manifest: &Manifest,
    source_kind: SourceKind,
    signer: &C2paSigner,
) -> Result<Vec<u8>> {
    // The SDK copies the input to its output as it hashes; a temporary file
    // keeps that copy out of memory for large inputs.
    let mut scratch = tempfile::tempfile()?;
    sidecar_into(
        mime,
        input,
        &mut scratch,
        manifest,
        source_kind,
        signer,
        None,
    )
}

fn sidecar_into(
    mime: &str,
    input: &mut dyn Input,
    output: &mut dyn Output,
    manifest: &Manifest,
    source_kind: SourceKind,
    signer: &C2paSigner,
    parent: Option<Parent<'_>>,
) -> Result<Vec<u8>> {
    let mut builder = builder_for(manifest, source_kind, parent)?;
    builder.set_no_embed(true);
    builder
        .sign(
            signer.inner(),
            sidecar_format(mime),
            &mut ByRef(input),
            &mut ByRef(output),
        )
        .map_err(|e| sdk_error("signing", e))
}

/// The one call after a labelled file is written: embeds the manifest where
/// the format allows ([`Applied::Embedded`]); otherwise copies `labelled`
/// to `output` unchanged and returns the sidecar ([`Applied::Sidecar`]).
/// Either way `labelled` is read once more and `output` written once.
pub fn apply(
    mime: &str,
    labelled: &mut dyn Input,
    output: &mut dyn Output,
    manifest: &Manifest,
    source_kind: SourceKind,
    signer: &C2paSigner,
    parent: Option<Parent<'_>>,
) -> Result<Applied> {
    if supports(mime) {
        embed_with_parent(
            mime,
            labelled,
            output,
            manifest,
            source_kind,
            signer,
            parent,
        )?;
        Ok(Applied::Embedded)
    } else {
        sidecar_into(
            mime,
            labelled,
            output,
            manifest,
            source_kind,
            signer,
            parent,
        )
        .map(Applied::Sidecar)
    }
}

/// The C2PA validation state of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "reasons", rename_all = "kebab-case")]
pub enum C2paState {
    /// No C2PA manifest, embedded or beside it.
    Absent,
    /// Well-formed, signature and hashes check, but the signer's certificate
    /// does not chain to a trust anchor this reader was given.
    Valid,
    /// Valid, and signed by a certificate that chains to a trust anchor.
    Trusted,
    /// Something failed: the C2PA status codes with their explanations.
    Invalid(Vec<String>),
}

/// What a C2PA manifest in a file says, beside its validation state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct C2paReport {
    /// The validation state.
    pub state: C2paState,
    /// Embedded in the file, or read from a sidecar.
    pub embedded: bool,
    /// The claim generator, `name/version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim_generator: Option<String>,
    /// The signing certificate's subject common name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    /// The signing certificate's issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The actions, in order (`c2pa.created`, `c2pa.edited` …).
    pub actions: Vec<String>,
    /// The first digital source type the actions declare.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digital_source_type: Option<String>,
    /// The Tanba manifest from [`ASSERTION_LABEL`], if present and parsed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tanba_manifest: Option<Manifest>,
    /// The watermark payload of a `c2pa.soft-binding` assertion made with
    /// [`SOFT_BINDING_ALG`], when there is one (16 hex digits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soft_binding: Option<String>,
    /// The [`REAL_PERSON_LABEL`] assertion is present.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub real_person: bool,
}

impl C2paReport {
    /// The mark to list in a `Verification`, when a manifest is there
    /// (whatever its state).
    pub fn mark(&self) -> Option<tanba_core::Mark> {
        let carrier = match (&self.state, self.embedded) {
            (C2paState::Absent, _) => return None,
            (_, true) => "C2PA manifest store (embedded)",
            (_, false) => "C2PA manifest store (.c2pa sidecar)",
        };
        Some(tanba_core::Mark::new(tanba_core::MarkKind::C2pa, carrier))
    }

    fn absent(embedded: bool) -> Self {
        C2paReport {
            state: C2paState::Absent,
            embedded,
            claim_generator: None,
            signer: None,
            issuer: None,
            actions: Vec::new(),
            digital_source_type: None,
            tanba_manifest: None,
            soft_binding: None,
            real_person: false,
        }
    }
}

/// How to read a manifest.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// PEM trust anchors: a manifest whose signer chains to one of them is
    /// [`C2paState::Trusted`]. None: nothing is trusted, valid is the best.
    pub trust_anchors_pem: Option<String>,
    /// A sidecar manifest store to validate against the file when the file
    /// carries none itself.
    pub sidecar: Option<Vec<u8>>,
}

/// The validation state of the C2PA manifest embedded in `input`.
pub fn read(mime: &str, input: &mut dyn Input) -> Result<C2paState> {
    inspect(mime, input, &ReadOptions::default()).map(|r| r.state)
}

/// Reads and validates the manifest embedded in `input`, or else the one in
/// `options.sidecar`. I/O errors are errors; a broken manifest is a report
/// with [`C2paState::Invalid`].
pub fn inspect(mime: &str, input: &mut dyn Input, options: &ReadOptions) -> Result<C2paReport> {
    let anchors = options.trust_anchors_pem.as_deref();
    let format = normalise(mime);
    input.rewind()?;
    if supports(format) || c2pa_reads(format) {
        match Reader::from_context(context(anchors)?).with_stream(format, ByRef(&mut *input)) {
            Ok(reader) => return Ok(report(&reader, true)),
            Err(e) if is_absent(&e) => {}
            Err(c2pa::Error::IoError(e)) => return Err(e.into()),
            Err(e) => return Ok(broken(e, true)),
        }
    }
    let Some(store) = &options.sidecar else {
        return Ok(C2paReport::absent(true));
    };
    input.rewind()?;
    match Reader::from_context(context(anchors)?).with_manifest_data_and_stream(
        store,
        sidecar_format(format),
        ByRef(&mut *input),
    ) {
        Ok(reader) => Ok(report(&reader, false)),
        Err(c2pa::Error::IoError(e)) => Err(e.into()),
        Err(e) => Ok(broken(e, false)),
    }
}

/// [`inspect`] for a file on disk: the embedded manifest, or else the
/// sidecar at [`sidecar_path`] if there is one.
pub fn inspect_file(
    path: &Path,
    mime: &str,
    trust_anchors_pem: Option<&str>,
) -> Result<C2paReport> {
    // NAME.EXT.c2pa first: where Tanba keeps another tool's store when
    // NAME.c2pa already belongs to a file of the same name but extension.
    let mut full = path.as_os_str().to_owned();
    full.push(".c2pa");
    let full = PathBuf::from(full);
    let side = if full.is_file() {
        full
    } else {
        sidecar_path(path)
    };
    let sidecar = if side != path && side.is_file() {
        Some(std::fs::read(&side).map_err(|e| Error::from(e).at(&side))?)
    } else {
        None
    };
    let mut file = std::fs::File::open(path).map_err(|e| Error::from(e).at(path))?;
    let options = ReadOptions {
        trust_anchors_pem: trust_anchors_pem.map(str::to_string),
        sidecar,
    };
    inspect(mime, &mut file, &options).map_err(|e| e.at(path))
}

/// Tanba's claim generator entry.
pub(crate) fn claim_generator() -> Value {
    json!({"name": "Tanba", "version": env!("CARGO_PKG_VERSION")})
}

/// The C2PA SDK context: no network (no remote manifests, no OCSP), trust
/// anchors only when the caller gives them.
pub(crate) fn context(trust_anchors_pem: Option<&str>) -> Result<Context> {
    let mut settings = Settings::default();
    settings.verify.remote_manifest_fetch = false;
    settings.verify.ocsp_fetch = false;
    settings.trust.user_anchors = trust_anchors_pem.map(str::to_string);
    // The SDK keeps its intermediate copy of a file in memory up to this
    // size (512 MB by default), per file being signed; a batch signs one
    // file per worker, so larger files spill to a temporary file instead.
    settings.core.backing_store_memory_threshold_in_mb = 64;
    Context::new()
        .with_settings(settings)
        .map_err(|e| Error::config(format!("C2PA settings: {e}")))
}

/// The failure codes of the active manifest and its ingredients, with the
/// SDK's explanations; an untrusted signer alone is not a failure.
pub(crate) fn failures(reader: &Reader) -> Vec<String> {
    let untrusted = c2pa::validation_status::SIGNING_CREDENTIAL_UNTRUSTED;
    let describe = |s: &c2pa::validation_status::ValidationStatus| match s.explanation() {
        Some(why) => format!("{}: {why}", s.code()),
        None => s.code().to_string(),
    };
    let mut out = Vec::new();
    if let Some(results) = reader.validation_results() {
        if let Some(active) = results.active_manifest() {
            out.extend(
                active
                    .failure()
                    .iter()
                    .filter(|s| s.code() != untrusted)
                    .map(describe),
            );
        }
        for delta in results.ingredient_deltas().into_iter().flatten() {
            out.extend(
                delta
                    .validation_deltas()
                    .failure()
                    .iter()
                    .filter(|s| s.code() != untrusted)
                    .map(|s| format!("ingredient {}", describe(s))),
            );
        }
    } else if let Some(statuses) = reader.validation_status() {
        out.extend(
            statuses
                .iter()
                .filter(|s| s.code() != untrusted)
                .map(describe),
        );
    }
    out
}

fn report(reader: &Reader, embedded: bool) -> C2paReport {
    let state = match reader.validation_state() {
        c2pa::ValidationState::Trusted => C2paState::Trusted,
        c2pa::ValidationState::Valid => C2paState::Valid,
        c2pa::ValidationState::Invalid => {
            let mut reasons = failures(reader);
            if reasons.is_empty() {
                reasons.push("the manifest is not well-formed".to_string());
            }
            C2paState::Invalid(reasons)
        }
    };
    let mut out = C2paReport {
        state,
        ..C2paReport::absent(embedded)
    };
    let Some(active) = reader.active_manifest() else {
        return out;
    };
    out.claim_generator = active
        .claim_generator_info
        .as_ref()
        .and_then(|infos| infos.first())
        .map(|g| match &g.version {
            Some(v) => format!("{}/{v}", g.name),
            None => g.name.clone(),
        })
        .or_else(|| active.claim_generator().map(str::to_string));
    if let Some(info) = active.signature_info() {
        out.signer = info.common_name.clone();
        out.issuer = info.issuer.clone();
    }
    for assertion in active.assertions() {
        let Ok(value) = assertion.value() else {
            continue;
        };
        if assertion.label().starts_with("c2pa.actions") {
            for action in value["actions"].as_array().into_iter().flatten() {
                if let Some(name) = action["action"].as_str() {
                    out.actions.push(name.to_string());
                }
                if out.digital_source_type.is_none() {
                    out.digital_source_type =
                        action["digitalSourceType"].as_str().map(str::to_string);
                }
            }
        } else if assertion.label() == ASSERTION_LABEL {
            out.tanba_manifest = serde_json::from_value(value.clone()).ok();
        } else if assertion.label() == REAL_PERSON_LABEL {
            out.real_person = value["real_person"] == true;
        } else if assertion.label() == SOFT_BINDING_LABEL && value["alg"] == SOFT_BINDING_ALG {
            out.soft_binding = value["blocks"][0]["value"].as_str().map(str::to_string);
        }
    }
    out
}

fn broken(e: c2pa::Error, embedded: bool) -> C2paReport {
    C2paReport {
        state: C2paState::Invalid(vec![format!("the manifest cannot be read: {e}")]),
        ..C2paReport::absent(embedded)
    }
}

fn is_absent(e: &c2pa::Error) -> bool {
    matches!(
        e,
        c2pa::Error::JumbfNotFound | c2pa::Error::ProvenanceMissing | c2pa::Error::UnsupportedType
    )
}

/// Whether the SDK can look for an embedded manifest in this format.
fn c2pa_reads(mime: &str) -> bool {
    Reader::supported_mime_types().iter().any(|m| m == mime)
}

/// Tanba's MIME names, mapped to the ones the SDK registers.
fn normalise(mime: &str) -> &str {
    match mime {
        "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => "audio/wav",
        "audio/mp3" | "audio/x-mp3" => "audio/mpeg",
        "audio/x-flac" => "audio/flac",
        other => other,
    }
}

/// The format given to the SDK for a sidecar. Formats the SDK has a handler
/// for keep their name (it strips any old manifest from the hashed copy);
/// the rest are hashed as opaque bytes, whatever their MIME type.
fn sidecar_format(mime: &str) -> &str {
    if supports(mime) {
        normalise(mime)
    } else {
        "application/octet-stream"
    }
}

/// The manifest definition and builder for one labelled file.
fn builder_for(
    manifest: &Manifest,
    source_kind: SourceKind,
    parent: Option<Parent<'_>>,
) -> Result<Builder> {
    let ai_agent = manifest.ai_system.as_ref().map(|ai| match &ai.version {
        Some(v) => json!({"name": ai.name, "version": v}),
        None => json!({"name": ai.name}),
    });
    let dst = source_kind.iptc_uri();
    const PARENT_ID: &str = "tanba-parent";

    // Keep an existing C2PA history only when the original has one: adding
    // a parent without a manifest would cost a full extra hash pass for
    // nothing a reader could check.
    let parent = match parent {
        Some(mut p) => {
            if has_manifest(p.mime, &mut *p.reader) {
                p.sidecar = None;
                Some(p)
            } else {
                p.sidecar.is_some().then_some(p)
            }
        }
        None => None,
    };

    let mut actions = Vec::new();
    // C2PA 2.x: the first action is c2pa.created or c2pa.opened.
    if parent.is_some() {
        actions.push(json!({
            "action": "c2pa.opened",
            "parameters": {"ingredientIds": [PARENT_ID]},
        }));
    } else {
        let mut created = json!({"action": "c2pa.created", "digitalSourceType": dst});
        if source_kind == SourceKind::Generated
            && let Some(agent) = &ai_agent
        {
            created["softwareAgent"] = agent.clone();
        }
        actions.push(created);
    }
    // Real media edited by a model, or content with a history of its own:
    // the model's work is an edit of what came before.
    if source_kind == SourceKind::Composite || parent.is_some() {
        let mut edited = json!({"action": "c2pa.edited", "digitalSourceType": dst});
        if let Some(agent) = &ai_agent {
            edited["softwareAgent"] = agent.clone();
        }
        actions.push(edited);
    }
    // Tanba's own change, so the manifest does not claim the pixels (or
    // samples) are exactly what the model produced.
    actions.push(json!({
        "action": "c2pa.edited",
        "when": manifest.created,
        "softwareAgent": claim_generator(),
        "description": format!(
            "AI-content label added ({}): {}",
            manifest.law,
            manifest
                .label
                .lines
                .iter()
                .map(|l| l.text.as_str())
                .collect::<Vec<_>>()
                .join(" / ")
        ),
    }));

    // The Tanba manifest goes in as parsed JSON; the SDK stores it as JSON
    // (kind "Json"), so it reads back to the same value and its Ed25519
    // signature still checks.
    let tanba: Value = serde_json::from_str(&manifest.to_json())
        .map_err(|e| Error::malformed(format!("Tanba manifest: {e}")))?;
    let mut assertions = vec![
        json!({"label": "c2pa.actions.v2", "data": {"actions": actions}, "created": true}),
        json!({"label": ASSERTION_LABEL, "data": tanba, "kind": "Json", "created": true}),
    ];
    assertions.extend(real_person_assertion(manifest));
    // The watermark in the content, as a soft binding: a reader that finds
    // the mark in a copy stripped of its metadata can look this manifest up.
    if let Some(mark) = &manifest.watermark {
        assertions.push(json!({
            "label": SOFT_BINDING_LABEL,
            "data": {
                "alg": SOFT_BINDING_ALG,
                "name": format!("Tanba watermark ({}, {} key)", mark.method, mark.key),
                "blocks": [{"scope": {}, "value": mark.payload}],
            },
            "created": true,
        }));
    }
    let definition = json!({
        "claim_generator_info": [claim_generator()],
        "assertions": assertions,
    });
    let mut builder = Builder::from_context(context(None)?)
        .with_definition(definition.to_string())
        .map_err(|e| sdk_error("building the manifest", e))?;
    if let Some(p) = parent {
        add_parent(&mut builder, p, PARENT_ID)?;
    }
    Ok(builder)
}

/// Tanba's assertion that the content imitates a real person (with the
/// notice shown and the person named), for a manifest that says so; the
/// AIGC object stays as GB 45438 defines it.
fn real_person_assertion(manifest: &Manifest) -> Option<Value> {
    if !manifest.real_person {
        return None;
    }
    let mut data = json!({"real_person": true, "notice": manifest.label.lines});
    if let Some(person) = &manifest.person {
        data["person"] = json!(person);
    }
    Some(json!({
        "label": REAL_PERSON_LABEL,
        "data": data,
        "kind": "Json",
        "created": true,
    }))
}

/// The C2PA manifest store embedded in `reader` (its JUMBF bytes, as a
/// `.c2pa` sidecar holds them), when it has one: another tool's
/// credentials that labelling without a key would otherwise drop.
pub fn embedded_store(mime: &str, reader: &mut dyn Input) -> Option<Vec<u8>> {
    let format = normalise(mime);
    if !(supports(format) || c2pa_reads(format)) || reader.rewind().is_err() {
        return None;
    }
    // The SDK reads a JPEG whole to look for it (a 100-MP one: 60 MB).
    if format == "image/jpeg" && sequential_jpeg_without_app11(reader) {
        let _ = reader.rewind();
        return None;
    }
    let store = c2pa::jumbf_io::load_jumbf_from_stream(format, &mut ByRef(&mut *reader)).ok();
    let _ = reader.rewind();
    store
}

/// Whether `reader` holds a sequential JPEG with no APP11 segment (where
/// JUMBF goes) before its scan, found by walking its segments from the
/// start: it then embeds no manifest store. Anything else (progressive,
/// whose APP segments may sit between scans; a damaged head) is `false`:
/// the SDK looks.
fn sequential_jpeg_without_app11(reader: &mut dyn Input) -> bool {
    let mut r = std::io::BufReader::with_capacity(4 << 10, reader);
    let mut two = [0u8; 2];
    if r.read_exact(&mut two).is_err() || two != [0xFF, 0xD8] {
        return false;
    }
    let mut sequential = false;
    loop {
        if r.read_exact(&mut two).is_err() || two[0] != 0xFF {
            return false;
        }
        while two[1] == 0xFF {
            if r.read_exact(&mut two[1..]).is_err() {
                return false;
            }
        }
        match two[1] {
            0xD8 | 0xD0..=0xD7 | 0x01 => continue,
            0xEB => return false,
            0xC0 | 0xC1 => sequential = true,
            0xDA => return sequential,
            0xC2..=0xCF if !matches!(two[1], 0xC4 | 0xC8 | 0xCC) => return false,
            _ => {}
        }
        let mut len = [0u8; 2];
        if r.read_exact(&mut len).is_err() {
            return false;
        }
        let skip = i64::from(u16::from_be_bytes(len)) - 2;
        if skip < 0 || r.seek_relative(skip).is_err() {
            return false;
        }
    }
}

/// Adds the original as the parent ingredient, with its embedded manifest
/// store, or else the one of its sidecar (which the SDK cannot find in a
/// format it does not read, so it is attached as the ingredient's data).
fn add_parent(builder: &mut Builder, p: Parent<'_>, label: &str) -> Result<()> {
    let what = |e| sdk_error("reading the original's C2PA manifest", e);
    let mut definition = json!({"relationship": "parentOf", "label": label});
    let active = match &p.sidecar {
        Some(store) => {
            p.reader.rewind()?;
            let reader = Reader::from_context(context(None)?)
                .with_manifest_data_and_stream(store, sidecar_format(p.mime), ByRef(&mut *p.reader))
                .map_err(what)?;
            // A v3 ingredient with a manifest carries its validation results.
            if let Some(results) = reader.validation_results() {
                definition["validation_results"] = serde_json::to_value(results)
                    .map_err(|e| Error::malformed(format!("C2PA validation results: {e}")))?;
            }
            reader.active_label().map(str::to_string)
        }
        None => None,
    };
    p.reader.rewind()?;
    let format = match &p.sidecar {
        Some(_) => sidecar_format(p.mime),
        None => normalise(p.mime),
    };
    let ingredient = builder
        .add_ingredient_from_stream(definition.to_string(), format, &mut ByRef(p.reader))
        .map_err(what)?;
    if let (Some(store), Some(active)) = (p.sidecar, active) {
        ingredient.set_manifest_data(store).map_err(what)?;
        ingredient.set_active_manifest(active);
    }
    Ok(())
}

/// Whether `reader` carries a C2PA manifest store (embedded). Reads only
/// the container's index, not the media data.
fn has_manifest(mime: &str, reader: &mut dyn Input) -> bool {
    let format = normalise(mime);
    if !(supports(format) || c2pa_reads(format)) || reader.rewind().is_err() {
        return false;
    }
    let found = c2pa::jumbf_io::load_jumbf_from_stream(format, &mut ByRef(&mut *reader)).is_ok();
    // The caller reads it again from the start either way.
    let _ = reader.rewind();
    found
}

/// Whether `input` is a classic TIFF (BigTIFF is left to the SDK).
fn classic_tiff(input: &mut dyn Input) -> Result<bool> {
    let mut head = [0u8; 8];
    input.rewind()?;
    let n = input.read(&mut head)?;
    input.rewind()?;
    Ok(tiff::is_classic_tiff(&head[..n]))
}

fn sdk_error(what: &str, e: c2pa::Error) -> Error {
    match e {
        c2pa::Error::IoError(io) => io.into(),
        c2pa::Error::UnsupportedType => Error::unsupported(format!("C2PA {what}: {e}")),
        c2pa::Error::InvalidAsset(_) | c2pa::Error::JumbfParseError(_) => {
            Error::malformed(format!("C2PA {what}: {e}"))
        }
        other => Error::malformed(format!("C2PA {what} failed: {other}")),
    }
}

/// Lends a `&mut dyn Input` (or `Output`) to the SDK, whose generic bounds
/// want a sized `Read + Seek + Send` value.
struct ByRef<'a, T: ?Sized>(&'a mut T);

impl<T: Read + ?Sized> Read for ByRef<'_, T> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl<T: Write + ?Sized> Write for ByRef<'_, T> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl<T: Seek + ?Sized> Seek for ByRef<'_, T> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.0.seek(pos)
    }
}
