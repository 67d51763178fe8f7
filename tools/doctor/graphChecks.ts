// The two Microsoft Graph checks, `handover` and `secret-policy`: which of them a run asked for, with what values,
// one Graph token for both, and the rows that stand in for them (or for the mail checks) when they do not run.

import { CheckResult } from "./checkResult";
import { DEFAULT_TIMEOUT_MS, DoctorFlags, SECRET_ENV_VAR, StackValues, UsageError } from "./cliArgs";
import { CLOUD_ENDPOINTS, CloudName } from "../../components/contract";
import { acquireGraphToken, GRAPH_TOKEN_ENV_VAR } from "./graphAccess";
import { GraphConnection } from "./graphClient";
import { HandoverRequest, runHandoverCheck } from "./handoverCheck";
import { runSecretPolicyCheck, SecretPolicyRequest } from "./secretPolicyCheck";

/** The program's default rotation period (Pulumi.yaml), used when the stack's config leaves it unset. */
const DEFAULT_SECRET_ROTATION_DAYS = 180;

/** The Graph checks of one run, resolved; absent parts were not asked for. */
export interface GraphCheckOptions {
    readonly cloud: CloudName;
    readonly tenantId: string;
    /** Where the requests go (the cloud's Graph, or --graph-host). */
    readonly graphHost: string;
    readonly timeoutMs: number;
    readonly handover?: HandoverRequest;
    readonly secretPolicy?: SecretPolicyRequest;
}

/**
 * Resolves --handover and --preflight from the flags and the stack (flags win). Undefined when neither was asked
 * for; throws one UsageError naming every missing value, or the Graph flags given without either.
 */
export function resolveGraphCheckOptions(flags: DoctorFlags, stackValues: StackValues): GraphCheckOptions | undefined {
    if (!flags.handover && !flags.preflight) {
        const stray = (
            [
                ["--graph-host", flags.graphHost],
                ["--client-secret-key-id", flags.clientSecretKeyId],
                ["--previous-secret-key-id", flags.previousSecretKeyId],
                ["--secret-rotation-days", flags.secretRotationDays],
                ["--application-object-id", flags.applicationObjectId],
            ] as const
        ).filter(([, value]) => value !== undefined);
        if (stray.length > 0) {
            throw new UsageError(
                `${stray.map(([name]) => name).join(", ")} only work with --handover or --preflight; add one or drop them.`,
            );
        }
        return undefined;
    }
    const fromStack = flags.stack ? stackValues : {};
    const cloud = flags.cloud ?? "public";
    const tenantId = flags.tenant ?? fromStack.tenantId;
    const appId = flags.clientId ?? fromStack.applicationClientId;
    const newestKeyId = flags.clientSecretKeyId ?? fromStack.clientSecretKeyId;
    const rotationDays =
        flags.secretRotationDays ??
        (flags.stack ? (fromStack.secretRotationDays ?? DEFAULT_SECRET_ROTATION_DAYS) : undefined);
    const missing: string[] = [];
    if (!tenantId) missing.push("--tenant");
    if (flags.handover && !appId) missing.push("--client-id (for --handover)");
    if (flags.handover && !newestKeyId) {
        missing.push(
            flags.stack
                ? "--client-secret-key-id (the stack has no clientSecretKeyId output yet: pulumi up with this version)"
                : "--client-secret-key-id (for --handover)",
        );
    }
    if (flags.preflight && rotationDays === undefined) missing.push("--secret-rotation-days (for --preflight)");
    if (missing.length > 0) {
        throw new UsageError(`missing ${missing.join(", ")}; give them (or use --stack <name>).`);
    }
    return {
        cloud,
        tenantId: tenantId as string,
        graphHost: flags.graphHost ?? CLOUD_ENDPOINTS[cloud].graphHost,
        timeoutMs: flags.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        handover: flags.handover
            ? {
                  cloud,
                  appId: appId as string,
                  newestKeyId: newestKeyId as string,
                  previousKeyId: flags.previousSecretKeyId ?? fromStack.previousSecretKeyId,
                  previousExpiresAt: fromStack.previousSecretExpiresAt,
                  stack: flags.stack,
              }
            : undefined,
        secretPolicy: flags.preflight
            ? {
                  applicationObjectId: flags.applicationObjectId ?? fromStack.applicationObjectId,
                  rotationDays: rotationDays as number,
                  rotationDaysSource:
                      flags.secretRotationDays !== undefined
                          ? "--secret-rotation-days"
                          : fromStack.secretRotationDays !== undefined
                            ? `stack "${flags.stack}"`
                            : `stack "${flags.stack}", default`,
              }
            : undefined,
    };
}

/** True when the run has no client secret, so that --handover/--preflight run alone and the mail checks skip. */
export function graphChecksRunAlone(
    flags: DoctorFlags,
    env: Readonly<Record<string, string | undefined>>,
    stackValues: StackValues,
): boolean {
    if (!flags.handover && !flags.preflight) return false;
    if (flags.exchange !== undefined) return false;
    return !env[SECRET_ENV_VAR] && !stackValues.clientSecret;
}

/** Runs the asked-for Graph checks with one token; returns both rows (skip when not asked) and the token to redact. */
export async function runGraphChecks(
    options: GraphCheckOptions | undefined,
    env: NodeJS.ProcessEnv,
    now: Date,
): Promise<{ results: [CheckResult, CheckResult]; secrets: string[] }> {
    const notAsked = skippedGraphChecks();
    if (options === undefined) return { results: notAsked, secrets: [] };
    // The handover report does not exist outside the global cloud: no token is needed to say so.
    const needsToken = (options.handover && options.cloud === "public") || options.secretPolicy;
    const token = needsToken
        ? await acquireGraphToken(options.cloud, options.tenantId, env, options.timeoutMs)
        : { ok: false as const, reason: "not needed" };
    if (needsToken && !token.ok) {
        // Asked for and not done: a warning, so that a weekly run shows it instead of passing over it.
        const noToken = (id: CheckResult["id"]): CheckResult => ({
            id,
            status: "warn",
            message: `No Microsoft Graph token: ${token.reason}`,
            fix: `Set ${GRAPH_TOKEN_ENV_VAR}, or sign in with az login (or AZURE_* variables, workload identity, managed identity) as a read-only identity.`,
        });
        return {
            results: [
                options.handover ? noToken("handover") : notAsked[0],
                options.secretPolicy ? noToken("secret-policy") : notAsked[1],
            ],
            secrets: [],
        };
    }
    const graph: GraphConnection = {
        host: options.graphHost,
        accessToken: token.ok ? token.accessToken : "",
        timeoutMs: options.timeoutMs,
    };
    const [handover, secretPolicy] = await Promise.all([
        options.handover ? runHandoverCheck(options.handover, graph, now) : notAsked[0],
        options.secretPolicy ? runSecretPolicyCheck(options.secretPolicy, graph, now) : notAsked[1],
    ]);
    return { results: [handover, secretPolicy], secrets: token.ok ? [token.accessToken] : [] };
}

/** The two rows when neither flag was given. */
export function skippedGraphChecks(): [CheckResult, CheckResult] {
    return [
        {
            id: "handover",
            status: "skip",
            message:
                "Whether the suite uses the newest secret is checked only with --handover (reads Microsoft Graph).",
            fix: null,
        },
        {
            id: "secret-policy",
            status: "skip",
            message: "The tenant's secret policy is checked only with --preflight (reads Microsoft Graph).",
            fix: null,
        },
    ];
}

/** The six mail checks as rows, when --handover/--preflight run without a client secret. */
export function skippedMailChecks(): CheckResult[] {
    const ids = ["token", "roles", "smtp", "imap", "send", "expiry"] as const;
    return ids.map((id) => ({
        id,
        status: "skip",
        message: `Not run: no client secret (${SECRET_ENV_VAR} or --stack); this run reads Microsoft Graph only.`,
        fix: null,
    }));
}
