// On a CLI older than 3.252.0 a passphrase stack's outputs cannot be read without the passphrase
// (pulumi/pulumi#21141): the fleet reads `pulumi version` and names that cause and its fix.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { explainReadError, parseCliVersion, readsOutputsWithoutPassphrase } from "../../tools/fleet/cliVersion";
import { createFakePulumiWorld } from "./support/fakePulumiWorld";
import { runFleetInProcess } from "./support/runFleet";
import { HEALTHY, ucxMailStack } from "./support/tenants";

const NOW = new Date();
const now = () => NOW;
const OLD_CLI_ERROR =
    'pulumi stack output --json --stack contoso failed: error: constructing secrets manager of type "passphrase": passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables';

/** The environment of a fleet run with no passphrase at all. */
function withoutPassphrase(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const { PULUMI_CONFIG_PASSPHRASE: _p, PULUMI_CONFIG_PASSPHRASE_FILE: _f, ...rest } = env;
    return rest;
}

describe("the CLI version and the passphrase", () => {
    it("parses what pulumi version prints, dev builds included", () => {
        assert.deepEqual(parseCliVersion("v3.248.0\n"), { major: 3, minor: 248, patch: 0, text: "v3.248.0" });
        assert.equal(parseCliVersion("v3.253.1-dev.0").minor, 253);
        assert.equal(parseCliVersion("3.252.0").minor, 252);
        assert.throws(() => parseCliVersion("warning: something\n"));
    });

    it("knows 3.252.0 is the first CLI that reads outputs without the passphrase", () => {
        assert.equal(readsOutputsWithoutPassphrase(parseCliVersion("v3.251.9")), false);
        assert.equal(readsOutputsWithoutPassphrase(parseCliVersion("v3.252.0")), true);
        assert.equal(readsOutputsWithoutPassphrase(parseCliVersion("v4.0.0")), true);
    });

    it("names the cause and the fix for an older CLI, and nothing for a newer one or another error", () => {
        const old = explainReadError(OLD_CLI_ERROR, parseCliVersion("v3.248.0"));
        assert.match(
            old!.message,
            /Pulumi CLI v3\.248\.0 needs the stack's passphrase.*pulumi\/pulumi#21141, fixed in 3\.252\.0/,
        );
        assert.match(old!.action, /Pulumi CLI 3\.252\.0 or later.*PULUMI_CONFIG_PASSPHRASE/);
        assert.match(explainReadError(OLD_CLI_ERROR, undefined)!.message, /version is unknown/);
        assert.equal(explainReadError(OLD_CLI_ERROR, parseCliVersion("v3.252.0")), undefined);
        assert.equal(explainReadError("error: [403] Forbidden", parseCliVersion("v3.248.0")), undefined);
        // Each part of the wrapped error is enough: what wraps it is not documented.
        assert.ok(explainReadError('error: constructing secrets manager of type "passphrase": EOF', undefined));
        assert.ok(explainReadError("error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or ...", undefined));
    });

    it("end to end: an older CLI fails a passphrase stack with the real cause; 3.252.0 reads it", async () => {
        const stacks = [{ ...ucxMailStack("contoso", NOW, HEALTHY), passphrase: true }];
        const old = createFakePulumiWorld(stacks, { cliVersion: "v3.248.0" });
        const fixed = createFakePulumiWorld(stacks, { cliVersion: "v3.252.0" });
        try {
            const before = await runFleetInProcess(["--json"], withoutPassphrase(old.env), { now });
            assert.equal(before.code, 1);
            const [row] = JSON.parse(before.stdout).stacks;
            assert.equal(row.status, "fail");
            assert.match(
                row.findings[0],
                /^pulumi stack output --json --stack contoso failed: error: constructing secrets manager/,
            );
            assert.match(row.findings[0], /Pulumi CLI v3\.248\.0 needs the stack's passphrase/);
            assert.match(row.action, /^install Pulumi CLI 3\.252\.0 or later/);
            assert.ok(old.calls().includes("version"), "the fleet asked the CLI for its version");

            const withPassphrase = await runFleetInProcess(
                ["--json"],
                { ...withoutPassphrase(old.env), PULUMI_CONFIG_PASSPHRASE: "correct horse" },
                { now },
            );
            assert.equal(JSON.parse(withPassphrase.stdout).stacks[0].status, "ok");

            const after = await runFleetInProcess(["--json"], withoutPassphrase(fixed.env), { now });
            assert.equal(after.code, 0, after.stdout);
            assert.equal(JSON.parse(after.stdout).stacks[0].status, "ok");
            assert.ok(!fixed.calls().includes("version"), "no version call when nothing was refused");
        } finally {
            old.cleanup();
            fixed.cleanup();
        }
    });
});
