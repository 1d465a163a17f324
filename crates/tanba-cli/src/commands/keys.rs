//! `tanba keygen` and `tanba keys new`: signing credentials.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tanba::{Error, Result};

pub(crate) fn keygen(file: &Path) -> Result<ExitCode> {
    if file.exists() {
        return Err(Error::config("refusing to overwrite an existing key").at(file));
    }
    let (key, pem) = tanba::manifest::generate_signing_key_pem()?;
    tanba::atomic::write_atomic(file, |f| {
        use std::io::Write as _;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            f.set_permissions(std::fs::Permissions::from_mode(0o400))?;
        }
        Ok(f.write_all(pem.as_bytes())?)
    })?;
    let pub_path = PathBuf::from(format!("{}.pub", file.display()));
    let public_pem = tanba::manifest::public_key_pem(&key)?;
    tanba::atomic::write_atomic(&pub_path, |f| {
        use std::io::Write as _;
        Ok(f.write_all(public_pem.as_bytes())?)
    })?;
    // The same key as `tanba verify` and the manifests show it.
    let b64 = tanba::manifest::public_key_base64(&key);
    outln!("{b64}");
    errln!(
        "tanba: wrote {} (private, keep it secret) and {} (public key {b64})",
        file.display(),
        pub_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "c2pa"))]
pub(crate) fn keys_new(_: &Path) -> Result<ExitCode> {
    crate::settings::not_built("c2pa", true).map(|()| ExitCode::SUCCESS)
}

#[cfg(feature = "c2pa")]
pub(crate) fn keys_new(dir: &Path) -> Result<ExitCode> {
    let made = tanba::c2pa::generate_test_credentials(dir)?;
    errln!(
        "tanba: wrote UNTRUSTED test credentials to {} (a local CA, not for production):",
        dir.display()
    );
    for path in [&made.cert_chain, &made.private_key, &made.ca_cert] {
        errln!("  {}", path.display());
    }
    errln!(
        "sign with: tanba label ... --c2pa-cert {} --c2pa-key {}",
        made.cert_chain.display(),
        made.private_key.display()
    );
    errln!(
        "verify as trusted with: tanba verify ... --c2pa-trust {}",
        made.ca_cert.display()
    );
    Ok(ExitCode::SUCCESS)
}
