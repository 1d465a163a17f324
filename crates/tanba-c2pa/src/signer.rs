//! The signing credentials: a PEM certificate chain and its private key,
//! checked before any file is touched.

use std::fmt;
use std::io::Cursor;
use std::path::Path;

use c2pa::{BoxedSigner, Builder, Reader, SigningAlg};
use tanba_core::{Error, Result};
use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_SIG_ED25519};
use x509_parser::pem::Pem;

use crate::{context, failures};

/// A C2PA signer: the certificate chain (signing certificate first) and the
/// private key of the signing certificate, ES256 (P-256) or Ed25519.
///
/// Built once per run and shared by every file (it is `Send + Sync`).
pub struct C2paSigner {
    signer: BoxedSigner,
    algorithm: SigningAlg,
    subject: String,
    issuer: String,
    not_after: String,
}

impl fmt::Debug for C2paSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key stays out of logs; what identifies the signer is enough.
        f.debug_struct("C2paSigner")
            .field("algorithm", &self.algorithm())
            .field("subject", &self.subject)
            .field("issuer", &self.issuer)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl C2paSigner {
    /// Reads the chain and the key from files, naming the file that is wrong.
    pub fn from_files(cert_chain: &Path, private_key: &Path) -> Result<Self> {
        let chain = std::fs::read(cert_chain).map_err(|e| {
            Error::config(format!("cannot read the C2PA certificate chain: {e}")).at(cert_chain)
        })?;
        let key = std::fs::read(private_key).map_err(|e| {
            Error::config(format!("cannot read the C2PA private key: {e}")).at(private_key)
        })?;
        Self::from_pem(&chain, &key).map_err(|e| match e {
            // Key problems are reported against the key file, the rest against
            // the chain: that is the file the user has to fix.
            Error::Config { reason, .. } if reason.starts_with("private key") => {
                Error::config(reason).at(private_key)
            }
            other => other.at(cert_chain),
        })
    }

    /// Builds a signer from PEM text and checks it: the chain parses, the
    /// signing certificate is in its validity period and uses ES256 or
    /// Ed25519, the key is that certificate's key, and a probe manifest
    /// signed with it validates under the C2PA certificate profile.
    pub fn from_pem(cert_chain_pem: &[u8], private_key_pem: &[u8]) -> Result<Self> {
        let certs = pem_blocks(cert_chain_pem, "certificate chain")?;
        let certs: Vec<&Pem> = certs.iter().filter(|p| p.label == "CERTIFICATE").collect();
        let Some(leaf_pem) = certs.first() else {
            return Err(Error::config(
                "the certificate chain holds no PEM CERTIFICATE block",
            ));
        };
        let leaf = leaf_pem.parse_x509().map_err(|e| {
            Error::config(format!(
                "the signing certificate (first in the chain) does not parse: {e}"
            ))
        })?;
        let subject = leaf.subject().to_string();
        let issuer = leaf.issuer().to_string();
        let validity = leaf.validity();
        let not_after = validity.not_after.to_string();
        if !validity.is_valid() {
            return Err(Error::config(format!(
                "the signing certificate {subject:?} is not valid now (valid {} to {not_after})",
                validity.not_before
            )));
        }
        // The SDK names the signer by the subject's organisation and fails
        // validation (as a bare signature mismatch) when there is none.
        let has_organisation = leaf
            .subject()
            .iter_organization()
            .any(|o| o.as_str().is_ok_and(|o| !o.trim().is_empty()));
        if !has_organisation {
            return Err(Error::config(format!(
                "the signing certificate's subject {subject:?} has no organisation (O=…), which C2PA requires to name the signer"
            )));
        }
        if leaf.is_ca() {
            return Err(Error::config(format!(
                "{subject:?} is a CA certificate; C2PA signs with an end-entity certificate issued by it"
            )));
        }

        let spki = leaf.public_key();
        let cert_public = spki.subject_public_key.data.as_ref();
        let algorithm = if spki.algorithm.algorithm == OID_SIG_ED25519 {
            SigningAlg::Ed25519
        } else if spki.algorithm.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY
            && spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .is_some_and(|curve| curve == OID_EC_P256)
        {
            SigningAlg::Es256
        } else {
            return Err(Error::config(format!(
                "the signing certificate's key is neither P-256 (ES256) nor Ed25519 (OID {})",
                spki.algorithm.algorithm
            )));
        };

        let key_pkcs8_pem = private_key_for(algorithm, private_key_pem, cert_public)?;

        // c2pa wants the chain as PEM text; the blocks are passed on as given.
        let signer = c2pa::create_signer::from_keys(
            cert_chain_pem,
            key_pkcs8_pem.as_bytes(),
            algorithm,
            None,
        )
        .map_err(|e| Error::config(format!("the C2PA SDK refused the credentials: {e}")))?;

        let signer = C2paSigner {
            signer,
            algorithm,
            subject,
            issuer,
            not_after,
        };
        signer.probe()?;
        Ok(signer)
    }

    /// `ES256` or `Ed25519`.
    pub fn algorithm(&self) -> &'static str {
        match self.algorithm {
            SigningAlg::Ed25519 => "Ed25519",
            _ => "ES256",
        }
    }

    /// The signing certificate's subject, for reports.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The signing certificate's issuer, for reports.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// When the signing certificate expires.
    pub fn not_after(&self) -> &str {
        &self.not_after
    }

    pub(crate) fn inner(&self) -> &dyn c2pa::Signer {
        self.signer.as_ref()
    }

    /// Signs a few bytes as a sidecar manifest and validates it, so that a
    /// certificate the C2PA profile rejects (wrong key usage, missing EKU,
    /// self-signed) fails here, once, and not on every file of a batch.
    fn probe(&self) -> Result<()> {
        const PROBE: &[u8] = b"tanba c2pa credential probe";
        const FORMAT: &str = "application/octet-stream";
        let definition = serde_json::json!({
            "claim_generator_info": [crate::claim_generator()],
            "assertions": [{
                "label": "c2pa.actions.v2",
                "data": {"actions": [{
                    "action": "c2pa.created",
                    "digitalSourceType": tanba_core::SourceKind::Generated.iptc_uri(),
                }]},
                "created": true,
            }],
        });
        let probe_error = |e: c2pa::Error| {
            Error::config(format!(
                "the signing certificate is not valid for C2PA ({e}): {PROFILE}"
            ))
        };
        let mut builder = Builder::from_context(context(None)?)
            .with_definition(definition.to_string())
            .map_err(probe_error)?;
        builder.set_no_embed(true);
        let mut copy = Cursor::new(Vec::new());
        let store = builder
            .sign(self.inner(), FORMAT, &mut Cursor::new(PROBE), &mut copy)
            .map_err(probe_error)?;
        let reader = Reader::from_context(context(None)?)
            .with_manifest_data_and_stream(&store, FORMAT, Cursor::new(PROBE))
            .map_err(probe_error)?;
        let failed = failures(&reader);
        if failed.is_empty() {
            return Ok(());
        }
        // The key was matched against the certificate already, so what
        // fails here is the certificate (the SDK reports some profile
        // failures as a bare signature mismatch): say what C2PA asks for.
        Err(Error::config(format!(
            "the signing certificate is not valid for C2PA ({}): {PROFILE}",
            failed.join("; ")
        )))
    }
}

/// What the C2PA certificate profile asks of a signing certificate.
const PROFILE: &str = "C2PA wants an end-entity certificate issued by a CA, with key usage digitalSignature and an extended key usage such as emailProtection (not serverAuth, not anyExtendedKeyUsage)";

/// Every PEM block in `bytes`.
fn pem_blocks(bytes: &[u8], what: &str) -> Result<Vec<Pem>> {
    let blocks: Vec<Pem> = Pem::iter_from_buffer(bytes)
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::config(format!("the {what} is not valid PEM: {e}")))?;
    if blocks.is_empty() {
        return Err(Error::config(format!("the {what} holds no PEM block")));
    }
    Ok(blocks)
}

/// Reads the private key (PKCS#8, or SEC1 `EC PRIVATE KEY` as OpenSSL's
/// `ecparam -genkey` writes it), checks that it is the key of the
/// certificate whose public key is `cert_public`, and returns it as the
/// unencrypted PKCS#8 PEM the C2PA SDK reads.
fn private_key_for(algorithm: SigningAlg, key_pem: &[u8], cert_public: &[u8]) -> Result<String> {
    use p256::elliptic_curve::sec1::ToEncodedPoint as _;
    use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, LineEnding};

    let blocks = pem_blocks(key_pem, "private key")
        .map_err(|e| Error::config(format!("private key: {e}")))?;
    let Some(block) = blocks.iter().find(|b| b.label.contains("PRIVATE KEY")) else {
        return Err(Error::config(
            "private key: the file holds no PRIVATE KEY block",
        ));
    };
    let der = block.contents.as_slice();
    let mismatch = || Error::config("private key does not match the signing certificate");
    match (algorithm, block.label.as_str()) {
        (_, "ENCRYPTED PRIVATE KEY") => Err(Error::config(
            "private key is encrypted; write it unencrypted (openssl pkcs8 -nocrypt) and protect the file instead",
        )),
        (SigningAlg::Es256, "PRIVATE KEY" | "EC PRIVATE KEY") => {
            let key = if block.label == "PRIVATE KEY" {
                p256::SecretKey::from_pkcs8_der(der)
                    .map_err(|e| Error::config(format!("private key is not a P-256 key: {e}")))?
            } else {
                p256::SecretKey::from_sec1_der(der)
                    .map_err(|e| Error::config(format!("private key is not a P-256 key: {e}")))?
            };
            // The certificate carries the uncompressed point.
            let public = key.public_key().to_encoded_point(false);
            if public.as_bytes() != cert_public {
                return Err(mismatch());
            }
            key.to_pkcs8_pem(LineEnding::LF)
                .map(|pem| pem.to_string())
                .map_err(|e| Error::config(format!("private key cannot be re-encoded: {e}")))
        }
        (SigningAlg::Ed25519, "PRIVATE KEY") => {
            let key = ed25519_dalek::SigningKey::from_pkcs8_der(der)
                .map_err(|e| Error::config(format!("private key is not an Ed25519 key: {e}")))?;
            if key.verifying_key().as_bytes().as_slice() != cert_public {
                return Err(mismatch());
            }
            key.to_pkcs8_pem(LineEnding::LF)
                .map(|pem| pem.to_string())
                .map_err(|e| Error::config(format!("private key cannot be re-encoded: {e}")))
        }
        (_, label) => Err(Error::config(format!(
            "private key: a {label} block does not fit a {algorithm} certificate"
        ))),
    }
}
