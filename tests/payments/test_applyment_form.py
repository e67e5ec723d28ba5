"""The owner's 进件 form in the console: images go to paysim's media upload, the application
names them, and the worker polls WeChat Pay until the sub-merchant exists."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from tests.analytics.support import page, redirected_to, submit, use_session
from tests.media.test_media import png_bytes
from weshop.core.clock import utcnow
from weshop.payments.applyment_models import ApplymentProgress
from weshop.payments.models import StorePaymentAccount

FORM = {
    "organization_type": "4",
    "merchant_shortname": "山里人家",
    "licence_number": "92110105MA01ABCD1X",
    "merchant_name": "北京市朝阳区山里人家水果店",
    "id_card_name": "李四",
    "id_card_number": "110101199003071234",
    "id_card_valid_until": "2036-01-01",
    "bank_account_type": "75",
    "account_bank": "工商银行",
    "bank_address_code": "110000",
    "account_name": "李四",
    "account_number": "6222020200112345678",
    "contact_name": "李四",
    "contact_phone": "13912345678",
}


def images() -> dict:
    return {
        name: (f"{name}.png", png_bytes(5 + index, 4), "image/png")
        for index, name in enumerate(("licence", "id_card_front", "id_card_back"))
    }


async def state(runtime, store_id: int) -> tuple[StorePaymentAccount, ApplymentProgress]:
    async with runtime.db.transaction() as session:
        account = await session.scalar(
            select(StorePaymentAccount).where(StorePaymentAccount.store_id == store_id)
        )
        progress = await session.scalar(
            select(ApplymentProgress).where(ApplymentProgress.store_id == store_id)
        )
    return account, progress


async def test_the_worker_follows_the_application_to_its_sub_merchant(
    client, api, runtime, runner, wechatpay, clock, sim
):
    store_id, owner = await api.new_store()
    use_session(client, owner)
    path = f"/console/stores/{store_id}/payments/applyment"
    assert "f-id_card_front" in (await page(client, path)).text
    answer = await submit(client, path, FORM, files=images())
    assert redirected_to(answer).endswith("/payments/applyment?done=submitted")
    assert len(sim.store.all("SELECT * FROM media")) == 3
    account, progress = await state(runtime, store_id)
    assert account.applyment_state == "SUBMITTED" and account.sub_mchid is None

    now = utcnow()
    clock.advance(seconds=21)
    await runner.run(now + timedelta(seconds=31))
    account, progress = await state(runtime, store_id)
    assert account.applyment_state == "NEED_SIGN"
    assert progress.sign_url.startswith("https://") and progress.polls == 1
    shown = (await page(client, path)).text
    assert progress.sign_url.replace("&", "&amp;") in shown or progress.sign_url in shown

    clock.advance(seconds=10)
    await runner.run(now + timedelta(minutes=3))
    account, progress = await state(runtime, store_id)
    assert account.applyment_state == "FINISH" and account.sub_mchid
    assert progress.finished_at is not None and progress.polls == 2
    assert account.sub_mchid in (await page(client, path)).text
    # Over: no further question is queued.
    assert await runner.run(now + timedelta(days=2)) == 0
    # The personal fields were never kept by WeShop.
    async with runtime.db.transaction() as session:
        dump = str((await session.execute(text("SELECT * FROM applyment_progress"))).all())
    assert "110101199003071234" not in dump and "6222020200112345678" not in dump


async def test_a_rejection_shows_its_reason_and_the_form_again(
    client, api, runtime, runner, wechatpay, clock
):
    store_id, owner = await api.new_store()
    use_session(client, owner)
    path = f"/console/stores/{store_id}/payments/applyment"
    form = {**FORM, "merchant_shortname": "驳回测试"}
    redirected_to(await submit(client, path, form, files=images()))
    clock.advance(seconds=31)
    await runner.run(utcnow() + timedelta(seconds=31))
    account, progress = await state(runtime, store_id)
    assert account.applyment_state == "REJECTED" and progress.reject_reason
    shown = (await page(client, path)).text
    assert progress.reject_reason in shown and "f-id_card_front" in shown
    redirected_to(await submit(client, path, FORM, files=images()))
    account, _ = await state(runtime, store_id)
    assert account.applyment_state == "SUBMITTED"


async def test_missing_images_and_bad_fields_send_nothing(client, api, runtime, wechatpay, sim):
    store_id, owner = await api.new_store()
    use_session(client, owner)
    path = f"/console/stores/{store_id}/payments/applyment"
    no_back = {k: v for k, v in images().items() if k != "id_card_back"}
    assert (await submit(client, path, FORM, files=no_back)).status_code == 422
    bad_id = {**FORM, "id_card_number": "12345"}
    assert (await submit(client, path, bad_id, files=images())).status_code == 422
    not_image = {**images(), "licence": ("l.png", b"not an image", "image/png")}
    assert (await submit(client, path, FORM, files=not_image)).status_code == 422
    account, progress = await state(runtime, store_id)
    assert account is None and progress is None
    assert sim.store.all("SELECT * FROM applyments") == []


async def test_only_the_owner_applies(client, api, wechatpay):
    store_id, owner = await api.new_store()
    staff = await api.add_staff(store_id, owner, "operator")
    use_session(client, staff)
    path = f"/console/stores/{store_id}/payments/applyment"
    assert (await page(client, path)).status_code == 403
