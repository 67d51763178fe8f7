// The `cloud` setting through the whole program under Pulumi's mocks: a public stack keeps the default azuread
// provider and declares exactly what it declared before; a national-cloud stack sends every azuread resource and invoke
// to one explicit provider of that cloud, and its Exchange command to that cloud's Exchange.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CLOUD_ENDPOINTS, type CloudName } from "../components/contract";
import { ProgramFailure, runProgram, type ProgramRun } from "./support/program";

const TENANT = { "azuread:tenantId": "00000000-0000-4000-8000-0000000000aa" };
const MAILBOXES = ["fax@contoso.com"];

function declared(run: ProgramRun) {
    return run.resources.map(({ type, name, inputs, options }) => ({ type, name, inputs, options }));
}

describe("a public stack", () => {
    it("declares exactly what it declared before the cloud setting existed, with cloud unset or public", async () => {
        const unset = await runProgram({ mailboxes: MAILBOXES }, { rawConfig: TENANT });
        const publicCloud = await runProgram({ mailboxes: MAILBOXES, cloud: "public" }, { rawConfig: TENANT });
        // The resources a stack with only mailboxes declared on the base commit.
        assert.deepEqual(
            unset.resources.map((resource) => `${resource.type} ${resource.name}`).sort(),
            [
                "ucx-mail:index:MailApplication ucx-mail",
                "ucx-mail:index:RotatingClientSecret ucx-mail-secret",
                "ucx-mail:index:ExchangeMailboxAccess ucx-mail-exchange",
                "azuread:index/application:Application ucx-mail-registration",
                "pulumi-nodejs:dynamic:RotationLedger ucx-mail-secret-ledger",
                "azuread:index/servicePrincipal:ServicePrincipal ucx-mail-enterprise-app",
                "azuread:index/applicationPassword:ApplicationPassword ucx-mail-secret-slot-a",
                "azuread:index/applicationPassword:ApplicationPassword ucx-mail-secret-slot-b",
                "azuread:index/appRoleAssignment:AppRoleAssignment ucx-mail-consent-imap-accessasapp",
                "azuread:index/appRoleAssignment:AppRoleAssignment ucx-mail-consent-smtp-sendasapp",
            ].sort(),
        );
        assert.deepEqual(declared(publicCloud), declared(unset));
        for (const run of [unset, publicCloud]) {
            assert.ok(run.resources.every((resource) => resource.options.provider === undefined));
            assert.ok(run.calls.every((call) => call.provider === undefined));
        }
    });

    it("runs the Exchange command with the same environment as before: no cloud variable", async () => {
        const run = await runProgram(
            { mailboxes: MAILBOXES, exchangeAuth: "managedIdentity", exchangeOrganization: "contoso.onmicrosoft.com" },
            { rawConfig: TENANT },
        );
        const command = run.resources.find((resource) => resource.type === "command:local:Command");
        assert.ok(command);
        assert.equal(command.inputs.environment.UCX_EXCHANGE_CLOUD, undefined);
    });
});

describe("a national-cloud stack", () => {
    const organizations: Record<Exclude<CloudName, "public">, string> = {
        usgov: "contoso.onmicrosoft.us",
        dod: "contoso.onmicrosoft.us",
        china: "contoso.partner.onmschina.cn",
    };
    for (const [cloud, organization] of Object.entries(organizations) as [CloudName, string][]) {
        it(`${cloud}: one azuread provider of that cloud for every azuread resource and invoke, and its Exchange`, async () => {
            const run = await runProgram(
                { mailboxes: MAILBOXES, cloud, exchangeAuth: "managedIdentity", exchangeOrganization: organization },
                { rawConfig: { ...TENANT, "azuread:useOidc": "true" } },
            );
            const providers = run.resources.filter((resource) => resource.type === "pulumi:providers:azuread");
            assert.equal(providers.length, 1);
            const [provider] = providers;
            assert.equal(provider.inputs.environment, CLOUD_ENDPOINTS[cloud].azureadEnvironment);
            // An explicit provider reads no azuread:* stack setting by itself: the program passes them on.
            assert.equal(provider.inputs.tenantId, TENANT["azuread:tenantId"]);
            assert.equal(provider.inputs.useOidc, "true");
            const reference = (ref: string | undefined) => ref?.split("::").slice(0, -1).join("::");
            const azureadResources = run.resources.filter((resource) => resource.type.startsWith("azuread:"));
            assert.ok(azureadResources.length >= 5);
            for (const resource of azureadResources) {
                assert.match(
                    reference(resource.options.provider) ?? "",
                    new RegExp(`::ucx-mail-${cloud}$`),
                    resource.name,
                );
            }
            assert.ok(run.calls.length >= 2);
            for (const call of run.calls)
                assert.match(call.provider ?? "", new RegExp(`::ucx-mail-${cloud}::`), call.token);
            const command = run.resources.find((resource) => resource.type === "command:local:Command");
            assert.equal(command?.inputs.environment.UCX_EXCHANGE_CLOUD, cloud);
        });
    }

    it("refuses an azuread:environment of another cloud before declaring anything", async () => {
        await assert.rejects(
            runProgram(
                { mailboxes: MAILBOXES, cloud: "usgov" },
                { rawConfig: { ...TENANT, "azuread:environment": "public" } },
            ),
            (error: unknown) => {
                assert.ok(error instanceof ProgramFailure);
                assert.match(
                    error.message,
                    /ucx-mail:cloud: is usgov, but azuread:environment "public" is the public cloud/,
                );
                assert.deepEqual(error.declared, []);
                return true;
            },
        );
    });
});
