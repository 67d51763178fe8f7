import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildReport, CheckResult } from "../../tools/doctor/checkResult";
import { redactSecrets, renderJson, renderTable } from "../../tools/doctor/reportRendering";

const CHECKS: CheckResult[] = [
    { id: "token", status: "pass", message: "Got a token.", fix: null },
    { id: "roles", status: "fail", message: "The token lacks SMTP.SendAsApp.", fix: "Grant admin consent." },
    { id: "send", status: "skip", message: "No --send-test-to given.", fix: null },
    { id: "expiry", status: "warn", message: "Ends in 3 days.", fix: "Rotate now." },
];

describe("report rendering", () => {
    it("is not ok when any check fails, and ok with only passes, skips and warnings", () => {
        assert.equal(buildReport(CHECKS).ok, false);
        assert.equal(buildReport(CHECKS.filter((check) => check.status !== "fail")).ok, true);
    });

    it("prints the --json contract: ok and checks with id, status, message, fix", () => {
        const parsed = JSON.parse(renderJson(buildReport(CHECKS))) as { ok: boolean; checks: CheckResult[] };
        assert.equal(parsed.ok, false);
        assert.deepEqual(parsed.checks, CHECKS);
        assert.deepEqual(Object.keys(parsed), ["ok", "checks"]);
    });

    it("prints a table with every check and fix, without colour unless asked", () => {
        const plain = renderTable(buildReport(CHECKS), { colour: false, width: 80 });
        assert.match(plain, /^CHECK\s+STATUS\s+MESSAGE/);
        assert.match(plain, /roles\s+FAIL\s+The token lacks SMTP\.SendAsApp\./);
        assert.match(plain, /Fix: Grant admin consent\./);
        assert.match(plain, /1 check failed\./);
        assert.ok(!plain.includes("\u001b["), "no ANSI escapes without colour");
        const coloured = renderTable(buildReport(CHECKS), { colour: true, width: 80 });
        assert.ok(coloured.includes("\u001b[31mFAIL\u001b[0m"));
    });

    it("wraps long messages to the width", () => {
        const long: CheckResult = {
            id: "smtp",
            status: "fail",
            message: "word ".repeat(60).trim(),
            fix: "fix ".repeat(60).trim(),
        };
        for (const line of renderTable(buildReport([long]), { colour: false, width: 70 }).split("\n")) {
            assert.ok(line.length <= 70, `line too long: ${line}`);
        }
    });

    it("redacts every secret value wherever it appears", () => {
        const text = redactSecrets("secret=Qx8~abcdefgh token=eyJhbGciOi.payload.sig end Qx8~abcdefgh", [
            "Qx8~abcdefgh",
            "eyJhbGciOi.payload.sig",
            undefined,
        ]);
        assert.equal(text, "secret=[redacted] token=[redacted] end [redacted]");
    });

    it("redacts a secret in --json even where JSON escaped its quotes or backslashes", () => {
        const secret = 'Qx8"ab\\cd~efgh';
        const json = renderJson(
            buildReport([{ id: "token", status: "fail", message: `Entra said: ${secret}`, fix: null }]),
        );
        const redacted = redactSecrets(json, [secret]);
        assert.ok(!redacted.includes("Qx8"), redacted);
        assert.equal(JSON.parse(redacted).checks[0].message, "Entra said: [redacted]");
    });
});
