import { execFile } from "node:child_process";
import { escapeUntrustedText } from "../untrustedText";
import { StackValues, UsageError } from "./cliArgs";

/** How to run the Pulumi CLI; tests point PATH at a fake. */
export interface StackReadOptions {
    /** Environment for the pulumi process (PATH decides which pulumi runs). */
    readonly env: NodeJS.ProcessEnv;
    /** Give up after this long. */
    readonly timeoutMs: number;
}

/**
 * Reads the ucx-mail stack outputs with `pulumi stack output --json --show-secrets --stack <name>`.
 * The secret travels through a pipe, never through a command line or a file.
 */
export function readStackValues(stack: string, options: StackReadOptions): Promise<StackValues> {
    return runPulumiJson(
        ["stack", "output", "--json", "--show-secrets", "--stack", stack],
        `pulumi stack output --stack ${stack}`,
        options,
        parseStackOutputs,
    );
}

/** Runs one read-only `pulumi ... --json` command and parses its stdout; failures become one-line usage errors. */
function runPulumiJson(
    args: readonly string[],
    what: string,
    options: StackReadOptions,
    parse: (json: string) => StackValues,
): Promise<StackValues> {
    return new Promise((resolve, reject) => {
        execFile(
            "pulumi",
            [...args],
            { env: options.env, timeout: options.timeoutMs, maxBuffer: 4 * 1024 * 1024, windowsHide: true },
            (error, stdout, stderr) => {
                if (error) {
                    const code = (error as NodeJS.ErrnoException).code;
                    if (code === "ENOENT") {
                        reject(
                            new UsageError(
                                "--stack needs the Pulumi CLI on PATH; install it, or pass --tenant, --client-id, --mailbox and set UCX_MAIL_CLIENT_SECRET.",
                            ),
                        );
                        return;
                    }
                    const firstLine = firstMeaningfulLine(String(stderr)) ?? error.message.split("\n")[0];
                    reject(new UsageError(`${what} failed: ${escapeUntrustedText(firstLine)}`));
                    return;
                }
                try {
                    resolve(parse(String(stdout)));
                } catch (parseError) {
                    reject(parseError);
                }
            },
        );
    });
}

/** Picks the doctor's values out of `pulumi stack output --json` text. Pure. */
export function parseStackOutputs(json: string): StackValues {
    let outputs: unknown;
    try {
        outputs = JSON.parse(json);
    } catch {
        throw new UsageError(
            "pulumi stack output did not print JSON; check the stack name and the Pulumi CLI version.",
        );
    }
    if (typeof outputs !== "object" || outputs === null || Array.isArray(outputs)) {
        throw new UsageError("pulumi stack output printed no outputs object; run `pulumi up` for this stack first.");
    }
    const record = outputs as Record<string, unknown>;
    // Whoever can write the state backend writes these values, and the doctor prints them: escaped like the fleet's.
    const shown = (value: unknown): string | undefined => {
        const text = stringOrUndefined(value);
        return text === undefined ? undefined : escapeUntrustedText(text);
    };
    const mailboxes = Array.isArray(record.mailboxes)
        ? record.mailboxes
              .filter((mailbox): mailbox is string => typeof mailbox === "string")
              .map((mailbox) => escapeUntrustedText(mailbox))
        : typeof record.mailboxes === "string"
          ? [escapeUntrustedText(record.mailboxes)]
          : undefined;
    return {
        tenantId: shown(record.tenantId),
        applicationClientId: shown(record.applicationClientId),
        mailboxes,
        // The secret is used, never printed (the report redacts it), so it stays exactly as stored.
        clientSecret: stringOrUndefined(record.clientSecret),
        clientSecretExpiresAt: shown(record.clientSecretExpiresAt),
        servicePrincipalObjectId: shown(record.servicePrincipalObjectId),
        exchangeServicePrincipalName: shown(record.exchangeServicePrincipalName),
        clientSecretKeyId: shown(record.clientSecretKeyId),
        previousSecretKeyId: shown(record.previousSecretKeyId),
        previousSecretExpiresAt: shown(record.previousSecretExpiresAt),
        applicationObjectId: shown(record.applicationObjectId),
    };
}

/** The ucx-mail config keys the doctor reads: the cloud (its hosts) and those that fill in the --exchange flags. */
const EXCHANGE_CONFIG_KEYS = {
    "ucx-mail:cloud": "cloud",
    "ucx-mail:exchangeOrganization": "exchangeOrganization",
    "ucx-mail:exchangeAppId": "exchangeAppId",
    "ucx-mail:exchangeCertificatePath": "exchangeCertificatePath",
    "ucx-mail:exchangeManagedIdentityAccountId": "exchangeManagedIdentityAccountId",
    "ucx-mail:exchangeAdminUpn": "exchangeAdminUpn",
} as const;

/**
 * Reads the stack's cloud and Exchange connection settings with `pulumi config --json --stack <name>`, without
 * --show-secrets: none of these keys is a secret, and the Exchange secrets come from the environment only.
 */
export function readStackExchangeConfig(stack: string, options: StackReadOptions): Promise<StackValues> {
    return runPulumiJson(
        ["config", "--json", "--stack", stack],
        `pulumi config --stack ${stack}`,
        options,
        parseStackExchangeConfig,
    );
}

/** Picks the Exchange settings and secretRotationDays out of `pulumi config --json` text ({ "<ns>:<key>": { value, secret } }). Pure. */
export function parseStackExchangeConfig(json: string): StackValues {
    let config: unknown;
    try {
        config = JSON.parse(json);
    } catch {
        throw new UsageError("pulumi config did not print JSON; check the stack name and the Pulumi CLI version.");
    }
    if (typeof config !== "object" || config === null || Array.isArray(config)) return {};
    const record = config as Record<string, unknown>;
    const values: Record<string, string> = {};
    for (const [key, field] of Object.entries(EXCHANGE_CONFIG_KEYS)) {
        const entry = record[key] as { value?: unknown; secret?: unknown } | undefined;
        const value = entry && entry.secret !== true ? stringOrUndefined(entry.value) : undefined;
        if (value !== undefined) values[field] = value;
    }
    // --preflight checks the configured rotation period; `pulumi config --json` prints it as a string.
    const rotation = record["ucx-mail:secretRotationDays"] as { value?: unknown } | undefined;
    const rotationDays = Number(rotation?.value);
    return Number.isInteger(rotationDays) ? { ...values, secretRotationDays: rotationDays } : values;
}

function stringOrUndefined(value: unknown): string | undefined {
    return typeof value === "string" && value !== "" ? value : undefined;
}

function firstMeaningfulLine(text: string): string | undefined {
    return text
        .split("\n")
        .map((line) => line.trim())
        .find((line) => line !== "");
}
