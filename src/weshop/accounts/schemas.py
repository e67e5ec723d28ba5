from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from weshop.core.crypto import mask_phone, normalize_phone
from weshop.core.regions import check_province

if TYPE_CHECKING:
    from weshop.accounts.models import Address, User

Province = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=20),
    AfterValidator(check_province),
    Field(description="Full official name, e.g. 浙江省, 北京市, 广西壮族自治区."),
]
# What normalize_phone accepts, written for the OpenAPI document: spaces, tabs and dashes
# anywhere, an optional +86 or 0086, then a mainland mobile number.
_GAP = "[ \\t-]*"
PHONE_PATTERN = (
    f"^{_GAP}(?:\\+{_GAP}8{_GAP}6{_GAP}|0{_GAP}0{_GAP}8{_GAP}6{_GAP})?"
    f"1{_GAP}[3-9](?:{_GAP}[0-9]){{9}}{_GAP}$"
)
PhoneNumber = Annotated[
    str,
    StringConstraints(max_length=20),
    AfterValidator(normalize_phone),
    Field(
        description="Mainland China mobile number, e.g. 13800000000 (+86 optional).",
        json_schema_extra={"pattern": PHONE_PATTERN},
    ),
]


def _text(max_length: int, min_length: int = 1) -> type[str]:
    return Annotated[  # type: ignore[return-value]
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
    ]


class CodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: PhoneNumber


class CodeSent(BaseModel):
    sent: bool = True
    expires_in_seconds: int
    demo_code: str | None = Field(
        default=None, description="Only in demo mode: the code itself, for trying WeShop out."
    )


class SignIn(BaseModel):
    """Sign in with a one-time code (shoppers, staff) or a password (staff, operators)."""

    model_config = ConfigDict(
        extra="forbid",
        # Exactly one of the two, as the endpoint requires (422 `code_or_password`).
        json_schema_extra={
            "oneOf": [
                {"required": ["code"], "properties": {"code": {"type": "string"}}},
                {"required": ["password"], "properties": {"password": {"type": "string"}}},
            ]
        },
    )
    phone: PhoneNumber
    code: Annotated[str, StringConstraints(pattern=r"^\d{6}$")] | None = None
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None


# How others see an account made by a WeChat sign-in that has neither a nickname nor a phone.
WECHAT_USER_NAME = "微信用户"


def masked_phone_or_wechat_name(phone: str | None) -> str:
    """What stands for a shopper without a display name: the masked phone, or 微信用户."""
    return mask_phone(phone) if phone else WECHAT_USER_NAME


class UserOut(BaseModel):
    id: int
    phone: str | None = Field(
        description="Masked, e.g. 138****0000; null for an account made by a WeChat sign-in "
        "until the shopper verifies a phone."
    )
    display_name: str
    is_operator: bool


class SessionOut(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>`.")
    expires_in_seconds: int
    user: UserOut


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    recipient: _text(30)
    phone: PhoneNumber
    province: Province
    city: _text(30)
    district: _text(30, 0) = ""
    detail: _text(120)
    postal_code: Annotated[str, StringConstraints(pattern=r"^(\d{6})?$")] = ""
    is_default: bool = False


class AddressPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    recipient: _text(30) | None = None
    phone: PhoneNumber | None = None
    province: Province | None = None
    city: _text(30) | None = None
    district: _text(30, 0) | None = None
    detail: _text(120) | None = None
    postal_code: Annotated[str, StringConstraints(pattern=r"^(\d{6})?$")] | None = None
    is_default: bool | None = None


class AddressOut(BaseModel):
    """An address of the address book, as its owner sees it: in full. Only the owner is ever
    shown their book; staff see an order's copy of the address, masked unless their role needs
    it (weshop.orders.views.shipping_address)."""

    id: int
    recipient: str
    phone: str
    province: str
    city: str
    district: str
    detail: str
    postal_code: str
    is_default: bool

    @classmethod
    def of_owner(cls, address: Address) -> AddressOut:
        return cls.model_validate(address, from_attributes=True)


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        phone=mask_phone(user.phone) if user.phone else None,
        display_name=user.display_name,
        is_operator=user.is_operator,
    )
