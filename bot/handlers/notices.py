"""/notice: the secretariat's broadcasts. A broadcast typed in chat is shown as a preview with the
number of recipients, and queued only when confirmed (送信する); the draft's id makes a second press
harmless.

  /notice TARGET TEXT                 TARGET: all, course:csirt, course:it-bcp, company:NAME
  /notice send --to TARGET --text …   the CLI's form
  /notice status ID                   sent / pending / failed, and the failures with their reasons
  /notice cancel ID                   what is not sent yet is not sent
"""

from __future__ import annotations

from bot.turn.context import Ctx
from bot.engine.messages import Choice, Inbound, Outbound
from bot.engine.parse import words_after
from bot.handlers.secretariat import BadArgs, command_args, managed
from bot.policy import Action, settle
from scheduler import notices as service
from scheduler.audience import parse_audience
from scheduler.errors import ProgrammeError
from scheduler.render import DRAFT_REF

REF_PREFIX = DRAFT_REF
FAILURES_SHOWN = 10


def _error(ctx: Ctx, key: str, **params: object) -> list[Outbound]:
    return [Outbound(ctx.say(key, **params), kind="error")]


async def handle_notice(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    replies = await managed(ctx, "broadcast", lambda: _notice(ctx, inbound, args))
    return replies if replies is not None else _error(ctx, "programme.secretariat_only")


async def _notice(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    sub, _, rest = args.strip().partition(" ")
    try:
        if sub.lower() in ("status", "cancel") and rest.strip().isdecimal():
            if sub.lower() == "status":
                return [Outbound(status_text(ctx, await service.notice_status(ctx.session, int(rest))))]
            cancelled = await service.cancel_notice(ctx.session, int(rest))
            return [Outbound(ctx.say("programme.notice_cancel_done", id=int(rest), count=cancelled))]
        if sub.lower() == "send":
            positional, flags = command_args(words_after(inbound.text, 2), {"to", "text"})
            if positional or "to" not in flags or "text" not in flags:
                raise BadArgs(rest)
            target, text = flags["to"], flags["text"]
        else:
            # The text keeps its line breaks: everything after the target, as typed.
            target, text = sub, words_after(inbound.text, 2)
            if not target or not text:
                raise BadArgs(args)
        return await _preview(ctx, target, text)
    except BadArgs:
        return _error(ctx, "programme.notice_usage")
    except ProgrammeError as exc:
        return [Outbound(exc.render(ctx.content.book, ctx.lang), kind="error")]


async def _preview(ctx: Ctx, target: str, text: str) -> list[Outbound]:
    audience = parse_audience(target)
    draft, count = await service.create_draft(ctx.session, audience, text, now=ctx.now, created_by=ctx.person.id)
    preview = "\n".join([
        ctx.say("programme.notice_preview", count=count, audience=str(audience)),
        ctx.say("programme.broadcast_header"),
        draft.text,
    ])
    options = (Choice("send", ctx.say("programme.button_send")), Choice("cancel", ctx.say("programme.button_cancel")))
    return [Outbound(preview, kind="question", options=options, question_ref=f"{DRAFT_REF}:{draft.id}")]


async def handle_press(ctx: Ctx, inbound: Inbound, rest: str) -> list[Outbound]:
    allowed, entry = ctx.may_start(Action.BROADCAST)
    if not allowed or entry is None:
        return _error(ctx, "programme.secretariat_only")
    replies, error = await _press(ctx, inbound, rest)
    settle(entry, error)  # a press that sent nothing is not recorded as an allowed broadcast
    return replies


async def _press(ctx: Ctx, inbound: Inbound, rest: str) -> tuple[list[Outbound], str | None]:
    """The replies, and why nothing was broadcast (None: it was)."""
    if not rest.isdecimal() or inbound.choice not in ("send", "cancel"):
        return _error(ctx, "flow.stale_press"), "stale press"
    try:
        if inbound.choice == "cancel":
            done = await service.cancel_draft(ctx.session, int(rest))
        else:
            done = await service.send_draft(ctx.session, ctx.content, int(rest), now=ctx.now, created_by=ctx.person.id)
    except ProgrammeError as exc:
        return [Outbound(exc.render(ctx.content.book, ctx.lang), kind="error")], exc.render(ctx.content.book, "en")
    if done.state == "missing":
        return _error(ctx, "flow.stale_press"), "stale press"
    if done.state == "already_sent":
        return [Outbound(ctx.say("programme.notice_already_sent", id=done.notice_id))], "already sent"
    if done.state == "cancelled":
        reason = "cancelled by the secretariat" if inbound.choice == "cancel" else "draft cancelled"
        return [Outbound(ctx.say("programme.notice_draft_cancelled"))], reason
    return [Outbound(ctx.say("programme.notice_queued", id=done.notice_id, count=done.count))], None


def status_text(ctx: Ctx, status: service.NoticeStatus) -> str:
    counts = status.counts
    lines = [ctx.say(
        "programme.notice_status", id=status.notice.id, total=status.total, sent=counts["sent"],
        pending=counts["pending"], failed=counts["failed"], cancelled=counts["cancelled"],
    )]
    for reason in ("dropped", "skipped"):
        if status.notice.payload.get(reason):
            lines.append(ctx.say("programme.notice_not_sent", reason=status.notice.payload[reason]))
    if status.possible_duplicates:
        lines.append(ctx.say("programme.notice_status_duplicates", count=status.possible_duplicates))
    for who, error in status.failures[:FAILURES_SHOWN]:
        lines.append(ctx.say("programme.notice_failure", recipient=who, error=error))
    if len(status.failures) > FAILURES_SHOWN:
        lines.append(ctx.say("programme.notice_more_failures", count=len(status.failures) - FAILURES_SHOWN))
    return "\n".join(lines)
