"""電子署名 (旭川市's common function 9): each city's signing key, PAdES signatures, their check.

Each city has its own key and self-issued certificate, made by ``kyodo certificates
make-signing-key SLUG``. The key lives in a PKCS#12 file under the city's own folder
(``var/tenants/<slug>/signing.p12``), encrypted with ``KYODO_SIGNING_PASSPHRASE``; it is never in
the database. The certificate (public) sits beside it as ``signing.crt`` and is the only root the
verification trusts for that city: a PDF of another city, or one signed by anyone else, is
reported as not this city's.

Outside production a city without a key gets one on its first certificate (the demo and the
tests); in production a missing key refuses the issue with a message naming the command.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenant_core.config import Settings

KEY_FILE = "signing.p12"
CERT_FILE = "signing.crt"
VALID_YEARS = 10
_lock = threading.Lock()
_signers: dict[tuple[str, float], Any] = {}


def _outside_event_loop(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``, which runs pyHanko's asyncio code with ``asyncio.run``, from a thread with no loop.

    A sync worker has none; a thread already running a loop (a test driving a browser through
    Playwright's sync API, an async server) would refuse ``asyncio.run``: the call then runs in a
    short-lived thread of its own.
    """
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


class SigningKeyMissing(RuntimeError):
    """The city has no signing key (and this is production: none is made on the fly)."""


def city_folder(settings: Settings, slug: str) -> Path:
    return settings.var_dir / "tenants" / slug


def key_path(settings: Settings, slug: str) -> Path:
    return city_folder(settings, slug) / KEY_FILE


def make_signing_key(settings: Settings, slug: str, city_name: str, *, replace: bool = False) -> Path:
    """A new RSA key and self-issued certificate for ``slug``; the PKCS#12 file's path.

    An existing key is kept unless ``replace``: certificates already issued stay verifiable only
    with the certificate that signed them (it is inside each PDF; the file keeps the current one).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    path = key_path(settings, slug)
    if path.exists() and not replace:
        return path
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, city_name),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{city_name} 証明書交付 電子署名"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * VALID_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            # digitalSignature and nonRepudiation (content commitment): what a document signature needs.
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    blob = pkcs12.serialize_key_and_certificates(
        slug.encode(),
        key,
        cert,
        None,
        serialization.BestAvailableEncryption(settings.resolved_signing_passphrase()),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    # Written owner-only, then moved in place: no reader ever sees half a key.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(blob)
    os.replace(temporary, path)
    (path.parent / CERT_FILE).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def _city_signer(blob: bytes, passphrase: bytes) -> Any:
    """A pyHanko signer holding the key already loaded.

    pyHanko's ``SimpleSigner.sign_raw`` loads the key from DER on each signature (twice per
    document), and loading an RSA key checks it (about 0.2 s): the loaded key is kept instead.
    """
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import pkcs12
    from pyhanko.sign import signers
    from pyhanko.sign.general import get_pyca_cryptography_hash

    loaded = signers.SimpleSigner.load_pkcs12_data(blob, other_certs=[], passphrase=passphrase)
    if loaded is None:
        return None
    key, _cert, _others = pkcs12.load_key_and_certificates(blob, passphrase)

    class CitySigner(signers.SimpleSigner):
        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
            if mechanism == "rsassa_pkcs1v15" and isinstance(key, RSAPrivateKey):
                return key.sign(data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
            return bytes(super().sign_raw(data, digest_algorithm))

    return CitySigner(
        signing_cert=loaded.signing_cert, signing_key=loaded.signing_key, cert_registry=loaded.cert_registry
    )


def _signer(settings: Settings, slug: str, city_name: str) -> Any:
    path = key_path(settings, slug)
    with _lock:
        if not path.exists():
            if settings.env == "production":
                raise SigningKeyMissing(
                    f"no signing key for {slug}: run `kyodo certificates make-signing-key {slug}`"
                )
            make_signing_key(settings, slug, city_name)
        cache_key = (str(path), path.stat().st_mtime)
        signer = _signers.get(cache_key)
        if signer is None:
            signer = _city_signer(path.read_bytes(), settings.resolved_signing_passphrase())
            if signer is None:
                raise SigningKeyMissing(f"the signing key of {slug} cannot be read with the passphrase")
            _signers[cache_key] = signer
        return signer


def city_certificate(settings: Settings, slug: str) -> Any:
    """The city's signing certificate (asn1crypto), or None when the city has none yet."""
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509

    path = city_folder(settings, slug) / CERT_FILE
    if not path.exists():
        return None
    data = path.read_bytes()
    if pem.detect(data):
        _type, _headers, data = pem.unarmor(data)
    return asn1_x509.Certificate.load(data)


def sign_pdf(
    data: bytes, settings: Settings, slug: str, city_name: str, *, reason: str, location: str
) -> tuple[bytes, str]:
    """``data`` signed (PAdES B-B, an incremental update) with the city's key; the bytes and the signer."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    signer = _signer(settings, slug, city_name)
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    meta = signers.PdfSignatureMetadata(
        field_name="KyodoCertificate",
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        name=city_name,
    )
    out = _outside_event_loop(signers.sign_pdf, writer, meta, signer=signer)
    return out.getvalue(), signer.signing_cert.subject.human_friendly


@dataclass(frozen=True)
class SignatureCheck:
    """What the signature of an uploaded PDF says."""

    signed: bool  # a signature was found
    intact: bool = False  # the signed bytes are unchanged, and nothing was added after the signature
    trusted: bool = False  # signed with this city's certificate
    signer: str = ""
    signed_at: dt.datetime | None = None
    number: str = ""  # the 交付番号 the document names (its Info dictionary)


def check_signature(data: bytes, root: Any) -> SignatureCheck:
    """Validate the (single) signature of ``data`` against the city's certificate ``root``."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    number = ""
    info = reader.trailer_view.get("/Info")
    if info is not None and hasattr(info, "get_object"):
        info = info.get_object()
    if info is not None:
        number = str(info.get("/KyodoIssuance", "") or "")[:30]
    signatures = reader.embedded_signatures
    if len(signatures) != 1:
        return SignatureCheck(False, number=number)
    embedded = signatures[0]
    context = ValidationContext(trust_roots=[root] if root is not None else [], allow_fetching=False)
    status = _outside_event_loop(validate_pdf_signature, embedded, context)
    # The signature must cover the whole file: anything appended after it is a change.
    covers_all = embedded.coverage is not None and embedded.coverage.name == "ENTIRE_FILE"
    return SignatureCheck(
        True,
        intact=bool(status.intact and status.valid and covers_all),
        trusted=bool(status.trusted) and root is not None,
        signer=status.signing_cert.subject.human_friendly if status.signing_cert else "",
        signed_at=status.signer_reported_dt,
        number=number,
    )
