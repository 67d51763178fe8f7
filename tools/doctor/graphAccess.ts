// The Microsoft Graph token for --handover and --preflight: UCX_GRAPH_ACCESS_TOKEN when set, else @azure/identity's
// credentials in the order that fits a workstation and CI alike. The token is handed back, never printed.

import {
    AzureCliCredential,
    ChainedTokenCredential,
    EnvironmentCredential,
    ManagedIdentityCredential,
    WorkloadIdentityCredential,
    type TokenCredential,
} from "@azure/identity";
import { CLOUD_ENDPOINTS, CloudName } from "../../components/contract";
import { printable } from "./graphClient";

/** A ready Graph access token (read-only use), for example from Connect-MgGraph or a CI step. */
export const GRAPH_TOKEN_ENV_VAR = "UCX_GRAPH_ACCESS_TOKEN";

/** What getting a token gave: the token, or why there is none. */
export type GraphTokenResult =
    | { readonly ok: true; readonly accessToken: string; readonly source: string }
    | { readonly ok: false; readonly reason: string };

/** The scope of the cloud's own Graph: a DoD tenant needs dod-graph, not graph.microsoft.us. */
export function graphScope(cloud: CloudName): string {
    return `${CLOUD_ENDPOINTS[cloud].graphHost}/.default`;
}

/**
 * Environment (service principal in AZURE_* variables), workload identity (federated token file), Azure CLI
 * (`az login` on a workstation or azure/login in CI), then managed identity last, so that a workstation never waits
 * on the instance metadata endpoint.
 */
function credentialChain(cloud: CloudName, tenantId: string, env: NodeJS.ProcessEnv): TokenCredential {
    const authorityHost = CLOUD_ENDPOINTS[cloud].authorityHost;
    const chain: TokenCredential[] = [new EnvironmentCredential({ authorityHost })];
    if (env.AZURE_FEDERATED_TOKEN_FILE && env.AZURE_CLIENT_ID) {
        chain.push(new WorkloadIdentityCredential({ authorityHost, tenantId: env.AZURE_TENANT_ID ?? tenantId }));
    }
    chain.push(new AzureCliCredential({ tenantId }));
    chain.push(
        env.AZURE_CLIENT_ID ? new ManagedIdentityCredential(env.AZURE_CLIENT_ID) : new ManagedIdentityCredential(),
    );
    return new ChainedTokenCredential(...chain);
}

/** Gets a Graph token for the tenant, from the environment variable or the credential chain. */
export async function acquireGraphToken(
    cloud: CloudName,
    tenantId: string,
    env: NodeJS.ProcessEnv,
    timeoutMs: number,
): Promise<GraphTokenResult> {
    const given = env[GRAPH_TOKEN_ENV_VAR]?.trim();
    if (given) return { ok: true, accessToken: given, source: GRAPH_TOKEN_ENV_VAR };
    try {
        const token = await withTimeout(
            credentialChain(cloud, tenantId, env).getToken(graphScope(cloud), { tenantId }),
            timeoutMs,
        );
        if (!token?.token) return { ok: false, reason: "the credential chain returned no token" };
        return { ok: true, accessToken: token.token, source: "the Azure credential chain" };
    } catch (error) {
        return { ok: false, reason: chainFailureReason(error) };
    }
}

/** One line per credential that was tried (AggregateAuthenticationError.errors), else the error's first line. */
function chainFailureReason(error: unknown): string {
    const errors = (error as { errors?: unknown } | undefined)?.errors;
    const reasons = Array.isArray(errors)
        ? errors.map((inner) => firstLine(inner instanceof Error ? inner.message : String(inner)))
        : [];
    return printable(
        reasons.length > 0 ? reasons.join("; ") : firstLine(error instanceof Error ? error.message : String(error)),
        600,
    );
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no Graph token within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function firstLine(text: string): string {
    return (text.split("\n").find((line) => line.trim() !== "") ?? text).trim();
}
