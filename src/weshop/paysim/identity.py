"""The simulator's keys and the merchants it knows.

On first run the simulator makes WeChat Pay's side (a platform key pair and certificate) and
the merchant's side (an API key pair with its certificate, and an APIv3 key), writes them to
its state directory, and registers three merchants that share the merchant key:

- a direct merchant  ``1900000109`` (appid ``wxd678efh567hg6787``);
- a platform         ``1900000100`` (sp_appid ``wx8888888888888888``) for partner mode;
- a ready sub-merchant ``1900000201`` of that platform (more come from applyments).
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from weshop.payments.wechatpay import crypto
from weshop.paysim.store import Store

DIRECT_MCHID, DIRECT_APPID = "1900000109", "wxd678efh567hg6787"
PLATFORM_MCHID, PLATFORM_APPID = "1900000100", "wx8888888888888888"
READY_SUB_MCHID = "1900000201"

PLATFORM_KEY_FILE = "platform_key.pem"  # the simulator's own secret
PLATFORM_CERT_FILE = "platform_cert.pem"
PLATFORM_PUBLIC_KEY_FILE = "platform_public_key.pem"
MERCHANT_KEY_FILE = "apiclient_key.pem"  # WeShop's secret, as a merchant would download it
MERCHANT_CERT_FILE = "apiclient_cert.pem"
APIV3_KEY_FILE = "apiv3.key"


@dataclass(frozen=True)
class PlatformIdentity:
    """WeChat Pay's side: what signs answers and callbacks."""

    private_key: rsa.RSAPrivateKey
    serial: str

    def __repr__(self) -> str:
        return f"PlatformIdentity(serial={self.serial!r})"


@dataclass(frozen=True)
class MerchantKeys:
    """The merchant's side, as the simulator hands it out (and as tests use it)."""

    private_key: rsa.RSAPrivateKey
    serial: str
    certificate_pem: bytes
    apiv3_key: str

    def __repr__(self) -> str:
        return f"MerchantKeys(serial={self.serial!r})"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def self_signed(key: rsa.RSAPrivateKey, common_name: str) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "WeShop paysim"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=5 * 365))
        .sign(key, hashes.SHA256())
    )


def new_apiv3_key() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(crypto.APIV3_KEY_LENGTH))


def pem_private(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def pem_public(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def new_platform() -> tuple[PlatformIdentity, x509.Certificate]:
    key = new_key()
    certificate = self_signed(key, "Tenpay.com Root CA (paysim)")
    return PlatformIdentity(key, crypto.certificate_serial(certificate)), certificate


def new_merchant_keys() -> MerchantKeys:
    key = new_key()
    certificate = self_signed(key, f"{DIRECT_MCHID} (paysim merchant)")
    return MerchantKeys(
        private_key=key,
        serial=crypto.certificate_serial(certificate),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM),
        apiv3_key=new_apiv3_key(),
    )


def register_merchants(store: Store, public_key_pem: str, serial: str, apiv3_key: str) -> None:
    """Register the three merchants of the simulator (once; a restart keeps them)."""
    shared = {"serial_no": serial, "public_key_pem": public_key_pem, "apiv3_key": apiv3_key}
    with store.transaction():
        if store.one("SELECT 1 FROM merchants LIMIT 1") is not None:
            return
        store.insert(
            "merchants",
            {"mchid": DIRECT_MCHID, "role": "direct", "appid": DIRECT_APPID, **shared},
        )
        store.insert(
            "merchants",
            {"mchid": PLATFORM_MCHID, "role": "platform", "appid": PLATFORM_APPID, **shared},
        )
        store.insert(
            "merchants",
            {
                "mchid": READY_SUB_MCHID,
                "role": "sub",
                "parent_mchid": PLATFORM_MCHID,
                "name": "paysim ready sub-merchant",
            },
        )


def register_merchant_keys(store: Store, keys: MerchantKeys) -> None:
    public_pem = pem_public(keys.private_key.public_key()).decode()
    register_merchants(store, public_pem, keys.serial, keys.apiv3_key)


@dataclass(frozen=True)
class StateFiles:
    directory: Path
    platform_key: Path
    merchant_cert: Path

    @classmethod
    def in_directory(
        cls,
        directory: Path,
        *,
        platform_key: Path | None = None,
        merchant_cert: Path | None = None,
    ) -> StateFiles:
        return cls(
            directory=directory,
            platform_key=platform_key or directory / PLATFORM_KEY_FILE,
            merchant_cert=merchant_cert or directory / MERCHANT_CERT_FILE,
        )

    def path(self, name: str) -> Path:
        return self.directory / name


def _write(path: Path, content: bytes, *, secret: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    if secret:
        path.chmod(0o600)


def load_or_create(files: StateFiles, store: Store) -> tuple[PlatformIdentity, bool]:
    """The platform identity from the state directory, made (with merchant keys) on first run.

    Returns the identity and whether anything was made just now.
    """
    created = False
    if not files.platform_key.exists():
        _write(files.platform_key, pem_private(new_key()), secret=True)
        created = True
    platform_key = crypto.load_private_key(files.platform_key.read_bytes())
    platform_cert = files.path(PLATFORM_CERT_FILE)
    if created or not platform_cert.exists():
        certificate = self_signed(platform_key, "Tenpay.com Root CA (paysim)")
        _write(platform_cert, certificate.public_bytes(serialization.Encoding.PEM))
        _write(files.path(PLATFORM_PUBLIC_KEY_FILE), pem_public(platform_key.public_key()))
    if not files.merchant_cert.exists():
        keys = new_merchant_keys()
        _write(files.path(MERCHANT_KEY_FILE), pem_private(keys.private_key), secret=True)
        _write(files.merchant_cert, keys.certificate_pem)
        _write(files.path(APIV3_KEY_FILE), keys.apiv3_key.encode(), secret=True)
        created = True
    merchant_public, merchant_serial = crypto.load_public_key(files.merchant_cert.read_bytes())
    if merchant_serial is None:
        raise ValueError(f"{files.merchant_cert} is not a certificate")
    register_merchants(
        store,
        pem_public(merchant_public).decode(),
        merchant_serial,
        files.path(APIV3_KEY_FILE).read_text().strip(),
    )
    _, platform_serial = crypto.load_public_key(platform_cert.read_bytes())
    return PlatformIdentity(platform_key, platform_serial or ""), created
