import { randomUUID } from "node:crypto";
import { IncomingMessage, ServerResponse } from "node:http";
import { createServer, Server } from "node:https";
import { AddressInfo } from "node:net";
import { EntraRefusalName, EXCHANGE_AUDIENCE, FakeTenant } from "./fakeTenant";
import { readBody } from "./httpBody";

// MSAL adds these to every request; Entra ignores them when it checks the resource scope.
const OIDC_SCOPES = ["openid", "profile", "offline_access"];

/** The refusals a scenario can ask for: HTTP status, OAuth error, AADSTS number and text. */
export const ENTRA_REFUSALS: Readonly<
    Record<
        EntraRefusalName,
        {
            status: number;
            error: string;
            code: number;
            text: (tenantId: string) => string;
            /** Retry-After header, in seconds. */
            retryAfterSeconds?: number;
            /** A plain-text body instead of Entra's JSON. */
            plainBody?: string;
        }
    >
> = {
    // Entra error codes page, 900382: "Confidential Client is not supported in Cross Cloud request."
    crossCloud: {
        status: 400,
        error: "invalid_request",
        code: 900382,
        text: () => "Confidential Client is not supported in Cross Cloud request.",
    },
    // Entra error codes page, 90038 NationalCloudTenantRedirection: the tenant belongs to another national cloud.
    nationalCloud: {
        status: 400,
        error: "invalid_request",
        code: 90038,
        text: (tenantId) =>
            `The specified tenant '${tenantId}' belongs to the National Cloud 'USGovernment'. Current cloud instance 'Prod' does not federate with 'USGovernment'.`,
    },
    // The same code naming the public cloud ("belongs to the National Cloud 'Prod'"): a GCC tenant asked at a US
    // Government authority (Entra error codes page, 90038; public reports quote the cloud by name, tieto/sipe#182).
    nationalCloudProd: {
        status: 400,
        error: "invalid_request",
        code: 90038,
        text: (tenantId) =>
            `The specified tenant '${tenantId}' belongs to the National Cloud 'Prod'. Current cloud instance 'USGovernment' does not federate with 'Prod'.`,
    },
    // Entra error codes page, 50001 InvalidResource ("The resource is disabled or doesn't exist"), in the wording of
    // public reports (Microsoft Q&A) of the v1 endpoint.
    invalidResource: {
        status: 400,
        error: "invalid_resource",
        code: 50001,
        text: (tenantId) =>
            `The application named https://outlook.office365.com was not found in the tenant named ${tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
    },
    // Entra error codes page, 90033 MsodsServiceUnavailable; OAuth 2.0 (RFC 6749 5.2 / 4.1.2.1) temporarily_unavailable.
    transient: {
        status: 503,
        error: "temporarily_unavailable",
        code: 90033,
        text: () => "A transient error has occurred. Please try again.",
    },
    // Entra error codes page, 90055 TenantThrottlingError ("There are too many incoming requests"); Microsoft Learn,
    // MSAL "Client and server throttling": client-credentials requests are throttled with 429 and Retry-After: 60.
    throttled: {
        status: 429,
        error: "temporarily_unavailable",
        code: 90055,
        text: () => "There are too many incoming requests. This exception is thrown for blocked tenants.",
        retryAfterSeconds: 60,
    },
    // The same throttling without a JSON body (AzureAD/microsoft-authentication-library-for-dotnet#2855: "StatusCode:
    // 429, ResponseBody: Too Many Requests, Headers: Retry-After: 60").
    tooManyRequests: {
        status: 429,
        error: "",
        code: 0,
        text: () => "",
        retryAfterSeconds: 60,
        plainBody: "Too Many Requests",
    },
    // Entra error codes page, 7000112 UnauthorizedClientApplicationDisabled: "The application is disabled."
    appDisabled: {
        status: 400,
        error: "unauthorized_client",
        code: 7000112,
        text: () => "Application '0f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a1b'(ImagicleEmailProvider) is disabled.",
    },
};

/** A loopback HTTPS stand-in for login.microsoftonline.com: OpenID metadata and the v2.0 token endpoint. */
export interface EntraTokenServer {
    /** https://127.0.0.1:<port>, the value for --authority-host. */
    readonly origin: string;
    /** Raw bodies of every token request, so tests can see what the doctor sent. */
    readonly tokenRequests: URLSearchParams[];
    /** Method and path of every request, discovery included. */
    readonly requests: string[];
    close(): Promise<void>;
}

/** Starts the server with the tenant's scenario deciding every answer, like Entra would. */
export async function startEntraTokenServer(
    tenant: FakeTenant,
    tls: { cert: string; key: string },
): Promise<EntraTokenServer> {
    const tokenRequests: URLSearchParams[] = [];
    const requests: string[] = [];
    let origin = "";
    const server: Server = createServer({ cert: tls.cert, key: tls.key }, (request, response) => {
        void handle(request, response).catch(() => {
            if (!response.headersSent) sendJson(response, 500, { error: "server_error" });
        });
    });

    async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
        const url = new URL(request.url ?? "/", origin);
        requests.push(`${request.method ?? "?"} ${url.pathname}`);
        const [tenantSegment, ...rest] = url.pathname.split("/").filter((part) => part !== "");
        const route = rest.join("/");
        const knownTenant = tenantSegment === tenant.scenario.tenantId;
        if (request.method === "GET" && route === "v2.0/.well-known/openid-configuration") {
            if (!knownTenant) {
                sendJson(response, 400, entraError("invalid_tenant", 90002, tenantNotFound(tenantSegment)));
                return;
            }
            sendJson(response, 200, {
                token_endpoint: `${origin}/${tenantSegment}/oauth2/v2.0/token`,
                token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
                jwks_uri: `${origin}/${tenantSegment}/discovery/v2.0/keys`,
                response_modes_supported: ["query", "fragment", "form_post"],
                subject_types_supported: ["pairwise"],
                id_token_signing_alg_values_supported: ["RS256"],
                response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
                scopes_supported: ["openid", "profile", "email", "offline_access"],
                issuer: `${origin}/${tenantSegment}/v2.0`,
                request_uri_parameter_supported: false,
                userinfo_endpoint: `${origin}/oidc/userinfo`,
                authorization_endpoint: `${origin}/${tenantSegment}/oauth2/v2.0/authorize`,
                device_authorization_endpoint: `${origin}/${tenantSegment}/oauth2/v2.0/devicecode`,
                http_logout_supported: true,
                frontchannel_logout_supported: true,
                end_session_endpoint: `${origin}/${tenantSegment}/oauth2/v2.0/logout`,
                claims_supported: ["sub", "iss", "aud", "exp", "iat", "tid", "roles"],
                tenant_region_scope: "EU",
                cloud_instance_name: "microsoftonline.com",
            });
            return;
        }
        if (request.method === "POST" && route === "oauth2/v2.0/token") {
            const form = new URLSearchParams(await readBody(request));
            tokenRequests.push(form);
            // The token endpoint answers an unknown tenant with invalid_request and 90002 (Entra error codes page,
            // InvalidTenantName); discovery's own "invalid_tenant" is never seen, as MSAL skips discovery for Microsoft's hosts.
            if (!knownTenant) {
                sendJson(response, 400, entraError("invalid_request", 90002, tenantNotFound(tenantSegment)));
                return;
            }
            if (form.get("grant_type") !== "client_credentials") {
                sendJson(
                    response,
                    400,
                    entraError("unsupported_grant_type", 70003, "The app requested an unsupported grant type ."),
                );
                return;
            }
            const refusal = tenant.scenario.tokenRefusal ? ENTRA_REFUSALS[tenant.scenario.tokenRefusal] : undefined;
            if (refusal) {
                const headers: Record<string, string> = refusal.retryAfterSeconds
                    ? { "retry-after": String(refusal.retryAfterSeconds) }
                    : {};
                if (refusal.plainBody !== undefined) {
                    response.writeHead(refusal.status, { "content-type": "text/plain", ...headers });
                    response.end(refusal.plainBody);
                    return;
                }
                sendJson(
                    response,
                    refusal.status,
                    entraError(refusal.error, refusal.code, refusal.text(tenant.scenario.tenantId)),
                    headers,
                );
                return;
            }
            const clientId = form.get("client_id") ?? "";
            if (clientId !== tenant.scenario.clientId) {
                sendJson(
                    response,
                    400,
                    entraError(
                        "unauthorized_client",
                        700016,
                        `Application with identifier '${clientId}' was not found in the directory '${tenant.scenario.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
                    ),
                );
                return;
            }
            if (form.get("client_secret") !== tenant.scenario.clientSecret) {
                sendJson(
                    response,
                    401,
                    entraError(
                        "invalid_client",
                        7000215,
                        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
                    ),
                );
                return;
            }
            if (tenant.scenario.secretExpired) {
                sendJson(
                    response,
                    401,
                    entraError(
                        "invalid_client",
                        7000222,
                        `The provided client secret keys for app '${clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
                    ),
                );
                return;
            }
            // Entra's two scope refusals: no "/.default" at all (1002012), or a resource the tenant does not have (500011).
            const scope = form.get("scope") ?? "";
            const resource = scope.split(" ").find((entry) => entry.endsWith("/.default"));
            if (resource === undefined) {
                const given = scope.split(" ").find((entry) => !OIDC_SCOPES.includes(entry)) ?? scope;
                sendJson(
                    response,
                    400,
                    entraError(
                        "invalid_scope",
                        1002012,
                        `The provided value for scope ${given} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
                    ),
                );
                return;
            }
            if (resource !== `${EXCHANGE_AUDIENCE}/.default`) {
                sendJson(
                    response,
                    400,
                    entraError(
                        "invalid_resource",
                        500011,
                        `The resource principal named ${resource.replace("/.default", "")} was not found in the tenant named ${tenant.scenario.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
                    ),
                );
                return;
            }
            sendJson(response, 200, {
                token_type: "Bearer",
                expires_in: 3599,
                ext_expires_in: 3599,
                access_token: tenant.issueAccessToken(resource.replace("/.default", "")),
            });
            return;
        }
        sendJson(response, 404, { error: "not_found" });
    }

    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
        origin,
        tokenRequests,
        requests,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/** Entra's error body: error, error_description with trace lines, error_codes, ids and timestamp. */
function entraError(error: string, code: number, text: string): Record<string, unknown> {
    const traceId = randomUUID();
    const correlationId = randomUUID();
    const timestamp = new Date()
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, "Z");
    return {
        error,
        error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
        error_codes: [code],
        timestamp,
        trace_id: traceId,
        correlation_id: correlationId,
        error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    };
}

function tenantNotFound(tenantId: string | undefined): string {
    return `Tenant '${tenantId ?? ""}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`;
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    response.writeHead(status, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(text),
        ...headers,
    });
    response.end(text);
}
