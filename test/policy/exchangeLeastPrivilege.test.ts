// exchange-least-privilege: passing and failing app registrations, API access, consent grants and config.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { exchangeLeastPrivilege, exchangePermissionProblems } from "../../policy/exchangeLeastPrivilege";
import { checkResource, UNKNOWN } from "./support/policyHarness";
import {
    API_ACCESS,
    APP_ROLE_ASSIGNMENT,
    APPLICATION,
    DELEGATED_GRANT,
    EXCHANGE,
    FULL_ACCESS_AS_APP,
    GRAPH,
    IMAP,
    MANAGE_AS_APP,
    POP,
    SERVICE_PRINCIPAL,
    SMTP,
} from "./support/types";

function application(...blocks: { resourceAppId: unknown; resourceAccesses: unknown }[]) {
    return { displayName: "ImagicleEmailProvider", signInAudience: "AzureADMyOrg", requiredResourceAccesses: blocks };
}

function roles(...ids: string[]) {
    return ids.map((id) => ({ id, type: "Role" }));
}

const messages = (outcome: { violations: { message: string }[] }) => outcome.violations.map((v) => v.message);

describe("exchange-least-privilege on an app registration", () => {
    it("passes IMAP.AccessAsApp and SMTP.SendAsApp, and POP.AccessAsApp too", async () => {
        const imapSmtp = await checkResource(
            exchangeLeastPrivilege,
            APPLICATION,
            application({ resourceAppId: EXCHANGE, resourceAccesses: roles(IMAP, SMTP) }),
        );
        assert.deepEqual(imapSmtp, { violations: [] });
        const withPop = await checkResource(
            exchangeLeastPrivilege,
            APPLICATION,
            application({ resourceAppId: EXCHANGE, resourceAccesses: roles(IMAP, SMTP, POP) }),
        );
        assert.deepEqual(withPop, { violations: [] });
    });

    it("passes an app registration that requests nothing", async () => {
        assert.deepEqual(await checkResource(exchangeLeastPrivilege, APPLICATION, { displayName: "x" }), {
            violations: [],
        });
    });

    it("names full_access_as_app as the legacy EWS permission and says to remove it", async () => {
        const outcome = await checkResource(
            exchangeLeastPrivilege,
            APPLICATION,
            application({ resourceAppId: EXCHANGE, resourceAccesses: roles(IMAP, SMTP, FULL_ACCESS_AS_APP) }),
        );
        const [message, ...rest] = messages(outcome);
        assert.equal(rest.length, 0);
        assert.match(
            message,
            /legacy EWS application permission full_access_as_app \(dc890d15-9560-4a4c-9b7f-a736ec74ec40\)/,
        );
        assert.match(message, /Remove full_access_as_app from the app registration's API permissions/);
        assert.match(message, /not even for an app adopted from the EWS provider/);
        assert.doesNotMatch(message, /pulumi config rm existingApplicationObjectId/);
    });

    it("flags Microsoft Graph by name, once per API, with how to remove it", async () => {
        const outcome = await checkResource(
            exchangeLeastPrivilege,
            APPLICATION,
            application(
                { resourceAppId: EXCHANGE, resourceAccesses: roles(IMAP, SMTP) },
                {
                    resourceAppId: GRAPH,
                    resourceAccesses: [
                        { id: "e1fe6dd8-ba31-4d61-89e7-88639da4683d", type: "Scope" },
                        { id: "b633e1c5-b582-4048-a93e-9f11b44c7e96", type: "Role" },
                    ],
                },
            ),
        );
        const [message, ...rest] = messages(outcome);
        assert.equal(rest.length, 0);
        assert.match(message, /requests 2 permission\(s\) on Microsoft Graph \(00000003-0000-0000-c000-000000000000\)/);
        assert.match(message, /needs only Office 365 Exchange Online/);
        assert.match(message, /Remove the requiredResourceAccess entry for Microsoft Graph/);
    });

    it("flags an unnamed API by its id", async () => {
        const other = "11111111-2222-3333-4444-555555555555";
        const outcome = await checkResource(
            exchangeLeastPrivilege,
            APPLICATION,
            application({ resourceAppId: other, resourceAccesses: roles(IMAP) }),
        );
        assert.match(messages(outcome)[0], /on API 11111111-2222-3333-4444-555555555555, but ucx-mail needs only/);
    });

    it("flags a delegated scope on Exchange Online and says app-only needs none", async () => {
        const scope = "652390e4-393a-48de-9484-05f9b1212954";
        const outcome = await checkResource(
            exchangeLeastPrivilege,
            APPLICATION,
            application({
                resourceAppId: EXCHANGE,
                resourceAccesses: [...roles(IMAP, SMTP), { id: scope, type: "Scope" }],
            }),
        );
        assert.deepEqual(messages(outcome).length, 1);
        assert.match(
            messages(outcome)[0],
            /delegated permission \(type "Scope"\) 652390e4-393a-48de-9484-05f9b1212954/,
        );
        assert.match(messages(outcome)[0], /Remove it/);
    });

    it("flags Exchange.ManageAsApp as an admin role that belongs to the automation app", async () => {
        const outcome = await checkResource(
            exchangeLeastPrivilege,
            APPLICATION,
            application({ resourceAppId: EXCHANGE, resourceAccesses: roles(MANAGE_AS_APP) }),
        );
        assert.match(
            messages(outcome)[0],
            /Exchange\.ManageAsApp \(dc50a0fb-09a3-484d-be87-e023b12c6440\), an Exchange administration role/,
        );
        assert.match(messages(outcome)[0], /exchangeAppId/);
    });

    it("flags any other Exchange role with the allowed list and the config escape hatch", async () => {
        const mailSend = "b633e1c5-b582-4048-a93e-9f11b44c7e96";
        const outcome = await checkResource(
            exchangeLeastPrivilege,
            APPLICATION,
            application({ resourceAppId: EXCHANGE, resourceAccesses: roles(mailSend) }),
        );
        assert.match(
            messages(outcome)[0],
            /application role b633e1c5-b582-4048-a93e-9f11b44c7e96, which is not allowed \(allowed: IMAP\.AccessAsApp, SMTP\.SendAsApp, POP\.AccessAsApp\)/,
        );
        assert.match(messages(outcome)[0], /allowedExchangeRoles/);
    });

    it("flags a permission type other than Role or Scope", async () => {
        const outcome = await checkResource(
            exchangeLeastPrivilege,
            APPLICATION,
            application({ resourceAppId: EXCHANGE, resourceAccesses: [{ id: IMAP, type: "Roles" }] }),
        );
        assert.match(messages(outcome)[0], /with type "Roles"\. Only application roles \(type "Role"\) are allowed/);
    });

    it("matches role ids in any letter case", async () => {
        const outcome = await checkResource(
            exchangeLeastPrivilege,
            APPLICATION,
            application({ resourceAppId: EXCHANGE.toUpperCase(), resourceAccesses: roles(IMAP.toUpperCase()) }),
        );
        assert.deepEqual(outcome, { violations: [] });
    });

    it("takes the allowed list from config: dropping POP forbids it", async () => {
        const config = { allowedExchangeRoles: { "IMAP.AccessAsApp": IMAP, "SMTP.SendAsApp": SMTP } };
        const outcome = await checkResource(
            exchangeLeastPrivilege,
            APPLICATION,
            application({ resourceAppId: EXCHANGE, resourceAccesses: roles(IMAP, POP) }),
            { config },
        );
        assert.equal(messages(outcome).length, 1);
        assert.match(
            messages(outcome)[0],
            /role cb842b43-da6e-4506-86fe-bb12199c656d, which is not allowed \(allowed: IMAP\.AccessAsApp, SMTP\.SendAsApp\)/,
        );
    });

    it("checks what is known during preview and leaves the unknown part to pulumi up", async () => {
        const outcome = await checkResource(
            exchangeLeastPrivilege,
            APPLICATION,
            application(
                { resourceAppId: EXCHANGE, resourceAccesses: UNKNOWN.array },
                { resourceAppId: GRAPH, resourceAccesses: roles(IMAP) },
            ),
        );
        assert.equal(messages(outcome).length, 1);
        assert.match(messages(outcome)[0], /Microsoft Graph/);
        assert.match(outcome.unfinishedInPreview ?? "", /can't be known during preview/);
    });

    it("is not applicable to other resource types", async () => {
        const outcome = await checkResource(exchangeLeastPrivilege, SERVICE_PRINCIPAL, { clientId: "x" });
        assert.equal(outcome.violations.length, 0);
        assert.ok(outcome.notApplicable);
    });
});

describe("exchange-least-privilege on admin consent (AppRoleAssignment)", () => {
    const consent = (appRoleId: unknown) => ({
        appRoleId,
        principalObjectId: "sp-object-id",
        resourceObjectId: "exo-sp-object-id",
    });

    it("passes an allowed Exchange role", async () => {
        for (const role of [IMAP, SMTP, POP]) {
            assert.deepEqual(await checkResource(exchangeLeastPrivilege, APP_ROLE_ASSIGNMENT, consent(role)), {
                violations: [],
            });
        }
    });

    it("names full_access_as_app and says which assignment to delete", async () => {
        const outcome = await checkResource(exchangeLeastPrivilege, APP_ROLE_ASSIGNMENT, consent(FULL_ACCESS_AS_APP));
        assert.match(
            messages(outcome)[0],
            /admin-consents principal sp-object-id on resource service principal exo-sp-object-id to the legacy EWS application permission full_access_as_app/,
        );
        assert.match(messages(outcome)[0], /Delete this AppRoleAssignment/);
    });

    it("flags the default access role", async () => {
        const outcome = await checkResource(
            exchangeLeastPrivilege,
            APP_ROLE_ASSIGNMENT,
            consent("00000000-0000-0000-0000-000000000000"),
        );
        assert.match(messages(outcome)[0], /default access role \(00000000-0000-0000-0000-000000000000\)/);
    });

    it("follows the configured allowed list", async () => {
        const config = { allowedExchangeRoles: { "IMAP.AccessAsApp": IMAP } };
        const outcome = await checkResource(exchangeLeastPrivilege, APP_ROLE_ASSIGNMENT, consent(SMTP), { config });
        assert.match(
            messages(outcome)[0],
            /7146a1f0-8703-45b3-9eae-527a64c00995, which is not allowed \(allowed: IMAP\.AccessAsApp\)/,
        );
    });

    it("still checks the role when the principal is only known after apply", async () => {
        const outcome = await checkResource(exchangeLeastPrivilege, APP_ROLE_ASSIGNMENT, {
            appRoleId: FULL_ACCESS_AS_APP,
            principalObjectId: UNKNOWN.string,
            resourceObjectId: "exo",
        });
        assert.match(messages(outcome)[0], /principal \(known after apply\) on resource service principal exo/);
        assert.equal(outcome.unfinishedInPreview, undefined);
    });
});

describe("exchange-least-privilege on ApplicationApiAccess and delegated grants", () => {
    it("passes Exchange roles and flags Graph and scopes", async () => {
        assert.deepEqual(
            await checkResource(exchangeLeastPrivilege, API_ACCESS, {
                applicationId: "/applications/x",
                apiClientId: EXCHANGE,
                roleIds: [IMAP, SMTP],
            }),
            { violations: [] },
        );
        const graph = await checkResource(exchangeLeastPrivilege, API_ACCESS, {
            applicationId: "/applications/x",
            apiClientId: GRAPH,
            roleIds: ["b633e1c5-b582-4048-a93e-9f11b44c7e96"],
        });
        assert.match(messages(graph)[0], /Microsoft Graph/);
        const scope = await checkResource(exchangeLeastPrivilege, API_ACCESS, {
            applicationId: "/applications/x",
            apiClientId: EXCHANGE,
            scopeIds: ["652390e4-393a-48de-9484-05f9b1212954"],
        });
        assert.match(messages(scope)[0], /delegated permission \(type "Scope"\)/);
    });

    it("flags every delegated permission grant", async () => {
        const outcome = await checkResource(exchangeLeastPrivilege, DELEGATED_GRANT, {
            claimValues: ["IMAP.AccessAsUser.All", "SMTP.Send"],
            servicePrincipalObjectId: "a",
            resourceServicePrincipalObjectId: "b",
        });
        assert.match(messages(outcome)[0], /grants delegated permissions \(IMAP\.AccessAsUser\.All SMTP\.Send\)/);
        assert.match(messages(outcome)[0], /remove this ServicePrincipalDelegatedPermissionGrant/);
    });
});

describe("exchangePermissionProblems (pure)", () => {
    it("returns nothing for exactly the allowed roles and one problem per bad request", () => {
        const allowed = { "IMAP.AccessAsApp": IMAP, "SMTP.SendAsApp": SMTP };
        assert.deepEqual(
            exchangePermissionProblems([{ resourceAppId: EXCHANGE, id: IMAP, type: "Role" }], allowed),
            [],
        );
        const problems = exchangePermissionProblems(
            [
                { resourceAppId: EXCHANGE, id: FULL_ACCESS_AS_APP, type: "Role" },
                { resourceAppId: EXCHANGE, id: POP, type: "Role" },
            ],
            allowed,
        );
        assert.equal(problems.length, 2);
    });
});
