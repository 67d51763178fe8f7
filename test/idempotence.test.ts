// "A second pulumi up changes nothing": the program, run again on the state the first run left, declares every
// resource with exactly the same inputs, so the engine has nothing to update or replace.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MockStackState, runProgram, type DeclaredResource, type ProgramRun } from "./support/program";

const CONFIGS: ReadonlyArray<[string, Record<string, unknown>, string[]]> = [
    ["only mailboxes", { mailboxes: ["fax@contoso.com"] }, []],
    [
        "automated Exchange steps, organization SMTP AUTH, owners and POP",
        {
            mailboxes: ["fax@contoso.com", "scan@contoso.com"],
            permissions: ["IMAP.AccessAsApp", "SMTP.SendAsApp", "POP.AccessAsApp"],
            owners: ["a1b2c3d4-0000-4000-8000-00000000000a"],
            smtpAuth: "organization",
            exchangeAuth: "clientSecret",
            exchangeOrganization: "contoso.onmicrosoft.com",
            exchangeAppId: "11111111-2222-4333-8444-555555555555",
            exchangeClientSecret: "automation-secret-value",
        },
        ["exchangeClientSecret"],
    ],
];

/** Each resource's inputs by name, as JSON, so two runs compare exactly. */
function declaredInputs(run: ProgramRun): Map<string, string> {
    return new Map(run.resources.map((r) => [`${r.type}::${r.name}`, JSON.stringify(comparableInputs(r))]));
}

/**
 * The rotation ledger's `saved` input is the stack outputs its run found, which a first run cannot have; the
 * ledger's diff ignores it (components/clientSecret.ts), so it is no change.
 */
function comparableInputs(resource: DeclaredResource): Record<string, unknown> {
    if (!resource.type.startsWith("pulumi-nodejs:dynamic")) return resource.inputs;
    const { saved: _found, ...inputs } = resource.inputs;
    return inputs;
}

describe("a second pulumi up", () => {
    for (const [title, config, secretKeys] of CONFIGS) {
        it(`changes nothing (${title}), an hour or a week later within the period`, async () => {
            const state = new MockStackState();
            const firstAt = new Date("2027-01-04T09:00:00Z");
            const first = await runProgram(config, { secretKeys, state, now: firstAt });
            for (const later of [1, 24 * 7]) {
                const now = new Date(firstAt.getTime() + later * 3_600_000);
                const again = await runProgram(config, { secretKeys, state, now });
                assert.deepEqual(declaredInputs(again), declaredInputs(first));
                assert.ok(
                    again.resources.filter((r) => r.step !== undefined).every((r) => r.step === "same"),
                    "every stateful resource is a same step",
                );
                assert.deepEqual(again.outputs, first.outputs);
            }
        });
    }

    it("would notice a change: a new mailbox alters the declared inputs", async () => {
        const state = new MockStackState();
        const now = new Date("2027-01-04T09:00:00Z");
        const config = {
            mailboxes: ["fax@contoso.com"],
            exchangeAuth: "managedIdentity",
            exchangeOrganization: "contoso.onmicrosoft.com",
        };
        const first = await runProgram(config, { state, now });
        const again = await runProgram(
            { ...config, mailboxes: ["fax@contoso.com", "scan@contoso.com"] },
            { state, now },
        );
        assert.notDeepEqual(declaredInputs(again), declaredInputs(first));
    });
});
