"""A bot process for the chaos test: one JSON line in ({"user", "text"}), one JSON line out per
message, written only after the runtime committed (what the person would see as acknowledged)."""

from __future__ import annotations

import asyncio
import json
import sys

from bot.app import open_app
from bot.engine.messages import Inbound, split_ref


async def main() -> None:
    async with open_app() as application:
        print(json.dumps({"ready": True}), flush=True)
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            message = json.loads(line)
            replies = await application.runtime.handle(
                Inbound(
                    "console", message["user"], text=message.get("text", ""), display_name=message["user"],
                    choice=message.get("choice"), reply_to=message.get("reply_to"),
                )
            )
            keys = [ref[1] for r in replies if (ref := split_ref(r.question_ref))]
            menus = [r.question_ref for r in replies if r.question_ref and split_ref(r.question_ref) is None]
            out = {"user": message["user"], "keys": keys, "reprompt": any(r.kind == "reprompt" for r in replies),
                   "done": any("完了" in r.text for r in replies), "menus": menus}
            print(json.dumps(out, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
