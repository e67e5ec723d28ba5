"""Self-service store opening through the API: apply with licence images, the platform
reviews, approval opens the store with the applicant as owner; bad input writes nothing."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text

from tests.media.test_media import gif_bytes, png_bytes
from tests.support import expect, new_phone
from weshop.stores.models import StoreApplication, StoreApplicationImage

MINE = "/api/v1/me/store-applications"
REVIEW = "/api/v1/platform/store-applications"
IMAGES = "/api/v1/me/store-application-images"


async def upload(client, user, data: bytes | None = None) -> int:
    files = {"file": ("licence.png", data or png_bytes(4, 3), "image/png")}
    return expect(await client.post(IMAGES, files=files, headers=user), 201)["id"]


def form(image_ids: list[int], **changes) -> dict:
    return {
        "store_name": "山里人家",
        "main_category": "fresh_food",
        "contact_name": "李四",
        "contact_phone": "13912345678",
        "description": "自家果园的苹果",
        "licence_image_ids": image_ids,
        **changes,
    }


# For the sweeps: a valid body of each write (the ids do not matter to them).
STORE_APPLICATION_BODIES = {
    ("POST", MINE): form([1]),
    ("PUT", MINE + "/{application_id}"): form([1]),
    ("POST", REVIEW + "/{application_id}/reject"): {"reason": "营业执照不清晰"},
}


async def apply_for_a_store(client, user) -> dict[str, int]:
    """The user's application (waiting for review) and its licence image's ids."""
    image = await upload(client, user)
    created = expect(await client.post(MINE, json=form([image]), headers=user), 201)
    return {"application_id": created["id"], "image_id": image}


async def counts(runtime) -> tuple[int, int, int]:
    async with runtime.db.transaction() as session:
        applications = await session.scalar(select(func.count()).select_from(StoreApplication))
        attached = await session.scalar(
            select(func.count())
            .select_from(StoreApplicationImage)
            .where(StoreApplicationImage.application_id.is_not(None))
        )
        stores = await session.scalar(text("SELECT count(*) FROM stores"))
    return applications, attached, stores


async def apply(api, client) -> tuple[dict, dict]:
    user = await api.sign_in()
    image = await upload(client, user)
    return user, expect(await client.post(MINE, json=form([image]), headers=user), 201)


async def test_approval_opens_the_store_with_the_applicant_as_owner(api, client, runtime):
    user, application = await apply(api, client)
    assert application["status"] == "submitted"
    assert application["contact_phone"] == "13912345678"  # the applicant's own view
    operator = await api.operator()
    listed = expect(await client.get(REVIEW, params={"status": "submitted"}, headers=operator), 200)
    assert [row["id"] for row in listed] == [application["id"]]
    assert listed[0]["contact_phone"] == "139****5678"
    assert listed[0]["contact_name"] != "李四"
    image_id = application["licence_image_ids"][0]
    picture = await client.get(f"{REVIEW}/{application['id']}/images/{image_id}", headers=operator)
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"

    approved = expect(
        await client.post(f"{REVIEW}/{application['id']}/approve", headers=operator), 200
    )
    assert approved["status"] == "approved" and approved["store_id"]
    mine = expect(await client.get("/api/v1/merchant/stores", headers=user), 200)
    assert [(row["store"]["id"], row["store"]["name"], row["role"]) for row in mine] == [
        (approved["store_id"], "山里人家", "owner")
    ]
    again = await client.post(f"{REVIEW}/{application['id']}/approve", headers=operator)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "application_reviewed"
    refused = await client.post(
        f"{REVIEW}/{application['id']}/reject", json={"reason": "晚了"}, headers=operator
    )
    assert refused.status_code == 409
    assert (await counts(runtime))[2] == 1


async def test_concurrent_approvals_open_one_store(api, client, runtime):
    _, application = await apply(api, client)
    operator = await api.operator()
    answers = await asyncio.gather(
        *(client.post(f"{REVIEW}/{application['id']}/approve", headers=operator) for _ in range(4))
    )
    assert sorted(answer.status_code for answer in answers) == [200, 409, 409, 409]
    assert (await counts(runtime))[2] == 1


async def test_a_rejection_needs_a_reason_and_may_be_fixed_and_resubmitted(api, client):
    user, application = await apply(api, client)
    operator = await api.operator()
    for reason in ({}, {"reason": ""}, {"reason": "   "}):
        answer = await client.post(
            f"{REVIEW}/{application['id']}/reject", json=reason, headers=operator
        )
        assert answer.status_code == 422, reason
    rejected = expect(
        await client.post(
            f"{REVIEW}/{application['id']}/reject",
            json={"reason": "营业执照照片不清晰"},
            headers=operator,
        ),
        200,
    )
    assert rejected["status"] == "rejected"
    mine = expect(await client.get(MINE, headers=user), 200)
    assert mine[0]["reject_reason"] == "营业执照照片不清晰"
    sharper = await upload(client, user)
    fixed = expect(
        await client.put(
            f"{MINE}/{application['id']}",
            json=form([sharper], store_name="山里人家2"),
            headers=user,
        ),
        200,
    )
    assert (fixed["status"], fixed["store_name"], fixed["reject_reason"]) == (
        "submitted",
        "山里人家2",
        "",
    )
    assert fixed["licence_image_ids"] == [sharper]
    twice = await client.put(f"{MINE}/{application['id']}", json=form([sharper]), headers=user)
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "application_not_rejected"


async def test_one_open_application_per_person(api, client, runtime):
    user, _ = await apply(api, client)
    image = await upload(client, user)
    answer = await client.post(MINE, json=form([image]), headers=user)
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "application_open"
    assert (await counts(runtime))[0] == 1


async def test_concurrent_applications_of_one_person_leave_one(api, client, runtime):
    user = await api.sign_in()
    images = [await upload(client, user) for _ in range(4)]
    answers = await asyncio.gather(
        *(client.post(MINE, json=form([image]), headers=user) for image in images)
    )
    assert sorted(answer.status_code for answer in answers) == [201, 409, 409, 409]
    assert (await counts(runtime))[:2] == (1, 1)


@pytest.mark.parametrize(
    "changes",
    [
        {"store_name": ""},
        {"store_name": "店" * 41},
        {"main_category": "weapons"},
        {"contact_name": ""},
        {"contact_phone": "12345"},
        {"licence_image_ids": []},
        {"licence_image_ids": [1, 2, 3, 4]},
        {"licence_image_ids": ["1"]},
        {"description": "x" * 501},
        {"extra": 1},
    ],
)
async def test_bad_applications_write_nothing(api, client, runtime, changes):
    user = await api.sign_in()
    image = await upload(client, user)
    body = form([image], **changes)
    answer = await client.post(MINE, json=body, headers=user)
    assert answer.status_code == 422, changes
    assert (await counts(runtime))[:2] == (0, 0)


async def test_images_are_the_uploaders_own(api, client, runtime):
    someone = await api.sign_in()
    theirs = await upload(client, someone)
    user = await api.sign_in()
    answer = await client.post(MINE, json=form([theirs]), headers=user)
    assert answer.status_code == 404
    assert (await client.get(f"{IMAGES}/{theirs}", headers=user)).status_code == 404
    assert (await counts(runtime))[:2] == (0, 0)
    _, application = await apply(api, client)
    assert (await client.get(f"{MINE}/{application['id']}", headers=user)).status_code == 404


async def test_licence_images_are_checked(api, client):
    user = await api.sign_in()
    for data, status in ((b"not an image", 422), (gif_bytes(2, 2), 422)):
        files = {"file": ("licence.png", data, "image/png")}
        assert (await client.post(IMAGES, files=files, headers=user)).status_code == (status)
    big = png_bytes(4, 3) + b"\x00" * (2 * 1024 * 1024)
    files = {"file": ("licence.png", big, "image/png")}
    assert (await client.post(IMAGES, files=files, headers=user)).status_code == 413


async def test_only_operators_review(api, client):
    user, application = await apply(api, client)
    for path in ("", f"/{application['id']}"):
        assert (await client.get(f"{REVIEW}{path}", headers=user)).status_code == 403
    answer = await client.post(f"{REVIEW}/{application['id']}/approve", headers=user)
    assert answer.status_code == 403
    assert (await client.post(MINE, json=form([1]))).status_code == 401


async def test_contact_is_encrypted_at_rest(api, client, runtime):
    await apply(api, client)
    async with runtime.db.transaction() as session:
        name, phone = (
            await session.execute(
                text("SELECT contact_name, contact_phone FROM store_applications")
            )
        ).one()
    assert "李四" not in name and "13912345678" not in phone
    assert phone.startswith("v1:")


async def test_applying_is_rate_limited(api, client):
    user = await api.sign_in()
    image = await upload(client, user)
    statuses = [
        (
            await client.post(MINE, json=form([image], contact_phone=new_phone()), headers=user)
        ).status_code
        for _ in range(31)
    ]
    assert statuses[0] == 201 and set(statuses[1:30]) == {409} and statuses[30] == 429
