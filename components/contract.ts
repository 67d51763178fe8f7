// Typed access to contract/ucx-mail.json, the one copy of the Microsoft facts and shared rules that the program, the
// Exchange module, the doctor and the fleet read. Pure: a JSON import, no Pulumi.

import contract from "../contract/ucx-mail.json";

/** The Microsoft cloud instance a tenant lives in (`public` covers commercial and GCC). */
export type CloudName = "public" | "usgov" | "dod" | "china";

/** Entra, Exchange Online and provider settings of one cloud instance. */
export interface CloudEndpoints {
    /** What the cloud is called in Microsoft's documents (commercial and GCC, GCC High, DoD, 21Vianet). */
    readonly description: string;
    /** The azuread provider's `environment` for this cloud. */
    readonly azureadEnvironment: string;
    /** Every `environment` value the azuread provider reads as this cloud (its documented aliases). */
    readonly azureadEnvironmentNames: readonly string[];
    /** Connect-ExchangeOnline -ExchangeEnvironmentName for this cloud. */
    readonly exchangeEnvironmentName: string;
    /** Entra ID sign-in host, as an https origin. */
    readonly authorityHost: string;
    /** Exchange Online resource host; the token scope is https://<this>/.default and the token's audience. */
    readonly exchangeResourceHost: string;
    /** Microsoft Graph service root (https origin); also the token resource, https://<host>/.default. */
    readonly graphHost: string;
    /** SMTP AUTH client submission host (STARTTLS). */
    readonly smtpHost: string;
    readonly smtpPort: number;
    /** IMAP host (implicit TLS). */
    readonly imapHost: string;
    readonly imapPort: number;
    /** The Azure portal of this cloud, where the app registration must live. */
    readonly portal: string;
    /** The suffix of a tenant's initial domain in this cloud (`onmicrosoft.us`). */
    readonly organizationSuffix: string;
}

/** Every supported cloud, in the contract's order. */
export const CLOUD_NAMES = contract.settings.clouds as readonly CloudName[];

export const CLOUD_ENDPOINTS: Readonly<Record<CloudName, CloudEndpoints>> = {
    public: contract.clouds.public,
    usgov: contract.clouds.usgov,
    dod: contract.clouds.dod,
    china: contract.clouds.china,
};

/** True when the string names a supported cloud. */
export function isCloudName(value: string): value is CloudName {
    return (CLOUD_NAMES as readonly string[]).includes(value);
}

/** The clouds in which this is a tenant's initial domain (`<label>.<suffix>`); empty when it is none's. */
export function cloudsOfOrganization(organization: string): CloudName[] {
    const lower = organization.toLowerCase();
    return CLOUD_NAMES.filter((cloud) => {
        const suffix = `.${CLOUD_ENDPOINTS[cloud].organizationSuffix}`;
        return lower.endsWith(suffix) && PATTERNS.initialDomainLabel.test(lower.slice(0, -suffix.length));
    });
}

/** The cloud an azuread `environment` value names (aliases included), or undefined for a value no cloud uses. */
export function cloudOfAzureadEnvironment(environment: string): CloudName | undefined {
    const lower = environment.trim().toLowerCase();
    return CLOUD_NAMES.find((cloud) => CLOUD_ENDPOINTS[cloud].azureadEnvironmentNames.includes(lower));
}

/** The whole file, for the manual script that renders it. */
export const CONTRACT = contract;

/** Facts about Microsoft's first-party applications and Exchange roles. */
export const MICROSOFT = contract.microsoft;

/** The settings' allowed values, defaults and ranges. */
export const SETTINGS = contract.settings;

/** Names of the environment variables the Exchange steps and the doctor read. */
export const ENVIRONMENT = contract.environment;

/** Case-insensitive rules shared with the Exchange module. */
export const PATTERNS = {
    guid: new RegExp(contract.patterns.guid, "i"),
    plainAddress: new RegExp(contract.patterns.plainAddress, "i"),
    initialDomainLabel: new RegExp(contract.patterns.initialDomainLabel, "i"),
} as const;
