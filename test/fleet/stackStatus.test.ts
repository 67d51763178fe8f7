import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FleetOutputs, LastUpdate, StackSnapshot } from "../../tools/fleet/stackReading";
import { FleetRow, judgeStack, sortRows } from "../../tools/fleet/stackStatus";

const NOW = new Date("2026-12-01T06:00:00Z");
const DAY_MS = 24 * 60 * 60 * 1000;
const at = (days: number): string => new Date(NOW.getTime() + days * DAY_MS).toISOString();
const SUCCEEDED: LastUpdate = { kind: "update", result: "succeeded", at: at(-2) };

function outputs(values: FleetOutputs["values"], malformed: FleetOutputs["malformed"] = []): FleetOutputs {
    return { values, malformed, outputCount: Object.keys(values).length + malformed.length + 4 };
}

const HEALTHY_VALUES = {
    tenantId: "7d2a3f4e-1b2c-4d5e-8f90-a1b2c3d4e5f6",
    applicationClientId: "0f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a1b",
    clientSecretExpiresAt: at(250),
    previousSecretExpiresAt: at(70),
    nextSecretRotationAt: at(70),
};

function judge(changes: Partial<StackSnapshot> & { values?: Partial<typeof HEALTHY_VALUES> }, warnDays = 30): FleetRow {
    const snapshot: StackSnapshot = {
        stack: "contoso",
        outputs: outputs({ ...HEALTHY_VALUES, ...changes.values }),
        lastUpdate: SUCCEEDED,
        readErrors: [],
        ...changes,
    };
    return judgeStack(snapshot, NOW, warnDays);
}

describe("fleet status rules (pure, at a fixed clock)", () => {
    it("ok: every field passed through, days left counted", () => {
        const row = judge({});
        assert.deepEqual(row, {
            stack: "contoso",
            status: "ok",
            action: null,
            findings: [],
            ...HEALTHY_VALUES,
            clientSecretDaysLeft: 250,
            lastUpdateAt: SUCCEEDED.at,
            lastUpdateKind: "update",
            lastUpdateResult: "succeeded",
        });
    });

    it("fail: the exported secret has expired, from the very moment it ends", () => {
        assert.equal(judge({ values: { clientSecretExpiresAt: at(0.001) } }).status, "ok");
        const row = judge({ values: { clientSecretExpiresAt: at(0) } });
        assert.equal(row.status, "fail");
        assert.deepEqual(row.findings, [`the client secret expired at ${at(0)}`]);
        assert.equal(
            row.action,
            "mail has stopped: run pulumi up --stack contoso, then paste the new secret into the suite",
        );
        assert.equal(judge({ values: { clientSecretExpiresAt: at(-3.9) } }).clientSecretDaysLeft, -3);
    });

    it("fail: nextSecretRotationAt passed more than one day ago; within a day it is still ok", () => {
        const values = { previousSecretExpiresAt: at(100), clientSecretExpiresAt: at(200) };
        assert.equal(judge({ values: { ...values, nextSecretRotationAt: at(-1) } }).status, "ok");
        const row = judge({ values: { ...values, nextSecretRotationAt: at(-1.01) } });
        assert.equal(row.status, "fail");
        assert.match(row.findings[0], /^the rotation due at .* has not happened \(1 days overdue\)$/);
        assert.equal(row.action, "the scheduled run stopped: run pulumi up --stack contoso and fix the schedule");
    });

    it("fail: the last update failed; in progress is no finding", () => {
        const row = judge({ lastUpdate: { kind: "update", result: "failed", at: at(-0.1) } });
        assert.equal(row.status, "fail");
        assert.deepEqual(row.findings, [`the last update (${at(-0.1)}) failed`]);
        assert.equal(row.action, "see pulumi stack history --stack contoso and run pulumi up --stack contoso again");
        assert.equal(
            judge({ lastUpdate: { kind: "refresh", result: "failed" } }).findings[0],
            "the last refresh failed",
        );
        assert.equal(judge({ lastUpdate: { kind: "update", result: "in-progress", at: at(0) } }).status, "ok");
    });

    it("fail: a CLI call for the stack failed, with the CLI's error and a fix", () => {
        const row = judge({
            outputs: undefined,
            readErrors: ["pulumi stack output --json --stack contoso failed: error: [403] Forbidden"],
        });
        assert.equal(row.status, "fail");
        assert.deepEqual(row.findings, ["pulumi stack output --json --stack contoso failed: error: [403] Forbidden"]);
        assert.match(String(row.action), /^fix the Pulumi CLI's access to stack contoso/);
        assert.equal(row.tenantId, null);
    });

    it("warn: the previous secret ends within --warn-days, counted against the given window", () => {
        const ending = { previousSecretExpiresAt: at(30), nextSecretRotationAt: at(30) };
        const row = judge({ values: ending });
        assert.equal(row.status, "warn");
        assert.deepEqual(row.findings, [`the previous secret ends at ${at(30)}, in 30 days`]);
        assert.equal(
            row.action,
            "make sure the suite holds the current secret (pulumi stack output clientSecret --show-secrets --stack contoso; npm run doctor -- --stack contoso --handover proves it)",
        );
        assert.equal(judge({ values: ending }, 29).status, "ok");
        assert.equal(
            judge({ values: { previousSecretExpiresAt: at(-0.5), nextSecretRotationAt: at(-0.5) } }).findings[0],
            `the previous secret ended at ${at(-0.5)}`,
        );
    });

    it("ok: a first-period stack has no previous secret yet", () => {
        const { previousSecretExpiresAt: _omitted, ...firstPeriod } = HEALTHY_VALUES;
        const row = judgeStack(
            { stack: "new", outputs: outputs(firstPeriod), lastUpdate: SUCCEEDED, readErrors: [] },
            NOW,
            30,
        );
        assert.equal(row.status, "ok");
        assert.equal(row.previousSecretExpiresAt, null);
    });

    it("warn, no action: never deployed, or no ucx-mail outputs", () => {
        const withoutUcxMailOutputs = (outputCount: number, lastUpdate: LastUpdate | null): FleetRow =>
            judgeStack(
                { stack: "s", outputs: { values: {}, malformed: [], outputCount }, lastUpdate, readErrors: [] },
                NOW,
                30,
            );
        const summary = (row: FleetRow) => [row.status, row.action, row.findings];
        assert.deepEqual(summary(withoutUcxMailOutputs(0, null)), ["warn", null, ["the stack was never deployed"]]);
        const otherProgram = withoutUcxMailOutputs(1, SUCCEEDED);
        assert.deepEqual(summary(otherProgram), ["warn", null, ["the stack has no ucx-mail outputs"]]);
        const destroyed = withoutUcxMailOutputs(0, { kind: "destroy", result: "succeeded" });
        assert.deepEqual(summary(destroyed), ["warn", null, ["the stack has no ucx-mail outputs"]]);
    });

    it("warn: a malformed or missing output, with the redeploy action", () => {
        const { clientSecretExpiresAt: _bad, nextSecretRotationAt: _missing, ...rest } = HEALTHY_VALUES;
        const row = judgeStack(
            {
                stack: "m",
                outputs: outputs(rest, [{ key: "clientSecretExpiresAt", printed: "12345" }]),
                lastUpdate: SUCCEEDED,
                readErrors: [],
            },
            NOW,
            30,
        );
        assert.equal(row.status, "warn");
        assert.deepEqual(row.findings, [
            "output clientSecretExpiresAt is not usable: 12345 is not an ISO 8601 time",
            "the stack has no nextSecretRotationAt output",
        ]);
        assert.equal(row.action, "run pulumi up --stack m with the current ucx-mail so that it exports valid outputs");
        assert.equal(row.clientSecretDaysLeft, null);
    });

    it("reports every finding, worst first, and the actions of the worst ones only", () => {
        const row = judge({
            values: {
                clientSecretExpiresAt: at(-1),
                previousSecretExpiresAt: at(-181),
                nextSecretRotationAt: at(-181),
            },
            lastUpdate: { kind: "update", result: "failed", at: at(-1) },
        });
        assert.equal(row.status, "fail");
        assert.equal(row.findings.length, 4);
        assert.match(row.findings[3], /^the previous secret ended/);
        assert.equal(
            row.action,
            [
                "mail has stopped: run pulumi up --stack contoso, then paste the new secret into the suite",
                "the scheduled run stopped: run pulumi up --stack contoso and fix the schedule",
                "see pulumi stack history --stack contoso and run pulumi up --stack contoso again",
            ].join("; "),
        );
        assert.doesNotMatch(String(row.action), /make sure the suite/);
    });

    it("sorts fail, warn, ok, then by name in code-point order", () => {
        const rows = [
            judge({ stack: "b-ok" }),
            judge({ stack: "z-fail", lastUpdate: { kind: "update", result: "failed" } }),
            judge({ stack: "a-warn", values: { previousSecretExpiresAt: at(3) } }),
            judge({ stack: "A-ok" }),
            judge({ stack: "c-fail", values: { clientSecretExpiresAt: at(-1) } }),
        ];
        assert.deepEqual(
            sortRows(rows).map((row) => row.stack),
            ["c-fail", "z-fail", "a-warn", "A-ok", "b-ok"],
        );
    });
});
