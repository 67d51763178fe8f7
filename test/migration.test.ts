// Migration from the EWS provider: adopting an existing app registration instead of creating one.

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { adoptionNotice, adoptionOptions } from "../components/mailApplication";
import { EXCHANGE_ONLINE_APP_ROLE_IDS } from "./support/fakeTenant";
import { ofType, runProgram, type DeclaredResource, type ProgramRun } from "./support/program";

const EXISTING_APP = "3c1d9a7e-5b2f-4e8d-9a6c-7f0e1d2c3b4a";
const APPLICATION = "azuread:index/application:Application";

/** A resource without the ids that differ from stack to stack, for comparing two stacks. */
function shape(resource: DeclaredResource) {
    const { applicationId: _app, clientId: _client, principalObjectId: _principal, ...inputs } = resource.inputs;
    return { type: resource.type, name: resource.name, inputs };
}

describe("a stack that adopts an existing app registration", () => {
    let adopted: ProgramRun;
    let fresh: ProgramRun;
    before(async () => {
        fresh = await runProgram({ mailboxes: ["fax@contoso.com"] });
        adopted = await runProgram({ mailboxes: ["fax@contoso.com"], existingApplicationObjectId: EXISTING_APP });
    });

    it("imports the app registration by its object id instead of creating one", () => {
        const [app] = ofType(adopted, APPLICATION);
        assert.equal(app.importId, `/applications/${EXISTING_APP}`);
        assert.equal(adopted.outputs.applicationObjectId, EXISTING_APP);
        assert.equal(ofType(fresh, APPLICATION)[0].importId, undefined);
    });

    it("never requests the legacy full_access_as_app role", () => {
        const [app] = ofType(adopted, APPLICATION);
        const requested = app.inputs.requiredResourceAccesses.flatMap(
            (access: { resourceAccesses: { id: string }[] }) => access.resourceAccesses.map((r) => r.id),
        );
        assert.ok(!requested.includes(EXCHANGE_ONLINE_APP_ROLE_IDS.full_access_as_app));
        assert.deepEqual(requested, [
            EXCHANGE_ONLINE_APP_ROLE_IDS["IMAP.AccessAsApp"],
            EXCHANGE_ONLINE_APP_ROLE_IDS["SMTP.SendAsApp"],
        ]);
    });

    it("declares everything else exactly as a fresh stack does", () => {
        assert.deepEqual(adopted.resources.map(shape), fresh.resources.map(shape));
    });

    it("takes over the app's existing enterprise application instead of failing on it", () => {
        const [sp] = ofType(adopted, "azuread:index/servicePrincipal:ServicePrincipal");
        assert.equal(sp.inputs.useExisting, true);
    });
});

/** Runs the program and collects what it warns about (without an engine, Pulumi's log.warn goes to console.warn). */
async function warningsOf(config: Record<string, unknown>): Promise<string[]> {
    const warnings: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(" "));
    try {
        await runProgram(config);
    } finally {
        console.warn = original;
    }
    return warnings;
}

describe("a stack that still carries existingApplicationObjectId", () => {
    it("warns on every run that the adopted app is left as it is, and how to end the adoption", async () => {
        const warnings = await warningsOf({
            mailboxes: ["fax@contoso.com"],
            existingApplicationObjectId: EXISTING_APP,
        });
        const notices = warnings.filter((w) => w.includes("existingApplicationObjectId"));
        assert.equal(notices.length, 1, warnings.join("\n"));
        assert.ok(notices[0].endsWith(adoptionNotice(EXISTING_APP)));
        assert.match(notices[0], /pulumi config rm existingApplicationObjectId/);
        assert.match(notices[0], new RegExp(EXISTING_APP));
    });

    it("says nothing of the kind for a stack that created its own app", async () => {
        const warnings = await warningsOf({ mailboxes: ["fax@contoso.com"] });
        assert.deepEqual(
            warnings.filter((w) => w.includes("existingApplicationObjectId")),
            [],
        );
    });
});

describe("adoptionOptions", () => {
    it("imports and accepts the live object as it is only while adopting", () => {
        assert.deepEqual(adoptionOptions(EXISTING_APP), {
            import: `/applications/${EXISTING_APP}`,
            ignoreChanges: ["*"],
        });
        assert.deepEqual(adoptionOptions(undefined), {});
    });
});
