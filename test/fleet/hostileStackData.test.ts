// Stack outputs, history fields and CLI errors come from whoever can write the state backend. The fleet prints them
// inert in the table, the JSON and the job summary, and never calls a stack with non-GUID ids ok.

import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { escapeUntrustedText } from "../../tools/untrustedText";
import { createFakePulumiWorld, FakeStack } from "./support/fakePulumiWorld";
import { runFleetInProcess } from "./support/runFleet";
import { HEALTHY, succeededUpdate, ucxMailStack } from "./support/tenants";

const NOW = new Date();
const now = () => NOW;
/** ESC sequences (title, clear screen), BEL, CR overwriting the line, a workflow command, a fence and an image. */
const HOSTILE =
    "\u001b]0;owned\u0007\u001b[2J\r::error title=pwned::all tenants compromised\n```\n![x](https://e.example/p.png)<img src=x>";

const healthy = ucxMailStack("oak-hostile", NOW, HEALTHY);
const FLEET: FakeStack[] = [
    {
        ...healthy,
        outputs: { ...healthy.outputs, tenantId: HOSTILE, applicationClientId: `::warning::${HOSTILE}` },
        history: [{ ...succeededUpdate(NOW, 1), kind: `update${HOSTILE}`, result: `succeeded${HOSTILE}` }],
    },
    ucxMailStack("pine-not-guid", NOW, HEALTHY),
    {
        ...ucxMailStack("quince-error", NOW, HEALTHY),
        // The fleet passes on the line after "error:" (sdk/go/common/diag/sink.go); here a hostile backend wrote it.
        failOutput: { exitCode: 255, stderr: `error: ${HOSTILE.replace(/\n/g, " ")}` },
    },
];
FLEET[1] = {
    ...FLEET[1],
    outputs: { ...FLEET[1].outputs, tenantId: "contoso.onmicrosoft.com", applicationClientId: "ucx-mail" },
};

/** Nothing in `text` may act on a terminal, a GitHub log or a Markdown summary. */
function assertInert(text: string, where: string): void {
    assert.doesNotMatch(text, /(?!\n)\p{Cc}/u, `${where}: a control character`);
    assert.ok(!text.includes("::"), `${where}: a workflow command`);
    assert.ok(!text.includes("```"), `${where}: a Markdown fence`);
    assert.ok(!text.includes("!["), `${where}: a Markdown image`);
    assert.ok(!text.includes("<img"), `${where}: an HTML tag`);
}

describe("fleet report with hostile stack data", () => {
    const world = createFakePulumiWorld(FLEET);
    after(() => world.cleanup());

    it("prints the table inert, with the hostile values visible as escapes", async () => {
        const run = await runFleetInProcess([], world.env, { now });
        assertInert(run.stdout, "table");
        assert.ok(run.stdout.includes(escapeUntrustedText(HOSTILE.replace(/\n/g, " "))), "the CLI error, escaped");
        assert.ok(run.stdout.includes(`\\x1b]0;owned\\x07`), "visible, not hidden");
        for (const line of run.stdout.split("\n")) assert.doesNotMatch(line.trimStart(), /^::/);
    });

    it("prints the JSON inert too", async () => {
        const run = await runFleetInProcess(["--json"], world.env, { now });
        assertInert(run.stdout, "json");
        const rows = JSON.parse(run.stdout).stacks as Record<string, unknown>[];
        const oak = rows.find((row) => row.stack === "oak-hostile")!;
        assert.equal(oak.lastUpdateKind, escapeUntrustedText(`update${HOSTILE}`));
        assertInert(JSON.stringify(JSON.parse(run.stdout)), "json values");
    });

    it("keeps the job summary's code fence closed only by the workflow", async () => {
        const run = await runFleetInProcess([], world.env, { now });
        // The summary as the workflow's fleet step writes it.
        const summary = ["### ucx-mail fleet report", "", "```", run.stdout.trimEnd(), "```", ""].join("\n");
        assert.deepEqual(
            summary.split("\n").filter((line) => line.trimStart().startsWith("```")),
            ["```", "```"],
        );
        assertInert(run.stdout, "summary");
    });

    it("never calls a stack ok whose tenantId or applicationClientId is not a GUID", async () => {
        const run = await runFleetInProcess(["--json"], world.env, { now });
        const rows = JSON.parse(run.stdout).stacks as { stack: string; status: string; findings: string[] }[];
        const statusOf = Object.fromEntries(rows.map((row) => [row.stack, row.status]));
        assert.equal(statusOf["oak-hostile"], "warn");
        assert.equal(statusOf["pine-not-guid"], "warn");
        assert.equal(statusOf["quince-error"], "fail");
        const pine = rows.find((row) => row.stack === "pine-not-guid")!;
        assert.ok(pine.findings.includes('output tenantId is not usable: "contoso.onmicrosoft.com" is not a GUID'));
        assert.ok(pine.findings.includes('output applicationClientId is not usable: "ucx-mail" is not a GUID'));
    });
});
