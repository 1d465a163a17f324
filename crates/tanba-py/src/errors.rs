//! One Python exception class per [`tanba::Error`] kind, all under
//! `tanba.TanbaError`, each carrying the file (`.file`), the reason
//! (`.reason`) and the kind's stable name (`.kind`, as `tanba verify
//! --json` and the reports write it).

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::{PyErr, create_exception};

use tanba::Error;

create_exception!(tanba, TanbaError, PyException, "Any error Tanba reports.");
create_exception!(
    tanba,
    UnsupportedError,
    TanbaError,
    "No labeler handles this content."
);
create_exception!(
    tanba,
    MalformedError,
    TanbaError,
    "The content claims a supported format but cannot be parsed."
);
create_exception!(
    tanba,
    EncryptedError,
    TanbaError,
    "The content is encrypted or DRM-protected."
);
create_exception!(
    tanba,
    LimitExceededError,
    TanbaError,
    "A decoder limit was exceeded (checked before allocating)."
);
create_exception!(
    tanba,
    AlreadyLabelledError,
    TanbaError,
    "The input already carries a Tanba mark."
);
create_exception!(
    tanba,
    CannotLabelError,
    TanbaError,
    "The label cannot be placed legibly."
);
create_exception!(
    tanba,
    UnverifiedError,
    TanbaError,
    "The labelled output, read back, lacked a part of the label."
);
create_exception!(tanba, ConfigError, TanbaError, "An option is invalid.");
create_exception!(tanba, IoError, TanbaError, "Reading or writing failed.");

/// Adds the exception classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("TanbaError", py.get_type::<TanbaError>())?;
    m.add("UnsupportedError", py.get_type::<UnsupportedError>())?;
    m.add("MalformedError", py.get_type::<MalformedError>())?;
    m.add("EncryptedError", py.get_type::<EncryptedError>())?;
    m.add("LimitExceededError", py.get_type::<LimitExceededError>())?;
    m.add(
        "AlreadyLabelledError",
        py.get_type::<AlreadyLabelledError>(),
    )?;
    m.add("CannotLabelError", py.get_type::<CannotLabelError>())?;
    m.add("UnverifiedError", py.get_type::<UnverifiedError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("IoError", py.get_type::<IoError>())?;
    Ok(())
}

/// The reason alone, without the file name the message starts with.
fn reason_of(error: &Error) -> String {
    match error {
        Error::Unsupported { reason, .. }
        | Error::Malformed { reason, .. }
        | Error::Encrypted { reason, .. }
        | Error::CannotLabel { reason, .. }
        | Error::Unverified { reason, .. }
        | Error::Config { reason, .. } => reason.clone(),
        Error::LimitExceeded {
            kind, value, max, ..
        } => format!("{value} {kind} > {max} allowed"),
        Error::AlreadyLabelled { .. } => "already labelled".to_string(),
        Error::Io { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

/// The Python exception for a Tanba error, with `.file`, `.reason` and
/// `.kind` set.
pub(crate) fn to_py(py: Python<'_>, error: Error) -> PyErr {
    let message = error.to_string();
    let err = match &error {
        Error::Unsupported { .. } => UnsupportedError::new_err(message),
        Error::Malformed { .. } => MalformedError::new_err(message),
        Error::Encrypted { .. } => EncryptedError::new_err(message),
        Error::LimitExceeded { .. } => LimitExceededError::new_err(message),
        Error::AlreadyLabelled { .. } => AlreadyLabelledError::new_err(message),
        Error::CannotLabel { .. } => CannotLabelError::new_err(message),
        Error::Unverified { .. } => UnverifiedError::new_err(message),
        Error::Config { .. } => ConfigError::new_err(message),
        Error::Io { .. } => IoError::new_err(message),
        _ => TanbaError::new_err(message),
    };
    let value = err.value(py);
    let file = error.path().map(|p| p.display().to_string());
    // Setting attributes on a fresh exception instance cannot fail short of
    // memory exhaustion; the exception is still raised without them then.
    let _ = value.setattr("file", file);
    let _ = value.setattr("reason", reason_of(&error));
    let _ = value.setattr("kind", error.kind_name());
    err
}
