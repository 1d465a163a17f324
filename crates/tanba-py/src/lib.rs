//! # tanba-py
//!
//! The Python extension module `tanba._tanba` (PyO3): label and verify
//! AI-generated content in memory or on disk, with the same labelers,
//! options and checks as the `tanba` command. The package `tanba`
//! (python/tanba) re-exports it and adds the Pillow convenience.
//!
//! The GIL is released while a file is labelled or verified, so a thread
//! pool labels as many files at once as it has threads. Options are keyword
//! arguments, mapped onto the job and settings by the facade's
//! [`tanba::Options`], the same mapping the command line uses.

mod errors;
mod options;

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use tanba::{Labelled as Outcome, Registry, Verification as Checked};

/// The result of labelling bytes.
#[pyclass(module = "tanba", frozen, get_all)]
struct Labelled {
    /// The labelled file.
    data: Py<PyBytes>,
    /// The output's format name (`png`, `markdown`, `wav` …).
    format: String,
    /// The output's media type.
    mime: String,
    /// The output's preferred file name extension, without the dot.
    extension: String,
    /// The manifest written into the output, as a dict.
    manifest: Py<PyAny>,
    /// Things to know (a changed format, a repaired input …).
    notes: Vec<String>,
}

#[pymethods]
impl Labelled {
    fn __repr__(&self) -> String {
        format!("<tanba.Labelled {} ({})>", self.format, self.mime)
    }
}

/// The result of labelling a file on disk.
#[pyclass(module = "tanba", frozen, get_all)]
struct LabelledFile {
    /// Where the output was written: `dst`, or `dst` with the extension of
    /// the format written when it differs (compressed audio written as WAV).
    output: String,
    /// The output's format name.
    format: String,
    /// The output's media type.
    mime: String,
    /// The manifest written into the output, as a dict.
    manifest: Py<PyAny>,
    /// Things to know.
    notes: Vec<String>,
    /// The manifest sidecar written beside the output, if its format gets one.
    manifest_sidecar: Option<String>,
    /// Where the C2PA credentials went: `"embedded"`, a sidecar's path, or None.
    credentials: Option<String>,
}

#[pymethods]
impl LabelledFile {
    fn __repr__(&self) -> String {
        format!("<tanba.LabelledFile {} ({})>", self.output, self.format)
    }
}

/// What `verify` found.
#[pyclass(module = "tanba", frozen, get_all)]
struct Verification {
    /// The sniffed format name.
    format: String,
    /// Both parts of the label present, the manifest's signature not
    /// invalid, and C2PA credentials (if any) not invalid.
    compliant: bool,
    /// The machine-readable marks found, each a dict.
    marks: Py<PyAny>,
    /// The Tanba manifest, if one was found, as a dict.
    manifest: Py<PyAny>,
    /// The manifest signature's state, as a dict (`{"state": "valid", …}`).
    signature: Py<PyAny>,
    /// The visible or audible label: `{"found": bool, "detail": str, …}`.
    perceptible: Py<PyAny>,
    /// C2PA Content Credentials, when the file carries them, as a dict.
    credentials: Py<PyAny>,
    /// The manifest says the content imitates a real person (labelled
    /// with the deepfake notice, issue #23).
    real_person: bool,
    /// The real person's name the manifest records, if any.
    person: Option<String>,
    /// The whole verification as a dict (what `tanba verify --json` prints).
    report: Py<PyAny>,
}

#[pymethods]
impl Verification {
    fn __repr__(&self) -> String {
        format!(
            "<tanba.Verification {} compliant={}>",
            self.format, self.compliant
        )
    }

    fn __bool__(&self) -> bool {
        self.compliant
    }
}

/// A Rust value serialised to JSON and parsed by Python's `json`: the same
/// field names as the command line's JSON reports.
fn to_python<T: serde::Serialize>(py: Python<'_>, value: &T) -> PyResult<Py<PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    Ok(py.import("json")?.call_method1("loads", (text,))?.unbind())
}

/// The registry and job for a call's options (files they name are read
/// now: a key, a font, a clip, C2PA credentials).
fn prepare(options: &tanba::Options) -> tanba::Result<(tanba::Job, Registry)> {
    let job = options.job()?;
    let settings = options.settings()?;
    Ok((job, Registry::with_settings(&settings)))
}

fn labelled(py: Python<'_>, data: Vec<u8>, outcome: &Outcome) -> PyResult<Labelled> {
    Ok(Labelled {
        data: PyBytes::new(py, &data).unbind(),
        format: outcome.format.name.to_string(),
        mime: outcome.format.mime.to_string(),
        extension: outcome.format.extension().to_string(),
        manifest: to_python(py, &outcome.manifest)?,
        notes: outcome.notes.clone(),
    })
}

/// Labels a file's bytes and returns the labelled bytes. `filename` only
/// breaks ties content cannot (Markdown or plain text). The output is read
/// back and verified before it is returned. Options as keyword arguments
/// (see the stubs): `watermark=False` leaves the imperceptible watermark
/// out, `watermark_key` marks with an operator's own key, `manifest_store`
/// keeps each manifest in a folder. Raises a `tanba.TanbaError` subclass.
#[pyfunction]
#[pyo3(signature = (data, filename = None, **options))]
fn label(
    py: Python<'_>,
    data: &[u8],
    filename: Option<PathBuf>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Labelled> {
    let options = options::from_kwargs(options)?;
    let done = py.detach(|| {
        let (job, registry) = prepare(&options)?;
        registry.label_bytes(data, filename.as_deref(), &job)
    });
    let (bytes, outcome) = done.map_err(|e| errors::to_py(py, e))?;
    labelled(py, bytes, &outcome)
}

/// Labels the file `src` into `dst`, atomically: on any error no output is
/// left. Returns where the output went (its extension follows the format
/// written) with its manifest.
#[pyfunction]
#[pyo3(signature = (src, dst, **options))]
fn label_file(
    py: Python<'_>,
    src: PathBuf,
    dst: PathBuf,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<LabelledFile> {
    let options = options::from_kwargs(options)?;
    let done = py.detach(|| {
        let (job, registry) = prepare(&options)?;
        registry.label_file(&src, &dst, &job)
    });
    let outcome = done.map_err(|e| errors::to_py(py, e))?;
    let path = |p: &std::path::Path| p.display().to_string();
    Ok(LabelledFile {
        output: path(&outcome.output),
        format: outcome.labelled.format.name.to_string(),
        mime: outcome.labelled.format.mime.to_string(),
        manifest: to_python(py, &outcome.labelled.manifest)?,
        notes: outcome.labelled.notes.clone(),
        manifest_sidecar: outcome.manifest_sidecar.as_deref().map(path),
        credentials: outcome.credentials.as_ref().map(|c| match c {
            tanba::Credentials::Embedded => "embedded".to_string(),
            tanba::Credentials::Sidecar(p) => path(p),
        }),
    })
}

/// Reports the marks a file carries: `data` is the file's bytes, or a path
/// (str or os.PathLike) to read. Options as for `label` (the label's
/// languages and the C2PA trust anchors change what is looked for;
/// `watermark_key` is tried first when reading the watermark, and
/// `manifest_store` brings back a stripped file's manifest by it).
#[pyfunction]
#[pyo3(signature = (data, filename = None, **options))]
fn verify(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    filename: Option<PathBuf>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Verification> {
    let options = options::from_kwargs(options)?;
    let bytes = data.cast::<PyBytes>().ok().map(|b| b.as_bytes());
    let path = match bytes {
        Some(_) => None,
        None => Some(data.extract::<PathBuf>()?),
    };
    let done = py.detach(|| {
        let (job, registry) = prepare(&options)?;
        match (bytes, &path) {
            (Some(bytes), _) => registry.verify_bytes(bytes, filename.as_deref(), &job.limits),
            (None, Some(path)) => registry.verify_file(path, &job.limits),
            (None, None) => Err(tanba::Error::config("nothing to verify")),
        }
    });
    let checked = done.map_err(|e| errors::to_py(py, e))?;
    verification(py, &checked)
}

fn verification(py: Python<'_>, v: &Checked) -> PyResult<Verification> {
    Ok(Verification {
        format: v.format.to_string(),
        compliant: v.is_compliant(),
        marks: to_python(py, &v.marks)?,
        manifest: to_python(py, &v.manifest)?,
        signature: to_python(py, &v.signature)?,
        perceptible: to_python(py, &v.perceptible)?,
        credentials: to_python(py, &v.credentials)?,
        real_person: v.real_person,
        person: v.manifest.as_ref().and_then(|m| m.person.clone()),
        report: to_python(py, v)?,
    })
}

/// Every format this build labels: dicts with `labeler`, `name`, `mime`
/// and `extensions`.
#[pyfunction]
fn formats(py: Python<'_>) -> PyResult<Py<PyList>> {
    let registry = Registry::with_settings(&tanba::Settings::default());
    let list = PyList::empty(py);
    for (labeler, format) in registry.formats() {
        let row = PyDict::new(py);
        row.set_item("labeler", labeler)?;
        row.set_item("name", format.name)?;
        row.set_item("mime", format.mime)?;
        row.set_item("extensions", format.extensions.to_vec())?;
        list.append(row)?;
    }
    Ok(list.unbind())
}

/// The extension module; python/tanba/__init__.py re-exports it.
#[pymodule]
fn _tanba(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(label, m)?)?;
    m.add_function(wrap_pyfunction!(label_file, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(formats, m)?)?;
    m.add_class::<Labelled>()?;
    m.add_class::<LabelledFile>()?;
    m.add_class::<Verification>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("KEYWORDS", options::KEYWORDS.to_vec())?;
    errors::register(m)
}
