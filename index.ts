// ucx-mail: one stack per Microsoft 365 tenant. Reads the validated config, composes the components and exports
// the values the suite's e-mail provider settings need.

import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { RotatingClientSecret } from "./components/clientSecret";
import { MailApplication } from "./components/mailApplication";
import { loadUcxMailConfig } from "./components/stackConfig";

const { config } = loadUcxMailConfig();

const mailApp = new MailApplication("ucx-mail", {
    displayName: config.displayName,
    permissions: config.permissions,
    owners: [...config.owners],
    adoptApplicationObjectId: config.existingApplicationObjectId,
});

const rotatingSecret = new RotatingClientSecret("ucx-mail-secret", {
    applicationId: mailApp.applicationResourceId,
    rotationDays: config.secretRotationDays,
    rotationKey: config.secretRotationKey,
});

export const tenantId = azuread.getClientConfigOutput().tenantId;
export const applicationClientId = mailApp.clientId;
export const applicationObjectId = mailApp.applicationObjectId;
export const servicePrincipalObjectId = mailApp.servicePrincipalObjectId;
export const clientSecret = pulumi.secret(rotatingSecret.value);
export const clientSecretExpiresAt = rotatingSecret.expiresAt;
export const nextSecretRotationAt = rotatingSecret.nextRotationAt;
export const previousSecretExpiresAt = rotatingSecret.previousExpiresAt;
export const mailboxes = config.mailboxes;
export const exchangeServicePrincipalName = config.exchangeServicePrincipalName;
