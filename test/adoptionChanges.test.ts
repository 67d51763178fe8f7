// The pure diff behind the adoption warning: what bringing a live app registration to the declared one removes.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { adoptionRemovals, MICROSOFT_GRAPH_APP_ID, type DeclaredApplicationView } from "../components/adoptionChanges";
import { EXCHANGE_ONLINE_APP_ID } from "../components/exchangeRoles";
import { EXCHANGE_ONLINE_APP_ROLE_IDS } from "./support/fakeTenant";
import { GRAPH_USER_READ_SCOPE_ID, legacyEwsApplication } from "./support/liveApplication";

const OBJECT_ID = "3c1d9a7e-5b2f-4e8d-9a6c-7f0e1d2c3b4a";
const DECLARED: DeclaredApplicationView = {
    displayName: "ImagicleEmailProvider",
    signInAudience: "AzureADMyOrg",
    notes: "Managed by ucx-mail",
    owners: ["a1b2c3d4-0000-4000-8000-00000000000a"],
    requiredResourceAccesses: [
        {
            resourceAppId: EXCHANGE_ONLINE_APP_ID,
            resourceAccesses: [
                { id: EXCHANGE_ONLINE_APP_ROLE_IDS["IMAP.AccessAsApp"], type: "Role" },
                { id: EXCHANGE_ONLINE_APP_ROLE_IDS["SMTP.SendAsApp"], type: "Role" },
            ],
        },
    ],
};

/** A live app that already is what ucx-mail declares. */
function liveAsDeclared() {
    return legacyEwsApplication(OBJECT_ID, {
        displayName: DECLARED.displayName,
        notes: DECLARED.notes,
        owners: [...DECLARED.owners],
        requiredResourceAccesses: DECLARED.requiredResourceAccesses.map((r) => ({
            resourceAppId: r.resourceAppId,
            resourceAccesses: r.resourceAccesses.map((a) => ({ ...a })),
        })),
    });
}

describe("adoptionRemovals", () => {
    it("is empty for a live app in the declared state, ids compared without regard to case", () => {
        const live = liveAsDeclared();
        const upper = { ...live, owners: live.owners.map((o) => o.toUpperCase()) };
        assert.deepEqual(adoptionRemovals(upper, DECLARED, EXCHANGE_ONLINE_APP_ROLE_IDS), []);
    });

    it("names Exchange roles by the tenant's role names and other APIs by their application id", () => {
        const live = liveAsDeclared();
        const lines = adoptionRemovals(
            {
                ...live,
                requiredResourceAccesses: [
                    ...live.requiredResourceAccesses,
                    {
                        resourceAppId: EXCHANGE_ONLINE_APP_ID,
                        resourceAccesses: [{ id: EXCHANGE_ONLINE_APP_ROLE_IDS["Mail.Send"], type: "Role" }],
                    },
                    {
                        resourceAppId: MICROSOFT_GRAPH_APP_ID,
                        resourceAccesses: [{ id: GRAPH_USER_READ_SCOPE_ID, type: "Scope" }],
                    },
                    {
                        resourceAppId: "00000003-0000-0ff1-ce00-000000000000",
                        resourceAccesses: [{ id: "678536fe-1083-478a-9c59-b99265e6b0d3", type: "Role" }],
                    },
                ],
            },
            DECLARED,
            EXCHANGE_ONLINE_APP_ROLE_IDS,
        );
        assert.deepEqual(lines, [
            `API permission Mail.Send (application) on Office 365 Exchange Online (${EXCHANGE_ONLINE_APP_ROLE_IDS["Mail.Send"]})`,
            `API permission ${GRAPH_USER_READ_SCOPE_ID} (delegated) on Microsoft Graph`,
            "API permission 678536fe-1083-478a-9c59-b99265e6b0d3 (application) on the API with application ID " +
                "00000003-0000-0ff1-ce00-000000000000",
        ]);
    });

    it("treats the same role id with another type as a different permission", () => {
        const live = liveAsDeclared();
        const imap = EXCHANGE_ONLINE_APP_ROLE_IDS["IMAP.AccessAsApp"];
        const lines = adoptionRemovals(
            {
                ...live,
                requiredResourceAccesses: [
                    { resourceAppId: EXCHANGE_ONLINE_APP_ID, resourceAccesses: [{ id: imap, type: "Scope" }] },
                ],
            },
            DECLARED,
            EXCHANGE_ONLINE_APP_ROLE_IDS,
        );
        assert.deepEqual(lines, [
            `API permission IMAP.AccessAsApp (delegated) on Office 365 Exchange Online (${imap})`,
        ]);
    });

    it("lists web URLs, implicit grants, exposed scopes, app roles, a foreign note and another audience", () => {
        const live = liveAsDeclared();
        const lines = adoptionRemovals(
            {
                ...live,
                notes: "EWS for UCX",
                signInAudience: "AzureADMultipleOrgs",
                webs: [
                    {
                        homepageUrl: "https://ucx.contoso.com",
                        logoutUrl: "https://ucx.contoso.com/logout",
                        redirectUris: [],
                        implicitGrants: [{ accessTokenIssuanceEnabled: true, idTokenIssuanceEnabled: true }],
                    },
                ],
                singlePageApplications: [{ redirectUris: ["https://ucx.contoso.com/spa"] }],
                apis: [{ ...live.apis[0], oauth2PermissionScopes: [{ ...scope("user_impersonation") }] }],
                appRoles: [{ ...appRole("Fax.Send") }],
            },
            DECLARED,
            EXCHANGE_ONLINE_APP_ROLE_IDS,
        );
        assert.deepEqual(lines, [
            "sign-in audience AzureADMultipleOrgs (becomes AzureADMyOrg)",
            `notes "EWS for UCX" (replaced by ucx-mail's own note)`,
            "home page URL https://ucx.contoso.com",
            "front-channel logout URL https://ucx.contoso.com/logout",
            "implicit grant of access tokens",
            "implicit grant of ID tokens",
            "redirect URI https://ucx.contoso.com/spa (single-page application)",
            "exposed API scope user_impersonation",
            "app role Fax.Send",
        ]);
    });

    it("lists each extra redirect URI, identifier URI and owner exactly once, and nothing else", () => {
        const uri = fc.webUrl({ withQueryParameters: false, withFragments: false });
        fc.assert(
            fc.property(
                fc.uniqueArray(uri, { maxLength: 4 }),
                fc.uniqueArray(uri, { maxLength: 3 }),
                fc.uniqueArray(fc.uuid(), { maxLength: 3 }),
                (redirectUris, identifierUris, extraOwners) => {
                    const live = liveAsDeclared();
                    const lines = adoptionRemovals(
                        {
                            ...live,
                            webs: [{ ...live.webs[0], redirectUris }],
                            identifierUris,
                            owners: [...live.owners, ...extraOwners],
                        },
                        DECLARED,
                        EXCHANGE_ONLINE_APP_ROLE_IDS,
                    );
                    assert.deepEqual(lines, [
                        ...extraOwners.map((o) => `owner ${o} (list it in owners to keep it)`),
                        ...redirectUris.map((u) => `redirect URI ${u} (Web)`),
                        ...identifierUris.map((u) => `identifier URI ${u}`),
                    ]);
                },
            ),
        );
    });
});

function scope(value: string) {
    return {
        value,
        id: "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
        type: "User",
        enabled: true,
        adminConsentDescription: "",
        adminConsentDisplayName: "",
        userConsentDescription: "",
        userConsentDisplayName: "",
    };
}

function appRole(value: string) {
    return {
        value,
        id: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        displayName: value,
        description: "",
        enabled: true,
        allowedMemberTypes: ["Application"],
    };
}

describe("adoptionRemovals: what the application update clears although ucx-mail never sets it", () => {
    it("lists the description, claims, info URLs, service management reference, the three booleans and tags", () => {
        const live = {
            ...liveAsDeclared(),
            description: "EWS access for the fax server",
            groupMembershipClaims: ["SecurityGroup"],
            optionalClaims: [
                { accessTokens: [{ name: "groups" }], idTokens: [{ name: "email" }], saml2Tokens: [{ name: "upn" }] },
            ],
            marketingUrl: "https://contoso.example/m",
            privacyStatementUrl: "https://contoso.example/p",
            supportUrl: "https://contoso.example/s",
            termsOfServiceUrl: "https://contoso.example/t",
            serviceManagementReference: "CHG-1234",
            deviceOnlyAuthEnabled: true,
            fallbackPublicClientEnabled: true,
            oauth2PostResponseRequired: true,
            tags: ["legacy-ews"],
        };
        assert.deepEqual(adoptionRemovals(live, DECLARED, EXCHANGE_ONLINE_APP_ROLE_IDS), [
            'description "EWS access for the fax server" (cleared)',
            "group membership claims SecurityGroup (cleared)",
            "optional claim groups in access tokens (cleared)",
            "optional claim email in ID tokens (cleared)",
            "optional claim upn in SAML tokens (cleared)",
            "marketing URL https://contoso.example/m (cleared)",
            "privacy statement URL https://contoso.example/p (cleared)",
            "support URL https://contoso.example/s (cleared)",
            "terms of service URL https://contoso.example/t (cleared)",
            'service management reference "CHG-1234" (cleared)',
            "device-only authentication (turned off)",
            "treat as a public client (turned off)",
            "OAuth2 POST response required (turned off)",
            "tag legacy-ews (cleared)",
        ]);
    });

    it("says nothing of them when they are empty, or the group claims are None", () => {
        const live = { ...liveAsDeclared(), groupMembershipClaims: ["None"] };
        assert.deepEqual(adoptionRemovals(live, DECLARED, EXCHANGE_ONLINE_APP_ROLE_IDS), []);
    });
});
