// Turns the raw `ucx-mail:*` stack configuration into a typed, validated object. Pure: no Pulumi imports, so every
// rule is tested directly and the program can refuse bad config before it declares a single resource.

import {
    CLOUD_ENDPOINTS,
    CLOUD_NAMES,
    cloudOfAzureadEnvironment,
    cloudsOfOrganization,
    MICROSOFT,
    PATTERNS,
    SETTINGS,
    type CloudName,
} from "./contract";
import { LEGACY_EWS_ROLE_NAME } from "./exchangeRoles";
import { MAX_ROTATION_DAYS, MIN_ROTATION_DAYS } from "./rotationSchedule";

export const CONFIG_NAMESPACE = "ucx-mail";

export type ExchangeRoleName = "IMAP.AccessAsApp" | "SMTP.SendAsApp" | "POP.AccessAsApp";
export const EXCHANGE_ROLE_NAMES = MICROSOFT.exchangeRoleNames as readonly ExchangeRoleName[];

export type SmtpAuthScope = "mailbox" | "organization" | "unchanged";
export const SMTP_AUTH_SCOPES = SETTINGS.smtpAuthScopes as readonly SmtpAuthScope[];

export type ExchangeAuthMode = "manual" | "certificate" | "clientSecret" | "accessToken" | "managedIdentity";
export const EXCHANGE_AUTH_MODES = SETTINGS.exchangeAuthModes as readonly ExchangeAuthMode[];

export type MailboxProtocolMode = "enable" | "unchanged";
export const MAILBOX_PROTOCOL_MODES = SETTINGS.mailboxProtocolModes as readonly MailboxProtocolMode[];

export type { CloudName } from "./contract";
export const CLOUDS = CLOUD_NAMES;

/**
 * The longest JSON line the Exchange steps may record: the command provider hands it back as the one environment
 * variable PULUMI_COMMAND_STDOUT, and Windows caps a variable at 32,767 characters, name and "=" included.
 */
export const EXCHANGE_STATE_MAX_CHARACTERS = 32767 - "PULUMI_COMMAND_STDOUT=".length;

/** Keys whose values are secrets: their values never appear in an error message. */
export const SECRET_CONFIG_KEYS = ["exchangeClientSecret", "exchangeCertificatePassword"] as const;

/** Every key the project accepts, so that a typo is reported instead of silently ignored. */
export const CONFIG_KEYS = [
    "cloud",
    "mailboxes",
    "displayName",
    "permissions",
    "smtpAuth",
    "secretRotationDays",
    "secretRotationKey",
    "owners",
    "exchangeServicePrincipalName",
    "exchangeAuth",
    "exchangeOrganization",
    "exchangeAppId",
    "exchangeCertificatePath",
    "exchangeCertificatePassword",
    "exchangeClientSecret",
    "exchangeAdminUpn",
    "exchangeMaxWaitMinutes",
    "existingApplicationObjectId",
    "exchangeManagedIdentityAccountId",
    "mailboxProtocols",
    "retainApplicationOnDestroy",
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

const defaults = SETTINGS.defaults;
export const CONFIG_DEFAULTS = {
    cloud: defaults.cloud as CloudName,
    displayName: defaults.displayName,
    permissions: defaults.permissions as readonly ExchangeRoleName[],
    smtpAuth: defaults.smtpAuth as SmtpAuthScope,
    secretRotationDays: defaults.secretRotationDays,
    secretRotationKey: defaults.secretRotationKey,
    owners: [] as readonly string[],
    exchangeServicePrincipalName: defaults.exchangeServicePrincipalName,
    exchangeAuth: defaults.exchangeAuth as ExchangeAuthMode,
    exchangeMaxWaitMinutes: defaults.exchangeMaxWaitMinutes,
    mailboxProtocols: defaults.mailboxProtocols as MailboxProtocolMode,
} as const;

// The rotation enforces the same range, so the component refuses what the config refuses.
export const SECRET_ROTATION_DAYS_RANGE = { min: MIN_ROTATION_DAYS, max: MAX_ROTATION_DAYS } as const;
export const EXCHANGE_MAX_WAIT_MINUTES_RANGE = SETTINGS.ranges.exchangeMaxWaitMinutes;

/** How the Exchange steps connect. Holds no secret: secrets are read by index.ts with config.getSecret. */
export interface ExchangeConnectionSettings {
    readonly mode: ExchangeAuthMode;
    /** The tenant's Microsoft cloud: its Exchange environment, token authority and resource. */
    readonly cloud: CloudName;
    /** The tenant's initial domain (`contoso.onmicrosoft.com`); set unless the mode is manual. */
    readonly organization?: string;
    /** The automation app that holds Exchange.ManageAsApp (certificate and clientSecret modes). */
    readonly appId?: string;
    /** PFX file for certificate mode. */
    readonly certificatePath?: string;
    /** Admin UPN that goes with a delegated token in accessToken mode. */
    readonly adminUpn?: string;
    /** How long Exchange steps wait for propagation and throttling before they give up. */
    readonly maxWaitMinutes: number;
    /** Client id of a user-assigned managed identity (managedIdentity mode): -ManagedIdentityAccountId. */
    readonly managedIdentityAccountId?: string;
}

export interface UcxMailConfig {
    /** The tenant's Microsoft cloud (`public` for commercial and GCC). */
    readonly cloud: CloudName;
    /** Dedicated mailboxes, lower-cased, unique, each a plain address. */
    readonly mailboxes: readonly string[];
    readonly displayName: string;
    readonly permissions: readonly ExchangeRoleName[];
    readonly smtpAuth: SmtpAuthScope;
    readonly secretRotationDays: number;
    readonly secretRotationKey: string;
    readonly owners: readonly string[];
    readonly exchangeServicePrincipalName: string;
    readonly exchange: ExchangeConnectionSettings;
    readonly existingApplicationObjectId?: string;
    /** Whether the Exchange steps enable IMAP (and POP) on each mailbox for the permissions that need them. */
    readonly mailboxProtocols: MailboxProtocolMode;
    /** Keep the app registration and its enterprise application on destroy; unset means "while adopting". */
    readonly retainApplicationOnDestroy?: boolean;
}

/** One problem with one key: what is wrong and how to fix it. */
export interface ConfigProblem {
    readonly key: string;
    readonly problem: string;
    readonly fix: string;
}

export class UcxMailConfigError extends Error {
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(formatConfigProblems(problems));
        this.name = "UcxMailConfigError";
    }
}

export function formatConfigProblems(problems: readonly ConfigProblem[]): string {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    const lines = problems.map((p) => `  - ${CONFIG_NAMESPACE}:${p.key}: ${p.problem} Fix: ${p.fix}`);
    return [
        `The ${CONFIG_NAMESPACE} stack configuration has ${count}; nothing was declared or changed.`,
        ...lines,
    ].join("\n");
}

export interface ParseOptions {
    /** The stack's `azuread:environment`, if set: it must name the same cloud as `cloud`. */
    readonly azureadEnvironment?: string;
    /**
     * Whether a key's value is stored encrypted. Secret keys in plain text are refused, a secret value is never quoted
     * in an error, and a key whose value ends up in plain text (PLAIN_VALUE_KEYS) stored as a secret is refused.
     * Default: exactly the secret keys are.
     */
    readonly isStoredAsSecret?: (key: string) => boolean;
}

/** Keys that may be stored encrypted: the secret keys, and secretRotationKey, of which only a digest is kept. */
const KEYS_THAT_MAY_BE_SECRET: readonly string[] = [...SECRET_CONFIG_KEYS, "secretRotationKey"];

/** Raw config as Pulumi stores it: strings, with lists and numbers as JSON text. Keys carry no namespace. */
export type RawConfig = Readonly<Record<string, string | undefined>>;

const GUID = PATTERNS.guid;
// Plain addresses only: these values later reach PowerShell lines, so quotes, `$`, `;`, backticks and spaces never
// pass. ADDRESS_RULE says the same in words; the pattern is the contract's, which the Exchange module reads too.
const PLAIN_ADDRESS = PATTERNS.plainAddress;
const ADDRESS_RULE =
    "a plain e-mail address: before the @ only letters, digits and . _ + - (starting with a letter, digit or _, no dot at the end or twice in a row), after it a domain name; no apostrophe or other quote, space or display name";
// Characters that would let a value escape its place in a PowerShell line or a log.
const UNSAFE_CHARACTERS = /["'`$;\\\p{Cc}]/u;
// Also refused in a name the doctor quotes in a fix: a pipe or braces would turn a pasted line into a pipeline.
const UNSAFE_NAME_CHARACTERS = /[|{}]/;
const EXAMPLE_MAILBOX = "fax@contoso.com";

/** Settings that belong to some exchangeAuth modes only; set under another mode, they are refused, not ignored. */
const MODE_SPECIFIC_KEYS: Readonly<Partial<Record<ConfigKey, readonly ExchangeAuthMode[]>>> = {
    exchangeAppId: ["certificate", "clientSecret"],
    exchangeCertificatePath: ["certificate"],
    exchangeCertificatePassword: ["certificate"],
    exchangeClientSecret: ["clientSecret"],
    exchangeAdminUpn: ["accessToken"],
    exchangeManagedIdentityAccountId: ["managedIdentity"],
};

export function isGuid(value: string): boolean {
    return GUID.test(value);
}

export function isPlainAddress(value: string): boolean {
    return PLAIN_ADDRESS.test(value) && !value.includes("..");
}

/** Describes a value for an error message without ever echoing a long or multi-line one. */
function quote(value: unknown): string {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    const printable = text.replace(/\p{Cc}/gu, "?");
    return JSON.stringify(printable.length > 80 ? `${printable.slice(0, 77)}...` : printable);
}

/** Key names the Pulumi CLI checks for secret-looking values (keyPattern in pkg/cmd/pulumi/config/config.go). */
export const SECRET_LOOKING_KEY_NAME = /passwd|pass|password|pwd|secret|token/i;

/** The command that sets `key`; the CLI refuses a random-looking value of such a key without --plaintext/--secret. */
function setCommand(key: string, example: string, secret = false): string {
    const flag = secret ? "--secret " : SECRET_LOOKING_KEY_NAME.test(key) ? "--plaintext " : "";
    return `pulumi config set ${flag}${key} ${example}`;
}

/** Suggests the accepted key closest to a misspelt one. */
function closestKey(key: string): string | undefined {
    const distance = (a: string, b: string): number => {
        const row = Array.from({ length: b.length + 1 }, (_, i) => i);
        for (let i = 1; i <= a.length; i++) {
            let previous = row[0];
            row[0] = i;
            for (let j = 1; j <= b.length; j++) {
                const current = row[j];
                row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
                previous = current;
            }
        }
        return row[b.length];
    };
    const ranked = CONFIG_KEYS.map((k) => ({ k, d: distance(key.toLowerCase(), k.toLowerCase()) })).sort(
        (x, y) => x.d - y.d,
    );
    return ranked[0].d <= Math.max(2, Math.floor(key.length / 3)) ? ranked[0].k : undefined;
}

/** Collects problems while each key is read, so that one error can list all of them. */
class ConfigReader {
    readonly problems: ConfigProblem[] = [];

    constructor(
        private readonly raw: RawConfig,
        private readonly isStoredAsSecret: (key: string) => boolean,
    ) {}

    /** A key's value for an error message: quoted, unless the stack stores it as a secret. */
    describe(key: string, value: unknown): string {
        return this.isStoredAsSecret(key) ? "its value (a secret, not shown)" : quote(value);
    }

    report(key: string, problem: string, fix: string): void {
        this.problems.push({ key, problem, fix });
    }

    /** The trimmed value, or undefined when unset or empty. */
    text(key: ConfigKey): string | undefined {
        const value = this.raw[key];
        if (value === undefined) return undefined;
        const trimmed = value.trim();
        return trimmed === "" ? undefined : trimmed;
    }

    /** Text that later reaches PowerShell; `quotedInFixes` also refuses `|`, `{` and `}` (the doctor pastes it in a fix). */
    safeText(key: ConfigKey, fallback: string, example: string, maxLength: number, quotedInFixes = false): string {
        const value = this.text(key);
        if (value === undefined) return fallback;
        if (UNSAFE_CHARACTERS.test(value) || (quotedInFixes && UNSAFE_NAME_CHARACTERS.test(value))) {
            this.report(
                key,
                `${this.describe(key, value)} contains a quote, backtick, $, ;, backslash, ${quotedInFixes ? "|, {, }, " : ""}or control character.`,
                `use letters, digits, spaces, dots and dashes: ${setCommand(key, example)}`,
            );
        } else if (value.length > maxLength) {
            this.report(key, `is ${value.length} characters long; at most ${maxLength} are allowed.`, "shorten it.");
        }
        return value;
    }

    list(key: ConfigKey, example: string): string[] | undefined {
        const value = this.raw[key];
        if (value === undefined || value.trim() === "") return undefined;
        const fix = `set it as a list: pulumi config set --path '${key}[0]' ${example}`;
        let parsed: unknown;
        try {
            parsed = JSON.parse(value);
        } catch {
            this.report(key, `${this.describe(key, value)} is a single text value, not a list.`, fix);
            return [];
        }
        if (!Array.isArray(parsed) || parsed.some((item) => typeof item !== "string")) {
            this.report(key, `${this.describe(key, parsed)} is not a list of text values.`, fix);
            return [];
        }
        return parsed as string[];
    }

    integer(key: ConfigKey, fallback: number, range: { min: number; max: number }, unit: string): number {
        const value = this.text(key);
        if (value === undefined) return fallback;
        const parsed = Number(value);
        if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < range.min || parsed > range.max) {
            this.report(
                key,
                `${this.describe(key, value)} is not a whole number of ${unit} from ${range.min} to ${range.max}.`,
                setCommand(key, String(fallback)),
            );
            return fallback;
        }
        return parsed;
    }

    choice<T extends string>(key: ConfigKey, choices: readonly T[], fallback: T): T {
        const value = this.text(key);
        if (value === undefined) return fallback;
        const match = choices.find((c) => c.toLowerCase() === value.toLowerCase());
        if (match === undefined) {
            this.report(
                key,
                `${this.describe(key, value)} is not one of ${choices.join(", ")}.`,
                setCommand(key, fallback) + ` (or another of: ${choices.join(", ")})`,
            );
            return fallback;
        }
        return match;
    }

    guid(key: ConfigKey, what: string): string | undefined {
        const value = this.text(key);
        if (value === undefined) return undefined;
        if (!isGuid(value)) {
            this.report(
                key,
                `${this.describe(key, value)} is not a GUID (${what}).`,
                `copy the ${what} from the Entra admin center: ${setCommand(key, "00000000-0000-0000-0000-000000000000")}`,
            );
            return undefined;
        }
        return value.toLowerCase();
    }

    /** true or false; undefined when unset or empty (the project default), so that unset differs from false. */
    boolean(key: ConfigKey): boolean | undefined {
        const value = this.text(key);
        if (value === undefined) return undefined;
        if (/^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
        this.report(
            key,
            `${this.describe(key, value)} is neither true nor false.`,
            `${setCommand(key, "true")} (or false)`,
        );
        return undefined;
    }

    /** A secret's presence, checked without ever reading its value into a message. */
    hasSecret(key: (typeof SECRET_CONFIG_KEYS)[number]): boolean {
        const value = this.raw[key];
        return value !== undefined && value.trim() !== "";
    }
}

function readMailboxes(reader: ConfigReader): string[] {
    const listed = reader.list("mailboxes", EXAMPLE_MAILBOX);
    if (listed === undefined || listed.length === 0) {
        if (listed !== undefined && reader.problems.some((p) => p.key === "mailboxes")) return [];
        reader.report(
            "mailboxes",
            "is required: name at least one dedicated mailbox for the suite.",
            `pulumi config set --path 'mailboxes[0]' ${EXAMPLE_MAILBOX}`,
        );
        return [];
    }
    const seen = new Set<string>();
    const mailboxes: string[] = [];
    listed.forEach((address, index) => {
        if (!isPlainAddress(address)) {
            reader.report(
                "mailboxes",
                `item ${index} ${reader.describe("mailboxes", address)} is not ${ADDRESS_RULE}.`,
                `pulumi config set --path 'mailboxes[${index}]' ${EXAMPLE_MAILBOX}`,
            );
            return;
        }
        const normalized = address.toLowerCase();
        if (seen.has(normalized)) {
            reader.report(
                "mailboxes",
                `${reader.describe("mailboxes", address)} is listed twice.`,
                "remove the duplicate entry.",
            );
            return;
        }
        seen.add(normalized);
        mailboxes.push(normalized);
    });
    return mailboxes;
}

function readPermissions(reader: ConfigReader): ExchangeRoleName[] {
    const listed = reader.list("permissions", "IMAP.AccessAsApp");
    if (listed === undefined) return [...CONFIG_DEFAULTS.permissions];
    const allowed = EXCHANGE_ROLE_NAMES.join(", ");
    if (listed.length === 0) {
        if (!reader.problems.some((p) => p.key === "permissions")) {
            reader.report(
                "permissions",
                "is an empty list: the suite could neither send nor read mail.",
                `remove the key to get the default (IMAP.AccessAsApp, SMTP.SendAsApp): pulumi config rm permissions`,
            );
        }
        return [];
    }
    const roles: ExchangeRoleName[] = [];
    for (const name of listed) {
        const role = EXCHANGE_ROLE_NAMES.find((r) => r.toLowerCase() === name.toLowerCase());
        if (role === undefined) {
            const legacy = name.toLowerCase() === LEGACY_EWS_ROLE_NAME;
            reader.report(
                "permissions",
                legacy
                    ? `"${LEGACY_EWS_ROLE_NAME}" is the legacy EWS permission and grants access to every mailbox.`
                    : `${reader.describe("permissions", name)} is not an accepted Exchange Online application role.`,
                `list only ${allowed}: pulumi config rm permissions (for the default) or pulumi config set --path 'permissions[0]' IMAP.AccessAsApp`,
            );
        } else if (roles.includes(role)) {
            reader.report("permissions", `${role} is listed twice.`, "remove the duplicate entry.");
        } else {
            roles.push(role);
        }
    }
    return roles;
}

function readOwners(reader: ConfigReader): string[] {
    const listed = reader.list("owners", "00000000-0000-0000-0000-000000000000") ?? [];
    const owners: string[] = [];
    listed.forEach((owner, index) => {
        if (!isGuid(owner)) {
            reader.report(
                "owners",
                `item ${index} ${reader.describe("owners", owner)} is not an object id (GUID).`,
                `use the Object ID of a user (Entra ID > Users) or of a CI identity's service principal (Enterprise applications): pulumi config set --path 'owners[${index}]' 00000000-0000-0000-0000-000000000000`,
            );
        } else if (owners.includes(owner.toLowerCase())) {
            reader.report(
                "owners",
                `${reader.describe("owners", owner)} is listed twice.`,
                "remove the duplicate entry.",
            );
        } else {
            owners.push(owner.toLowerCase());
        }
    });
    return owners;
}

/**
 * The cloud's initial-domain family: an exchangeOrganization of another cloud would connect to the wrong Microsoft
 * cloud, which refuses the tenant (AADSTS900382) with a message that points elsewhere.
 */
function checkOrganizationCloud(reader: ConfigReader, organization: string, cloud: CloudName): void {
    const suffix = CLOUD_ENDPOINTS[cloud].organizationSuffix;
    const example = setCommand("exchangeOrganization", `contoso.${suffix}`);
    const families = cloudsOfOrganization(organization);
    if (families.length === 0) {
        reader.report(
            "exchangeOrganization",
            `${reader.describe("exchangeOrganization", organization)} is not the tenant's initial domain.`,
            `use the *.${suffix} domain from Entra ID > Overview: ${example}`,
        );
        return;
    }
    if (families.includes(cloud)) return;
    const described = families.map((family) => `${family} (${CLOUD_ENDPOINTS[family].description})`).join(" or ");
    reader.report(
        "cloud",
        `is ${cloud} (${CLOUD_ENDPOINTS[cloud].description}), whose initial domains end in .${suffix}, but exchangeOrganization ${reader.describe("exchangeOrganization", organization)} is a domain of ${described}.`,
        `pulumi config set cloud ${families[0]}${families.length > 1 ? ` (or ${families.slice(1).join(", ")})` : ""} if the tenant lives there, else ${example}`,
    );
}

/** A stack-wide azuread:environment of another cloud would send every Entra call there, whatever `cloud` says. */
function checkAzureadEnvironment(reader: ConfigReader, environment: string, cloud: CloudName): void {
    const named = cloudOfAzureadEnvironment(environment);
    if (named === cloud) return;
    const wanted = CLOUD_ENDPOINTS[cloud].azureadEnvironment;
    reader.report(
        "cloud",
        `is ${cloud}, but azuread:environment ${quote(environment)} ${named === undefined ? "names no cloud ucx-mail supports" : `is the ${named} cloud`}.`,
        `pulumi config rm azuread:environment (ucx-mail sets ${wanted} from cloud)${named === undefined ? "" : `, or pulumi config set cloud ${named}`}.`,
    );
}

function readExchangeConnection(reader: ConfigReader, cloud: CloudName): ExchangeConnectionSettings {
    const mode = reader.choice("exchangeAuth", EXCHANGE_AUTH_MODES, CONFIG_DEFAULTS.exchangeAuth);
    const maxWaitMinutes = reader.integer(
        "exchangeMaxWaitMinutes",
        CONFIG_DEFAULTS.exchangeMaxWaitMinutes,
        EXCHANGE_MAX_WAIT_MINUTES_RANGE,
        "minutes",
    );
    const organization = reader.text("exchangeOrganization");
    const appId = reader.guid("exchangeAppId", "Application (client) ID of the Exchange automation app");
    const certificatePath = reader.text("exchangeCertificatePath");
    const adminUpn = reader.text("exchangeAdminUpn");
    const requirement = `required when exchangeAuth is ${mode}.`;
    const managedIdentityAccountId = reader.guid(
        "exchangeManagedIdentityAccountId",
        "Client ID of the user-assigned managed identity (Managed Identities > Overview)",
    );
    for (const [key, modes] of Object.entries(MODE_SPECIFIC_KEYS) as [ConfigKey, readonly ExchangeAuthMode[]][]) {
        const isSet = (SECRET_CONFIG_KEYS as readonly string[]).includes(key)
            ? reader.hasSecret(key as (typeof SECRET_CONFIG_KEYS)[number])
            : reader.text(key) !== undefined;
        if (isSet && !modes.includes(mode)) {
            reader.report(
                key,
                `is used only when exchangeAuth is ${modes.join(" or ")} (it is ${mode}), so it would be ignored.`,
                `pulumi config set exchangeAuth ${modes[0]}, or pulumi config rm ${key}`,
            );
        }
    }

    if (organization !== undefined) checkOrganizationCloud(reader, organization, cloud);
    if (mode !== "manual" && organization === undefined) {
        reader.report(
            "exchangeOrganization",
            `is ${requirement}`,
            `${setCommand("exchangeOrganization", `contoso.${CLOUD_ENDPOINTS[cloud].organizationSuffix}`)} (or pulumi config set exchangeAuth manual)`,
        );
    }
    if ((mode === "certificate" || mode === "clientSecret") && reader.text("exchangeAppId") === undefined) {
        reader.report(
            "exchangeAppId",
            `is ${requirement}`,
            setCommand("exchangeAppId", "<Application (client) ID of the app that holds Exchange.ManageAsApp>"),
        );
    }
    if (mode === "certificate" && certificatePath === undefined) {
        reader.report(
            "exchangeCertificatePath",
            `is ${requirement}`,
            setCommand("exchangeCertificatePath", "./exo.pfx"),
        );
    }
    if (certificatePath !== undefined && UNSAFE_CHARACTERS.test(certificatePath.replace(/\\/g, "/"))) {
        reader.report(
            "exchangeCertificatePath",
            `${reader.describe("exchangeCertificatePath", certificatePath)} contains a quote, backtick, $, ; or control character.`,
            "move the PFX file to a plain path and set that path.",
        );
    }
    if (mode === "clientSecret" && !reader.hasSecret("exchangeClientSecret")) {
        reader.report(
            "exchangeClientSecret",
            `is ${requirement}`,
            setCommand("exchangeClientSecret", "<secret of the Exchange automation app>", true),
        );
    }
    if (adminUpn !== undefined && !isPlainAddress(adminUpn)) {
        reader.report(
            "exchangeAdminUpn",
            `${reader.describe("exchangeAdminUpn", adminUpn)} is not a user principal name.`,
            setCommand("exchangeAdminUpn", "admin@contoso.onmicrosoft.com"),
        );
    }
    return {
        mode,
        cloud,
        maxWaitMinutes,
        ...(organization !== undefined ? { organization: organization.toLowerCase() } : {}),
        ...(appId !== undefined ? { appId } : {}),
        ...(certificatePath !== undefined ? { certificatePath } : {}),
        ...(adminUpn !== undefined ? { adminUpn: adminUpn.toLowerCase() } : {}),
        ...(managedIdentityAccountId !== undefined ? { managedIdentityAccountId } : {}),
    };
}

/**
 * An upper bound on the length of the JSON line the Exchange steps record for these mailboxes: a fixed part (ids,
 * names, the organization setting) plus, per mailbox, its address in the list of grants and in each of the three
 * per-setting tables (`"<address>":false,`).
 */
export function exchangeStateLengthBound(mailboxes: readonly string[], servicePrincipalName: string): number {
    const fixed = 1024 + 2 * JSON.stringify(servicePrincipalName).length;
    return mailboxes.reduce((total, address) => total + 4 * JSON.stringify(address).length + 4 + 3 * 7, fixed);
}

function checkExchangeStateRoom(
    reader: ConfigReader,
    mailboxes: readonly string[],
    servicePrincipalName: string,
): void {
    const bound = exchangeStateLengthBound(mailboxes, servicePrincipalName);
    if (bound <= EXCHANGE_STATE_MAX_CHARACTERS) return;
    reader.report(
        "mailboxes",
        `lists ${mailboxes.length} mailboxes, whose Exchange state could reach ${bound} characters; the command provider passes it back in one environment variable, which Windows caps at ${EXCHANGE_STATE_MAX_CHARACTERS}.`,
        "split the mailboxes across two stacks (each with its own exchangeServicePrincipalName), or use shorter addresses.",
    );
}

/**
 * Validates the whole configuration at once. Throws one UcxMailConfigError that names every bad key, what is
 * wrong and the fix; secret values are never part of it.
 */
export function parseUcxMailConfig(raw: RawConfig, options: ParseOptions = {}): UcxMailConfig {
    const isStoredAsSecret =
        options.isStoredAsSecret ?? ((key: string) => (SECRET_CONFIG_KEYS as readonly string[]).includes(key));
    const reader = new ConfigReader(raw, isStoredAsSecret);

    for (const key of SECRET_CONFIG_KEYS) {
        if (reader.hasSecret(key) && !isStoredAsSecret(key)) {
            reader.report(
                key,
                "is stored in plain text in the stack file, where anyone who reads the repository can see it.",
                `store it encrypted: pulumi config set --secret ${key} <value> (and rotate it if the file was shared).`,
            );
        }
    }

    for (const key of CONFIG_KEYS) {
        if (reader.text(key) !== undefined && !KEYS_THAT_MAY_BE_SECRET.includes(key) && isStoredAsSecret(key)) {
            reader.report(
                key,
                "is stored as a secret, but ucx-mail uses its value in plain text (stack outputs, the state, the Exchange script or the tenant itself), so the secret would leak there.",
                `store it in plain text: pulumi config rm ${key}, then pulumi config set ${key} <value> (without --secret). Only exchangeClientSecret, exchangeCertificatePassword and secretRotationKey may be secrets.`,
            );
        }
    }

    for (const key of Object.keys(raw)) {
        if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
            const suggestion = closestKey(key);
            reader.report(
                key,
                "is not a ucx-mail setting, so it would be ignored.",
                suggestion !== undefined
                    ? `did you mean ${suggestion}? pulumi config rm ${key}, then set ${suggestion}.`
                    : `pulumi config rm ${key} (accepted keys: ${CONFIG_KEYS.join(", ")}).`,
            );
        }
    }

    const cloud = reader.choice("cloud", CLOUDS, CONFIG_DEFAULTS.cloud);
    if (options.azureadEnvironment !== undefined && options.azureadEnvironment.trim() !== "") {
        checkAzureadEnvironment(reader, options.azureadEnvironment, cloud);
    }
    const mailboxes = readMailboxes(reader);
    const displayName = reader.safeText("displayName", CONFIG_DEFAULTS.displayName, "ImagicleEmailProvider", 120);
    const permissions = readPermissions(reader);
    const smtpAuth = reader.choice("smtpAuth", SMTP_AUTH_SCOPES, CONFIG_DEFAULTS.smtpAuth);
    const secretRotationDays = reader.integer(
        "secretRotationDays",
        CONFIG_DEFAULTS.secretRotationDays,
        SECRET_ROTATION_DAYS_RANGE,
        "days",
    );
    const secretRotationKey = reader.safeText("secretRotationKey", CONFIG_DEFAULTS.secretRotationKey, "2026-11-26", 64);
    const owners = readOwners(reader);
    const exchangeServicePrincipalName = reader.safeText(
        "exchangeServicePrincipalName",
        CONFIG_DEFAULTS.exchangeServicePrincipalName,
        "UCXSuiteMail",
        256,
        true,
    );
    const exchange = readExchangeConnection(reader, cloud);
    const mailboxProtocols = reader.choice(
        "mailboxProtocols",
        MAILBOX_PROTOCOL_MODES,
        CONFIG_DEFAULTS.mailboxProtocols,
    );
    if (exchange.mode !== "manual") checkExchangeStateRoom(reader, mailboxes, exchangeServicePrincipalName);
    const existingApplicationObjectId = reader.guid(
        "existingApplicationObjectId",
        "Object ID of the existing app registration (App registrations > Overview, not the Enterprise application's)",
    );
    const retainApplicationOnDestroy = reader.boolean("retainApplicationOnDestroy");

    if (reader.problems.length > 0) throw new UcxMailConfigError(reader.problems);

    return {
        cloud,
        mailboxes,
        displayName,
        permissions,
        smtpAuth,
        secretRotationDays,
        secretRotationKey,
        owners,
        exchangeServicePrincipalName,
        exchange,
        mailboxProtocols,
        ...(existingApplicationObjectId !== undefined ? { existingApplicationObjectId } : {}),
        ...(retainApplicationOnDestroy !== undefined ? { retainApplicationOnDestroy } : {}),
    };
}

/**
 * Whether `pulumi destroy` leaves the app registration and its enterprise application in the tenant: as configured,
 * else while an existing app is being adopted (it was the customer's before ucx-mail took it over).
 */
export function retainsApplicationOnDestroy(
    config: Pick<UcxMailConfig, "existingApplicationObjectId" | "retainApplicationOnDestroy">,
): boolean {
    return config.retainApplicationOnDestroy ?? config.existingApplicationObjectId !== undefined;
}
