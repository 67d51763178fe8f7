// Pulumi type tokens of the resources the policies look at, spelled out so a renamed token fails the tests.

import { EXCHANGE_ONLINE_APP_ROLE_IDS } from "../../support/fakeTenant";

export const APPLICATION = "azuread:index/application:Application";
export const API_ACCESS = "azuread:index/applicationApiAccess:ApplicationApiAccess";
export const APP_ROLE_ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment";
export const DELEGATED_GRANT =
    "azuread:index/servicePrincipalDelegatedPermissionGrant:ServicePrincipalDelegatedPermissionGrant";
export const APPLICATION_PASSWORD = "azuread:index/applicationPassword:ApplicationPassword";
export const SERVICE_PRINCIPAL_PASSWORD = "azuread:index/servicePrincipalPassword:ServicePrincipalPassword";
export const APPLICATION_OWNER = "azuread:index/applicationOwner:ApplicationOwner";
export const SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal";
export const COMMAND = "command:local:Command";
export const STACK = "pulumi:pulumi:Stack";

export const EXCHANGE = "00000002-0000-0ff1-ce00-000000000000";
export const GRAPH = "00000003-0000-0000-c000-000000000000";
// Role ids as the fake tenant publishes them: one test-side copy of Exchange Online's real ids.
export const IMAP = EXCHANGE_ONLINE_APP_ROLE_IDS["IMAP.AccessAsApp"];
export const SMTP = EXCHANGE_ONLINE_APP_ROLE_IDS["SMTP.SendAsApp"];
export const POP = EXCHANGE_ONLINE_APP_ROLE_IDS["POP.AccessAsApp"];
export const FULL_ACCESS_AS_APP = EXCHANGE_ONLINE_APP_ROLE_IDS.full_access_as_app;
export const MANAGE_AS_APP = EXCHANGE_ONLINE_APP_ROLE_IDS["Exchange.ManageAsApp"];
export const APPLICATION_REGISTRATION = "azuread:index/applicationRegistration:ApplicationRegistration";
