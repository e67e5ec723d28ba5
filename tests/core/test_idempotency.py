"""``Idempotency-Key``: the first answer is replayed, the action runs once, even under races."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import select

from weshop.core.errors import InvalidInput, ProviderError
from weshop.core.http import DbSession, IdempotencyKey
from weshop.core.http_errors import install_error_handlers
from weshop.core.idempotency import MAX_KEY_LENGTH, IdempotencyRecord, run_idempotent
from weshop.core.outbox import OutboxMessage, emit


class TransferIn(BaseModel):
    amount_fen: int
    note: str = ""


class TransferOut(BaseModel):
    id: int
    amount_fen: int
    note: str


class Recorder:
    """The action under test: writes one row in the request's transaction and counts its runs."""

    def __init__(self, delay: float = 0.0) -> None:
        self.runs = 0
        self.delay = delay

    def action(self, session, body: TransferIn):
        async def run() -> TransferOut:
            self.runs += 1
            message = emit(session, "test.transfer", body.model_dump())
            await session.flush()
            if self.delay:
                await asyncio.sleep(self.delay)  # hold the transaction open
            return TransferOut(id=message.id, **body.model_dump())

        return run


def build_app(runtime, recorder: Recorder) -> FastAPI:
    app = FastAPI()
    app.state.runtime = runtime
    install_error_handlers(app)

    @app.post("/transfers", status_code=201)
    async def create_transfer(body: TransferIn, session: DbSession, key: IdempotencyKey = None):
        outcome = await run_idempotent(
            session,
            key=key,
            owner="user:1",
            endpoint="POST /transfers",
            payload=body.model_dump(mode="json"),
            action=recorder.action(session, body),
            model=TransferOut,
        )
        return outcome.response()

    return app


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def http(runtime, recorder: Recorder) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(runtime, recorder))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def _rows(runtime, model) -> list:
    async with runtime.db.session() as session:
        return list((await session.scalars(select(model).order_by(model.id))).all())


async def test_the_same_key_and_body_replays_the_first_answer(runtime, http, recorder) -> None:
    headers = {"Idempotency-Key": "k-1"}
    first = await http.post("/transfers", json={"amount_fen": 500, "note": "房租"}, headers=headers)
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    body = first.json()
    assert body["amount_fen"] == 500 and body["note"] == "房租"

    for _ in range(3):
        again = await http.post(
            "/transfers", json={"note": "房租", "amount_fen": 500}, headers=headers
        )
        assert again.status_code == 201
        assert again.json() == body
        assert again.headers["Idempotent-Replayed"] == "true"

    assert recorder.runs == 1
    assert [row.id for row in await _rows(runtime, OutboxMessage)] == [body["id"]]
    [record] = await _rows(runtime, IdempotencyRecord)
    assert (record.owner, record.endpoint, record.key) == ("user:1", "POST /transfers", "k-1")
    assert record.status_code == 201
    assert record.response == body


async def test_the_same_key_with_another_body_is_refused(runtime, http, recorder) -> None:
    headers = {"Idempotency-Key": "k-2"}
    first = await http.post("/transfers", json={"amount_fen": 500}, headers=headers)
    assert first.status_code == 201
    other = await http.post("/transfers", json={"amount_fen": 501}, headers=headers)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert recorder.runs == 1
    assert len(await _rows(runtime, OutboxMessage)) == 1

    # The refused request changed nothing: the original still replays.
    replay = await http.post("/transfers", json={"amount_fen": 500}, headers=headers)
    assert replay.json() == first.json()


async def test_without_a_key_every_request_runs(runtime, http, recorder) -> None:
    answers = [
        (await http.post("/transfers", json={"amount_fen": 500})).json()["id"] for _ in range(3)
    ]
    assert len(set(answers)) == 3
    assert recorder.runs == 3
    assert len(await _rows(runtime, OutboxMessage)) == 3
    assert await _rows(runtime, IdempotencyRecord) == []


async def test_different_keys_run_separately(runtime, http, recorder) -> None:
    a = await http.post("/transfers", json={"amount_fen": 1}, headers={"Idempotency-Key": "a"})
    b = await http.post("/transfers", json={"amount_fen": 1}, headers={"Idempotency-Key": "b"})
    assert a.json()["id"] != b.json()["id"]
    assert recorder.runs == 2


@pytest.mark.parametrize("key", ["x" * (MAX_KEY_LENGTH + 1), "x" * 1000])
async def test_an_overlong_key_is_invalid_input(runtime, http, recorder, key: str) -> None:
    answer = await http.post("/transfers", json={"amount_fen": 1}, headers={"Idempotency-Key": key})
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_idempotency_key"
    assert recorder.runs == 0
    assert await _rows(runtime, OutboxMessage) == []
    assert await _rows(runtime, IdempotencyRecord) == []


async def test_a_key_of_the_maximum_length_is_accepted(runtime, http, recorder) -> None:
    key = "k" * MAX_KEY_LENGTH
    first = await http.post("/transfers", json={"amount_fen": 1}, headers={"Idempotency-Key": key})
    again = await http.post("/transfers", json={"amount_fen": 1}, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert recorder.runs == 1


@pytest.mark.parametrize("key", ["", "x" * (MAX_KEY_LENGTH + 1), "tab\tkey", "line\nbreak"])
async def test_run_idempotent_refuses_bad_keys(runtime, key: str) -> None:
    recorder = Recorder()
    with pytest.raises(InvalidInput) as raised:
        async with runtime.db.transaction() as session:
            await run_idempotent(
                session,
                key=key,
                owner="user:1",
                endpoint="POST /transfers",
                payload={},
                action=recorder.action(session, TransferIn(amount_fen=1)),
                model=TransferOut,
            )
    assert raised.value.status_code == 422
    assert raised.value.code == "invalid_idempotency_key"
    assert recorder.runs == 0


async def test_a_failed_action_leaves_no_key_so_a_retry_runs_again(runtime) -> None:
    runs: list[str] = []

    async def failing():
        runs.append("fail")
        raise RuntimeError("payment provider timed out")

    async def succeeding() -> TransferOut:
        runs.append("ok")
        return TransferOut(id=1, amount_fen=9, note="")

    with pytest.raises(RuntimeError):
        async with runtime.db.transaction() as session:
            await run_idempotent(
                session,
                key="retry-me",
                owner="u",
                endpoint="e",
                payload={"a": 1},
                action=failing,
                model=TransferOut,
            )
    assert await _rows(runtime, IdempotencyRecord) == []

    async with runtime.db.transaction() as session:
        outcome = await run_idempotent(
            session,
            key="retry-me",
            owner="u",
            endpoint="e",
            payload={"a": 1},
            action=succeeding,
            model=TransferOut,
        )
    assert outcome.status_code == 201 and not outcome.replayed
    assert outcome.model == TransferOut(id=1, amount_fen=9, note="")
    assert runs == ["fail", "ok"]


async def test_a_replay_answers_the_first_model_and_says_it_is_a_replay(runtime) -> None:
    runs: list[int] = []

    async def action() -> TransferOut:
        runs.append(1)
        return TransferOut(id=len(runs), amount_fen=42, note="第一次")

    outcomes = []
    for _ in range(2):
        async with runtime.db.transaction() as session:
            outcomes.append(
                await run_idempotent(
                    session,
                    key="model",
                    owner="u",
                    endpoint="e",
                    payload={"amount_fen": 42},
                    action=action,
                    model=TransferOut,
                    status_code=200,
                )
            )
    first, again = outcomes
    assert runs == [1]
    assert isinstance(again.model, TransferOut) and again.model == first.model
    assert (first.replayed, again.replayed) == (False, True)
    assert first.status_code == again.status_code == 200
    assert "Idempotent-Replayed" not in first.response().headers
    assert again.response().headers["Idempotent-Replayed"] == "true"
    assert again.response().body == first.response().body


async def test_a_failed_request_over_http_can_be_retried(runtime) -> None:
    class FlakyRecorder(Recorder):
        def action(self, session, body):
            inner = super().action(session, body)

            async def run():
                result = await inner()
                if self.runs == 1:
                    raise ProviderError("the provider failed after we wrote")
                return result

            return run

    recorder = FlakyRecorder()
    transport = httpx.ASGITransport(app=build_app(runtime, recorder))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        headers = {"Idempotency-Key": "flaky"}
        failed = await http.post("/transfers", json={"amount_fen": 5}, headers=headers)
        assert failed.status_code == 502
        assert await _rows(runtime, OutboxMessage) == []
        assert await _rows(runtime, IdempotencyRecord) == []
        retried = await http.post("/transfers", json={"amount_fen": 5}, headers=headers)
        assert retried.status_code == 201
        replay = await http.post("/transfers", json={"amount_fen": 5}, headers=headers)
    assert replay.json() == retried.json()
    assert recorder.runs == 2
    assert len(await _rows(runtime, OutboxMessage)) == 1


async def test_keys_are_scoped_by_owner_and_endpoint(runtime) -> None:
    runs: list[tuple[str, str]] = []

    async def call(owner: str, endpoint: str) -> dict:
        async def action() -> TransferOut:
            runs.append((owner, endpoint))
            return TransferOut(id=len(runs), amount_fen=1, note=owner)

        async with runtime.db.transaction() as session:
            outcome = await run_idempotent(
                session,
                key="same",
                owner=owner,
                endpoint=endpoint,
                payload={},
                action=action,
                model=TransferOut,
            )
        return outcome.model.model_dump()

    a = await call("user:1", "POST /a")
    b = await call("user:2", "POST /a")
    c = await call("user:1", "POST /b")
    assert await call("user:1", "POST /a") == a
    assert len({a["id"], b["id"], c["id"]}) == 3
    assert runs == [("user:1", "POST /a"), ("user:2", "POST /a"), ("user:1", "POST /b")]


async def test_concurrent_requests_with_one_key_run_once(runtime) -> None:
    recorder = Recorder(delay=0.2)
    transport = httpx.ASGITransport(app=build_app(runtime, recorder))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        answers = await asyncio.gather(
            *(
                http.post(
                    "/transfers",
                    json={"amount_fen": 700, "note": "并发"},
                    headers={"Idempotency-Key": "race"},
                )
                for _ in range(2)
            )
        )
    assert [answer.status_code for answer in answers] == [201, 201], [a.text for a in answers]
    assert answers[0].json() == answers[1].json()
    assert sorted(answer.headers.get("Idempotent-Replayed", "no") for answer in answers) == [
        "no",
        "true",
    ]
    assert recorder.runs == 1
    assert len(await _rows(runtime, OutboxMessage)) == 1
    assert len(await _rows(runtime, IdempotencyRecord)) == 1


async def test_concurrent_transactions_with_one_key_run_once(runtime) -> None:
    runs: list[int] = []

    async def request() -> tuple[int, dict, str | None]:
        async with runtime.db.transaction() as session:

            async def action() -> TransferOut:
                runs.append(1)
                message = emit(session, "test.transfer", {"amount_fen": 300})
                await session.flush()
                await asyncio.sleep(0.2)
                return TransferOut(id=message.id, amount_fen=300, note="")

            answer = (
                await run_idempotent(
                    session,
                    key="race-2",
                    owner="user:9",
                    endpoint="POST /transfers",
                    payload={"amount_fen": 300},
                    action=action,
                    model=TransferOut,
                )
            ).response()
        return (
            answer.status_code,
            json.loads(answer.body),
            answer.headers.get("Idempotent-Replayed"),
        )

    results = await asyncio.gather(*(request() for _ in range(4)))
    assert len(runs) == 1
    assert {status for status, _, _ in results} == {201}
    assert len({json.dumps(body, sort_keys=True) for _, body, _ in results}) == 1
    assert sorted(str(replayed) for _, _, replayed in results) == ["None", "true", "true", "true"]
    assert len(await _rows(runtime, OutboxMessage)) == 1
