"""A company whose hearing is answered to the end on the console, for the draft tests."""

from __future__ import annotations

from bot.runtime.core import Runtime
from tests.answering import valid_answer
from tests.conftest import Convo, add_company


async def answered_company(runtime: Runtime, name: str, course: str, user: str = "lead") -> Convo:
    """The company's lead answers every question with the first valid answer (one group entry)."""
    convo = Convo(runtime, user)
    code = await add_company(runtime, name, course)
    await convo.send(f"/start {code}")
    await convo.send("/hearing")
    for _ in range(400):
        step = await convo.current_step()
        if step is None:
            return convo
        question = step.question
        text = "いいえ" if question.id == "_more" else valid_answer(question, "ja")
        if question.id == "past_incident":
            text = "被害を受けたことがある"
        await convo.send(text)
    raise AssertionError("the hearing did not end")


async def begun_company(runtime: Runtime, name: str, course: str, user: str = "lead", platform: str = "console") -> Convo:
    """The company's lead has answered the hearing's first question: enough for a draft (the rest
    is 【要確認】)."""
    convo = Convo(runtime, user, platform)
    code = await add_company(runtime, name, course)
    await convo.send(f"/start {code}")
    await convo.send("/hearing")
    step = await convo.current_step()
    assert step is not None
    await convo.send(valid_answer(step.question, "ja"))
    return convo
