// The azuread provider of a national-cloud stack. A public stack keeps the default provider untouched: moving its
// resources to another provider would make the engine ask the new provider's DiffConfig whether each must be replaced
// (providerChanged in pkg/resource/deploy/step_generator.go), and a replaced app registration gets a new client id.

import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { CLOUD_ENDPOINTS, type CloudName } from "./contract";

/** The azuread provider's boolean settings: stack config holds them as text, the provider's inputs as booleans. */
const BOOLEAN_SETTINGS = ["disableTerraformPartnerId", "useAksWorkloadIdentity", "useCli", "useMsi", "useOidc"];

/**
 * The inputs of an explicit provider for this cloud: every `azuread:*` setting of the stack (an explicit provider
 * reads none of them by itself), secrets kept secret, plus the cloud's environment. Pure apart from pulumi.secret.
 */
export function nationalProviderArgs(
    cloud: CloudName,
    azureadConfig: Readonly<Record<string, string>>,
    isSecret: (key: string) => boolean,
): Record<string, pulumi.Input<string | boolean>> {
    const args: Record<string, pulumi.Input<string | boolean>> = {};
    for (const [key, text] of Object.entries(azureadConfig)) {
        const value = BOOLEAN_SETTINGS.includes(key) ? /^true$/i.test(text.trim()) : text;
        args[key] = isSecret(key) ? pulumi.secret(value) : value;
    }
    args.environment = CLOUD_ENDPOINTS[cloud].azureadEnvironment;
    return args;
}

/** The provider every azuread resource and invoke of a national-cloud stack uses; undefined for a public stack. */
export function azureadProviderFor(
    cloud: CloudName,
    azureadConfig: Readonly<Record<string, string>>,
    isSecret: (key: string) => boolean,
): azuread.Provider | undefined {
    if (cloud === "public") return undefined;
    return new azuread.Provider(`ucx-mail-${cloud}`, nationalProviderArgs(cloud, azureadConfig, isSecret));
}
