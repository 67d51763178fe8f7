// A loopback stand-in for the few Microsoft Graph reads the doctor's --handover and --preflight make, answering in
// Graph's real response shapes, with server-driven paging and the 403 bodies Graph really sends.

import { randomUUID } from "node:crypto";
import { createServer as createHttpServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { AddressInfo } from "node:net";
import { after, before, beforeEach } from "node:test";
import type { GraphConnection } from "../../../tools/doctor/graphClient";

/** The refusals a scenario can ask for, by their Graph error.code. */
export type GraphRefusal =
    | "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    | "Authentication_MSGraphPermissionMissing"
    | "Authorization_RequestDenied";

// Each body as Graph sends it with HTTP 403:
const REFUSAL_MESSAGES: Readonly<Record<GraphRefusal, string>> = {
    // microsoftgraph/microsoft-graph-docs issue 12919 and turbot/steampipe-plugin-azuread issue 98 (sign-in reports
    // without Entra ID P1/P2).
    Authentication_RequestFromNonPremiumTenantOrB2CTenant:
        "Neither tenant is B2C or tenant doesn't have premium license",
    // microsoftgraph/microsoft-graph-explorer-v4 issue 2731 and microsoft-graph-docs-contrib issue 8997 (the
    // appCredentialSignInActivities' sibling report without AuditLog.Read.All).
    Authentication_MSGraphPermissionMissing:
        "Calling principal does not have required MSGraph permissions AuditLog.Read.All",
    // Directory reads without the permission: Microsoft Graph error responses (403 Forbidden) and
    // microsoft-graph-docs-contrib issue 3010 ("insufficient privileges", policies read without Policy.Read.All).
    Authorization_RequestDenied: "Insufficient privileges to complete the operation.",
};

/** What the tenant holds and how Graph answers; tests set it per case. */
export interface GraphScenario {
    /** appCredentialSignInActivity rows, as the report would list them (all apps). */
    credentialActivities: Record<string, unknown>[];
    /** signIn rows (all apps, all outcomes); the stand-in applies the doctor's filter. */
    signIns: Record<string, unknown>[];
    /** The tenantAppManagementPolicy. */
    defaultPolicy: Record<string, unknown>;
    /** appManagementPolicy objects assigned to each application, by application object id. */
    appPolicies: Record<string, Record<string, unknown>[]>;
    /** Applications by object id (createdDateTime matters). */
    applications: Record<string, Record<string, unknown>>;
    /** Refuse the reports (sign-in activity and sign-in logs) or the policies with this 403. */
    refuseReports?: GraphRefusal;
    refusePolicies?: GraphRefusal;
    /** Items per page before an @odata.nextLink. */
    pageSize: number;
}

/** The Graph stand-in: its origin for --graph-host, the scenario, and what it was asked. */
export interface GraphStandIn {
    readonly origin: string;
    scenario: GraphScenario;
    /** Path and query of every request, in order. */
    readonly requests: string[];
    /** The Authorization header of every request. */
    readonly authorizations: string[];
    close(): Promise<void>;
}

/** A tenant with no policy enabled and no sign-in activity. */
export function emptyGraphScenario(): GraphScenario {
    return {
        credentialActivities: [],
        signIns: [],
        // tenantAppManagementPolicy-get (v1.0) example: the default policy exists, disabled, with empty restrictions.
        defaultPolicy: {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#policies/defaultAppManagementPolicy/$entity",
            id: "00000000-0000-0000-0000-000000000000",
            displayName: "Default app management tenant policy",
            description:
                "Default tenant policy that enforces app management restrictions on applications and service principals.",
            isEnabled: false,
            applicationRestrictions: { passwordCredentials: [], keyCredentials: [] },
            servicePrincipalRestrictions: { passwordCredentials: [], keyCredentials: [] },
        },
        appPolicies: {},
        applications: {},
        pageSize: 100,
    };
}

/** One appCredentialSignInActivity row in the shape of the reference's examples (reportroot-list-appcredentialsigninactivities). */
export function credentialActivity(options: {
    appId: string;
    keyId: string;
    lastSignInDateTime: string;
    keyType?: string;
}): Record<string, unknown> {
    return {
        id: Buffer.from(`${options.keyId}|application`).toString("base64"),
        appId: options.appId,
        appObjectId: randomUUID(),
        credentialOrigin: "application",
        expirationDate: "2027-06-01T00:00:00Z",
        keyId: options.keyId,
        keyType: options.keyType ?? "clientSecret",
        keyUsage: "sign",
        resourceId: "00000002-0000-0ff1-ce00-000000000000",
        servicePrincipalObjectId: randomUUID(),
        signInActivity: { lastSignInDateTime: options.lastSignInDateTime, lastSignInRequestId: randomUUID() },
    };
}

/**
 * One service-principal signIn row (signIn resource type, beta: status { errorCode, failureReason, additionalDetails },
 * signInEventTypes, servicePrincipalCredentialKeyId), failed with an AADSTS code or successful (0).
 */
export function servicePrincipalSignIn(options: {
    appId: string;
    createdDateTime: string;
    errorCode: number;
    keyId?: string;
}): Record<string, unknown> {
    return {
        id: randomUUID(),
        createdDateTime: options.createdDateTime,
        appId: options.appId,
        appDisplayName: "ImagicleEmailProvider",
        servicePrincipalId: randomUUID(),
        servicePrincipalCredentialKeyId: options.keyId ?? null,
        signInEventTypes: ["servicePrincipal"],
        isInteractive: false,
        resourceDisplayName: "Office 365 Exchange Online",
        status: {
            errorCode: options.errorCode,
            // Entra error codes page: 7000215 InvalidClientSecretProvided, 7000222 InvalidClientSecretExpiredKeysProvided.
            failureReason:
                options.errorCode === 7000215
                    ? "Invalid client secret is provided."
                    : options.errorCode === 7000222
                      ? "The provided client secret keys are expired."
                      : null,
            additionalDetails: null,
        },
    };
}

/** Starts the stand-in; with tls it speaks https (for the doctor as a child process), else plain http. */
export async function startGraphStandIn(
    expectedToken: string,
    tls?: { cert: string; key: string },
): Promise<GraphStandIn> {
    const requests: string[] = [];
    const authorizations: string[] = [];
    let origin = "";
    const handler = (request: IncomingMessage, response: ServerResponse): void => {
        try {
            handle(request, response);
        } catch {
            if (!response.headersSent)
                sendError(response, 500, "generalException", "General exception while processing.");
        }
    };
    const server: Server = tls
        ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler)
        : createHttpServer(handler);
    const standIn: GraphStandIn = {
        get origin() {
            return origin;
        },
        scenario: emptyGraphScenario(),
        requests,
        authorizations,
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };

    function handle(request: IncomingMessage, response: ServerResponse): void {
        const url = new URL(request.url ?? "/", origin);
        requests.push(`${url.pathname}${url.search}`);
        authorizations.push(request.headers.authorization ?? "");
        if (request.method !== "GET") {
            sendError(response, 405, "Request_BadRequest", "The doctor only reads.");
            return;
        }
        // Graph answers a missing or wrong bearer token with 401 InvalidAuthenticationToken (Microsoft Graph error
        // responses; the message as in public reports such as microsoftgraph/msgraph-sdk-powershell issues).
        if (request.headers.authorization !== `Bearer ${expectedToken}`) {
            sendError(
                response,
                401,
                "InvalidAuthenticationToken",
                "Access token validation failure. Invalid audience.",
            );
            return;
        }
        const scenario = standIn.scenario;
        const filter = url.searchParams.get("$filter") ?? "";
        const path = url.pathname;
        if (path === "/beta/reports/appCredentialSignInActivities" || path === "/beta/auditLogs/signIns") {
            if (scenario.refuseReports) {
                sendRefusal(response, scenario.refuseReports);
                return;
            }
            const rows =
                path === "/beta/auditLogs/signIns"
                    ? scenario.signIns.filter((row) => matchesSignInFilter(row, filter))
                    : scenario.credentialActivities.filter((row) => matchesAppIdFilter(row, filter));
            sendPage(response, url, rows, scenario.pageSize);
            return;
        }
        if (path.startsWith("/v1.0/policies/") || path.startsWith("/v1.0/applications/")) {
            if (scenario.refusePolicies) {
                sendRefusal(response, scenario.refusePolicies);
                return;
            }
        }
        if (path === "/v1.0/policies/defaultAppManagementPolicy") {
            sendJson(response, 200, scenario.defaultPolicy);
            return;
        }
        const application = /^\/v1\.0\/applications\/([^/]+)(\/appManagementPolicies)?$/.exec(path);
        if (application) {
            const objectId = decodeURIComponent(application[1]);
            const app = scenario.applications[objectId];
            if (!app) {
                // Graph's 404 for an unknown directory object (Microsoft Graph error responses, directory objects).
                sendError(
                    response,
                    404,
                    "Request_ResourceNotFound",
                    `Resource '${objectId}' does not exist or one of its queried reference-property objects are not present.`,
                );
                return;
            }
            if (application[2]) sendPage(response, url, scenario.appPolicies[objectId] ?? [], scenario.pageSize);
            else
                sendJson(response, 200, {
                    "@odata.context":
                        "https://graph.microsoft.com/v1.0/$metadata#applications(createdDateTime)/$entity",
                    ...app,
                });
            return;
        }
        // Graph's answer for a path it does not know.
        sendError(response, 400, "BadRequest", `Resource not found for the segment '${path.split("/").at(-1)}'.`);
    }

    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `${tls ? "https" : "http"}://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return standIn;
}

// Server-driven paging ("Paging Microsoft Graph data in your app"): a page of `value` and, while more remain, an
// absolute @odata.nextLink carrying an opaque $skiptoken.
function sendPage(response: ServerResponse, url: URL, rows: readonly unknown[], pageSize: number): void {
    const offset = Number(url.searchParams.get("$skiptoken") ?? "0");
    const page = rows.slice(offset, offset + pageSize);
    const body: Record<string, unknown> = {
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#Collection",
        value: page,
    };
    if (offset + pageSize < rows.length) {
        const next = new URL(url.toString());
        next.searchParams.set("$skiptoken", String(offset + pageSize));
        body["@odata.nextLink"] = next.toString();
    }
    sendJson(response, 200, body);
}

function matchesAppIdFilter(row: Record<string, unknown>, filter: string): boolean {
    const appId = /appId eq '([^']+)'/.exec(filter)?.[1];
    return appId === undefined || row.appId === appId;
}

// The doctor's sign-in filter: appId, servicePrincipal event type, createdDateTime ge, and status/errorCode eq ... or.
function matchesSignInFilter(row: Record<string, unknown>, filter: string): boolean {
    if (!matchesAppIdFilter(row, filter)) return false;
    if (filter.includes("signInEventTypes/any(t: t eq 'servicePrincipal')")) {
        const types = row.signInEventTypes as string[] | undefined;
        if (!types?.includes("servicePrincipal")) return false;
    }
    const since = /createdDateTime ge (\S+)/.exec(filter)?.[1];
    if (since && Date.parse(String(row.createdDateTime)) < Date.parse(since)) return false;
    const codes = [...filter.matchAll(/status\/errorCode eq (\d+)/g)].map((match) => Number(match[1]));
    const code = (row.status as { errorCode?: number } | undefined)?.errorCode;
    return codes.length === 0 || codes.includes(code as number);
}

function sendRefusal(response: ServerResponse, code: GraphRefusal): void {
    sendError(response, 403, code, REFUSAL_MESSAGES[code]);
}

// Graph error responses: { error: { code, message, innerError: { date, request-id, client-request-id } } }.
function sendError(response: ServerResponse, status: number, code: string, message: string): void {
    const requestId = randomUUID();
    sendJson(response, status, {
        error: {
            code,
            message,
            innerError: {
                date: new Date().toISOString().slice(0, 19),
                "request-id": requestId,
                "client-request-id": requestId,
            },
        },
    });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    response.writeHead(status, {
        "Content-Type":
            "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
    });
    response.end(text);
}

/**
 * Registers the hooks of a test suite that talks to the stand-in over plain http in process: started once, a fresh
 * scenario (then `prepare`) and an empty request log before each test, closed at the end.
 */
export function useGraphStandIn(
    token: string,
    prepare: (scenario: GraphScenario) => void = () => undefined,
): { graph(): GraphStandIn; connection(): GraphConnection } {
    let graph: GraphStandIn | undefined;
    before(async () => {
        graph = await startGraphStandIn(token);
    });
    after(() => graph?.close());
    beforeEach(() => {
        const standIn = graph as GraphStandIn;
        standIn.scenario = emptyGraphScenario();
        prepare(standIn.scenario);
        standIn.requests.length = 0;
        standIn.authorizations.length = 0;
    });
    return {
        graph: () => graph as GraphStandIn,
        connection: () => ({ host: (graph as GraphStandIn).origin, accessToken: token, timeoutMs: 5000 }),
    };
}
