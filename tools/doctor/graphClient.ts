// Read-only Microsoft Graph requests for the doctor's --handover and --preflight checks: GET only, every page of a
// collection, and Graph's error body turned into one typed error. The token goes in the Authorization header only.

import { escapeUntrustedText } from "../untrustedText";

/** Where the requests go and with what; the token is never printed. */
export interface GraphConnection {
    /** Graph service root as an https origin, e.g. https://graph.microsoft.com (or --graph-host). */
    readonly host: string;
    readonly accessToken: string;
    /** Bound for each request. */
    readonly timeoutMs: number;
}

/** A Graph answer other than 2xx, with Graph's own `error.code` (e.g. Authentication_MSGraphPermissionMissing). */
export class GraphRequestError extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        readonly graphMessage: string,
        readonly path: string,
    ) {
        super(
            status > 0
                ? `Graph answered ${status} ${code} for GET ${path}: ${graphMessage}`
                : `GET ${path} failed: ${graphMessage}`,
        );
        this.name = "GraphRequestError";
    }
}

/** Text from Graph (untrusted) on one line, made inert like every other untrusted text, and capped in length. */
export function printable(value: string, maxLength = 300): string {
    const text = escapeUntrustedText(value.replace(/\s+/g, " ").trim());
    return text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
}

/** A collection never pages further than this; a loop of nextLinks must end. */
export const MAX_GRAPH_PAGES = 100;

/** GET one resource (path below the host, starting with /v1.0 or /beta) and return its JSON. */
export async function graphGet(connection: GraphConnection, path: string): Promise<Record<string, unknown>> {
    return fetchGraphJson(connection, new URL(path, connection.host), path);
}

/** GET a collection and every further page that `@odata.nextLink` names; returns all `value` items. */
export async function graphList(connection: GraphConnection, path: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let url: URL | undefined = new URL(path, connection.host);
    for (let page = 0; url !== undefined; page++) {
        if (page >= MAX_GRAPH_PAGES) {
            throw new GraphRequestError(0, "TooManyPages", `more than ${MAX_GRAPH_PAGES} pages`, path);
        }
        const body = await fetchGraphJson(connection, url, path);
        const value = body.value;
        if (!Array.isArray(value)) {
            throw new GraphRequestError(0, "UnexpectedResponse", "the answer has no value array", path);
        }
        items.push(
            ...value.filter((item): item is Record<string, unknown> => typeof item === "object" && item !== null),
        );
        url = nextPage(body["@odata.nextLink"], connection.host, path);
    }
    return items;
}

// Graph paging: follow @odata.nextLink as it is ("Paging Microsoft Graph data in your app"), but only on the same
// origin, so that the token never goes to another host.
function nextPage(nextLink: unknown, host: string, path: string): URL | undefined {
    if (typeof nextLink !== "string" || nextLink === "") return undefined;
    const url = new URL(nextLink, host);
    if (url.origin !== new URL(host).origin) {
        throw new GraphRequestError(0, "UnexpectedNextLink", `the next page points to ${url.origin}`, path);
    }
    return url;
}

async function fetchGraphJson(connection: GraphConnection, url: URL, path: string): Promise<Record<string, unknown>> {
    let response: Response;
    try {
        response = await fetch(url, {
            method: "GET",
            headers: { Authorization: `Bearer ${connection.accessToken}`, Accept: "application/json" },
            signal: AbortSignal.timeout(connection.timeoutMs),
            redirect: "error",
        });
    } catch (error) {
        const reason = error instanceof Error && error.name === "TimeoutError" ? "timed out" : describeCause(error);
        throw new GraphRequestError(0, "NetworkError", `${url.origin} ${reason}`, path);
    }
    const text = await response.text();
    let body: unknown;
    try {
        body = text === "" ? {} : JSON.parse(text);
    } catch {
        body = undefined;
    }
    if (!response.ok) {
        // Graph error responses: { "error": { "code": "...", "message": "...", "innerError": {...} } }.
        const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
        throw new GraphRequestError(
            response.status,
            typeof error?.code === "string" ? printable(error.code, 100) : `HTTP${response.status}`,
            printable(typeof error?.message === "string" ? error.message : response.statusText),
            path,
        );
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
        throw new GraphRequestError(response.status, "UnexpectedResponse", "the answer is not a JSON object", path);
    }
    return body as Record<string, unknown>;
}

function describeCause(error: unknown): string {
    const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
    if (typeof cause?.code === "string") return `could not be reached (${cause.code})`;
    return "could not be reached";
}
