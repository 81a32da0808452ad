#!/usr/bin/env bash
# A CI job written for Claude Code's print mode, as such jobs are written: review the last
# commit's diff for a JSON verdict, ask a follow-up in the same session, then let it write a
# changelog entry while logging the message stream. test_ci_script.py runs it with `claude`
# being claw; it was checked against Claude Code 2.1.332 too (see the test's docstring).
set -euo pipefail

schema='{"type":"object","properties":{"verdict":{"enum":["APPROVE","REJECT"]},"reason":{"type":"string"}},"required":["verdict","reason"]}'

# 1. The diff piped in after the prompt; a JSON result with structured output; read-only tools.
review=$(git diff HEAD~1 | claude -p "Review this diff." --output-format json --json-schema "$schema" \
  --max-turns 5 --allowedTools "Read,Grep" --permission-mode dontAsk --max-budget-usd 5)
[ "$(jq -r .is_error <<<"$review")" = false ] || { echo "review failed: $review" >&2; exit 1; }
verdict=$(jq -r .structured_output.verdict <<<"$review")
session=$(jq -r .session_id <<<"$review")
echo "verdict: $verdict"

# 2. A follow-up in the same session, by the id the first call returned.
why=$(claude -p --resume "$session" "Why?" --output-format json --model sonnet \
  --append-system-prompt "Answer in one sentence.")
[ "$(jq -r .session_id <<<"$why")" = "$session" ] || { echo "the follow-up left the session" >&2; exit 1; }
echo "why: $(jq -r .result <<<"$why")"

# 3. A change made with edits allowed, its message stream kept as a log.
claude -p "Add a changelog entry for this change to CHANGES.md." --output-format stream-json --verbose \
  --permission-mode acceptEdits --include-partial-messages > stream.jsonl
echo "first line: $(head -n1 stream.jsonl | jq -r '.type + "/" + .subtype')"
echo "tools used: $(jq -r 'select(.type=="assistant") | .message.content[] | select(.type=="tool_use") | .name' stream.jsonl | paste -sd, -)"
echo "outcome: $(jq -r 'select(.type=="result") | .subtype + " after " + (.num_turns|tostring) + " turns"' stream.jsonl)"
echo "cost: $(jq -r 'select(.type=="result") | .total_cost_usd > 0' stream.jsonl)"
