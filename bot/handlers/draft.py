"""/draft [DOCUMENT] [FORMAT] [COMPANY]: a document drafted from the company's answers, sent as a file.

`/draft` lists the documents for the company's course as buttons (bot/drafts/documents.offered);
a press asks for the format where the document has several, then sends the file with how many
answers it used and how many fields are still 【要確認】. A member or the lead drafts for their own
company, an assigned expert or the secretariat names it (`/draft 企業名`), as /report does. A refusal
and an unknown company name get the same answer. Each document made is an audited MAKE_DRAFT entry
with its document and version (bot/drafts/versions.py), done or failed with the reason.
"""

from __future__ import annotations

from bot.config import get_settings
from bot.content.drafts import DraftTemplate
from bot.drafts.documents import NotBegun, company_draft, fits, offered
from bot.drafts.fill import questions_drawn_on
from bot.drafts.versions import next_version
from bot.turn.context import Ctx
from bot.engine.messages import Choice, Inbound, OutFile, Outbound
from bot.policy import Action, Resource, Role, decide, settle
from bot.store import repo
from bot.store.models import Company

REF_PREFIX = "draft"  # buttons: question_ref "draft:<company id>", value "<document>[.<format>]"
MEGABYTE = 1024 * 1024


def _error(ctx: Ctx, key: str, **params: object) -> list[Outbound]:
    return [Outbound(ctx.say(key, **params), kind="error")]


async def handle_draft(ctx: Ctx, inbound: Inbound, args: str) -> list[Outbound]:
    words = args.split()
    template = ctx.content.drafts.get(words[0]) if words else None
    if template is not None:
        words.pop(0)
    fmt = words.pop(0).lower() if template is not None and words and words[0].lower() in template.formats else None
    name = " ".join(words)
    if ctx.person.role in (Role.MEMBER, Role.LEAD) and not name:
        company = await repo.company_by_id(ctx.session, ctx.person.company_id)
    elif not name:
        return _error(ctx, "draft.usage")
    else:
        company = await repo.company_by_name(ctx.session, name)
    if company is None or not _may_draft(ctx, company, name):
        return _error(ctx, "draft.not_available")
    if template is None:
        return _listing(ctx, company)
    return await _chosen(ctx, company, template, fmt)


async def handle_press(ctx: Ctx, inbound: Inbound, rest: str) -> list[Outbound]:
    """A document or a format pressed under the listing: checked again, the company as the
    button names it (an old message's buttons still draft for their own company)."""
    company = await repo.company_by_id(ctx.session, int(rest)) if rest.isdigit() else None
    if company is None or not _may_draft(ctx, company, company.name):
        return _error(ctx, "draft.not_available")
    document, _, fmt = (inbound.choice or "").partition(".")
    template = ctx.content.drafts.get(document)
    if template is None:
        return _error(ctx, "draft.unknown_document", name=document[:64], names=", ".join(t.name for t in offered(ctx.content, company.course)))
    return await _chosen(ctx, company, template, fmt or None)


def _may_draft(ctx: Ctx, company: Company, name: str) -> bool:
    """Whether the person may draft for the company. Only a refusal is audited here: the entry of a
    document made is written when it is made, with its version."""
    resource = Resource(company_id=company.id, name=name[:100])
    return decide(ctx.actor, Action.MAKE_DRAFT, resource).allowed or ctx.may(Action.MAKE_DRAFT, resource)


def _ref(company: Company) -> str:
    return f"{REF_PREFIX}:{company.id}"


def _label(ctx: Ctx, template: DraftTemplate, course: str) -> str:
    other = "" if fits(template, course) else ctx.say("draft.list_other_course")
    return f"{template.title.get(ctx.lang)}{other}"


def _listing(ctx: Ctx, company: Company) -> list[Outbound]:
    templates = offered(ctx.content, company.course)
    lines = [ctx.say("draft.list", company=company.name)] + [
        ctx.say("draft.list_item", name=t.name, title=_label(ctx, t, company.course), formats=", ".join(t.formats))
        for t in templates
    ]
    options = tuple(Choice(t.name, _label(ctx, t, company.course)) for t in templates)
    return [Outbound("\n".join(lines), kind="question", options=options, question_ref=_ref(company), lasting=True)]


async def _chosen(ctx: Ctx, company: Company, template: DraftTemplate, fmt: str | None) -> list[Outbound]:
    title = template.title.get(ctx.lang)
    if not fits(template, company.course) and template.other_course == "refuse":
        return _error(ctx, "draft.other_course_refused", title=title, course=ctx.say(f"course.{company.course}"))
    if fmt is not None and fmt not in template.formats:
        return _error(ctx, "draft.bad_format", title=title, formats=", ".join(template.formats), format=fmt[:16])
    if fmt is None and len(template.formats) > 1:
        options = tuple(Choice(f"{template.name}.{f}", ctx.say(f"draft.format.{f}")) for f in template.formats)
        return [Outbound(ctx.say("draft.choose_format", title=title), kind="question", options=options,
                         question_ref=_ref(company), lasting=True)]
    return await _send(ctx, company, template, fmt or template.formats[0])


async def _send(ctx: Ctx, company: Company, template: DraftTemplate, fmt: str) -> list[Outbound]:
    title = template.title.get(ctx.lang)
    allowed, entry = ctx.may_start(Action.MAKE_DRAFT, Resource(company_id=company.id, name=company.name))
    if not allowed or entry is None:
        return _error(ctx, "draft.not_available")
    try:
        made = await company_draft(ctx.session, ctx.content, company, template, fmt, ctx.speaker)
    except NotBegun:
        settle(entry, "the hearing has not begun")
        return _error(ctx, "draft.not_begun", company=company.name, questions=questions_drawn_on(template))
    limit = get_settings().files_max_bytes
    if len(made.data) > limit:
        settle(entry, f"{len(made.data)} bytes, more than {limit}")
        return _error(ctx, "draft.too_large", title=title, size=_megabytes(len(made.data)), limit=_megabytes(limit),
                      name=template.name, format=fmt)
    version = await next_version(ctx.session, company.id, template.name)
    entry.detail = {**(entry.detail or {}), "document": template.name, "format": fmt, "version": version,
                    "answers": made.draft.answers_used, "to_confirm": made.missing}
    settle(entry, None)
    text = ctx.say("draft.sent", title=title, answers=made.draft.answers_used, missing=made.missing)
    return [Outbound(text, files=(OutFile(made.name, made.mime_type, made.data),))]


def _megabytes(size: int) -> str:
    return f"{size / MEGABYTE:.1f}"
