import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderFleetJson, renderFleetTable } from "../../tools/fleet/reportRendering";
import { FleetRow } from "../../tools/fleet/stackStatus";

const ESC = "\u001b";
const OK_ROW: FleetRow = {
    stack: "contoso",
    status: "ok",
    action: null,
    findings: [],
    tenantId: "7d2a3f4e-1b2c-4d5e-8f90-a1b2c3d4e5f6",
    applicationClientId: "0f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a1b",
    clientSecretExpiresAt: "2027-08-08T00:00:00Z",
    clientSecretDaysLeft: 249,
    previousSecretExpiresAt: "2027-02-09T23:30:00-01:00",
    nextSecretRotationAt: "2027-02-10T00:30:00Z",
    lastUpdateAt: "2026-11-30T05:19:02.000Z",
    lastUpdateKind: "update",
    lastUpdateResult: "succeeded",
};
const FAIL_ROW: FleetRow = {
    ...OK_ROW,
    stack: "fabrikam-unreadable",
    status: "fail",
    action: "fix the Pulumi CLI's access to stack fabrikam-unreadable",
    findings: ["pulumi stack output --json --stack fabrikam-unreadable failed: error: [403] Forbidden"],
    tenantId: null,
    applicationClientId: null,
    clientSecretExpiresAt: null,
    clientSecretDaysLeft: null,
    previousSecretExpiresAt: null,
    nextSecretRotationAt: null,
    lastUpdateAt: null,
    lastUpdateKind: null,
    lastUpdateResult: null,
};

describe("fleet report rendering", () => {
    it("prints the --json document: ok, generatedAt, the stacks in the order given", () => {
        const document = JSON.parse(renderFleetJson([FAIL_ROW, OK_ROW], new Date("2026-12-01T06:00:00Z")));
        assert.deepEqual(document, { ok: false, generatedAt: "2026-12-01T06:00:00.000Z", stacks: [FAIL_ROW, OK_ROW] });
        assert.equal(JSON.parse(renderFleetJson([OK_ROW], new Date())).ok, true);
        assert.deepEqual(JSON.parse(renderFleetJson([], new Date(0))), {
            ok: true,
            generatedAt: "1970-01-01T00:00:00.000Z",
            stacks: [],
        });
    });

    it("prints aligned columns, dates in UTC, a dash for what is unknown, findings and action underneath", () => {
        const lines = renderFleetTable([FAIL_ROW, OK_ROW], { colour: false }).split("\n");
        assert.equal(lines[0].indexOf("STACK"), "STATUS  ".length);
        assert.equal(lines[1].indexOf("fabrikam-unreadable"), lines[0].indexOf("STACK"));
        assert.match(lines[1], /^FAIL {4}fabrikam-unreadable {2}- +- +- +- +- +- +-$/);
        assert.equal(
            lines[2],
            "    - pulumi stack output --json --stack fabrikam-unreadable failed: error: [403] Forbidden",
        );
        assert.equal(lines[3], "    Action: fix the Pulumi CLI's access to stack fabrikam-unreadable");
        assert.match(
            lines[4],
            /^OK {6}contoso +7d2a3f4e-\S+ +0f1e2d3c-\S+ +2027-08-08 +249 +2027-02-10 +2027-02-10 +2026-11-30 05:19 update succeeded$/,
        );
        assert.deepEqual(lines.slice(5), ["", "2 stacks: 1 fail, 0 warn, 1 ok.", ""]);
        assert.ok(!lines.join("\n").includes(ESC));
    });

    it("colours only the status word, and only when asked", () => {
        const coloured = renderFleetTable([FAIL_ROW, { ...OK_ROW, status: "warn" }], { colour: true }).split("\n");
        assert.ok(coloured[1].startsWith(`${ESC}[31mFAIL${ESC}[0m    fabrikam`));
        assert.ok(coloured[4].startsWith(`${ESC}[33mWARN${ESC}[0m    contoso`));
        assert.equal(coloured.filter((line) => line.includes(ESC)).length, 2);
    });

    it("says so when there is no stack", () => {
        assert.equal(renderFleetTable([], { colour: false }).split("\n").at(-2), "0 stacks: 0 fail, 0 warn, 0 ok.");
    });
});
