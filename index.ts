// ucx-mail: one stack per Microsoft 365 tenant. Reads the validated config, composes the components and exports
// the values the suite's e-mail provider settings need.

import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { azureadProviderFor } from "./components/azureadProvider";
import { RotatingClientSecret } from "./components/clientSecret";
import { ExchangeMailboxAccess } from "./components/exchangeAccess";
import { retainsApplicationOnDestroy } from "./components/config";
import { MailApplication } from "./components/mailApplication";
import { isAzureadConfigSecret, loadUcxMailConfig, readAzureadConfig } from "./components/stackConfig";

const { config, secrets } = loadUcxMailConfig();

// A national cloud gets its own azuread provider; a public stack passes no option, so nothing it declared moves.
const azureadProvider = azureadProviderFor(config.cloud, readAzureadConfig(), isAzureadConfigSecret);
const inCloud: pulumi.ComponentResourceOptions = azureadProvider ? { providers: [azureadProvider] } : {};

const mailApp = new MailApplication(
    "ucx-mail",
    {
        displayName: config.displayName,
        permissions: config.permissions,
        owners: [...config.owners],
        adoptApplicationObjectId: config.existingApplicationObjectId,
        retainOnDestroy: retainsApplicationOnDestroy(config),
        retainOnDestroyConfigured: config.retainApplicationOnDestroy,
    },
    inCloud,
);

const rotatingSecret = new RotatingClientSecret(
    "ucx-mail-secret",
    {
        applicationId: mailApp.applicationResourceId,
        rotationDays: config.secretRotationDays,
        rotationKey: config.secretRotationKey,
    },
    inCloud,
);

// The Exchange steps wait for admin consent; in manual mode they become a script to paste instead.
const exchangeAccess = new ExchangeMailboxAccess("ucx-mail-exchange", {
    appId: mailApp.clientId,
    servicePrincipalObjectId: mailApp.servicePrincipalObjectId,
    servicePrincipalName: config.exchangeServicePrincipalName,
    mailboxes: config.mailboxes,
    smtpAuth: config.smtpAuth,
    permissions: config.permissions,
    mailboxProtocols: config.mailboxProtocols,
    connection: config.exchange,
    clientSecret: secrets.exchangeClientSecret,
    certificatePassword: secrets.exchangeCertificatePassword,
    adminConsent: mailApp.adminConsent,
});

export const tenantId = azuread.getClientConfigOutput(
    azureadProvider ? { provider: azureadProvider } : undefined,
).tenantId;
export const applicationClientId = mailApp.clientId;
export const applicationObjectId = mailApp.applicationObjectId;
export const servicePrincipalObjectId = mailApp.servicePrincipalObjectId;
export const clientSecret = pulumi.secret(rotatingSecret.value);
export const clientSecretExpiresAt = rotatingSecret.expiresAt;
export const nextSecretRotationAt = rotatingSecret.nextRotationAt;
export const previousSecretExpiresAt = rotatingSecret.previousExpiresAt;
// Read back by the next run (ROTATION_OUTPUT_NAMES in components/clientSecret.ts): the secret the suite may hold.
export const clientSecretSlot = rotatingSecret.exported;
// Key ids are not secret: doctor --handover matches them with Graph's record of which secret the suite last used.
export const clientSecretKeyId = rotatingSecret.keyId;
export const previousSecretKeyId = rotatingSecret.previousKeyId;
export const mailboxes = config.mailboxes;
export const exchangeServicePrincipalName = config.exchangeServicePrincipalName;
export const exchangeSetupScript = config.exchange.mode === "manual" ? exchangeAccess.setupScript : undefined;
