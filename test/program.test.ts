// The whole program under Pulumi's mocks: what a stack with only `mailboxes` declares, the contract's outputs,
// secrets kept secret, and bad config refused before anything is declared.

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { EXCHANGE_ONLINE_APP_ID } from "../components/exchangeRoles";
import { MANAGED_BY_NOTE } from "../components/mailApplication";
import { EXCHANGE_ONLINE_APP_ROLE_IDS, FAKE_EXCHANGE_SP_OBJECT_ID, FAKE_TENANT_ID } from "./support/fakeTenant";
import { BAD_CONFIGS } from "./support/badConfigs";
import { ofType, ProgramFailure, runProgram, type ProgramRun } from "./support/program";

const APPLICATION = "azuread:index/application:Application";
const SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal";
const CONSENT = "azuread:index/appRoleAssignment:AppRoleAssignment";
const PASSWORD = "azuread:index/applicationPassword:ApplicationPassword";
const CONTRACT_OUTPUTS = [
    "tenantId",
    "applicationClientId",
    "applicationObjectId",
    "servicePrincipalObjectId",
    "clientSecret",
    "clientSecretExpiresAt",
    "nextSecretRotationAt",
    "previousSecretExpiresAt",
    "clientSecretKeyId",
    "previousSecretKeyId",
    "mailboxes",
    "exchangeServicePrincipalName",
];

function only(run: ProgramRun, type: string) {
    const found = ofType(run, type);
    assert.equal(found.length, 1, `expected one ${type}, found ${found.length}`);
    return found[0];
}

describe("a stack with only mailboxes set", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ mailboxes: ["fax-notifications@contoso.com"] });
    });

    it("declares a single-tenant app registration that requests exactly IMAP and SMTP app roles", () => {
        const app = only(run, APPLICATION);
        assert.deepEqual(app.inputs, {
            displayName: "ImagicleEmailProvider",
            signInAudience: "AzureADMyOrg",
            owners: [],
            notes: MANAGED_BY_NOTE,
            requiredResourceAccesses: [
                {
                    resourceAppId: EXCHANGE_ONLINE_APP_ID,
                    resourceAccesses: [
                        { id: EXCHANGE_ONLINE_APP_ROLE_IDS["IMAP.AccessAsApp"], type: "Role" },
                        { id: EXCHANGE_ONLINE_APP_ROLE_IDS["SMTP.SendAsApp"], type: "Role" },
                    ],
                },
            ],
        });
    });

    it("declares the enterprise application of that app, listed under Enterprise applications", () => {
        const app = only(run, APPLICATION);
        const sp = only(run, SERVICE_PRINCIPAL);
        assert.equal(sp.inputs.clientId, run.outputs.applicationClientId);
        assert.notEqual(sp.inputs.clientId, app.id);
        assert.deepEqual(sp.inputs.featureTags, [{ enterprise: true, hide: true }]);
        assert.equal(sp.inputs.appRoleAssignmentRequired, false);
        assert.deepEqual(sp.inputs.owners, []);
    });

    it("grants admin consent: one assignment per role, from our enterprise app to Exchange Online", () => {
        const consent = ofType(run, CONSENT);
        assert.deepEqual(
            consent.map((c) => c.inputs.appRoleId).sort(),
            [EXCHANGE_ONLINE_APP_ROLE_IDS["IMAP.AccessAsApp"], EXCHANGE_ONLINE_APP_ROLE_IDS["SMTP.SendAsApp"]].sort(),
        );
        for (const assignment of consent) {
            assert.equal(assignment.inputs.principalObjectId, run.outputs.servicePrincipalObjectId);
            assert.equal(assignment.inputs.resourceObjectId, FAKE_EXCHANGE_SP_OBJECT_ID);
        }
    });

    it("declares the two rotating client secret slots on the app registration", () => {
        const passwords = ofType(run, PASSWORD);
        assert.deepEqual(
            passwords.map((p) => p.name),
            ["ucx-mail-secret-slot-a", "ucx-mail-secret-slot-b"],
        );
        const app = only(run, APPLICATION);
        for (const password of passwords) {
            assert.equal(password.inputs.applicationId, app.id);
            assert.match(password.inputs.endDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        }
    });

    it("declares exactly these resources: no Exchange command in manual mode, nothing else", () => {
        assert.deepEqual(run.resources.map((r) => `${r.type} ${r.name}`).sort(), [
            "azuread:index/appRoleAssignment:AppRoleAssignment ucx-mail-consent-imap-accessasapp",
            "azuread:index/appRoleAssignment:AppRoleAssignment ucx-mail-consent-smtp-sendasapp",
            "azuread:index/application:Application ucx-mail-registration",
            "azuread:index/applicationPassword:ApplicationPassword ucx-mail-secret-slot-a",
            "azuread:index/applicationPassword:ApplicationPassword ucx-mail-secret-slot-b",
            "azuread:index/servicePrincipal:ServicePrincipal ucx-mail-enterprise-app",
            "pulumi-nodejs:dynamic:RotationLedger ucx-mail-secret-ledger",
            "ucx-mail:index:ExchangeMailboxAccess ucx-mail-exchange",
            "ucx-mail:index:MailApplication ucx-mail",
            "ucx-mail:index:RotatingClientSecret ucx-mail-secret",
        ]);
    });

    it("exports every output of the contract with the right values", () => {
        for (const name of CONTRACT_OUTPUTS) assert.ok(name in run.outputs, `missing output ${name}`);
        const app = only(run, APPLICATION);
        assert.equal(run.outputs.tenantId, FAKE_TENANT_ID);
        assert.equal(`/applications/${run.outputs.applicationObjectId}`, app.id);
        assert.match(String(run.outputs.applicationClientId), /^[0-9a-f-]{36}$/);
        assert.notEqual(run.outputs.applicationClientId, run.outputs.applicationObjectId);
        assert.notEqual(run.outputs.servicePrincipalObjectId, run.outputs.applicationObjectId);
        assert.deepEqual(run.outputs.mailboxes, ["fax-notifications@contoso.com"]);
        assert.equal(run.outputs.exchangeServicePrincipalName, "UCXSuiteMail");
        assert.ok(
            Date.parse(String(run.outputs.clientSecretExpiresAt)) >
                Date.parse(String(run.outputs.nextSecretRotationAt)),
        );
    });

    it("keeps the client secret a Pulumi secret and out of every plain output", () => {
        assert.ok(run.secretOutputs.has("clientSecret"));
        assert.match(String(run.outputs.clientSecret), /^mock-secret-value-/);
        const plain = Object.entries(run.outputs)
            .filter(([name]) => !run.secretOutputs.has(name))
            .map(([, value]) => JSON.stringify(value ?? null))
            .join("\n");
        assert.ok(!plain.includes(String(run.outputs.clientSecret)));
    });

    it("exports the key ids of the newest and the previous secret, in plain text, one per slot", () => {
        // The mocks give each password the id "<application>/password/<keyId>", as the azuread provider does.
        const keyIds = ofType(run, PASSWORD).map((password) => password.id.split("/password/")[1]);
        assert.equal(keyIds.length, 2);
        for (const name of ["clientSecretKeyId", "previousSecretKeyId"]) {
            assert.ok(!run.secretOutputs.has(name), `${name} must not be a secret`);
            assert.match(String(run.outputs[name]), /^[0-9a-f-]{36}$/);
        }
        assert.deepEqual([run.outputs.clientSecretKeyId, run.outputs.previousSecretKeyId].sort(), [...keyIds].sort());
        // The mock secret's value ends with its own key id, so the newest key id must name the exported value.
        assert.ok(String(run.outputs.clientSecret).endsWith(String(run.outputs.clientSecretKeyId)));
    });
});

describe("a stack with non-default config", () => {
    const owner = "a1b2c3d4-0000-4000-8000-00000000000a";
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({
            mailboxes: ["fax@contoso.com", "scan@contoso.com"],
            displayName: "UCX Mail (Contoso)",
            permissions: ["POP.AccessAsApp", "SMTP.SendAsApp"],
            owners: [owner],
            exchangeServicePrincipalName: "UCX Suite Mail",
        });
    });

    it("requests and consents to exactly the configured roles", () => {
        const app = only(run, APPLICATION);
        assert.deepEqual(app.inputs.requiredResourceAccesses[0].resourceAccesses, [
            { id: EXCHANGE_ONLINE_APP_ROLE_IDS["POP.AccessAsApp"], type: "Role" },
            { id: EXCHANGE_ONLINE_APP_ROLE_IDS["SMTP.SendAsApp"], type: "Role" },
        ]);
        assert.deepEqual(
            ofType(run, CONSENT).map((c) => c.name),
            ["ucx-mail-consent-pop-accessasapp", "ucx-mail-consent-smtp-sendasapp"],
        );
    });

    it("uses the display name and owners on both app objects", () => {
        assert.equal(only(run, APPLICATION).inputs.displayName, "UCX Mail (Contoso)");
        assert.deepEqual(only(run, APPLICATION).inputs.owners, [owner]);
        assert.deepEqual(only(run, SERVICE_PRINCIPAL).inputs.owners, [owner]);
        assert.deepEqual(run.outputs.mailboxes, ["fax@contoso.com", "scan@contoso.com"]);
        assert.equal(run.outputs.exchangeServicePrincipalName, "UCX Suite Mail");
    });
});

describe("bad config", () => {
    for (const [title, config, key] of BAD_CONFIGS) {
        it(`${title}: names ${key} and declares nothing`, async () => {
            await assert.rejects(
                runProgram(config),
                (error: ProgramFailure) =>
                    error.message.includes(`ucx-mail:${key}: `) &&
                    error.message.includes("Fix:") &&
                    error.declared.length === 0,
            );
        });
    }

    it("refuses a plain-text exchange secret and never shows it", async () => {
        const secret = "NotStoredAsSecret-42";
        await assert.rejects(
            runProgram({
                mailboxes: ["fax@contoso.com"],
                exchangeAuth: "clientSecret",
                exchangeOrganization: "contoso.onmicrosoft.com",
                exchangeAppId: "11111111-2222-4333-8444-555555555555",
                exchangeClientSecret: secret,
            }),
            (error: Error) =>
                error.message.includes("ucx-mail:exchangeClientSecret: ") && !error.message.includes(secret),
        );
    });

    it("names a role the tenant's Exchange Online does not publish", async () => {
        const { resolveExchangeRoles } = await import("../components/exchangeRoles");
        assert.throws(
            () => resolveExchangeRoles({ "SMTP.SendAsApp": "x" }, ["IMAP.AccessAsApp", "SMTP.SendAsApp"]),
            /does not publish the application role IMAP.AccessAsApp .*ucx-mail:permissions/,
        );
    });
});
