"""AskUserQuestion: the model asks the user multiple-choice questions (Claude Code's shape).

Who answers is a service, `ctx.services.asker`: the TUI shows a form; headless runs answer
from `--answer "QUESTION=ANSWER"` flags through `AnswersFromFlags`.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from pydantic import BaseModel, Field, model_validator

from claw_tui.tools.base import Tool, ToolContext, ToolError, ToolResult


class Option(BaseModel):
    label: str = Field(
        min_length=1, description="The choice as shown to the user: 1-5 words."
    )
    description: str = Field(description="What this choice means or implies.")


class Question(BaseModel):
    question: str = Field(
        min_length=1, description='The full question, ending with "?".'
    )
    header: str = Field(
        min_length=1,
        max_length=12,
        description='A very short label for the question, e.g. "Database".',
    )
    options: list[Option] = Field(
        min_length=2,
        max_length=4,
        description="2-4 distinct choices. An 'Other' free-text answer is always offered.",
    )
    multiSelect: bool = Field(
        default=False, description="True when the user may pick several options."
    )

    @model_validator(mode="after")
    def _distinct_labels(self) -> Question:
        labels = [o.label for o in self.options]
        if len(set(labels)) != len(labels):
            raise ValueError(f"option labels must be distinct in {self.question!r}")
        return self


class AskUserQuestionInput(BaseModel):
    questions: list[Question] = Field(
        min_length=1, max_length=4, description="1-4 questions to ask together."
    )

    @model_validator(mode="after")
    def _distinct_questions(self) -> AskUserQuestionInput:
        texts = [q.question for q in self.questions]
        if len(set(texts)) != len(texts):
            raise ValueError("questions must be distinct")
        return self


class Asker(Protocol):
    async def ask(self, questions: list[Question]) -> dict[str, str]:
        """Question text → chosen label (labels comma-joined for multiSelect, or the user's own text)."""
        ...


class AnswersFromFlags:
    """A headless asker answering from a mapping of question (or header) to answer."""

    def __init__(self, answers: dict[str, str]) -> None:
        self._answers = {_key(k): v for k, v in answers.items()}

    async def ask(self, questions: list[Question]) -> dict[str, str]:
        answers: dict[str, str] = {}
        for q in questions:
            answer = self._answers.get(
                _key(q.question), self._answers.get(_key(q.header))
            )
            if answer is None:
                choices = ", ".join(o.label for o in q.options)
                raise ToolError(
                    f"AskUserQuestion needs an answer for {q.question!r}: pass "
                    f'--answer "{q.question}=<answer>" (options: {choices}). '
                    "Without it, decide yourself and say which choice you made."
                )
            answers[q.question] = answer
        return answers


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


class AskUserQuestion(Tool[AskUserQuestionInput]):
    name: ClassVar[str] = "AskUserQuestion"
    description: ClassVar[str] = (
        "Ask the user 1-4 multiple-choice questions while you work, to gather preferences, clarify an "
        "ambiguous request, or let them choose between approaches.\n\n"
        "Each question has a short header (at most 12 characters) and 2-4 distinct options, each with a "
        "label and a description; the user can always answer with their own text instead ('Other'), so "
        "do not add an 'Other' option. Set multiSelect when several options may be chosen. If you "
        'recommend an option, put it first and add "(Recommended)" to its label.\n'
        "Do not use it to ask whether your plan is ready or to approve it: in plan mode use ExitPlanMode."
    )
    Input = AskUserQuestionInput

    def summary(self, input: AskUserQuestionInput) -> str:
        return "AskUserQuestion: " + "; ".join(q.header for q in input.questions)

    async def run(self, input: AskUserQuestionInput, ctx: ToolContext) -> ToolResult:
        asker: Asker | None = ctx.services.asker
        if asker is None:
            raise ToolError(
                "AskUserQuestion is not available here: nobody can answer questions in this session. "
                "Make a reasonable choice yourself and state it."
            )
        answers = await asker.ask(input.questions)
        missing = [
            q.question
            for q in input.questions
            if not answers.get(q.question, "").strip()
        ]
        if missing:
            raise ToolError(
                f"The user did not answer: {', '.join(repr(m) for m in missing)}."
            )
        pairs = ", ".join(
            f'"{q.question}"="{answers[q.question]}"' for q in input.questions
        )
        return ToolResult.text(
            f"User has answered your questions: {pairs}. You can now continue with the user's answers in mind.",
            answers={q.question: answers[q.question] for q in input.questions},
        )
