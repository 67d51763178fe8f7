// A loopback stand-in for the Microsoft identity platform token endpoint (client credentials), for tests only.
// Usage: node token-endpoint.mjs; configured by TOKEN_TENANT, TOKEN_CLIENT_ID, TOKEN_CLIENT_SECRET, TOKEN_VALUE,
// TOKEN_SCOPE (the one scope it grants: each cloud's Exchange resource is its own) and TOKEN_EXPIRES_IN (seconds; Entra
// issues app-only tokens for about an hour).
// Prints the port it listens on (127.0.0.1 only) as its first stdout line.
import http from "node:http";
import { URLSearchParams } from "node:url";

const expected = {
    tenant: process.env.TOKEN_TENANT,
    clientId: process.env.TOKEN_CLIENT_ID,
    clientSecret: process.env.TOKEN_CLIENT_SECRET,
    token: process.env.TOKEN_VALUE,
    scope: process.env.TOKEN_SCOPE ?? "https://outlook.office365.com/.default",
    expiresIn: Number(process.env.TOKEN_EXPIRES_IN ?? 3599),
};

const server = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
        const form = new URLSearchParams(body);
        const path = `/${expected.tenant}/oauth2/v2.0/token`;
        const valid =
            request.method === "POST" &&
            request.url === path &&
            form.get("grant_type") === "client_credentials" &&
            form.get("scope") === expected.scope &&
            form.get("client_id") === expected.clientId &&
            form.get("client_secret") === expected.clientSecret;
        response.setHeader("content-type", "application/json");
        if (valid) {
            response.end(
                JSON.stringify({ token_type: "Bearer", expires_in: expected.expiresIn, access_token: expected.token }),
            );
            return;
        }
        response.statusCode = 401;
        response.end(
            JSON.stringify({
                error: "invalid_client",
                error_description:
                    "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent is the client secret value.",
            }),
        );
    });
});

server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    if (address && typeof address === "object") console.log(String(address.port));
});
