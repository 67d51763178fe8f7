// Migration from the EWS provider: adopting an existing app registration instead of creating one, what that run
// removes from it, and which app objects `pulumi destroy` leaves in the tenant.

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { adoptionNotice, adoptionOptions, retentionOptions } from "../components/mailApplication";
import { EXCHANGE_ONLINE_APP_ROLE_IDS } from "./support/fakeTenant";
import { EWS_APP_CREATOR_OBJECT_ID, GRAPH_USER_READ_SCOPE_ID, legacyEwsApplication } from "./support/liveApplication";
import {
    ofType,
    ProgramFailure,
    runProgram,
    type DeclaredResource,
    type ProgramRun,
    type RunOptions,
} from "./support/program";

const EXISTING_APP = "3c1d9a7e-5b2f-4e8d-9a6c-7f0e1d2c3b4a";
const APPLICATION = "azuread:index/application:Application";
const SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal";
const MAILBOXES = ["fax@contoso.com"];

/** A resource without the ids that differ from stack to stack, for comparing two stacks. */
function shape(resource: DeclaredResource) {
    const { applicationId: _app, clientId: _client, principalObjectId: _principal, ...inputs } = resource.inputs;
    return { type: resource.type, name: resource.name, inputs };
}

function only(run: ProgramRun, type: string): DeclaredResource {
    const found = ofType(run, type);
    assert.equal(found.length, 1, `expected one ${type}, found ${found.length}`);
    return found[0];
}

/** Runs the program and collects what it warns about (without an engine, Pulumi's log.warn goes to console.warn). */
async function warningsOf(config: Record<string, unknown>, options: RunOptions = {}): Promise<string[]> {
    const warnings: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(" "));
    try {
        await runProgram(config, options);
    } finally {
        console.warn = original;
    }
    return warnings;
}

/** The lines of the warning that lists what adopting removes, or [] when there is no such warning. */
function removalLines(warnings: string[]): string[] {
    const removal = warnings.filter((w) => w.includes("removes or overwrites"));
    assert.ok(removal.length <= 1, warnings.join("\n"));
    if (removal.length === 0) return [];
    return removal[0]
        .split("\n")
        .filter((line) => line.startsWith("  - "))
        .map((line) => line.slice(4));
}

describe("a stack that adopts an existing app registration", () => {
    let adopted: ProgramRun;
    let fresh: ProgramRun;
    before(async () => {
        fresh = await runProgram({ mailboxes: MAILBOXES });
        adopted = await runProgram({ mailboxes: MAILBOXES, existingApplicationObjectId: EXISTING_APP });
    });

    it("imports the app registration by its object id instead of creating one", () => {
        const app = only(adopted, APPLICATION);
        assert.equal(app.importId, `/applications/${EXISTING_APP}`);
        assert.equal(app.options.importId, `/applications/${EXISTING_APP}`);
        assert.equal(adopted.outputs.applicationObjectId, EXISTING_APP);
        assert.equal(only(fresh, APPLICATION).importId, undefined);
    });

    it("brings the app to the declared state in the same run: no ignoreChanges on the import", () => {
        assert.deepEqual(only(adopted, APPLICATION).options.ignoreChanges, []);
    });

    it("never requests the legacy full_access_as_app role", () => {
        const app = only(adopted, APPLICATION);
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
        assert.equal(only(adopted, SERVICE_PRINCIPAL).inputs.useExisting, true);
    });

    it("fails, naming the key and the fix, when the tenant has no app with that object id", async () => {
        await assert.rejects(
            runProgram({ mailboxes: MAILBOXES, existingApplicationObjectId: EXISTING_APP }, { applications: {} }),
            (error: ProgramFailure) =>
                error.message.includes(`ucx-mail:existingApplicationObjectId: the app registration ${EXISTING_APP}`) &&
                error.message.includes(`Application with object ID "${EXISTING_APP}" was not found`) &&
                error.message.includes("Fix:"),
        );
    });
});

describe("what pulumi destroy leaves in the tenant (retainOnDelete as sent to the engine)", () => {
    const cases: [string, Record<string, unknown>, boolean | undefined][] = [
        ["a fresh stack", {}, undefined],
        ["a fresh stack with retainApplicationOnDestroy true", { retainApplicationOnDestroy: "true" }, true],
        ["an adopting stack", { existingApplicationObjectId: EXISTING_APP }, true],
        [
            "an adopting stack with retainApplicationOnDestroy false",
            { existingApplicationObjectId: EXISTING_APP, retainApplicationOnDestroy: "false" },
            undefined,
        ],
        [
            "a stack after adoption (existingApplicationObjectId removed, retainApplicationOnDestroy true)",
            { retainApplicationOnDestroy: "true" },
            true,
        ],
        ["a stack after adoption that forgot retainApplicationOnDestroy", {}, undefined],
    ];
    for (const [title, config, expected] of cases) {
        it(`${title}: app registration and enterprise application ${expected ? "retained" : "deleted"}`, async () => {
            const run = await runProgram({ mailboxes: MAILBOXES, ...config });
            assert.equal(only(run, APPLICATION).options.retainOnDelete, expected);
            assert.equal(only(run, SERVICE_PRINCIPAL).options.retainOnDelete, expected);
            // ucx-mail's own additions (secrets, consent, ledger, Exchange work) always go on destroy.
            const others = run.resources.filter((r) => r.type !== APPLICATION && r.type !== SERVICE_PRINCIPAL);
            assert.ok(others.length > 0);
            for (const other of others) assert.equal(other.options.retainOnDelete, undefined, other.name);
        });
    }

    it("after adoption, imports nothing: the program no longer carries the id", async () => {
        const run = await runProgram({ mailboxes: MAILBOXES, retainApplicationOnDestroy: "true" });
        assert.equal(only(run, APPLICATION).options.importId, undefined);
    });
});

describe("the warnings of an adopting run", () => {
    it("says once that the app is adopted and updated in this run, and to set retainApplicationOnDestroy", async () => {
        const warnings = await warningsOf({ mailboxes: MAILBOXES, existingApplicationObjectId: EXISTING_APP });
        const notices = warnings.filter((w) => w.includes("existingApplicationObjectId is set"));
        assert.equal(notices.length, 1, warnings.join("\n"));
        assert.ok(notices[0].endsWith(adoptionNotice(EXISTING_APP, undefined)));
        assert.match(
            notices[0],
            /imports it and brings it to the configured state in the same run \(Pulumi CLI 3\.174\.0/,
        );
        assert.match(notices[0], /pulumi config set retainApplicationOnDestroy true/);
    });

    it("tells a stack that set retainApplicationOnDestroy false that destroy deletes the app", async () => {
        const warnings = await warningsOf({
            mailboxes: MAILBOXES,
            existingApplicationObjectId: EXISTING_APP,
            retainApplicationOnDestroy: "false",
        });
        assert.ok(warnings.some((w) => w.endsWith(adoptionNotice(EXISTING_APP, false))));
        assert.match(adoptionNotice(EXISTING_APP, false), /pulumi destroy deletes it/);
    });

    it("lists exactly what the legacy EWS app loses: its name, its owner, full_access_as_app and Graph User.Read", async () => {
        const lines = removalLines(
            await warningsOf({ mailboxes: MAILBOXES, existingApplicationObjectId: EXISTING_APP }),
        );
        assert.deepEqual(lines, [
            `display name "Imagicle EWS" (becomes "ImagicleEmailProvider"; set displayName to keep it)`,
            `owner ${EWS_APP_CREATOR_OBJECT_ID} (list it in owners to keep it)`,
            `API permission full_access_as_app (application, the legacy EWS permission) on Office 365 Exchange ` +
                `Online (${EXCHANGE_ONLINE_APP_ROLE_IDS.full_access_as_app})`,
            `API permission ${GRAPH_USER_READ_SCOPE_ID} (delegated) on Microsoft Graph`,
        ]);
    });

    it("also warns in a preview, before anything changes", async () => {
        const warnings = await warningsOf(
            { mailboxes: MAILBOXES, existingApplicationObjectId: EXISTING_APP },
            { preview: true },
        );
        assert.equal(removalLines(warnings).length, 4, warnings.join("\n"));
    });

    it("lists redirect and identifier URIs, and no longer lists what the config keeps", async () => {
        const live = legacyEwsApplication(EXISTING_APP, {
            displayName: "ImagicleEmailProvider",
            identifierUris: ["api://imagicle-ews"],
            webs: [
                {
                    homepageUrl: "",
                    logoutUrl: "",
                    redirectUris: ["https://ucx.contoso.com/signin"],
                    implicitGrants: [{ accessTokenIssuanceEnabled: false, idTokenIssuanceEnabled: false }],
                },
            ],
            publicClients: [{ redirectUris: ["http://localhost"] }],
        });
        const lines = removalLines(
            await warningsOf(
                {
                    mailboxes: MAILBOXES,
                    existingApplicationObjectId: EXISTING_APP,
                    owners: [EWS_APP_CREATOR_OBJECT_ID],
                },
                { applications: { [EXISTING_APP]: live } },
            ),
        );
        assert.deepEqual(lines.slice(0, 3), [
            "redirect URI https://ucx.contoso.com/signin (Web)",
            "redirect URI http://localhost (mobile and desktop)",
            "identifier URI api://imagicle-ews",
        ]);
        assert.ok(!lines.some((line) => line.startsWith("owner ") || line.startsWith("display name")));
    });

    it("lists nothing once the live app is in the declared state", async () => {
        const inDeclaredState = legacyEwsApplication(EXISTING_APP, {
            displayName: "ImagicleEmailProvider",
            owners: [],
            notes: (await import("../components/mailApplication")).MANAGED_BY_NOTE,
            requiredResourceAccesses: [
                {
                    resourceAppId: "00000002-0000-0ff1-ce00-000000000000",
                    resourceAccesses: [
                        { id: EXCHANGE_ONLINE_APP_ROLE_IDS["IMAP.AccessAsApp"], type: "Role" },
                        { id: EXCHANGE_ONLINE_APP_ROLE_IDS["SMTP.SendAsApp"], type: "Role" },
                    ],
                },
            ],
        });
        const warnings = await warningsOf(
            { mailboxes: MAILBOXES, existingApplicationObjectId: EXISTING_APP },
            { applications: { [EXISTING_APP]: inDeclaredState } },
        );
        assert.deepEqual(removalLines(warnings), []);
    });

    it("says nothing of the kind for a stack that created its own app", async () => {
        const warnings = await warningsOf({ mailboxes: MAILBOXES });
        assert.deepEqual(
            warnings.filter((w) => w.includes("existingApplicationObjectId") || w.includes("removes")),
            [],
        );
    });
});

describe("adoptionOptions and retentionOptions", () => {
    it("import the live object only while adopting, and never ignore its differences", () => {
        assert.deepEqual(adoptionOptions(EXISTING_APP), { import: `/applications/${EXISTING_APP}` });
        assert.deepEqual(adoptionOptions(undefined), {});
    });

    it("retain on delete only when asked to", () => {
        assert.deepEqual(retentionOptions(true), { retainOnDelete: true });
        assert.deepEqual(retentionOptions(false), {});
    });
});
