from __future__ import annotations

import pytest
from pydantic import ValidationError

from claw_tui.tools.ask import AnswersFromFlags, AskUserQuestion, Question
from claw_tui.tools.base import ToolContext, ToolError

DB = {
    "question": "Which DB?",
    "header": "Database",
    "options": [
        {"label": "Postgres", "description": "server"},
        {"label": "SQLite", "description": "file"},
    ],
}
FEATURES = {
    "question": "Which features?",
    "header": "Features",
    "options": [
        {"label": "Auth", "description": ""},
        {"label": "Search", "description": ""},
    ],
    "multiSelect": True,
}


def _input(*questions):
    return AskUserQuestion.Input.model_validate({"questions": list(questions)})


def _ctx(tmp_path, asker=None):
    ctx = ToolContext(cwd=tmp_path, roots=[tmp_path])
    if asker is not None:
        ctx.services.asker = asker
    return ctx


async def test_answers_from_flags_by_question_or_header(tmp_path):
    asker = AnswersFromFlags({"which db?": "Postgres", "Features": "Auth, Search"})
    result = await AskUserQuestion().run(_input(DB, FEATURES), _ctx(tmp_path, asker))
    assert not result.is_error
    assert '"Which DB?"="Postgres"' in result.output
    assert '"Which features?"="Auth, Search"' in result.output
    assert result.metadata["answers"] == {
        "Which DB?": "Postgres",
        "Which features?": "Auth, Search",
    }


async def test_missing_flag_answer_says_how_to_pass_it(tmp_path):
    with pytest.raises(
        ToolError,
        match=r"needs an answer for 'Which DB\?': pass --answer \"Which DB\?=<answer>\"",
    ):
        await AskUserQuestion().run(_input(DB), _ctx(tmp_path, AnswersFromFlags({})))


async def test_no_asker_is_a_clear_error(tmp_path):
    with pytest.raises(ToolError, match="not available"):
        await AskUserQuestion().run(_input(DB), _ctx(tmp_path))


async def test_a_custom_asker_gets_the_questions(tmp_path):
    class Recorder:
        def __init__(self):
            self.seen: list[Question] = []

        async def ask(self, questions):
            self.seen = questions
            return {q.question: "my own idea" for q in questions}

    recorder = Recorder()
    result = await AskUserQuestion().run(_input(DB), _ctx(tmp_path, recorder))
    assert [q.header for q in recorder.seen] == ["Database"]
    assert '"Which DB?"="my own idea"' in result.output


@pytest.mark.parametrize(
    "bad",
    [
        {"questions": []},
        {"questions": [DB] * 2},
        {"questions": [{**DB, "header": "Far too long header"}]},
        {"questions": [{**DB, "options": DB["options"][:1]}]},
        {"questions": [{**DB, "options": [DB["options"][0]] * 2}]},
        {"questions": [{**DB, "question": f"Q{i}?"} for i in range(5)]},
    ],
)
def test_shape_is_validated(bad):
    with pytest.raises(ValidationError):
        AskUserQuestion.Input.model_validate(bad)


def test_summary_and_kind():
    tool = AskUserQuestion()
    assert tool.summary(_input(DB, FEATURES)) == "AskUserQuestion: Database; Features"
    assert tool.kind.value == "read"
