import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, describe, it } from "node:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { PulumiCallError, runPulumiJson } from "../../tools/fleet/pulumiCli";
import {
    listStackNames,
    parseFleetOutputs,
    parseLastUpdate,
    parseStackList,
    readStack,
} from "../../tools/fleet/stackReading";
import { createFakePulumiWorld } from "./support/fakePulumiWorld";
import { REPO_ROOT } from "./support/runFleet";
import { HEALTHY, secretOf, succeededUpdate, ucxMailStack } from "./support/tenants";

const NOW = new Date("2026-12-01T06:00:00Z");

describe("reading stacks through the Pulumi CLI", () => {
    const running = { kind: "update", result: "in-progress", startTime: NOW };
    const world = createFakePulumiWorld(
        [ucxMailStack("contoso", NOW, HEALTHY), ucxMailStack("busy", NOW, HEALTHY, [running, succeededUpdate(NOW, 7)])],
        { backend: "cloud" },
    );
    after(() => world.cleanup());
    const cli = { env: world.env, cwd: REPO_ROOT, timeoutMs: 10_000 };
    const raw = (...args: string[]): string =>
        execFileSync("pulumi", args, {
            env: { ...world.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
            cwd: REPO_ROOT,
            encoding: "utf8",
        });

    it("the double prints stack output as the CLI does: sorted keys, two-space indent, secrets blinded", () => {
        const printed = raw("stack", "output", "--json", "--stack", "contoso");
        assert.match(printed, /^\{\n {2}"applicationClientId": "[^"]+",\n {2}"applicationObjectId"/);
        assert.match(printed, /\n {2}"clientSecret": "\[secret\]",\n/);
        assert.ok(!printed.includes(secretOf("contoso")));
        assert.ok(printed.endsWith("}\n"));
    });

    it("the double prints history newest first, endTime only once finished", () => {
        const [newest] = JSON.parse(raw("stack", "history", "--json", "--stack", "busy", "--page-size", "1")) as Record<
            string,
            unknown
        >[];
        assert.deepEqual(Object.keys(newest), [
            "version",
            "kind",
            "startTime",
            "message",
            "environment",
            "config",
            "result",
        ]);
        assert.equal(newest.startTime, "2026-12-01T06:00:00.000Z");
        assert.deepEqual((newest.config as Record<string, unknown>)["ucx-mail:exchangeClientSecret"], { secret: true });
        const page = JSON.parse(raw("stack", "history", "--json", "--stack", "busy")) as Record<string, unknown>[];
        assert.deepEqual(Object.keys(page[1]).slice(-2), ["endTime", "resourceChanges"]);
    });

    it("lists the stacks and reads one: outputs without secrets, the newest update", async () => {
        assert.deepEqual(await listStackNames(cli), ["busy", "contoso"]);
        const snapshot = await readStack("busy", cli);
        assert.deepEqual(snapshot.readErrors, []);
        assert.deepEqual(Object.keys(snapshot.outputs!.values).sort(), [
            "applicationClientId",
            "clientSecretExpiresAt",
            "nextSecretRotationAt",
            "previousSecretExpiresAt",
            "tenantId",
        ]);
        assert.equal(snapshot.outputs!.outputCount, 10);
        assert.deepEqual(snapshot.lastUpdate, {
            kind: "update",
            result: "in-progress",
            at: "2026-12-01T06:00:00.000Z",
        });
    });

    it("asks for the update check to be skipped, so stderr stays quiet", () => {
        const noisy = execFileSync("sh", ["-c", "pulumi stack ls --json 2>&1 >/dev/null"], {
            env: { ...world.env, PULUMI_SKIP_UPDATE_CHECK: "" },
            cwd: REPO_ROOT,
            encoding: "utf8",
        });
        assert.match(noisy, /^warning: A new version of Pulumi is available/);
    });
});

describe("parsing what the CLI printed (pure)", () => {
    it("takes the names from stack ls and refuses anything else", () => {
        assert.deepEqual(
            parseStackList([
                { name: "acme/ucx-mail/contoso", current: true },
                { name: "b", current: false },
            ]),
            ["acme/ucx-mail/contoso", "b"],
        );
        assert.throws(() => parseStackList({}), PulumiCallError);
        assert.throws(() => parseStackList([{ current: true }]), /a stack without a name/);
    });

    it("keeps well-formed outputs and lists the malformed ones as printed", () => {
        const parsed = parseFleetOutputs({
            tenantId: "7d2a3f4e-1b2c-4d5e-8f90-a1b2c3d4e5f6",
            applicationClientId: 42,
            clientSecret: "[secret]",
            clientSecretExpiresAt: "2027-05-31",
            previousSecretExpiresAt: "2026-13-45T00:00:00Z",
            nextSecretRotationAt: "[secret]",
            mailboxes: ["fax@contoso.com"],
        });
        assert.deepEqual(parsed.values, { tenantId: "7d2a3f4e-1b2c-4d5e-8f90-a1b2c3d4e5f6" });
        assert.deepEqual(parsed.malformed, [
            { key: "applicationClientId", printed: "42" },
            { key: "clientSecretExpiresAt", printed: '"2027-05-31"' },
            { key: "previousSecretExpiresAt", printed: '"2026-13-45T00:00:00Z"' },
            { key: "nextSecretRotationAt", printed: '"[secret]"' },
        ]);
        assert.equal(parsed.outputCount, 7);
        assert.deepEqual(parseFleetOutputs({ previousSecretExpiresAt: null }).values, {});
        assert.deepEqual(parseFleetOutputs({ clientSecretExpiresAt: "2027-05-31T00:00:00+02:00" }).values, {
            clientSecretExpiresAt: "2027-05-31T00:00:00+02:00",
        });
        assert.throws(() => parseFleetOutputs([]), /no object of outputs/);
    });

    it("takes the newest update, or null for a stack without history", () => {
        assert.equal(parseLastUpdate([]), null);
        assert.deepEqual(parseLastUpdate([{ kind: "update", result: "failed", startTime: "s", endTime: "e" }]), {
            kind: "update",
            result: "failed",
            at: "e",
        });
        assert.throws(() => parseLastUpdate({}), /no list of updates/);
        assert.throws(() => parseLastUpdate([{ version: 3 }]), /no kind or result/);
    });
});

describe("a Pulumi CLI call that outlives its timeout", () => {
    it("gets SIGKILL when it ignores SIGTERM", { skip: process.platform === "win32" }, async () => {
        const directory = mkdtempSync(join(tmpdir(), "ucx-fleet-stuck-"));
        try {
            // A CLI stuck where it ignores SIGTERM (the signal stays ignored across exec).
            writeFileSync(join(directory, "pulumi"), "#!/bin/sh\ntrap '' TERM\nexec sleep 20\n");
            chmodSync(join(directory, "pulumi"), 0o755);
            const env = { ...process.env, PATH: `${directory}${delimiter}${process.env.PATH ?? ""}` };
            const started = Date.now();
            await assert.rejects(
                runPulumiJson(["stack", "ls", "--json"], { env, cwd: directory, timeoutMs: 500, killGraceMs: 500 }),
                (error: unknown) => error instanceof PulumiCallError && /no answer within/.test(error.reason),
            );
            assert.ok(Date.now() - started < 8_000, "the fleet waited for a CLI that ignored SIGTERM");
        } finally {
            rmSync(directory, { recursive: true, force: true });
        }
    });
});
