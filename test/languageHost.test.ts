// The rotation ledger as the real engine runs it: the program compiled by ts-node (what `runtime.options.typescript`
// makes Pulumi's language host use) with the project's TypeScript and tsconfig.json, the provider serialized by the
// SDK's own closure serializer, then loaded from that text in a separate plain node process and driven through
// several `pulumi up` runs. The tsx-based program tests cannot see a difference in how ts-node compiles the code.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import {
    advanceRotation,
    committedRotationState,
    rotationRequest,
    savedOutputsOf,
    type RotationState,
    type SavedRotationOutputs,
} from "../components/rotationSchedule";

const PROJECT_ROOT = path.resolve(__dirname, "..");
const NOW = "2026-11-26T09:00:00Z";
const ROTATION_DAYS = 30;

interface HostRun {
    tsNode: string;
    typescriptVersion: string;
    compiledBy: string;
    dynamic: { name: string; type: string; text: string; inputs: Record<string, unknown> }[];
}

interface EngineStep {
    step: "create" | "same" | "update";
    checked: { state: RotationState } & Record<string, unknown>;
    outputs: { state: RotationState } & Record<string, unknown>;
}

function plainNode(script: string, options: { env?: Record<string, string>; input?: string }): string {
    const result = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "test", "support", script), PROJECT_ROOT], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        input: options.input,
        // A clean node: no tsx or other loader inherited from the test runner.
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...options.env },
        timeout: 120_000,
    });
    assert.equal(result.status, 0, `${script} failed:\n${result.stderr}`);
    return result.stdout;
}

describe("the rotation ledger under the real language host and dynamic provider host", () => {
    let host: HostRun;
    before(() => {
        const stdout = plainNode("languageHost.mjs", {
            env: {
                UCX_TEST_CONFIG: JSON.stringify({
                    mailboxes: ["fax@contoso.com"],
                    secretRotationDays: ROTATION_DAYS,
                }),
                UCX_MAIL_NOW: NOW,
            },
        });
        host = JSON.parse(stdout) as HostRun;
    });

    it("compiles the program with ts-node and the project's TypeScript", () => {
        assert.equal(host.compiledBy, "ts-node");
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        assert.equal(host.typescriptVersion, (require("typescript/package.json") as { version: string }).version);
        // The project installs no ts-node of its own, so the language host falls back to the one it vendors.
        assert.match(host.tsNode, /vendor[/\\]ts-node@7\./);
    });

    it("serializes a self-contained ledger provider: nothing from the project is required at load time", () => {
        assert.deepEqual(
            host.dynamic.map((d) => [d.name, d.type]),
            [["ucx-mail-secret-ledger", "pulumi-nodejs:dynamic:RotationLedger"]],
        );
        const { text } = host.dynamic[0];
        assert.match(text, /^exports\.handler = /);
        assert.doesNotMatch(text, /require\(\s*["'](?!node:|crypto)/, "only Node built-ins may be required");
        assert.doesNotMatch(text, /\.ts["']/);
    });

    it("rotates in a separate plain node process exactly as the rotation model says, across runs", () => {
        const [ledger] = host.dynamic;
        const request = rotationRequest(new Date(NOW), ROTATION_DAYS, "");
        assert.equal(ledger.inputs.period, request.period, "the program asks for the current period");
        assert.deepEqual(ledger.inputs.saved, {}, "the first run finds no saved stack outputs");
        const forced = rotationRequest(new Date(NOW), ROTATION_DAYS, "rotate-now").rotationKeyDigest;
        // Each run, with the stack outputs it finds saved: those of the run before, except the last, which finds
        // those of run 3 as if runs 4 and 5 had failed after the ledger's step.
        const plan: [number, string, number | undefined][] = [
            [request.period, request.rotationKeyDigest, undefined],
            [request.period, request.rotationKeyDigest, 0],
            [request.period + 1, request.rotationKeyDigest, 1],
            [request.period + 1, forced, 2],
            [request.period + 1, forced, 3],
            [request.period + 2, forced, 2],
        ];
        const models: RotationState[] = [];
        const runs = plan.map(([period, rotationKeyDigest, savedBy]) => {
            const saved: SavedRotationOutputs = savedBy === undefined ? {} : savedOutputsOf(models[savedBy]);
            const from = committedRotationState(models.at(-1), saved);
            models.push(advanceRotation(from, { period, rotationDays: ROTATION_DAYS, rotationKeyDigest }));
            return { ...ledger.inputs, period, rotationKeyDigest, saved };
        });
        const steps = JSON.parse(
            plainNode("dynamicProviderHost.mjs", { input: JSON.stringify({ text: ledger.text, runs }) }),
        ) as EngineStep[];

        assert.deepEqual(
            steps.map((s) => s.step),
            ["create", "same", "update", "update", "same", "update"],
        );
        runs.forEach((_news, index) => {
            const expected = models[index];
            assert.deepEqual(steps[index].checked.state, expected, `run ${index + 1}: check advances the model`);
            assert.deepEqual(steps[index].outputs.state, expected, `run ${index + 1}: the state the slots read`);
        });
        assert.equal(steps[5].outputs.state.newest, steps[3].outputs.state.newest, "the ledger went ahead again");
        assert.deepEqual(
            steps[5].outputs.state.slots[steps[2].outputs.state.newest],
            steps[2].outputs.state.slots[steps[2].outputs.state.newest],
            "run 6 left alone the slot whose secret the saved outputs export",
        );
        assert.notEqual(steps[2].outputs.state.newest, steps[1].outputs.state.newest, "a boundary rotates a slot");
        assert.notEqual(steps[3].outputs.state.newest, steps[2].outputs.state.newest, "a new key rotates again");
    });
});
