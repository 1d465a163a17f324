//! Throw-away C2PA credentials for trying Tanba out: a local CA and an ES256
//! (or Ed25519) signing certificate it issued, named so nobody mistakes them for
//! production keys.

use std::path::{Path, PathBuf};

use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::{EncodePrivateKey as _, LineEnding};
use rand_core::{OsRng, RngCore as _};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyIdMethod, KeyUsagePurpose, SerialNumber,
};
use sha2::{Digest as _, Sha256};
use tanba_core::{Error, Result};

/// The CA certificate: give it to verifiers as a trust anchor to see
/// `Trusted` rather than `Valid`. Never a production trust anchor.
pub const CA_CERT_FILE: &str = "UNTRUSTED-test-ca.pem";
/// The CA's private key, kept only so more test certificates can be issued.
pub const CA_KEY_FILE: &str = "UNTRUSTED-test-ca-key.pem";
/// The signing certificate followed by the CA certificate.
pub const CERT_CHAIN_FILE: &str = "signing-cert-chain.pem";
/// The signing certificate's private key (PKCS#8, unencrypted).
pub const SIGNING_KEY_FILE: &str = "signing-key.pem";
/// A note beside the files saying what they are.
pub const README_FILE: &str = "README-UNTRUSTED.txt";

/// `id-kp-documentSigning` (RFC 9336), which the C2PA trust model lists.
const DOCUMENT_SIGNING: [u64; 9] = [1, 3, 6, 1, 5, 5, 7, 3, 36];

/// Where [`generate_test_credentials`] wrote each file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCredentials {
    /// The local CA's certificate (a trust anchor for tests only).
    pub ca_cert: PathBuf,
    /// The local CA's private key.
    pub ca_key: PathBuf,
    /// Signing certificate then CA certificate, PEM: the `cert_chain` setting.
    pub cert_chain: PathBuf,
    /// The signing key, PEM: the `private_key` setting.
    pub private_key: PathBuf,
}

/// The signing certificate's key type. The CA is always ES256.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyType {
    /// ECDSA P-256 with SHA-256: what C2PA verifiers support most widely.
    #[default]
    Es256,
    /// Ed25519.
    Ed25519,
}

/// RFC 7093 method 1: the leftmost 160 bits of the SHA-256 of the key.
fn key_id(public: &[u8]) -> Vec<u8> {
    Sha256::digest(public)[..20].to_vec()
}

/// An ES256 key rcgen can sign certificates with. rcgen's own key types need
/// ring or aws-lc (C builds); p256 is already in the tree through c2pa.
struct P256Key {
    key: p256::ecdsa::SigningKey,
    /// Uncompressed SEC1 point, as a certificate carries it.
    public: Vec<u8>,
}

impl P256Key {
    fn generate() -> Self {
        let key = p256::ecdsa::SigningKey::random(&mut OsRng);
        let public = key
            .verifying_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec();
        P256Key { key, public }
    }

    fn pkcs8_pem(&self) -> Result<String> {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| pem.to_string())
            .map_err(|e| Error::config(format!("cannot encode the key: {e}")))
    }
}

impl rcgen::PublicKeyData for P256Key {
    fn der_bytes(&self) -> &[u8] {
        &self.public
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

impl rcgen::SigningKey for P256Key {
    fn sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, rcgen::Error> {
        // X.509 carries ECDSA signatures DER-encoded, not as fixed r||s.
        let signature: p256::ecdsa::Signature = self
            .key
            .try_sign(msg)
            .map_err(|_| rcgen::Error::RemoteKeyError)?;
        Ok(signature.to_der().as_bytes().to_vec())
    }
}

/// An Ed25519 key for the signing certificate.
struct Ed25519Key {
    key: ed25519_dalek::SigningKey,
    public: [u8; 32],
}

impl Ed25519Key {
    fn generate() -> Self {
        let key = ed25519_dalek::SigningKey::generate(&mut OsRng);
        let public = key.verifying_key().to_bytes();
        Ed25519Key { key, public }
    }

    fn pkcs8_pem(&self) -> Result<String> {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| pem.to_string())
            .map_err(|e| Error::config(format!("cannot encode the key: {e}")))
    }
}

impl rcgen::PublicKeyData for Ed25519Key {
    fn der_bytes(&self) -> &[u8] {
        &self.public
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ED25519
    }
}

impl rcgen::SigningKey for Ed25519Key {
    fn sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, rcgen::Error> {
        use ed25519_dalek::Signer as _;
        Ok(self.key.sign(msg).to_bytes().to_vec())
    }
}

/// A positive 128-bit serial number.
fn serial() -> SerialNumber {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    // Positive and exactly 16 bytes long once DER-encoded.
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::from_slice(&bytes)
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn.push(DnType::OrganizationName, "UNTRUSTED Tanba test credentials");
    dn.push(DnType::CountryName, "KZ");
    dn
}

fn cert_error(e: rcgen::Error) -> Error {
    Error::config(format!("cannot make the test certificate: {e}"))
}

/// Makes a local CA and an ES256 signing certificate it issued, valid for
/// C2PA (key usage digitalSignature, extended key usage emailProtection and
/// documentSigning, not a CA, key identifiers present), and writes them to
/// `dir` (created if missing). Existing credentials are never overwritten.
///
/// These are for trying Tanba out: verifiers report manifests signed with
/// them as valid but untrusted, unless told to trust the test CA.
pub fn generate_test_credentials(dir: &Path) -> Result<TestCredentials> {
    generate_test_credentials_with(dir, KeyType::Es256)
}

/// [`generate_test_credentials`] with the signing key of `key_type`.
pub fn generate_test_credentials_with(dir: &Path, key_type: KeyType) -> Result<TestCredentials> {
    let creds = TestCredentials {
        ca_cert: dir.join(CA_CERT_FILE),
        ca_key: dir.join(CA_KEY_FILE),
        cert_chain: dir.join(CERT_CHAIN_FILE),
        private_key: dir.join(SIGNING_KEY_FILE),
    };
    let readme = dir.join(README_FILE);
    for path in [
        &creds.ca_cert,
        &creds.ca_key,
        &creds.cert_chain,
        &creds.private_key,
        &readme,
    ] {
        if path.exists() {
            return Err(Error::config(
                "refusing to overwrite existing credentials; choose an empty folder",
            )
            .at(path));
        }
    }

    let now = time::OffsetDateTime::now_utc();
    // A day of slack for clocks that are behind.
    let not_before = now - time::Duration::days(1);

    let ca_key = P256Key::generate();
    let mut ca = CertificateParams::default();
    ca.distinguished_name = name("UNTRUSTED Tanba test CA - not for production");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.serial_number = Some(serial());
    ca.not_before = not_before;
    ca.not_after = now + time::Duration::days(5 * 365);
    ca.key_identifier_method = KeyIdMethod::PreSpecified(key_id(&ca_key.public));
    ca.use_authority_key_identifier_extension = true;
    let ca_cert = ca.self_signed(&ca_key).map_err(cert_error)?;

    let mut leaf = CertificateParams::default();
    leaf.distinguished_name = name("UNTRUSTED Tanba test signer - not for production");
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::EmailProtection,
        ExtendedKeyUsagePurpose::Other(DOCUMENT_SIGNING.to_vec()),
    ];
    leaf.serial_number = Some(serial());
    leaf.not_before = not_before;
    leaf.not_after = now + time::Duration::days(2 * 365);
    leaf.use_authority_key_identifier_extension = true;
    let issuer = Issuer::from_params(&ca, &ca_key);
    let (leaf_cert, leaf_key_pem) = match key_type {
        KeyType::Es256 => {
            let key = P256Key::generate();
            leaf.key_identifier_method = KeyIdMethod::PreSpecified(key_id(&key.public));
            let cert = leaf.signed_by(&key, &issuer).map_err(cert_error)?;
            (cert, key.pkcs8_pem()?)
        }
        KeyType::Ed25519 => {
            let key = Ed25519Key::generate();
            leaf.key_identifier_method = KeyIdMethod::PreSpecified(key_id(&key.public));
            let cert = leaf.signed_by(&key, &issuer).map_err(cert_error)?;
            (cert, key.pkcs8_pem()?)
        }
    };

    std::fs::create_dir_all(dir).map_err(|e| Error::from(e).at(dir))?;
    let write = |path: &Path, text: &str, secret: bool| -> Result<()> {
        write_new(path, text.as_bytes(), secret).map_err(|e| Error::from(e).at(path))
    };
    write(&creds.ca_cert, &ca_cert.pem(), false)?;
    write(&creds.ca_key, &ca_key.pkcs8_pem()?, true)?;
    write(
        &creds.cert_chain,
        &format!("{}{}", leaf_cert.pem(), ca_cert.pem()),
        false,
    )?;
    write(&creds.private_key, &leaf_key_pem, true)?;
    write(&readme, README_TEXT, false)?;
    Ok(creds)
}

/// Creates `path`, refusing to replace anything there (so two runs cannot
/// race to overwrite keys), private to its owner when `secret` from the
/// moment it exists. A file left half-written by a failed write is removed.
fn write_new(path: &Path, bytes: &[u8], secret: bool) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if written.is_err() {
        let _ = std::fs::remove_file(path);
    }
    written
}

const README_TEXT: &str = "\
UNTRUSTED TEST CREDENTIALS - NOT FOR PRODUCTION

Made by `tanba keys new` for trying C2PA Content Credentials out.

  signing-cert-chain.pem   ES256 signing certificate, then the test CA
  signing-key.pem          its private key (keep it private)
  UNTRUSTED-test-ca.pem    the local test CA; trust it only in tests
  UNTRUSTED-test-ca-key.pem  the CA's private key

Files signed with these validate as C2PA manifests but are not trusted by
any public verifier: the CA is on no trust list. For production, get a
signing certificate from a CA on the C2PA trust list and point the
`cert_chain` and `private_key` settings at it.
";
