// Pulumi type tokens of the resources the policies look at, spelled out so a renamed token fails the tests.
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
export const IMAP = "5e5addcd-3e8d-4e90-baf5-964efab2b20a";
export const SMTP = "7146a1f0-8703-45b3-9eae-527a64c00995";
export const POP = "cb842b43-da6e-4506-86fe-bb12199c656d";
export const FULL_ACCESS_AS_APP = "dc890d15-9560-4a4c-9b7f-a736ec74ec40";
export const MANAGE_AS_APP = "dc50a0fb-09a3-484d-be87-e023b12c6440";
export const APPLICATION_REGISTRATION = "azuread:index/applicationRegistration:ApplicationRegistration";
