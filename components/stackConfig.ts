// Reads the stack's ucx-mail configuration from the Pulumi runtime and validates it before anything is declared.

import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, parseUcxMailConfig, type RawConfig, type UcxMailConfig } from "./config";

// The SDK knows which keys the stack stores encrypted but does not export that from its typed surface.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };

/** Secret settings, kept as Pulumi secrets so that they never reach state or logs in plain text. */
export interface UcxMailSecrets {
    readonly exchangeClientSecret?: pulumi.Output<string>;
    readonly exchangeCertificatePassword?: pulumi.Output<string>;
}

/** Every key of one namespace of the running stack's config, without the namespace. */
function readNamespace(namespace: string): Record<string, string> {
    const prefix = `${namespace}:`;
    const raw: Record<string, string> = {};
    for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
        if (key.startsWith(prefix)) raw[key.slice(prefix.length)] = value;
    }
    return raw;
}

/** Every `ucx-mail:*` key of the running stack, without its namespace. */
export function readRawUcxMailConfig(): RawConfig {
    return readNamespace(CONFIG_NAMESPACE);
}

/** Every `azuread:*` key of the running stack, without its namespace: the settings of the azuread provider. */
export function readAzureadConfig(): Record<string, string> {
    return readNamespace("azuread");
}

/** Whether the stack stores this `azuread:*` key encrypted. */
export function isAzureadConfigSecret(key: string): boolean {
    return runtimeConfig.isConfigSecret(`azuread:${key}`);
}

/** Validated config plus its secrets. Throws one error naming every bad key before any resource exists. */
export function loadUcxMailConfig(): { config: UcxMailConfig; secrets: UcxMailSecrets } {
    const raw = readRawUcxMailConfig();
    const config = parseUcxMailConfig(raw, {
        azureadEnvironment: readAzureadConfig().environment,
        isStoredAsSecret: (key) => runtimeConfig.isConfigSecret(`${CONFIG_NAMESPACE}:${key}`),
    });
    const stackConfig = new pulumi.Config(CONFIG_NAMESPACE);
    // An empty value (the project default) means "not set".
    const secret = (key: keyof UcxMailSecrets) => (raw[key]?.trim() ? { [key]: stackConfig.requireSecret(key) } : {});
    return { config, secrets: { ...secret("exchangeClientSecret"), ...secret("exchangeCertificatePassword") } };
}
