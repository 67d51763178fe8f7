import {
    ConfidentialClientApplication,
    INetworkModule,
    LogLevel,
    NetworkRequestOptions,
    NetworkResponse,
    ServerError,
} from "@azure/msal-node";
import { CheckResult } from "./checkResult";
import { DoctorOptions } from "./cliArgs";
import { DeadlineExceeded, errorCodeOf, withDeadline } from "./deadline";
import { AccessTokenClaims, decodeAccessTokenClaims } from "./rolesCheck";
import { judgeTokenClaims } from "./tokenClaims";
import {
    diagnoseEntraFailure,
    diagnoseTransportFailure,
    EntraFailure,
    FixContext,
    TransportFailure,
} from "./fixCatalogue";

/** The token check's row, plus the token itself for the checks that log in with it. */
export interface TokenOutcome {
    readonly result: CheckResult;
    /** Present only when the check passed; never printed. */
    readonly accessToken?: string;
    /** The token's oid claim: the Enterprise application (service principal) object id of an app-only token. */
    readonly objectId?: string;
}

/** The scope of an app-only token for Exchange Online's IMAP and SMTP. */
export function exchangeScope(options: Pick<DoctorOptions, "exchangeResourceHost">): string {
    return `https://${options.exchangeResourceHost}/.default`;
}

/**
 * MSAL's network module with every request bounded by one shared deadline, remembering the last Entra error body
 * and the last transport failure so that the check can name the fix even when MSAL wraps them.
 */
export class BoundedNetworkClient implements INetworkModule {
    lastEntraFailure?: EntraFailure;
    lastTransportFailure?: TransportFailure;

    constructor(private readonly deadline: number) {}

    sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
        return this.send<T>(url, "GET", options);
    }

    sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
        return this.send<T>(url, "POST", options);
    }

    private async send<T>(url: string, method: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
        const remaining = Math.max(1, this.deadline - Date.now());
        let response: Response;
        try {
            response = await fetch(url, {
                method,
                headers: options?.headers,
                body: method === "POST" ? (options?.body ?? "") : undefined,
                signal: AbortSignal.timeout(remaining),
            });
        } catch (error) {
            const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
            this.lastTransportFailure = {
                timedOut,
                code: errorCodeOf(error),
                detail:
                    error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : undefined,
            };
            throw error;
        }
        const text = await response.text();
        const retryAfter = Number(response.headers.get("retry-after") ?? "");
        const throttle = {
            httpStatus: response.status,
            retryAfterSeconds: Number.isInteger(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
        };
        let body: unknown = {};
        try {
            body = text === "" ? {} : JSON.parse(text);
        } catch {
            // MSAL.NET's throttling notes: a throttled client-credentials request gets 429 (or 5xx) with Retry-After,
            // and the body need not be JSON ("Too Many Requests").
            if (response.status === 429 || response.status === 503) {
                this.lastEntraFailure = { ...throttle, description: `HTTP ${response.status} ${response.statusText}` };
            } else {
                this.lastTransportFailure = {
                    timedOut: false,
                    detail: `HTTP ${response.status} with a body that is not JSON`,
                };
            }
            throw new Error(`HTTP ${response.status} from ${new URL(url).host} was not JSON`);
        }
        this.rememberEntraError(body, throttle);
        const headers: Record<string, string> = {};
        response.headers.forEach((value, key) => {
            headers[key] = value;
        });
        return { headers, body: body as T, status: response.status };
    }

    private rememberEntraError(body: unknown, throttle: Pick<EntraFailure, "httpStatus" | "retryAfterSeconds">): void {
        if (typeof body !== "object" || body === null) return;
        const record = body as { error?: unknown; error_description?: unknown; error_codes?: unknown };
        if (typeof record.error !== "string") return;
        const codes = Array.isArray(record.error_codes) ? record.error_codes : [];
        this.lastEntraFailure = {
            error: record.error,
            description: typeof record.error_description === "string" ? firstLine(record.error_description) : undefined,
            aadsts: typeof codes[0] === "number" ? codes[0] : undefined,
            ...throttle,
        };
    }
}

/** Check 1 (vendor troubleshooting step 1): a client-credentials token for Exchange Online, with MSAL. */
export async function runTokenCheck(options: DoctorOptions): Promise<TokenOutcome> {
    const context = fixContextOf(options);
    const authority = `${options.authorityHost}/${options.tenantId}`;
    const networkClient = new BoundedNetworkClient(Date.now() + options.timeoutMs);
    const application = new ConfidentialClientApplication({
        auth: {
            clientId: options.clientId,
            authority,
            clientSecret: options.clientSecret,
            // MSAL only trusts Microsoft's hosts unless told; a sovereign or test authority is listed here.
            knownAuthorities: options.customAuthority ? [new URL(options.authorityHost).host] : [],
            // For Microsoft's hosts MSAL has the endpoints built in and asks no discovery document, so the first request
            // is the token POST; another authority gets the same metadata and so the same single request.
            authorityMetadata: options.customAuthority ? authorityMetadataOf(authority) : undefined,
        },
        system: {
            networkClient,
            disableInternalRetries: true,
            loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => undefined },
        },
    });
    try {
        const result = await withDeadline(
            application.acquireTokenByClientCredential({ scopes: [exchangeScope(options)], skipCache: true }),
            options.timeoutMs + 250,
            "token",
        );
        if (!result?.accessToken) {
            return fail(
                "Entra answered without an access token.",
                "Run the doctor again; if it persists, check the authority host.",
            );
        }
        const expires = result.expiresOn ? ` (valid until ${result.expiresOn.toISOString()})` : "";
        let claims: AccessTokenClaims | undefined;
        try {
            claims = decodeAccessTokenClaims(result.accessToken);
        } catch {
            // Not a JWT: the roles check reports it with its fix.
        }
        const wrong = claims ? judgeTokenClaims(claims, options) : undefined;
        if (wrong) return failWith(wrong);
        const identity = claims
            ? ` Tenant (tid) ${claims.tid ?? "absent"}; service principal object id (oid) ${claims.oid ?? "absent"}.`
            : "";
        return {
            result: {
                id: "token",
                status: "pass",
                message: `Got an app-only token for ${exchangeScope(options)} from ${authority}${expires}.${identity}`,
                fix: null,
            },
            accessToken: result.accessToken,
            objectId: claims?.oid,
        };
    } catch (error) {
        if (networkClient.lastEntraFailure) {
            return failWith(diagnoseEntraFailure(networkClient.lastEntraFailure, context));
        }
        if (error instanceof ServerError) {
            return failWith(
                diagnoseEntraFailure(
                    {
                        aadsts: error.errorNo ? Number(error.errorNo) : undefined,
                        error: error.errorCode,
                        description: error.errorMessage,
                    },
                    context,
                ),
            );
        }
        if (networkClient.lastTransportFailure || error instanceof DeadlineExceeded) {
            return failWith(
                diagnoseTransportFailure(
                    "token",
                    options.authorityHost,
                    networkClient.lastTransportFailure ?? { timedOut: true },
                    context,
                ),
            );
        }
        const detail = error instanceof Error ? error.message.split("\n")[0] : String(error);
        return fail(
            `MSAL could not get a token: ${detail}`,
            "Check --tenant, --client-id, --cloud and --authority-host.",
        );
    }
}

/**
 * The OpenID endpoints of an authority (origin/tenant), in the shape msal-common keeps built in for Microsoft's hosts
 * (authority/AuthorityMetadata.mjs, buildOpenIdConfig), as the JSON text MSAL's authorityMetadata option takes.
 */
export function authorityMetadataOf(authority: string): string {
    return JSON.stringify({
        token_endpoint: `${authority}/oauth2/v2.0/token`,
        jwks_uri: `${authority}/discovery/v2.0/keys`,
        issuer: `${authority}/v2.0`,
        authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
    });
}

/** The values every fix text quotes. */
export function fixContextOf(options: DoctorOptions): FixContext {
    return {
        tenantId: options.tenantId,
        clientId: options.clientId,
        mailbox: options.mailbox,
        authorityHost: options.authorityHost,
        timeoutMs: options.timeoutMs,
        servicePrincipalObjectId: options.servicePrincipalObjectId,
        servicePrincipalName: options.servicePrincipalName,
    };
}

function failWith(diagnosis: { message: string; fix: string }): TokenOutcome {
    return fail(diagnosis.message, diagnosis.fix);
}

function fail(message: string, fix: string): TokenOutcome {
    return { result: { id: "token", status: "fail", message, fix } };
}

function firstLine(text: string): string {
    return text.split(/\r?\n/)[0].trim();
}
