// What azuread.getApplication returns for an app registration in the fake tenant: the full GetApplicationResult shape
// of @pulumi/azuread (getApplication.d.ts), filled the way the data source fills it. Test-only.

import type { GetApplicationResult } from "@pulumi/azuread";
import { MICROSOFT_GRAPH_APP_ID } from "../../components/adoptionChanges";
import { EXCHANGE_ONLINE_APP_ID } from "../../components/exchangeRoles";
import { EXCHANGE_ONLINE_APP_ROLE_IDS, guidFrom } from "./fakeTenant";

export type LiveApplication = GetApplicationResult;
/** Microsoft Graph's delegated User.Read, which the admin center adds to every new registration (Microsoft Q&A 144793). */
export const GRAPH_USER_READ_SCOPE_ID = "e1fe6dd8-ba31-4d61-89e7-88639da4683d";
/** The admin who registered the EWS app: the admin center makes the creator an owner. */
export const EWS_APP_CREATOR_OBJECT_ID = "9d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0a";

/**
 * A legacy EWS app registration as the suite's old guide left it: full_access_as_app with consent, Graph User.Read,
 * its creator as owner, and nothing else set. `overrides` changes single properties.
 */
export function legacyEwsApplication(objectId: string, overrides: Partial<LiveApplication> = {}): LiveApplication {
    return {
        id: `/applications/${objectId}`,
        objectId,
        clientId: guidFrom(`live/${objectId}/client`),
        displayName: "Imagicle EWS",
        description: "",
        notes: "",
        signInAudience: "AzureADMyOrg",
        owners: [EWS_APP_CREATOR_OBJECT_ID],
        identifierUri: "",
        identifierUris: [],
        requiredResourceAccesses: [
            {
                resourceAppId: EXCHANGE_ONLINE_APP_ID,
                resourceAccesses: [{ id: EXCHANGE_ONLINE_APP_ROLE_IDS.full_access_as_app, type: "Role" }],
            },
            {
                resourceAppId: MICROSOFT_GRAPH_APP_ID,
                resourceAccesses: [{ id: GRAPH_USER_READ_SCOPE_ID, type: "Scope" }],
            },
        ],
        // Graph always returns the web, spa, publicClient and api objects, and the data source (flattenApplicationWeb
        // and its siblings in terraform-provider-azuread's applications.go) turns each into a list of one block.
        webs: [
            {
                homepageUrl: "",
                logoutUrl: "",
                redirectUris: [],
                implicitGrants: [{ accessTokenIssuanceEnabled: false, idTokenIssuanceEnabled: false }],
            },
        ],
        publicClients: [{ redirectUris: [] }],
        singlePageApplications: [{ redirectUris: [] }],
        apis: [
            {
                knownClientApplications: [],
                mappedClaimsEnabled: false,
                oauth2PermissionScopes: [],
                requestedAccessTokenVersion: 1,
            },
        ],
        appRoles: [],
        appRoleIds: {},
        oauth2PermissionScopeIds: {},
        optionalClaims: [],
        featureTags: [{ customSingleSignOn: false, enterprise: false, gallery: false, hide: false }],
        tags: [],
        groupMembershipClaims: [],
        deviceOnlyAuthEnabled: false,
        fallbackPublicClientEnabled: false,
        oauth2PostResponseRequired: false,
        disabledByMicrosoft: "",
        logoUrl: "",
        marketingUrl: "",
        privacyStatementUrl: "",
        supportUrl: "",
        termsOfServiceUrl: "",
        publisherDomain: "contoso.onmicrosoft.com",
        serviceManagementReference: "",
        ...overrides,
    };
}
