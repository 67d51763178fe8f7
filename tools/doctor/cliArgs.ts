import { CLOUD_ENDPOINTS, CloudName, isCloudName } from "./cloudEndpoints";

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
    /** --cloud: public, usgov or china. */
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
    /** From the stack: the Enterprise application object id, so the fixes can be pasted as they are. */
    readonly servicePrincipalObjectId?: string;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const SECRET_ENV_VAR = "UCX_MAIL_CLIENT_SECRET";

export const USAGE = `Usage: npm run doctor -- --tenant <tenant id> --client-id <application client id> --mailbox <address>
    [--cloud public|usgov|china] [--authority-host <https url>]
    [--smtp-host <host>] [--smtp-port <n>] [--imap-host <host>] [--imap-port <n>]
    [--send-test-to <address>] [--timeout-ms <n, default ${DEFAULT_TIMEOUT_MS}>] [--json]
    [--stack <pulumi stack name>]
The client secret is read from the environment variable ${SECRET_ENV_VAR} (or from --stack).`;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
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
] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];
const BOOLEAN_FLAGS = ["--json", "--help", "-h"] as const;
// Flags people try for the secret; refused so that it never lands in shell history or process lists.
const SECRET_FLAGS = ["--secret", "--client-secret", "--clientsecret", "--password"];

/** Parses the argument vector (without node and script) into flags. Throws UsageError on anything wrong. */
export function parseDoctorFlags(argv: readonly string[]): DoctorFlags {
    const values = new Map<ValueFlag, string>();
    let json = false;
    let help = false;
    for (let index = 0; index < argv.length; index++) {
        const argument = argv[index];
        const equals = argument.indexOf("=");
        const name = (argument.startsWith("--") && equals > 0 ? argument.slice(0, equals) : argument).toLowerCase();
        if (SECRET_FLAGS.includes(name)) {
            throw new UsageError(
                `${name} is not accepted: put the client secret in the environment variable ${SECRET_ENV_VAR} (or use --stack).`,
            );
        }
        if ((BOOLEAN_FLAGS as readonly string[]).includes(name)) {
            if (equals > 0 && argument.startsWith("--")) {
                throw new UsageError(`${name} takes no value.`);
            }
            if (name === "--json") json = true;
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
    const cloud = flags.cloud ?? "public";
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
        servicePrincipalObjectId: flags.stack ? stackValues.servicePrincipalObjectId : undefined,
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

function optionalCloud(value: string | undefined): CloudName | undefined {
    if (value === undefined) return undefined;
    const lower = value.toLowerCase();
    if (!isCloudName(lower)) {
        throw new UsageError(`--cloud must be one of ${Object.keys(CLOUD_ENDPOINTS).join(", ")}; got "${value}".`);
    }
    return lower;
}

function optionalAuthority(value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        throw new UsageError(`--authority-host must be an https URL such as https://login.microsoftonline.com.`);
    }
    if (url.protocol !== "https:") {
        throw new UsageError(`--authority-host must use https; got "${url.protocol.replace(":", "")}".`);
    }
    if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash || url.username || url.password) {
        throw new UsageError(`--authority-host is the host only (https://host[:port]); the tenant goes in --tenant.`);
    }
    return url.origin;
}
