import {
    CLOUD_ENDPOINTS,
    CloudName,
    cloudsOfOrganization,
    ENVIRONMENT,
    isCloudName,
    PATTERNS,
    SETTINGS,
} from "../../components/contract";
import { escapeUntrustedText } from "../untrustedText";

/** A command line the doctor cannot run with; main prints the one-line message and exits 2. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** The flags exactly as given, checked for shape but not yet merged with the stack or the environment. */
export interface DoctorFlags {
    /** --tenant: Directory (tenant) ID or tenant domain. */
    readonly tenant?: string;
    /** --client-id: Application (client) ID. */
    readonly clientId?: string;
    /** --mailbox: the dedicated mailbox the suite uses. */
    readonly mailbox?: string;
    /** --cloud: public, usgov, dod or china. */
    readonly cloud?: CloudName;
    /** --authority-host: https origin of the Entra authority, for a cloud not listed or a test authority. */
    readonly authorityHost?: string;
    /** --smtp-host and --smtp-port. */
    readonly smtpHost?: string;
    readonly smtpPort?: number;
    /** --imap-host and --imap-port. */
    readonly imapHost?: string;
    readonly imapPort?: number;
    /** --send-test-to: where the optional test message goes. */
    readonly sendTestTo?: string;
    /** --timeout-ms: bound for each network step. */
    readonly timeoutMs?: number;
    /** --json: machine-readable output. */
    readonly json: boolean;
    /** --stack: read tenant, client id, mailbox, secret and its end date from this Pulumi stack. */
    readonly stack?: string;
    /** --help. */
    readonly help: boolean;
    /** --exchange: run the read-only Exchange checks, connecting in this mode. */
    readonly exchange?: ExchangeAuthMode;
    /** --exchange-organization: the tenant's *.onmicrosoft.com domain. */
    readonly exchangeOrganization?: string;
    /** --exchange-app-id: the automation app that holds Exchange.ManageAsApp (certificate, clientSecret). */
    readonly exchangeAppId?: string;
    /** --exchange-certificate-path: its PFX (certificate). */
    readonly exchangeCertificatePath?: string;
    /** --exchange-managed-identity-account-id: client id of a user-assigned managed identity. */
    readonly exchangeManagedIdentityAccountId?: string;
    /** --exchange-admin-upn: the admin of a delegated token (accessToken) or of the interactive sign-in. */
    readonly exchangeAdminUpn?: string;
    /** --service-principal-object-id: the Enterprise application object id the Exchange principal must carry. */
    readonly servicePrincipalObjectId?: string;
    /** --exchange-timeout-ms: bound for all the Exchange checks together. */
    readonly exchangeTimeoutMs?: number;
    /** --handover: read Graph's credential sign-in activity to prove the suite took the newest secret. */
    readonly handover?: boolean;
    /** --preflight: read the tenant's app management policies before any write. */
    readonly preflight?: boolean;
    /** --graph-host: https origin of Microsoft Graph, for tests (default: the cloud's Graph). */
    readonly graphHost?: string;
    /** --client-secret-key-id and --previous-secret-key-id: without --stack, the key ids --handover looks for. */
    readonly clientSecretKeyId?: string;
    readonly previousSecretKeyId?: string;
    /** --secret-rotation-days: without --stack, the period --preflight checks against the policy. */
    readonly secretRotationDays?: number;
    /** --application-object-id: without --stack, the app registration whose own policies --preflight reads. */
    readonly applicationObjectId?: string;
}

/** How the doctor connects to Exchange Online for the read-only checks. */
export type ExchangeAuthMode = "certificate" | "clientSecret" | "accessToken" | "managedIdentity" | "interactive";
export const EXCHANGE_AUTH_MODES: readonly ExchangeAuthMode[] = [
    "certificate",
    "clientSecret",
    "accessToken",
    "managedIdentity",
    "interactive",
];

/** The Exchange connection of one doctor run, resolved and validated; secrets stay in the environment. */
export interface ExchangeOptions {
    readonly mode: ExchangeAuthMode;
    readonly organization: string;
    readonly appId?: string;
    readonly certificatePath?: string;
    readonly managedIdentityAccountId?: string;
    readonly adminUpn?: string;
    /** The display name the New-ServicePrincipal fix suggests (stack output exchangeServicePrincipalName). */
    readonly servicePrincipalName: string;
    /** Bound for pwsh, the module import, the connection and every check together. */
    readonly timeoutMs: number;
}

/** What the stack can fill in (the ucx-mail stack outputs the doctor needs). */
export interface StackValues {
    /** Output tenantId. */
    readonly tenantId?: string;
    /** Output applicationClientId. */
    readonly applicationClientId?: string;
    /** Output mailboxes. */
    readonly mailboxes?: readonly string[];
    /** Output clientSecret (a Pulumi secret, read with --show-secrets). */
    readonly clientSecret?: string;
    /** Output clientSecretExpiresAt (ISO 8601). */
    readonly clientSecretExpiresAt?: string;
    /** Output servicePrincipalObjectId: the Enterprise application object id the Exchange fixes quote. */
    readonly servicePrincipalObjectId?: string;
    /** Output exchangeServicePrincipalName: the DisplayName given to New-ServicePrincipal. */
    readonly exchangeServicePrincipalName?: string;
    /** Stack config ucx-mail:cloud: the tenant's cloud, whose hosts the doctor uses unless --cloud says otherwise. */
    readonly cloud?: string;
    /** Stack config ucx-mail:exchangeOrganization, exchangeAppId, exchangeCertificatePath, exchangeManagedIdentityAccountId, exchangeAdminUpn. */
    readonly exchangeOrganization?: string;
    readonly exchangeAppId?: string;
    readonly exchangeCertificatePath?: string;
    readonly exchangeManagedIdentityAccountId?: string;
    readonly exchangeAdminUpn?: string;
    /** Outputs clientSecretKeyId, previousSecretKeyId, previousSecretExpiresAt, applicationObjectId (for --handover, --preflight). */
    readonly clientSecretKeyId?: string;
    readonly previousSecretKeyId?: string;
    readonly previousSecretExpiresAt?: string;
    readonly applicationObjectId?: string;
    /** Stack config ucx-mail:secretRotationDays (for --preflight). */
    readonly secretRotationDays?: number;
}

/** Everything a doctor run needs, resolved and validated. */
export interface DoctorOptions {
    readonly tenantId: string;
    readonly clientId: string;
    readonly mailbox: string;
    /** Never printed; only handed to MSAL. */
    readonly clientSecret: string;
    readonly cloud: CloudName;
    /** Authority origin without a trailing slash, e.g. https://login.microsoftonline.com. */
    readonly authorityHost: string;
    /** True when the authority is not one of Microsoft's own hosts (MSAL must be told to trust it). */
    readonly customAuthority: boolean;
    /** Exchange Online resource host for the token scope. */
    readonly exchangeResourceHost: string;
    readonly smtpHost: string;
    readonly smtpPort: number;
    readonly imapHost: string;
    readonly imapPort: number;
    readonly sendTestTo?: string;
    readonly timeoutMs: number;
    readonly json: boolean;
    /** Set when --stack was used. */
    readonly stack?: string;
    /** From the stack: end of the current secret, for the expiry check. */
    readonly clientSecretExpiresAt?: string;
    /** From the stack: every configured mailbox (the doctor checks `mailbox`). */
    readonly stackMailboxes?: readonly string[];
    /** The Enterprise application object id (flag, then stack; main falls back to the token's oid), so fixes paste as they are. */
    readonly servicePrincipalObjectId?: string;
    /** The DisplayName fixes give New-ServicePrincipal: the stack's exchangeServicePrincipalName, else the default. */
    readonly servicePrincipalName: string;
    /** Set with --exchange: how to run the read-only Exchange checks. */
    readonly exchange?: ExchangeOptions;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Connect-ExchangeOnline alone takes 10-20 s, so the Exchange checks get their own, longer bound. */
export const DEFAULT_EXCHANGE_TIMEOUT_MS = 90_000;
export const SECRET_ENV_VAR = ENVIRONMENT.mailClientSecret;
/** The secrets the Exchange connection reads, the same variables as the Exchange steps; never flags, never printed. */
export const EXCHANGE_SECRET_ENV_VARS = [
    ENVIRONMENT.certificatePassword,
    ENVIRONMENT.clientSecret,
    ENVIRONMENT.accessToken,
] as const;
const DEFAULT_EXCHANGE_SERVICE_PRINCIPAL_NAME = SETTINGS.defaults.exchangeServicePrincipalName;

export const USAGE = `Usage: npm run doctor -- --tenant <tenant id> --client-id <application client id> --mailbox <address>
    [--cloud public|usgov|dod|china] [--authority-host <https url>]
    [--smtp-host <host>] [--smtp-port <n>] [--imap-host <host>] [--imap-port <n>]
    [--send-test-to <address>] [--timeout-ms <n, default ${DEFAULT_TIMEOUT_MS}>] [--json]
    [--stack <pulumi stack name>]
    [--exchange certificate|clientSecret|accessToken|managedIdentity|interactive
        --exchange-organization <tenant>.onmicrosoft.com
        [--exchange-app-id <automation app id>]            certificate, clientSecret
        [--exchange-certificate-path <pfx>]                certificate
        [--exchange-managed-identity-account-id <guid>]    managedIdentity, user-assigned
        [--exchange-admin-upn <upn>]                       accessToken (delegated), interactive
        [--exchange-timeout-ms <n, default ${DEFAULT_EXCHANGE_TIMEOUT_MS}>]]
    [--service-principal-object-id <enterprise application object id>]
    [--handover [--client-secret-key-id <guid> [--previous-secret-key-id <guid>]]]
    [--preflight [--secret-rotation-days <7-365>] [--application-object-id <guid>]] [--graph-host <https url>]
The client secret is read from the environment variable ${SECRET_ENV_VAR} (or from --stack).
--exchange runs the read-only Exchange checks (Get-* cmdlets only, one connection) with pwsh and the
ExchangeOnlineManagement module from PSModulePath. Connecting takes 10-20 s, so these checks share their own bound of
--exchange-timeout-ms (default ${DEFAULT_EXCHANGE_TIMEOUT_MS / 1000} s) for pwsh, the module, the connection and every check. Their secrets come
only from ${EXCHANGE_SECRET_ENV_VARS.join(", ")}. Without --exchange they are skipped.
--handover and --preflight read Microsoft Graph (read-only) with UCX_GRAPH_ACCESS_TOKEN, else the Azure credential
chain (environment, workload identity, Azure CLI, managed identity). Without a client secret they run on their own and
the mail checks are skipped; without --handover and --preflight their checks are skipped.`;

const GUID = PATTERNS.guid;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const HOST = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$|^\[?[0-9a-f:]+\]?$/i;

const VALUE_FLAGS = [
    "--tenant",
    "--client-id",
    "--mailbox",
    "--cloud",
    "--authority-host",
    "--smtp-host",
    "--smtp-port",
    "--imap-host",
    "--imap-port",
    "--send-test-to",
    "--timeout-ms",
    "--stack",
    "--exchange",
    "--exchange-organization",
    "--exchange-app-id",
    "--exchange-certificate-path",
    "--exchange-managed-identity-account-id",
    "--exchange-admin-upn",
    "--exchange-timeout-ms",
    "--service-principal-object-id",
    "--graph-host",
    "--client-secret-key-id",
    "--previous-secret-key-id",
    "--secret-rotation-days",
    "--application-object-id",
] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];
const BOOLEAN_FLAGS = ["--json", "--help", "-h", "--handover", "--preflight"] as const;
// Flags people try for the secret; refused so that it never lands in shell history or process lists.
const SECRET_FLAGS = [
    "--secret",
    "--client-secret",
    "--clientsecret",
    "--password",
    "--exchange-client-secret",
    "--exchange-certificate-password",
    "--access-token",
    "--exchange-access-token",
    "--graph-access-token",
];

/** Parses the argument vector (without node and script) into flags. Throws UsageError on anything wrong. */
export function parseDoctorFlags(argv: readonly string[]): DoctorFlags {
    const values = new Map<ValueFlag, string>();
    let json = false;
    let help = false;
    let handover = false;
    let preflight = false;
    for (let index = 0; index < argv.length; index++) {
        const argument = argv[index];
        const equals = argument.indexOf("=");
        const name = (argument.startsWith("--") && equals > 0 ? argument.slice(0, equals) : argument).toLowerCase();
        if (SECRET_FLAGS.includes(name)) {
            throw new UsageError(
                name === "--graph-access-token"
                    ? `${name} is not accepted: put the Graph token in the environment variable UCX_GRAPH_ACCESS_TOKEN.`
                    : name.startsWith("--exchange") || name === "--access-token"
                      ? `${name} is not accepted: put Exchange secrets in the environment (${EXCHANGE_SECRET_ENV_VARS.join(", ")}).`
                      : `${name} is not accepted: put the client secret in the environment variable ${SECRET_ENV_VAR} (or use --stack).`,
            );
        }
        if ((BOOLEAN_FLAGS as readonly string[]).includes(name)) {
            if (equals > 0 && argument.startsWith("--")) {
                throw new UsageError(`${name} takes no value.`);
            }
            if (name === "--json") json = true;
            else if (name === "--handover") handover = true;
            else if (name === "--preflight") preflight = true;
            else help = true;
            continue;
        }
        if (!(VALUE_FLAGS as readonly string[]).includes(name)) {
            throw new UsageError(
                argument.startsWith("-")
                    ? `unknown flag ${name}; run with --help to see the accepted flags.`
                    : `unexpected argument "${argument}"; every value follows its flag, e.g. --mailbox <address>.`,
            );
        }
        const flag = name as ValueFlag;
        let value: string | undefined;
        if (equals > 0 && argument.startsWith("--")) {
            value = argument.slice(equals + 1);
        } else {
            value = argv[index + 1];
            if (value === undefined || value.startsWith("--")) {
                throw new UsageError(`${flag} needs a value.`);
            }
            index++;
        }
        if (values.has(flag)) {
            throw new UsageError(`${flag} is given twice; give it once.`);
        }
        if (value.trim() === "") {
            throw new UsageError(`${flag} is empty; give it a value.`);
        }
        values.set(flag, value.trim());
    }
    return {
        tenant: optionalMatch(values, "--tenant", (v) => GUID.test(v) || DOMAIN.test(v), "a tenant GUID or domain"),
        clientId: optionalMatch(values, "--client-id", (v) => GUID.test(v), "the Application (client) ID, a GUID"),
        mailbox: optionalMatch(values, "--mailbox", (v) => EMAIL.test(v), "an e-mail address"),
        cloud: optionalCloud(values.get("--cloud")),
        authorityHost: optionalAuthority(values.get("--authority-host")),
        smtpHost: optionalMatch(values, "--smtp-host", (v) => HOST.test(v), "a host name or IP address"),
        smtpPort: optionalInteger(values, "--smtp-port", 1, 65535),
        imapHost: optionalMatch(values, "--imap-host", (v) => HOST.test(v), "a host name or IP address"),
        imapPort: optionalInteger(values, "--imap-port", 1, 65535),
        sendTestTo: optionalMatch(values, "--send-test-to", (v) => EMAIL.test(v), "an e-mail address"),
        timeoutMs: optionalInteger(values, "--timeout-ms", 100, 600_000),
        stack: values.get("--stack"),
        json,
        help,
        exchange: optionalExchangeMode(values.get("--exchange")),
        exchangeOrganization: optionalMatch(
            values,
            "--exchange-organization",
            (v) => DOMAIN.test(v),
            "the tenant's domain, such as contoso.onmicrosoft.com",
        ),
        exchangeAppId: optionalMatch(values, "--exchange-app-id", (v) => GUID.test(v), "the automation app id, a GUID"),
        exchangeCertificatePath: values.get("--exchange-certificate-path"),
        exchangeManagedIdentityAccountId: optionalMatch(
            values,
            "--exchange-managed-identity-account-id",
            (v) => GUID.test(v),
            "the managed identity's client id, a GUID",
        ),
        exchangeAdminUpn: optionalMatch(values, "--exchange-admin-upn", (v) => EMAIL.test(v), "a user principal name"),
        exchangeTimeoutMs: optionalInteger(values, "--exchange-timeout-ms", 1000, 600_000),
        servicePrincipalObjectId: optionalMatch(
            values,
            "--service-principal-object-id",
            (v) => GUID.test(v),
            "the Enterprise application object id, a GUID",
        ),
        handover,
        preflight,
        graphHost: optionalHttpsOrigin(values.get("--graph-host"), "--graph-host", "https://graph.microsoft.com"),
        clientSecretKeyId: optionalMatch(values, "--client-secret-key-id", (v) => GUID.test(v), "a key id, a GUID"),
        previousSecretKeyId: optionalMatch(values, "--previous-secret-key-id", (v) => GUID.test(v), "a key id, a GUID"),
        secretRotationDays: optionalInteger(values, "--secret-rotation-days", 7, 365),
        applicationObjectId: optionalMatch(
            values,
            "--application-object-id",
            (v) => GUID.test(v),
            "the app registration's object id, a GUID",
        ),
    };
}

/**
 * Merges flags, the stack's values and the environment into the options of one run. Flags win over the stack.
 * Throws one UsageError naming every missing value.
 */
export function resolveDoctorOptions(
    flags: DoctorFlags,
    env: Readonly<Record<string, string | undefined>>,
    stackValues: StackValues = {},
): DoctorOptions {
    // Before anything else: --exchange-* without --exchange is the mistake to name, not the missing --tenant.
    refuseExchangeFlagsWithoutExchange(flags);
    const cloud = flags.cloud ?? stackCloud(stackValues.cloud, flags.stack);
    const endpoints = CLOUD_ENDPOINTS[cloud];
    const tenantId = flags.tenant ?? stackValues.tenantId;
    const clientId = flags.clientId ?? stackValues.applicationClientId;
    const mailbox = flags.mailbox ?? stackValues.mailboxes?.[0];
    const envSecret = env[SECRET_ENV_VAR];
    const clientSecret = envSecret !== undefined && envSecret !== "" ? envSecret : stackValues.clientSecret;
    const missing: string[] = [];
    if (!tenantId) missing.push("--tenant");
    if (!clientId) missing.push("--client-id");
    if (!mailbox) missing.push("--mailbox");
    if (!clientSecret) missing.push(`the environment variable ${SECRET_ENV_VAR}`);
    if (missing.length > 0) {
        const source = flags.stack ? ` (stack "${flags.stack}" did not provide them)` : " (or use --stack <name>)";
        throw new UsageError(`missing ${missing.join(", ")}; give them${source}.`);
    }
    const exchange = resolveExchangeOptions(flags, env, stackValues, cloud);
    const authorityHost = flags.authorityHost ?? endpoints.authorityHost;
    const knownMicrosoftHosts = Object.values(CLOUD_ENDPOINTS).map((cloudEndpoints) => cloudEndpoints.authorityHost);
    return {
        tenantId: tenantId as string,
        clientId: clientId as string,
        mailbox: mailbox as string,
        clientSecret: clientSecret as string,
        cloud,
        authorityHost,
        customAuthority: !knownMicrosoftHosts.includes(authorityHost),
        exchangeResourceHost: endpoints.exchangeResourceHost,
        smtpHost: flags.smtpHost ?? endpoints.smtpHost,
        smtpPort: flags.smtpPort ?? endpoints.smtpPort,
        imapHost: flags.imapHost ?? endpoints.imapHost,
        imapPort: flags.imapPort ?? endpoints.imapPort,
        sendTestTo: flags.sendTestTo,
        timeoutMs: flags.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        json: flags.json,
        stack: flags.stack,
        clientSecretExpiresAt: flags.stack ? stackValues.clientSecretExpiresAt : undefined,
        stackMailboxes: flags.stack ? stackValues.mailboxes : undefined,
        servicePrincipalObjectId:
            flags.servicePrincipalObjectId ?? (flags.stack ? stackValues.servicePrincipalObjectId : undefined),
        servicePrincipalName: stackValues.exchangeServicePrincipalName ?? DEFAULT_EXCHANGE_SERVICE_PRINCIPAL_NAME,
        exchange,
    };
}

// Microsoft's mail hosts, by suffix: every cloud's SMTP and IMAP host, and Outlook.com's.
const MICROSOFT_MAIL_HOST = /(^|\.)(office365\.com|outlook\.com|office365\.us|outlook\.cn)$/i;

/**
 * A warning when --smtp-port 465 points at a Microsoft host: Exchange Online takes SMTP AUTH with STARTTLS on 587
 * only ("Authenticate an IMAP, POP or SMTP connection using OAuth": smtp.office365.com, port 587), so 465 can only
 * time out or be refused. Undefined when there is nothing to say.
 */
export function smtpPortWarning(options: Pick<DoctorOptions, "smtpHost" | "smtpPort">): string | undefined {
    if (options.smtpPort !== 465 || !MICROSOFT_MAIL_HOST.test(options.smtpHost)) return undefined;
    return (
        `--smtp-port 465 with ${options.smtpHost}: Exchange Online offers SMTP AUTH only with STARTTLS on port 587, ` +
        `not TLS on 465. Drop --smtp-port (587 is the default), and set the suite to port 587 with STARTTLS too.`
    );
}

/**
 * The Exchange connection: flags first, then what the stack knows. Throws one UsageError naming every missing value;
 * secrets are only checked for presence in the environment, never read into the options.
 */
function refuseExchangeFlagsWithoutExchange(flags: DoctorFlags): void {
    const exchangeOnlyFlags: [string, unknown][] = [
        ["--exchange-organization", flags.exchangeOrganization],
        ["--exchange-app-id", flags.exchangeAppId],
        ["--exchange-certificate-path", flags.exchangeCertificatePath],
        ["--exchange-managed-identity-account-id", flags.exchangeManagedIdentityAccountId],
        ["--exchange-admin-upn", flags.exchangeAdminUpn],
        ["--exchange-timeout-ms", flags.exchangeTimeoutMs],
    ];
    if (flags.exchange === undefined) {
        const stray = exchangeOnlyFlags.filter(([, value]) => value !== undefined).map(([name]) => name);
        if (stray.length > 0) {
            throw new UsageError(`${stray.join(", ")} only work with --exchange <mode>; add --exchange or drop them.`);
        }
    }
}

function resolveExchangeOptions(
    flags: DoctorFlags,
    env: Readonly<Record<string, string | undefined>>,
    stackValues: StackValues,
    cloud: CloudName,
): ExchangeOptions | undefined {
    if (flags.exchange === undefined) return undefined;
    const fromStack = flags.stack ? stackValues : {};
    const mode = flags.exchange;
    const organization = flags.exchangeOrganization ?? fromStack.exchangeOrganization;
    const appId = flags.exchangeAppId ?? fromStack.exchangeAppId;
    // As in the Exchange steps, this machine's own PFX wins over the stack's stored path (a CI runner's, say).
    const certificatePath =
        flags.exchangeCertificatePath ??
        (env[ENVIRONMENT.localCertificatePath]?.trim() || undefined) ??
        fromStack.exchangeCertificatePath;
    const has = (name: string): boolean => (env[name] ?? "") !== "";
    const missing: string[] = [];
    if (!organization) missing.push("--exchange-organization");
    if ((mode === "certificate" || mode === "clientSecret") && !appId) missing.push("--exchange-app-id");
    if (mode === "certificate" && !certificatePath) missing.push("--exchange-certificate-path");
    if (mode === "clientSecret" && !has(ENVIRONMENT.clientSecret)) {
        missing.push(`the environment variable ${ENVIRONMENT.clientSecret}`);
    }
    if (mode === "accessToken" && !has(ENVIRONMENT.accessToken)) {
        missing.push(`the environment variable ${ENVIRONMENT.accessToken}`);
    }
    if (mode === "interactive" && !(flags.exchangeAdminUpn ?? fromStack.exchangeAdminUpn)) {
        missing.push("--exchange-admin-upn");
    }
    if (missing.length > 0) {
        throw new UsageError(`--exchange ${mode} needs ${missing.join(", ")}.`);
    }
    // The Exchange steps' own rule (their settings reader checks it again): a domain of another cloud connects to a
    // cloud that refuses the tenant (AADSTS900382).
    const organizationClouds = cloudsOfOrganization(organization as string);
    if (!organizationClouds.includes(cloud)) {
        const suffix = CLOUD_ENDPOINTS[cloud].organizationSuffix;
        const hint =
            organizationClouds.length > 0
                ? `, or --cloud ${organizationClouds.join(" or --cloud ")} if the tenant lives there`
                : "";
        // From the flag, or from the stack's config, which others can write: inert before it is printed.
        throw new UsageError(
            `--exchange-organization ${escapeUntrustedText(organization as string)} is not a tenant's initial domain ` +
                `in the ${cloud} cloud; give the one such as contoso.${suffix}${hint}.`,
        );
    }
    return {
        mode,
        organization: organization as string,
        appId: mode === "certificate" || mode === "clientSecret" ? appId : undefined,
        certificatePath: mode === "certificate" ? certificatePath : undefined,
        managedIdentityAccountId:
            mode === "managedIdentity"
                ? (flags.exchangeManagedIdentityAccountId ?? fromStack.exchangeManagedIdentityAccountId)
                : undefined,
        adminUpn:
            mode === "accessToken" || mode === "interactive"
                ? (flags.exchangeAdminUpn ?? fromStack.exchangeAdminUpn)
                : undefined,
        servicePrincipalName: fromStack.exchangeServicePrincipalName ?? DEFAULT_EXCHANGE_SERVICE_PRINCIPAL_NAME,
        timeoutMs: flags.exchangeTimeoutMs ?? DEFAULT_EXCHANGE_TIMEOUT_MS,
    };
}

function optionalMatch(
    values: ReadonlyMap<ValueFlag, string>,
    flag: ValueFlag,
    isValid: (value: string) => boolean,
    expected: string,
): string | undefined {
    const value = values.get(flag);
    if (value === undefined) return undefined;
    if (!isValid(value)) throw new UsageError(`${flag} must be ${expected}; got "${value}".`);
    return value;
}

function optionalInteger(
    values: ReadonlyMap<ValueFlag, string>,
    flag: ValueFlag,
    min: number,
    max: number,
): number | undefined {
    const value = values.get(flag);
    if (value === undefined) return undefined;
    const number = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(number) || number < min || number > max) {
        throw new UsageError(`${flag} must be a whole number from ${min} to ${max}; got "${value}".`);
    }
    return number;
}

/** The stack's `cloud` setting (unset: public); a value the program would refuse is a usage error here too. */
function stackCloud(value: string | undefined, stack: string | undefined): CloudName {
    if (value === undefined) return "public";
    const lower = value.trim().toLowerCase();
    if (!isCloudName(lower)) {
        throw new UsageError(
            `stack "${stack}" has ucx-mail:cloud ${JSON.stringify(value)}, which is not one of ${Object.keys(CLOUD_ENDPOINTS).join(", ")}; fix it, or pass --cloud.`,
        );
    }
    return lower;
}

function optionalCloud(value: string | undefined): CloudName | undefined {
    if (value === undefined) return undefined;
    const lower = value.toLowerCase();
    if (!isCloudName(lower)) {
        throw new UsageError(`--cloud must be one of ${Object.keys(CLOUD_ENDPOINTS).join(", ")}; got "${value}".`);
    }
    return lower;
}

function optionalExchangeMode(value: string | undefined): ExchangeAuthMode | undefined {
    if (value === undefined) return undefined;
    const mode = EXCHANGE_AUTH_MODES.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
    if (!mode) {
        throw new UsageError(`--exchange must be one of ${EXCHANGE_AUTH_MODES.join(", ")}; got "${value}".`);
    }
    return mode;
}

function optionalAuthority(value: string | undefined): string | undefined {
    return optionalHttpsOrigin(
        value,
        "--authority-host",
        "https://login.microsoftonline.com",
        "; the tenant goes in --tenant",
    );
}

/** An https origin (scheme, host, port) and nothing else; `example` shows the form in the error. */
function optionalHttpsOrigin(value: string | undefined, flag: string, example: string, hint = ""): string | undefined {
    if (value === undefined) return undefined;
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        throw new UsageError(`${flag} must be an https URL such as ${example}.`);
    }
    if (url.protocol !== "https:") {
        throw new UsageError(`${flag} must use https; got "${url.protocol.replace(":", "")}".`);
    }
    if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash || url.username || url.password) {
        throw new UsageError(`${flag} is the host only (https://host[:port])${hint}.`);
    }
    return url.origin;
}
