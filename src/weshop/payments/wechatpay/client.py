"""The HTTP client of WeChat Pay APIv3: signs each request, verifies each answer, retries.

Every call has a timeout. Network errors and 5xx answers are retried a bounded number of
times with the same body, so the same out-trade-no / out-refund-no / out-order-no is sent
again and WeChat Pay treats the retry as the same request. Nothing secret is logged: not
the keys, not the Authorization header, not a signature.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import structlog
from cryptography.hazmat.primitives.asymmetric import rsa

from weshop.core.clock import utcnow
from weshop.payments.wechatpay import crypto
from weshop.payments.wechatpay.errors import (
    ResponseNotAuthentic,
    SignatureRejected,
    WechatPayApiError,
    WechatPayUnavailable,
)
from weshop.payments.wechatpay.verifier import PlatformVerifier

log = structlog.get_logger(__name__)

DEFAULT_BASE_URL = "https://api.mch.weixin.qq.com"
USER_AGENT = "WeShop-WechatPay/1 (+python-httpx)"


@dataclass(frozen=True)
class MerchantCredentials:
    """The merchant that signs the requests (a direct merchant, or the platform's sp_mchid)."""

    mchid: str
    cert_serial: str
    private_key: rsa.RSAPrivateKey
    apiv3_key: bytes

    def __repr__(self) -> str:  # never show key material, even in a traceback
        return f"MerchantCredentials(mchid={self.mchid!r}, cert_serial={self.cert_serial!r})"


@dataclass(frozen=True)
class ApiResponse:
    status_code: int
    data: dict[str, Any] | None
    request_id: str


class WechatPayClient:
    def __init__(
        self,
        credentials: MerchantCredentials,
        verifier: PlatformVerifier,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout_seconds: float = 10.0,
        max_attempts: int = 3,
        retry_delay_seconds: float = 0.5,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.credentials = credentials
        self.verifier = verifier
        self.base_url = base_url.rstrip("/")
        self._timeout = httpx.Timeout(timeout_seconds)
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay_seconds
        self._transport = transport
        self._clock = clock
        self._sleep = sleep

    @property
    def mchid(self) -> str:
        return self.credentials.mchid

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        encrypted_fields: bool = False,
    ) -> ApiResponse:
        """Call one endpoint and return its verified answer; raise on an error answer.

        ``encrypted_fields`` says the body carries fields encrypted with the platform key,
        so WeChat Pay must be told which key (the ``Wechatpay-Serial`` header).
        """
        url = path + ("?" + urlencode(query) if query else "")
        content = (
            b""
            if body is None
            else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        )
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if encrypted_fields:
            headers["Wechatpay-Serial"] = self.verifier.encryption_key()[0]
        response = await self._send(method, url, content, headers)
        return self._checked(method, path, response)

    async def upload(self, path: str, meta: bytes, filename: str, data: bytes) -> ApiResponse:
        """Send a ``multipart/form-data`` upload (``meta`` JSON and ``file``), signed over
        ``meta`` alone, as WeChat Pay's media endpoints want."""
        boundary = crypto.new_nonce(24)
        content_type = "image/png" if filename.lower().endswith(".png") else "image/jpeg"
        content = b"".join(
            [
                f"--{boundary}\r\n".encode(),
                b'Content-Disposition: form-data; name="meta"\r\n',
                b"Content-Type: application/json\r\n\r\n",
                meta,
                f"\r\n--{boundary}\r\n".encode(),
                f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'.encode(),
                f"Content-Type: {content_type}\r\n\r\n".encode(),
                data,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        headers = {
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        }
        response = await self._send("POST", path, content, headers, signed=meta)
        return self._checked("POST", path, response)

    async def download(self, url: str) -> bytes:
        """Fetch a bill file. Its answer carries no WeChat Pay signature (by design of the
        API); the caller checks the file against the hash given with the download URL."""
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.base_url:
            # A signed request goes only to the configured WeChat Pay host.
            raise ResponseNotAuthentic(f"download URL outside {self.base_url}")
        target = parts.path + ("?" + parts.query if parts.query else "")
        response = await self._send("GET", target, b"", {"User-Agent": USER_AGENT})
        if response.status_code != 200:
            self._checked("GET", parts.path, response)
            raise WechatPayUnavailable(f"bill download answered {response.status_code}")
        return response.content

    def encrypt(self, text: str) -> str:
        """Encrypt a sensitive field (a name, an ID or account number) for WeChat Pay."""
        return crypto.encrypt_sensitive(self.verifier.encryption_key()[1], text)

    def jsapi_pay_params(self, appid: str, prepay_id: str) -> dict[str, str]:
        """The parameters a page passes to ``WeixinJSBridge.invoke('getBrandWCPayRequest')``
        (or a mini program to ``wx.requestPayment``) to start a JSAPI payment."""
        timestamp, nonce = str(int(self._clock().timestamp())), crypto.new_nonce()
        package = f"prepay_id={prepay_id}"
        message = crypto.jsapi_pay_message(appid, timestamp, nonce, package)
        return {
            "appId": appid,
            "timeStamp": timestamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": crypto.sign(self.credentials.private_key, message),
        }

    async def _send(
        self,
        method: str,
        url: str,
        content: bytes,
        headers: dict[str, str],
        *,
        signed: bytes | None = None,
    ) -> httpx.Response:
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = await self._send_once(method, url, content, headers, signed)
            except httpx.TransportError as exc:
                log.warning(
                    "wechatpay.network_error",
                    method=method,
                    path=urlsplit(url).path,
                    attempt=attempt,
                    error=type(exc).__name__,
                )
                if attempt == self._max_attempts:
                    raise WechatPayUnavailable(
                        f"WeChat Pay unreachable after {attempt} attempts: {type(exc).__name__}"
                    ) from exc
            else:
                if response.status_code < 500 or attempt == self._max_attempts:
                    return response
                log.warning(
                    "wechatpay.server_error",
                    method=method,
                    path=urlsplit(url).path,
                    attempt=attempt,
                    status=response.status_code,
                    request_id=response.headers.get("Request-ID", ""),
                )
            await self._sleep(self._retry_delay * attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _send_once(
        self,
        method: str,
        url: str,
        content: bytes,
        headers: dict[str, str],
        signed: bytes | None = None,
    ) -> httpx.Response:
        async with httpx.AsyncClient(
            base_url=self.base_url, transport=self._transport, timeout=self._timeout
        ) as http:
            request = http.build_request(method, url, content=content, headers=headers)
            # Sign the path and query exactly as they go on the wire (after any escaping).
            request.headers["Authorization"] = crypto.authorization(
                mchid=self.credentials.mchid,
                serial_no=self.credentials.cert_serial,
                private_key=self.credentials.private_key,
                method=method,
                url=request.url.raw_path.decode("ascii"),
                body=content if signed is None else signed,
                timestamp=str(int(self._clock().timestamp())),
                nonce=crypto.new_nonce(),
            )
            return await http.send(request)

    def _checked(self, method: str, path: str, response: httpx.Response) -> ApiResponse:
        request_id = response.headers.get("Request-ID", "")
        signed = "Wechatpay-Signature" in response.headers
        if response.is_success or signed:
            # An answer without a signature, or with a wrong one, may be forged.
            try:
                self.verifier.verify(response.headers, response.content)
            except SignatureRejected as exc:
                log.error(
                    "wechatpay.answer_not_authentic",
                    method=method,
                    path=path,
                    status=response.status_code,
                    reason=str(exc),
                    request_id=request_id,
                )
                raise ResponseNotAuthentic(f"WeChat Pay answer refused: {exc}") from exc
        log.info(
            "wechatpay.call",
            method=method,
            path=path,
            status=response.status_code,
            request_id=request_id,
        )
        if response.is_success:
            data = response.json() if response.content else None
            return ApiResponse(response.status_code, data, request_id)
        error = _error_body(response)
        log.warning(
            "wechatpay.rejected",
            method=method,
            path=path,
            status=response.status_code,
            wechat_code=error.get("code", ""),
            wechat_message=error.get("message", ""),
            request_id=request_id,
        )
        if response.status_code >= 500:
            raise WechatPayUnavailable(
                f"WeChat Pay answered {response.status_code} {error.get('code', '')}"
            )
        raise WechatPayApiError(
            response.status_code,
            str(error.get("code", "")),
            str(error.get("message", "")),
            error.get("detail"),
        )


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {"code": "", "message": response.text[:200]}
    return data if isinstance(data, dict) else {"code": "", "message": str(data)[:200]}
