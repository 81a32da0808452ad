"""`--json-schema`: the StructuredOutput tool, through which the model gives its answer as data.

As in Claude Code, the model is offered a tool whose input schema is the user's schema; a call
whose input validates ends the turn, and the input becomes the result's `structured_output`
(and, as JSON text, its `result`). An input that does not validate goes back to the model as an
error to fix. `jsonschema` is imported only when print mode is given a schema.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from claw_tui.tools.base import Tool, ToolContext, ToolError, ToolKind, ToolResult

NAME = "StructuredOutput"
# Sent once more when a turn ends without the tool being called, before the run gives up.
REMINDER = f"Give your answer now by calling the {NAME} tool exactly once, with input that follows its schema."


class SchemaError(ValueError):
    """A --json-schema that is not valid JSON or not a valid JSON Schema."""


class AnyInput(BaseModel):
    model_config = ConfigDict(extra="allow")


def load_schema(text: str) -> dict[str, Any]:
    """The schema from --json-schema's JSON text; SchemaError saying what is wrong with it."""
    from jsonschema import Draft202012Validator
    from jsonschema import SchemaError as JsonSchemaError

    try:
        schema = json.loads(text)
    except ValueError as exc:
        raise SchemaError(f"--json-schema is not valid JSON: {exc}") from None
    if not isinstance(schema, dict):
        raise SchemaError("--json-schema must be a JSON object (a JSON Schema)")
    try:
        Draft202012Validator.check_schema(schema)
    except JsonSchemaError as exc:
        raise SchemaError(f"--json-schema is not a valid JSON Schema: {exc.message}") from None
    return schema


class StructuredOutput(Tool[AnyInput]):
    name: ClassVar[str] = NAME
    description: ClassVar[str] = (
        "Use this tool to return your final response in the requested structured format. You MUST call this "
        "tool exactly once at the end of your response to provide the structured output."
    )
    Input = AnyInput
    kind: ClassVar[ToolKind] = ToolKind.READ

    def __init__(self, schema: dict[str, Any]) -> None:
        self._schema = schema

    def schema(self) -> dict[str, Any]:
        return self._schema

    async def run(self, input: AnyInput, ctx: ToolContext) -> ToolResult:
        from jsonschema import Draft202012Validator

        data = input.model_dump()
        problems = sorted(Draft202012Validator(self._schema).iter_errors(data), key=lambda e: list(e.path))
        if problems:
            said = "; ".join(f"{'/'.join(str(p) for p in e.path) or 'the input'}: {e.message}" for e in problems[:5])
            raise ToolError(f"The output does not follow the schema: {said}. Call the tool again with corrected input.")
        return ToolResult.text("Structured output provided successfully", structured_output=data, ends_turn=True)
