// The official MCP TypeScript SDK as a host of `cadre mcp serve`: it starts
// cadre over stdio, negotiates, lists cadre's tools and calls each kind,
// including the refusals (a deny-listed file, a tool that would run a
// process). Run by ctest: node sdk_client.test.mjs --cadre PATH.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const cadre = process.argv[process.argv.indexOf("--cadre") + 1];
assert.ok(cadre && fs.existsSync(cadre), "usage: node sdk_client.test.mjs --cadre PATH");

// A small project: a helper used across files, one import that is broken,
// and a secret next to them.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cadre-mcp-sdk-"));
const project = path.join(tmp, "project");
const write = (rel, text) => {
  fs.mkdirSync(path.dirname(path.join(project, rel)), { recursive: true });
  fs.writeFileSync(path.join(project, rel), text);
};
write("app.py", "from pkg.util import helper, missing_name\n\ndef main():\n    return helper(1)\n");
write("pkg/__init__.py", "");
write("pkg/util.py", "def helper(x):\n    return x + 1\n\nclass Greeter:\n    def greet(self):\n        return helper(2)\n");
write(".env", "API_KEY=sk-live-not-for-models-0123456789\n");

const env = {
  PATH: process.env.PATH,
  HOME: path.join(tmp, "home"),
  XDG_CONFIG_HOME: path.join(tmp, "config"),
  XDG_STATE_HOME: path.join(tmp, "state"),
  XDG_CACHE_HOME: path.join(tmp, "cache"),
};
// One checkpoint, then a change after it, for checkpoints_list and _diff.
execFileSync(cadre, ["checkpoints", "create", project, "-m", "before the change"], { env, stdio: "ignore" });
write("pkg/util.py", fs.readFileSync(path.join(project, "pkg/util.py"), "utf8") + "\ndef added():\n    pass\n");
const transport = new StdioClientTransport({ command: cadre, args: ["mcp", "serve", project], env, stderr: "pipe" });
let stderr = "";
transport.stderr?.on("data", (d) => (stderr += d));
const client = new Client({ name: "sdk-test", version: "1.0.0" });

const text = (result) => result.content.filter((c) => c.type === "text").map((c) => c.text).join("\n");
let failed = false;
async function step(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failed = true;
    console.log(`FAIL ${name}: ${e.message}`);
  }
}

try {
  await client.connect(transport);
  await step("initialize: cadre answers with its name and tools capability", async () => {
    assert.equal(client.getServerVersion().name, "cadre");
    assert.ok(client.getServerCapabilities().tools);
    assert.match(client.getInstructions() ?? "", /repo_map/);
  });
  await step("ping", async () => {
    await client.ping();
  });
  await step("tools/list: the read-only analysis tools, nothing that writes or runs", async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    for (const n of ["repo_map", "find_symbol", "references", "check", "read_file", "list_files", "search_files", "checkpoints_list", "checkpoints_diff"])
      assert.ok(names.includes(n), `missing ${n} in ${names}`);
    for (const n of ["run_command", "write_file", "edit_file"]) assert.ok(!names.includes(n), `${n} must not be offered`);
    assert.ok(tools.every((t) => t.annotations?.readOnlyHint === true));
  });
  await step("repo_map ranks the helper", async () => {
    const r = await client.callTool({ name: "repo_map", arguments: { tokens: 512 } });
    assert.ok(!r.isError);
    assert.match(text(r), /def helper\(x\)/);
  });
  await step("find_symbol finds a class; exact names first", async () => {
    const r = await client.callTool({ name: "find_symbol", arguments: { query: "Greeter" } });
    assert.match(text(r), /pkg\/util\.py:4: class Greeter/);
    assert.equal(r.structuredContent.matches[0].name, "Greeter");
  });
  await step("references finds uses in both files", async () => {
    const r = await client.callTool({ name: "references", arguments: { name: "helper" } });
    assert.match(text(r), /app\.py:1:\d+: import from pkg\.util/);
    assert.match(text(r), /pkg\/util\.py:6:\d+: use/);
  });
  await step("check reports the broken import", async () => {
    const r = await client.callTool({ name: "check", arguments: {} });
    assert.match(text(r), /app\.py:1:\d+: error: `missing_name` is not defined in pkg\/util\.py \[unknown-import-name\]/);
  });
  await step("read_file reads the workspace", async () => {
    const r = await client.callTool({ name: "read_file", arguments: { path: "pkg/util.py" } });
    assert.match(text(r), /class Greeter/);
  });
  await step("read_file refuses .env, as for any model", async () => {
    const r = await client.callTool({ name: "read_file", arguments: { path: ".env" } });
    assert.equal(r.isError, true);
    assert.match(text(r), /deny-listed/);
    assert.doesNotMatch(text(r), /sk-live/);
  });
  await step("list_files hides .env", async () => {
    const r = await client.callTool({ name: "list_files", arguments: {} });
    assert.doesNotMatch(text(r), /\.env/);
    assert.match(text(r), /1 deny-listed entry not shown/);
  });
  await step("reading outside the project is refused: there is no one to approve it", async () => {
    const r = await client.callTool({ name: "read_file", arguments: { path: "/etc/hostname" } });
    assert.equal(r.isError, true);
    assert.match(text(r), /no one to ask/);
  });
  await step("run_command is refused by name with the reason", async () => {
    await assert.rejects(client.callTool({ name: "run_command", arguments: { command: "ls" } }), /not available over MCP/);
  });
  await step("checkpoints_list shows the checkpoint", async () => {
    const r = await client.callTool({ name: "checkpoints_list", arguments: {} });
    assert.match(text(r), /^#1 [0-9a-f]{12} .*before the change/m);
  });
  await step("checkpoints_diff shows the change since, never .env", async () => {
    const r = await client.callTool({ name: "checkpoints_diff", arguments: {} });
    assert.match(text(r), /\+def added\(\):/);
    assert.doesNotMatch(text(r), /sk-live/);
    const stat = await client.callTool({ name: "checkpoints_diff", arguments: { stat: true } });
    assert.match(text(stat), /^M pkg\/util\.py \+3 -0$/m);
  });
  await step("checkpoints_restore is refused: it writes files and needs approval", async () => {
    await assert.rejects(client.callTool({ name: "checkpoints_restore", arguments: {} }), /needs your approval/);
  });
  await step("every call is in the project's audit trail", async () => {
    const audit = fs.readFileSync(path.join(project, ".cadre/audit.jsonl"), "utf8");
    assert.match(audit, /"tool":"find_symbol"/);
    assert.match(audit, /"model":"mcp:sdk-test"/);
  });
} catch (e) {
  failed = true;
  console.log(`FAIL ${e.stack}\ncadre's stderr:\n${stderr}`);
} finally {
  await client.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
