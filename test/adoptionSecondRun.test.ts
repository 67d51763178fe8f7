// Adoption tells the whole truth, and a second `pulumi up` after it changes nothing, on the app registration and on
// the enterprise application it takes over. The provider's behaviour is modelled from its source
// (terraform-provider-azuread: service_principal_resource.go and application_resource.go), cited below.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { enterpriseApplicationTakeover } from "../components/adoptionChanges";
import { enterpriseApplicationTakeoverNotice } from "../components/mailApplication";
import { runProgram, type DeclaredResource, type ProgramRun } from "./support/program";

const EXISTING_APP = "3c1d9a7e-5b2f-4e8d-9a6c-7f0e1d2c3b4a";
const SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal";
const APPLICATION = "azuread:index/application:Application";
const MAILBOXES = ["fax@contoso.com"];
/** The enterprise application's owner before adoption: the admin who created it. */
const EXISTING_SP_OWNER = "9d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0a";
const LISTED_OWNER = "a1b2c3d4-0000-4000-8000-00000000000a";

function only(run: ProgramRun, type: string): DeclaredResource {
    const found = run.resources.filter((resource) => resource.type === type);
    assert.equal(found.length, 1, type);
    return found[0];
}

/**
 * The owners the provider leaves in the enterprise application's state after the adopting run. With useExisting,
 * create finds the service principal and runs servicePrincipalResourceUpdate, which changes owners only when
 * d.HasChange("owners"), i.e. when the config lists some; Read then stores the live owners (tf.Set(d, "owners", …)).
 */
function ownersInStateAfterAdoption(declaredOwners: readonly string[]): string[] {
    return declaredOwners.length > 0 ? [...declaredOwners] : [EXISTING_SP_OWNER];
}

/**
 * The engine's diff of the next run: a property differs when the declared input differs from the state, unless
 * ignoreChanges names it (pkg/resource/deploy/step_generator.go applies ignoreChanges before the provider's Diff).
 */
function changedProperties(resource: DeclaredResource, state: Record<string, unknown>): string[] {
    return Object.keys(state).filter(
        (key) =>
            !resource.options.ignoreChanges.includes(key) &&
            JSON.stringify([...((resource.inputs[key] as string[]) ?? [])].sort()) !==
                JSON.stringify([...(state[key] as string[])].sort()),
    );
}

/** What the program warns, by capturing the SDK's log output. */
async function warningsOf(config: Record<string, unknown>): Promise<string[]> {
    const warnings: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args.map(String).join(" "));
    try {
        await runProgram(config);
    } finally {
        console.warn = original;
    }
    return warnings;
}

describe("the second pulumi up after adoption", () => {
    for (const owners of [[], [LISTED_OWNER]]) {
        it(`changes nothing on the enterprise application (owners ${owners.length === 0 ? "empty" : "listed"})`, async () => {
            const config = { mailboxes: MAILBOXES, existingApplicationObjectId: EXISTING_APP, owners };
            const first = await runProgram(config);
            const state = { owners: ownersInStateAfterAdoption(only(first, SERVICE_PRINCIPAL).inputs.owners) };
            // Owners listed: managed exactly, nothing ignored.
            if (owners.length > 0) assert.deepEqual(only(first, SERVICE_PRINCIPAL).options.ignoreChanges, []);
            // After adoption the key may stay or go: neither run may change the enterprise application's owners.
            for (const later of [config, { mailboxes: MAILBOXES, owners, retainApplicationOnDestroy: "true" }]) {
                const second = await runProgram(later);
                assert.deepEqual(changedProperties(only(second, SERVICE_PRINCIPAL), state), []);
                assert.deepEqual(only(second, SERVICE_PRINCIPAL).inputs, only(first, SERVICE_PRINCIPAL).inputs);
                assert.deepEqual(only(second, APPLICATION).inputs, only(first, APPLICATION).inputs);
            }
        });
    }
});

describe("the adoption warning about the enterprise application", () => {
    it("lists every field the provider's update sets, and what happens to its owners", async () => {
        const warnings = await warningsOf({ mailboxes: MAILBOXES, existingApplicationObjectId: EXISTING_APP });
        const notice = warnings.find((w) => w.includes("takes over the enterprise application"));
        assert.ok(notice, warnings.join("\n"));
        assert.ok(notice.endsWith(enterpriseApplicationTakeoverNotice(EXISTING_APP, false)));
        for (const field of [
            "account enabled",
            "assignment required",
            "description",
            "notification e-mail addresses",
            "tags",
            "notes",
            "owners (kept as they are while owners is empty",
        ]) {
            assert.ok(notice.includes(field), field);
        }
        assert.match(enterpriseApplicationTakeover(true).at(-1)!, /any other owner is removed/);
    });

    it("is not printed for a stack that created its own app", async () => {
        const warnings = await warningsOf({ mailboxes: MAILBOXES });
        assert.ok(!warnings.some((w) => w.includes("takes over the enterprise application")));
    });
});
