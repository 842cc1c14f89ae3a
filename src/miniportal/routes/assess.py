"""Quizzes and exams in the browser: the form, and on submit the graded page with explanations.

Field names: `a-<item id>` holds a typed answer or the chosen number of a single-choice item (1-based, as on
screen); a multiple-choice item sends one `a-<item id>-<k>` per ticked choice. A blank answer counts as wrong;
an unreadable one (a choice that does not exist) answers 400 naming the item, and nothing is stored.
A submission with nothing answered at all is not stored either: it comes back as a page asking whether to submit
anyway (the same fields plus `confirm_blank=1`) or go back, since an empty form is far more often a slip.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lynx_cortex.quiz import PASS_MARK, Quiz
from miniportal.assessment import submit
from miniportal.errors import NotFoundError, PortalError
from miniportal.exams import Exam
from miniportal.questions import AnswerError, Graded, Question, from_quiz_item, grade
from miniportal.routes.pages import phase_from, title
from miniportal.web import Ctx, context, form, page

router = APIRouter()
# One field per typed answer or ticked choice; the 64 KiB body cap still bounds the request.
MAX_FIELDS = 1000


def _raw(question: Question, fields: dict[str, str]) -> str | list[int] | None:
    key = f"a-{question.id}"
    if question.kind == "multi":
        return [k for k in range(len(question.choices)) if f"{key}-{k + 1}" in fields]
    value = fields.get(key)
    if question.kind == "single":
        if value is None or not value.strip():
            return None
        number = value.strip()
        # isdigit() is also true of '²' and '٣', which int() refuses or reads as another number: ASCII only
        if not (number.isascii() and number.isdigit()) or len(number) > 3:
            raise PortalError(f"{question.id}: choose one of the numbered answers")
        return [int(number) - 1]
    return value


def grade_form(questions: list[Question], fields: dict[str, str]) -> list[Graded]:
    try:
        return [grade(q, _raw(q, fields)) for q in questions]
    except AnswerError as exc:
        raise PortalError(str(exc)) from None


def _quiz(request: Request, nn: str) -> tuple[int, str, Quiz]:
    phase = phase_from(nn)
    quiz: Quiz | None = request.app.state.quizzes.get(phase.number)
    if quiz is None:
        raise NotFoundError(f"phase {phase.code} has no quiz yet")
    return phase.number, phase.code, quiz


def _result(ctx: Ctx, heading: str, back: str, graded: list[Graded], cards: int) -> Response:
    correct = sum(1 for g in graded if g.correct)
    total = len(graded)
    return page(
        ctx,
        "quiz_result.html",
        heading=heading,
        back=back,
        graded=graded,
        correct=correct,
        total=total,
        passed=total > 0 and correct / total >= PASS_MARK,
        cards=cards,
    )


CONFIRM_BLANK = "confirm_blank"


def _unconfirmed_blank(graded: list[Graded], fields: dict[str, str]) -> bool:
    return bool(graded) and not any(g.answered for g in graded) and fields.get(CONFIRM_BLANK) != "1"


def _confirm_page(ctx: Ctx, heading: str, action: str) -> Response:
    return page(ctx, "quiz_blank.html", heading=heading, action=action, confirm=CONFIRM_BLANK)


@router.get("/phases/{nn}/quiz")
async def quiz_form(request: Request, nn: str) -> Response:
    ctx = context(request)
    ctx.require_user()
    number, code, quiz = _quiz(request, nn)
    questions = [from_quiz_item(item, number) for item in quiz.items]
    heading = f"{code} · {quiz.title.text('es' if ctx.locale == 'es' else 'en')}"
    return page(
        ctx,
        "quiz.html",
        heading=heading,
        intro="",
        action=f"/phases/{code}/quiz",
        questions=questions,
    )


@router.post("/phases/{nn}/quiz")
async def quiz_submit(request: Request, nn: str) -> Response:
    ctx = context(request)
    fields = await form(ctx, max_fields=MAX_FIELDS)
    user = ctx.require_user()
    number, code, quiz = _quiz(request, nn)
    graded = grade_form([from_quiz_item(item, number) for item in quiz.items], fields)
    heading = f"{code} · {title(phase_from(code), ctx.locale)}"
    if _unconfirmed_blank(graded, fields):
        return _confirm_page(ctx, heading, f"/phases/{code}/quiz")
    with ctx.portal.engine.begin() as conn:
        done = submit(
            ctx.portal, conn, user.id, source="quiz", ref=code, phase=number, graded=graded
        )
    return _result(ctx, heading, f"/phases/{code}", graded, done.cards)


def _exam(request: Request, slug: str) -> Exam:
    exams: dict[str, Exam] = request.app.state.exams
    exam = exams.get(slug) if len(slug) <= 64 else None
    if exam is None:
        raise NotFoundError("there is no such exam")
    return exam


@router.get("/exams")
async def exam_list(request: Request) -> Response:
    ctx = context(request)
    ctx.require_user()
    exams: dict[str, Exam] = request.app.state.exams
    return page(ctx, "exams.html", exams=list(exams.values()))


@router.get("/exams/{slug}")
async def exam_form(request: Request, slug: str) -> Response:
    ctx = context(request)
    ctx.require_user()
    exam = _exam(request, slug)
    return page(
        ctx,
        "quiz.html",
        heading=exam.title(ctx.locale),
        intro=exam.intro(ctx.locale),
        action=f"/exams/{exam.slug}",
        questions=exam.questions,
    )


@router.post("/exams/{slug}")
async def exam_submit(request: Request, slug: str) -> Response:
    ctx = context(request)
    fields = await form(ctx, max_fields=MAX_FIELDS)
    user = ctx.require_user()
    exam = _exam(request, slug)
    graded = grade_form(exam.questions, fields)
    if _unconfirmed_blank(graded, fields):
        return _confirm_page(ctx, exam.title(ctx.locale), f"/exams/{exam.slug}")
    with ctx.portal.engine.begin() as conn:
        done = submit(
            ctx.portal, conn, user.id, source="exam", ref=exam.slug, phase=None, graded=graded
        )
    return _result(ctx, exam.title(ctx.locale), "/exams", graded, done.cards)
