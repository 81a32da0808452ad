// A second, independent ACP client: the official TypeScript SDK drives `claw acp`.
//
//   node client.mjs <cwd> <prompt> <permission option kind> -- <agent command...>
//
// It sends the prompt, answers each permission request with the first option of the given
// kind, and checks every message it receives from the agent against the protocol's JSON
// schema shipped in the SDK package. It prints one JSON object: the stop reason, the updates,
// the permission requests and any schema violations.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Readable, Writable } from "node:stream";

import * as acp from "@agentclientprotocol/sdk";
import Ajv2020 from "ajv/dist/2020.js";

const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve("@agentclientprotocol/sdk/schema/v1/schema.json"), "utf8"));

const [cwd, promptText, answerKind, separator, ...agentCommand] = process.argv.slice(2);
if (separator !== "--" || agentCommand.length === 0) {
  console.error("usage: node client.mjs <cwd> <prompt> <option kind> -- <agent command...>");
  process.exit(2);
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
// The schema's number formats (from its Rust types), checked as what they say.
const integer = (min, max) => ({ type: "number", validate: (x) => Number.isInteger(x) && x >= min && x <= max });
ajv.addFormat("uint16", integer(0, 65535));
ajv.addFormat("int32", integer(-(2 ** 31), 2 ** 31 - 1));
ajv.addFormat("uint32", integer(0, 2 ** 32 - 1));
ajv.addFormat("int64", integer(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
ajv.addFormat("uint64", integer(0, Number.MAX_SAFE_INTEGER));
ajv.addFormat("double", { type: "number", validate: Number.isFinite });
ajv.addSchema(schema, "acp");
const check = (definition, value) => {
  const validate = ajv.getSchema(`acp#/$defs/${definition}`);
  return validate(value) ? null : ajv.errorsText(validate.errors);
};
// The checker can fail: a made-up update kind and a negative line are rejected.
const selfCheck =
  check("SessionNotification", { sessionId: "s", update: { sessionUpdate: "made_up" } }) !== null &&
  check("ToolCallLocation", { path: "/x", line: -1 }) !== null &&
  check("SessionNotification", { sessionId: "s", update: { sessionUpdate: "agent_message_chunk", content: { type: "text", text: "ok" } } }) === null;
const violations = [];
const checked = (definition, value) => {
  const problem = check(definition, value);
  if (problem) violations.push({ definition, problem, value });
  return value;
};

const updates = [];
const permissions = [];
const agentProcess = spawn(agentCommand[0], agentCommand.slice(1), { cwd, stdio: ["pipe", "pipe", "inherit"] });
const stream = acp.ndJsonStream(Writable.toWeb(agentProcess.stdin), Readable.toWeb(agentProcess.stdout));

const app = acp
  .client({ name: "claw-test-ts-client" })
  .onNotification(acp.methods.client.session.update, ({ params }) => {
    updates.push(checked("SessionNotification", params));
  })
  .onRequest(acp.methods.client.session.requestPermission, ({ params }) => {
    permissions.push(checked("RequestPermissionRequest", params));
    const option = params.options.find((o) => o.kind === answerKind) ?? params.options[0];
    return { outcome: { outcome: "selected", optionId: option.optionId } };
  });

const result = await app.connectWith(stream, async (agent) => {
  const init = checked(
    "InitializeResponse",
    await agent.request(acp.methods.agent.initialize, {
      protocolVersion: acp.PROTOCOL_VERSION,
      clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
      clientInfo: { name: "claw-test-ts-client", version: "1.0.0" },
    }),
  );
  const session = checked("NewSessionResponse", await agent.request(acp.methods.agent.session.new, { cwd, mcpServers: [] }));
  const response = checked(
    "PromptResponse",
    await agent.request(acp.methods.agent.session.prompt, {
      sessionId: session.sessionId,
      prompt: [{ type: "text", text: promptText }],
    }),
  );
  return { init, session, stopReason: response.stopReason };
});

agentProcess.stdin.end();
console.log(JSON.stringify({ ...result, updates, permissions, violations, selfCheck }));
process.exit(0);
